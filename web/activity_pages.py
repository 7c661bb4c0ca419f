"""Activities in the console, through the same domain as LINE (bot/activities): create with a preview of the
invite card youth will get and how many will be invited, the list of upcoming and recent ones in the staff
member's area with answers, change the time or place (everyone who answered is told, reminders move), cancel,
and afterwards mark attendance and confirm volunteer hours."""

from __future__ import annotations

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from bot import activities
from bot.activity_cards import ANSWER_LABELS, invite_json
from bot.campaign_audience import Audience, describe
from bot.services import services
from bot.textinput import Refused
from bot.thai import PROVINCES
from models import Activity, ActivityResponse, Repeat, Role, User
from web.blueprint import blueprint, database, now, staff_required

LISTED = 50
REPEATS = {"": "ไม่ซ้ำ", Repeat.WEEKLY: "ทุกสัปดาห์", Repeat.MONTHLY: "ทุกเดือน"}
REMINDERS = {"1440,120": "1 วัน และ 2 ชั่วโมงก่อน", "1440": "1 วันก่อน", "120": "2 ชั่วโมงก่อน", "": "ไม่ต้องเตือน"}


def _draft(form) -> activities.Draft:
    """The form as the domain's draft (every field checked as in LINE), or Refused with the reason."""
    tz, moment = services(current_app).settings.tz, now()
    starts_at = activities.parse_start(form.get("starts_at"), moment, tz)
    province = form.get("province", "") if g.staff.is_national else g.staff.province_code
    return activities.Draft(
        title=activities.clean_title(form.get("title")),
        description=activities.clean_description(form.get("description")) if form.get("description") else None,
        place_text=activities.clean_place(form.get("place_text")), latitude=None, longitude=None,
        starts_at=starts_at, ends_at=activities.parse_end(form.get("ends_at"), starts_at, tz),
        audience=Audience(provinces=(province,) if province else None, roles=(Role.YOUTH,)),
        capacity=activities.parse_capacity(form.get("capacity") or "ไม่จำกัด"),
        repeat=form.get("repeat") if form.get("repeat") in (Repeat.WEEKLY, Repeat.MONTHLY) else None,
        reminder_minutes=tuple(int(m) for m in form.get("reminders", "1440,120").split(",") if m.isdigit()))


def _in_area():
    return [] if g.staff.is_national else [Activity.province_code == g.staff.province_code]


@blueprint.get("/activities")
@staff_required
def activity_list():
    with database() as session:
        rows = list(session.scalars(select(Activity).where(*_in_area(), Activity.ends_at >= now())
                                    .order_by(Activity.starts_at).limit(LISTED)))
        return render_template("console/activities.html", activities=rows, form={}, preview=None,
                               provinces=PROVINCES, repeats=REPEATS, reminders=REMINDERS,
                               counts={a.id: activities.counts(session, a) for a in rows})


def _render_form(form, preview=None, status=200):
    return render_template("console/activities.html", activities=[], form=form, preview=preview,
                           provinces=PROVINCES, repeats=REPEATS, reminders=REMINDERS, counts={}), status


@blueprint.post("/activities/preview")
@staff_required
def activity_preview():
    with database() as session:
        try:
            draft = _draft(request.form)
            activities.check_draft(draft, now(), services(current_app).settings.tz)
            reason = activities.may_create(session.get(User, g.staff.id), draft.audience)
            if reason:
                raise Refused(reason)
        except Refused as refused:
            flash(str(refused), "error")
            return _render_form(request.form, status=400)
        invited = activities.invitee_count(session, draft)
        card = invite_json(activities.unsaved(draft), services(current_app).settings)
        return _render_form(request.form, {"messages": [card], "audience": describe(draft.audience),
                                           "invited": invited})


@blueprint.post("/activities")
@staff_required
def activity_create():
    with database() as session:
        try:
            activity = activities.create(session, session.get(User, g.staff.id), _draft(request.form), now(),
                                         services(current_app).settings)
        except Refused as refused:
            flash(str(refused), "error")
            return redirect(url_for("console.activity_list"))
        flash(f"สร้างกิจกรรม \"{activity.title}\" แล้ว ส่งคำเชิญถึง {activity.invited_count:,} คน", "info")
        return redirect(url_for("console.activity", activity_id=activity.id))


def _activity_in_area(session, activity_id: int) -> Activity:
    activity = session.get(Activity, activity_id)
    if activity is None or not g.staff.sees_province(activity.province_code):
        abort(404)
    return activity


@blueprint.get("/activities/<int:activity_id>")
@staff_required
def activity(activity_id: int):
    with database() as session:
        found = _activity_in_area(session, activity_id)
        answers = session.execute(select(ActivityResponse, User).join(User, User.id == ActivityResponse.user_id)
                                  .where(ActivityResponse.activity_id == found.id)
                                  .order_by(ActivityResponse.answered_at)).all()
        return render_template("console/activity.html", activity=found, counts=activities.counts(session, found),
                               answers=answers, labels=ANSWER_LABELS, repeats=REPEATS, now=now(),
                               audience=describe(activities.audience_of(found)))


@blueprint.post("/activities/<int:activity_id>/act")
@staff_required
def activity_act(activity_id: int):
    settings, moment = services(current_app).settings, now()
    with database() as session:
        found = _activity_in_area(session, activity_id)
        actor = session.get(User, g.staff.id)
        try:
            flash(_perform(session, found, actor, request.form, settings, moment), "info")
        except Refused as refused:
            flash(str(refused), "error")
    return redirect(url_for("console.activity", activity_id=activity_id))


def _perform(session, found: Activity, actor: User, form, settings, moment) -> str:
    action = form.get("action", "")
    if action == "cancel":
        told = activities.cancel(session, found, actor, moment, settings, whole_series=form.get("series") == "1")
        return f"ยกเลิกกิจกรรมแล้ว แจ้ง {told} คน"
    if action == "change":
        starts_at = activities.parse_start(form["starts_at"], moment, settings.tz) if form.get("starts_at") else None
        ends_at = activities.parse_end(form["ends_at"], starts_at or found.starts_at, settings.tz) \
            if form.get("ends_at") else None
        place = activities.clean_place(form["place_text"]) if form.get("place_text") else None
        told = activities.change(session, found, actor, moment, settings, starts_at=starts_at, ends_at=ends_at,
                                 place_text=place)
        return f"บันทึกการเปลี่ยนแปลงแล้ว แจ้ง {told} คน" if told else "ไม่มีอะไรเปลี่ยน"
    if action in ("present", "absent"):
        youth = session.get(User, int(form.get("user_id", "0") or 0))
        if youth is None:
            abort(400)
        activities.mark_attendance(session, found, actor, youth, action == "present", moment)
        return "บันทึกการมาร่วมแล้ว"
    if action == "hours":
        minutes = int(float(form["hours"]) * 60) if form.get("hours", "").replace(".", "", 1).isdigit() else None
        credited = activities.confirm_hours(session, found, actor, moment, settings, minutes)
        return f"ยืนยันชั่วโมงอาสาให้ {credited} คน"
    abort(400)
