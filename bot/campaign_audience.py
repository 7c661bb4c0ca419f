"""Who a campaign reaches, who may send it, and what it will cost.

An `Audience` (stored as `Campaign.audience` JSON) is drawn from the programme's own registry: everywhere or
some provinces, or one mentor's group; youth, mentors or both; optionally only people who chose one of
some tags as an interest. Recipients follow the bot, are active, take campaign news (`notify_campaigns`)
and have not muted any of the campaign's tags. `audience_select` turns that into one SQL select (SQLite and
PostgreSQL alike), with an optional split into minors and adults for quiet hours.

Who may send (`may_send`, checked at scheduling, on each edit and again at send time): national coordinators
(or admins) anyone; provincial coordinators their own province, or a mentor's group in it; mentors their
own group only.

LINE counts a multicast as requests x deliverable recipients against the monthly quota, so a campaign of n
recipients costs n messages whatever its number of requests (`estimate`).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import Select, and_, exists, func, not_, or_, select
from sqlalchemy.orm import Session, object_session

from bot.messaging import MULTICAST_MAX_RECIPIENTS
from bot.textinput import Refused
from bot.thai import PROVINCES_BY_CODE
from models import Campaign, Role, User, UserStatus, UserTag

AUDIENCE_ROLES = (Role.YOUTH, Role.MENTOR)
STAFF_ROLES = (Role.COORDINATOR, Role.ADMIN)
ADULT_AGE = 18
YEAR = dt.timedelta(days=365)  # as User.age_now counts years
MUTED, INTEREST = "muted", "interest"
BANGKOK_CODE = "BKK"  # not a จังหวัด by name

NOT_ALLOWED = "ส่งแคมเปญได้เฉพาะผู้ประสานงานและพี่เลี้ยงค่ะ"
INACTIVE_SENDER = "บัญชีผู้ส่งไม่ได้ใช้งานแล้ว จึงส่งแคมเปญนี้ไม่ได้ค่ะ"
MENTOR_OWN_GROUP = "พี่เลี้ยงส่งแคมเปญได้เฉพาะน้อง ๆ ในกลุ่มของตัวเองค่ะ"
NOT_A_GROUP = "ไม่พบกลุ่มของพี่เลี้ยงคนนี้ค่ะ"


@dataclass(frozen=True)
class Audience:
    """Who a campaign is for. `provinces` None = everywhere; `mentor_id` = that mentor's group (youth only);
    `roles` among "youth" and "mentor"; `interest_tags` empty = no filter by interest."""

    provinces: tuple[str, ...] | None = None
    mentor_id: int | None = None
    roles: tuple[str, ...] = (Role.YOUTH,)
    interest_tags: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        roles = tuple(role for role in AUDIENCE_ROLES if role in set(self.roles or ()))
        if not roles or set(self.roles) - set(AUDIENCE_ROLES):
            raise Refused("เลือกผู้รับเป็น อพม.น้อย พี่เลี้ยง หรือทั้งสองกลุ่มค่ะ")
        provinces = None if self.provinces is None else tuple(sorted(set(self.provinces)))
        if provinces is not None and (not provinces or set(provinces) - PROVINCES_BY_CODE.keys()):
            raise Refused("ไม่รู้จักจังหวัดที่เลือกค่ะ เลือกจากรายชื่อจังหวัดอีกครั้งนะคะ")
        if self.mentor_id is not None:  # a group is the mentor's youth, wherever they are
            provinces, roles = None, (Role.YOUTH,)
        object.__setattr__(self, "provinces", provinces)
        object.__setattr__(self, "roles", roles)
        object.__setattr__(self, "interest_tags", tuple(dict.fromkeys(self.interest_tags or ())))

    @classmethod
    def everyone(cls, roles: Sequence[str] = AUDIENCE_ROLES) -> Audience:
        return cls(roles=tuple(roles))

    @classmethod
    def of_provinces(cls, codes: Iterable[str], roles: Sequence[str] = (Role.YOUTH,)) -> Audience:
        return cls(provinces=tuple(codes), roles=tuple(roles))

    @classmethod
    def of_group(cls, mentor_id: int) -> Audience:
        return cls(mentor_id=mentor_id)

    def to_dict(self) -> dict:
        return {"provinces": list(self.provinces) if self.provinces is not None else None,
                "mentor_id": self.mentor_id, "roles": list(self.roles), "interest_tags": list(self.interest_tags)}

    @classmethod
    def from_dict(cls, data: dict) -> Audience:
        provinces = data.get("provinces")
        return cls(provinces=tuple(provinces) if provinces is not None else None, mentor_id=data.get("mentor_id"),
                   roles=tuple(data.get("roles") or (Role.YOUTH,)),
                   interest_tags=tuple(data.get("interest_tags") or ()))

    def includes(self, user: User, user_tags: dict[str, str], campaign_tags: Sequence[str]) -> bool:
        """The same rule as `audience_select` for one person in Python (not checking following or status):
        role, place or group, interests, muted tags. `user_tags` maps tag -> "interest" / "muted"."""
        if user.role not in self.roles:
            return False
        if self.mentor_id is not None and user.mentor_id != self.mentor_id:
            return False
        if self.provinces is not None and user.province_code not in self.provinces:
            return False
        if self.interest_tags and not any(user_tags.get(tag) == INTEREST for tag in self.interest_tags):
            return False
        return not any(user_tags.get(tag) == MUTED for tag in campaign_tags)


def audience_of(campaign: Campaign) -> Audience:
    """The audience stored on a campaign."""
    return Audience.from_dict(campaign.audience or {})


def minor_condition(now: dt.datetime):
    """SQL for User.is_minor(now): age unknown, or told at age a less than (18 - a) years ago."""
    told_as_minor = [and_(User.age_years == age, User.age_recorded_at > now - (ADULT_AGE - age) * YEAR)
                     for age in range(ADULT_AGE)]
    return or_(User.age_years.is_(None), User.age_recorded_at.is_(None), *told_as_minor)


def audience_select(audience: Audience, campaign_tags: Sequence[str], now: dt.datetime,
                    minors: bool | None = None) -> Select:
    """LINE user ids of the audience, by province then id. `minors` True: only youth under 18 (or of unknown
    age) at `now`; False: everyone else; None: both."""
    query = select(User.line_user_id).where(*recipient_conditions(audience, campaign_tags))
    if minors is True:
        query = query.where(User.role == Role.YOUTH, minor_condition(now))
    elif minors is False:
        query = query.where(or_(User.role != Role.YOUTH, not_(minor_condition(now))))
    return query.order_by(User.province_code, User.id)


def recipient_conditions(audience: Audience, campaign_tags: Sequence[str]) -> list:
    conditions = [User.is_following.is_(True), User.status == UserStatus.ACTIVE, User.role.in_(audience.roles),
                  User.notify_campaigns.is_(True)]
    if audience.provinces is not None:
        conditions.append(User.province_code.in_(audience.provinces))
    if audience.mentor_id is not None:
        conditions.append(User.mentor_id == audience.mentor_id)
    if audience.interest_tags:
        conditions.append(_has_tag(INTEREST, audience.interest_tags))
    if campaign_tags:
        conditions.append(not_(_has_tag(MUTED, campaign_tags)))
    return conditions


def _has_tag(kind: str, tags: Sequence[str]):
    return exists().where(UserTag.user_id == User.id, UserTag.kind == kind, UserTag.tag.in_(list(tags)))


def province_counts(session: Session, audience_query: Select) -> list[tuple[str | None, int]]:
    """How many of a select's recipients live in each province (None = no province), by province code."""
    counted = (audience_query.with_only_columns(User.province_code, func.count()).order_by(None)
               .group_by(User.province_code))
    rows = session.execute(counted).all()
    return sorted(((code, count) for code, count in rows), key=lambda row: row[0] or "")


@dataclass(frozen=True)
class Estimate:
    """What a campaign will take: recipients, multicast requests (one batch set per province, at most 500
    ids each) and messages counted against LINE's monthly quota (requests x recipients = recipients)."""

    recipients: int
    requests: int
    quota: int


def estimate(session: Session, audience: Audience, tags: Sequence[str], now: dt.datetime) -> Estimate:
    counts = province_counts(session, audience_select(audience, tags, now))
    return estimate_from_counts(count for _, count in counts)


def estimate_from_counts(counts: Iterable[int]) -> Estimate:
    counts = list(counts)
    recipients = sum(counts)
    requests = sum(math.ceil(count / MULTICAST_MAX_RECIPIENTS) for count in counts)
    return Estimate(recipients=recipients, requests=requests, quota=recipients)


def may_send(sender: User | None, audience: Audience) -> str | None:
    """None if `sender` may send to `audience`, else the Thai reason. A provincial coordinator's mentor
    group is looked up in the sender's session."""
    if sender is None or sender.status != UserStatus.ACTIVE:
        return INACTIVE_SENDER
    if sender.role in STAFF_ROLES:
        return _coordinator_may_send(sender, audience)
    if sender.role == Role.MENTOR:
        return None if audience.mentor_id == sender.id else MENTOR_OWN_GROUP
    return NOT_ALLOWED


def _coordinator_may_send(sender: User, audience: Audience) -> str | None:
    own = sender.province_code
    if own is None:
        return None
    own_only = f"ผู้ประสานงานจังหวัดส่งแคมเปญได้เฉพาะใน{province_name(own)}ค่ะ"
    if audience.mentor_id is not None:
        session = object_session(sender)
        mentor = session.get(User, audience.mentor_id) if session is not None else None
        if mentor is None or mentor.role != Role.MENTOR:
            return NOT_A_GROUP
        return None if mentor.province_code == own else own_only
    return None if audience.provinces == (own,) else own_only


def province_name(code: str | None) -> str:
    province = PROVINCES_BY_CODE.get(code or "")
    if province is None:
        return "จังหวัดของตัวเอง"
    return province.name_th if code == BANGKOK_CODE else f"จังหวัด{province.name_th}"


def describe(audience: Audience, mentor_name: str | None = None) -> str:
    """The audience in Thai for a preview: "อพม.น้อย · เชียงใหม่, ลำพูน · สนใจ #ยาเสพติด"."""
    roles = {Role.YOUTH: "อพม.น้อย", Role.MENTOR: "พี่เลี้ยง"}
    parts = [" และ ".join(roles[role] for role in audience.roles)]
    if audience.mentor_id is not None:
        parts.append(f"กลุ่มของ{mentor_name or 'พี่เลี้ยง'}")
    elif audience.provinces is None:
        parts.append("ทุกจังหวัด")
    else:
        parts.append(", ".join(PROVINCES_BY_CODE[code].name_th for code in audience.provinces))
    if audience.interest_tags:
        parts.append("สนใจ " + " ".join(f"#{tag}" for tag in audience.interest_tags))
    return " · ".join(parts)

