"""Access codes: issue, recognise, check, claim and revoke the codes that make someone a coordinator or a
mentor, put a youth in a mentor's group, or let a guardian confirm consent for a child.

Codes are 8 characters from an alphabet without look-alikes (no 0/O, 1/I/L), always with a digit so an
English word typed in chat is never taken for one. A user gets at most `MAX_FAILED_CLAIMS` wrong codes per
`FAILED_CLAIM_WINDOW`, so codes cannot be guessed by trying. Claiming locks the code row: two people
claiming a single-use code at once cannot both get it.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import AccessCode, CodeKind, Role, User

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
DEFAULT_LIFETIME = dt.timedelta(days=7)
MAX_FAILED_CLAIMS = 5
FAILED_CLAIM_WINDOW = dt.timedelta(hours=1)
GROUP_CODE_LIFETIME = dt.timedelta(days=180)
GROUP_CODE_MAX_USES = 1000
GUARDIAN_CODE_LIFETIME = dt.timedelta(days=14)
ROLE_OF_KIND = {CodeKind.COORDINATOR: Role.COORDINATOR, CodeKind.MENTOR_INVITE: Role.MENTOR}
ROLE_KINDS = frozenset(ROLE_OF_KIND)
_PREFIX = r"(?:(?:รหัสกลุ่ม|รหัส|ยืนยันผู้ปกครอง|ผู้ปกครอง|code)\s*:?\s*)?"
_TYPED_CODE = re.compile(r"^" + _PREFIX + r"([A-Za-z2-9][A-Za-z2-9\s-]{6,14}[A-Za-z2-9])$", re.IGNORECASE)


class ClaimResult(StrEnum):
    OK = "ok"
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    REVOKED = "revoked"
    USED = "used"
    ROLE_TAKEN = "role_taken"  # the user already has another role: an admin must change it
    TOO_MANY_TRIES = "too_many_tries"
    WRONG_KIND = "wrong_kind"  # a real code, but not one that can be used here


def new_code() -> str:
    """A random code with at least one digit and one letter."""
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if any(c.isdigit() for c in code) and any(c.isalpha() for c in code):
            return code


def typed_code(text: str) -> str | None:
    """The code in what a user typed ("abcd-2345", "รหัส ABCD 2345"), or None if it does not look like one."""
    match = _TYPED_CODE.match(text.strip())
    if not match:
        return None
    candidate = re.sub(r"[\s-]", "", match.group(1)).upper()
    if len(candidate) != CODE_LENGTH or not any(c.isdigit() for c in candidate):
        return None
    return candidate if all(c in CODE_ALPHABET for c in candidate) else None


def issue(session: Session, kind: str, now: dt.datetime, province_code: str | None = None,
          lifetime: dt.timedelta = DEFAULT_LIFETIME, issued_by_user_id: int | None = None,
          max_uses: int = 1, subject_user_id: int | None = None) -> AccessCode:
    """A new code in the caller's transaction."""
    if kind not in (*ROLE_OF_KIND, CodeKind.YOUTH_JOIN, CodeKind.GUARDIAN):
        raise ValueError(f"unknown code kind {kind!r}")
    if kind in (CodeKind.MENTOR_INVITE, CodeKind.YOUTH_JOIN) and province_code is None:
        raise ValueError(f"a {kind} code belongs to a province")
    code = AccessCode(code=new_code(), kind=kind, province_code=province_code, created_at=now,
                      expires_at=now + lifetime, max_uses=max_uses, uses=0, issued_by_user_id=issued_by_user_id,
                      subject_user_id=subject_user_id)
    session.add(code)
    session.flush()
    return code


def group_code(session: Session, mentor: User, now: dt.datetime, renew: bool = False) -> AccessCode:
    """The mentor's current group code for youth, made when there is none that still works; `renew`
    revokes the current one first (a code that was shared too widely)."""
    query = select(AccessCode).where(
        AccessCode.kind == CodeKind.YOUTH_JOIN, AccessCode.issued_by_user_id == mentor.id,
        AccessCode.revoked_at.is_(None), AccessCode.expires_at > now,
        AccessCode.uses < AccessCode.max_uses).order_by(AccessCode.id.desc())
    current = session.scalars(query).first()
    if current is not None and renew:
        current.revoked_at, current = now, None
    if current is not None:
        return current
    return issue(session, CodeKind.YOUTH_JOIN, now, mentor.province_code, GROUP_CODE_LIFETIME,
                 issued_by_user_id=mentor.id, max_uses=GROUP_CODE_MAX_USES)


def guardian_code(session: Session, child: User, now: dt.datetime) -> AccessCode:
    """A single-use code the child's guardian sends from their own LINE to confirm consent."""
    return issue(session, CodeKind.GUARDIAN, now, lifetime=GUARDIAN_CODE_LIFETIME, subject_user_id=child.id)


def revoke_codes_of(session: Session, user: User, now: dt.datetime) -> None:
    """Revoke every code `user` issued or that is about them (the account is being erased)."""
    for code in session.scalars(select(AccessCode).where(
            (AccessCode.issued_by_user_id == user.id) | (AccessCode.subject_user_id == user.id),
            AccessCode.revoked_at.is_(None))):
        code.revoked_at = now


def revoke(session: Session, code_text: str, now: dt.datetime) -> bool:
    """Revoke a code; False if there is no such code or it was already revoked."""
    code = session.scalars(select(AccessCode).where(AccessCode.code == code_text.upper())).one_or_none()
    if code is None or code.revoked_at is not None:
        return False
    code.revoked_at = now
    return True


def check(session: Session, user: User, code_text: str, now: dt.datetime,
          kinds: frozenset[str]) -> tuple[ClaimResult, AccessCode | None]:
    """Whether `user` may use the code now for one of `kinds` (the code row locked; nothing used yet).

    Unknown, expired, revoked and used codes count toward the guessing limit; a real code of another
    kind does not (the person typed it in the wrong place).
    """
    if _too_many_failures(user, now):
        return ClaimResult.TOO_MANY_TRIES, None
    query = select(AccessCode).where(AccessCode.code == code_text).with_for_update()
    code = session.scalars(query).one_or_none()
    result = _validity(code, now)
    if result is ClaimResult.OK and code.kind not in kinds:
        result = ClaimResult.WRONG_KIND
    if result in (ClaimResult.UNKNOWN, ClaimResult.EXPIRED, ClaimResult.REVOKED, ClaimResult.USED):
        _count_failure(user, now)
    return result, code


def use(code: AccessCode, user: User) -> None:
    """Count one use of a checked code by `user`."""
    code.uses += 1
    code.claimed_by_user_id = user.id
    user.failed_code_attempts = 0


def claim(session: Session, user: User, code_text: str, now: dt.datetime) -> tuple[ClaimResult, AccessCode | None]:
    """Give `user` the role of a coordinator or mentor-invite code, if it is valid and the user may take it."""
    result, code = check(session, user, code_text, now, ROLE_KINDS)
    if result is ClaimResult.OK and user.role is not None and user.role != ROLE_OF_KIND[code.kind]:
        result = ClaimResult.ROLE_TAKEN
    if result is not ClaimResult.OK:
        return result, code
    user.role, user.province_code = ROLE_OF_KIND[code.kind], code.province_code
    use(code, user)
    return ClaimResult.OK, code


def _validity(code: AccessCode | None, now: dt.datetime) -> ClaimResult:
    if code is None:
        return ClaimResult.UNKNOWN
    if code.revoked_at is not None:
        return ClaimResult.REVOKED
    if now >= code.expires_at:
        return ClaimResult.EXPIRED
    if code.uses >= code.max_uses:
        return ClaimResult.USED
    return ClaimResult.OK


def _too_many_failures(user: User, now: dt.datetime) -> bool:
    window_open = user.code_window_started_at is not None and now - user.code_window_started_at < FAILED_CLAIM_WINDOW
    return window_open and user.failed_code_attempts >= MAX_FAILED_CLAIMS


def _count_failure(user: User, now: dt.datetime) -> None:
    if user.code_window_started_at is None or now - user.code_window_started_at >= FAILED_CLAIM_WINDOW:
        user.code_window_started_at, user.failed_code_attempts = now, 0
    user.failed_code_attempts += 1
