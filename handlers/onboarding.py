"""Youth registration in LINE: age first, consent (a guardian's for under 10), nickname, province,
community, school, mentor's group code, summary, confirm, tutorial. Resumable (the answers live in the
conversation row), cancellable, and every step re-asks with an example on input it cannot use.

```mermaid
flowchart LR
  follow/สมัคร --> age
  age -->|10-25| consent[notice for young people or adults]
  age -->|under 10| gname[guardian's name] --> grel[relation] --> consent
  age -->|over 25 / code| out[staff code or adult programme]
  consent -->|no| ended
  consent -->|yes| nickname --> province --> community --> school --> mentor[group code or none]
  mentor --> summary -->|edit| field[any answer again] --> summary
  summary -->|confirm| registered[registered + mentor or coordinators told + tutorial]
```
A step is the first answer still missing, so a mentor's QR code (which gives the province) skips the
province question, and editing one answer returns to the summary.
"""

from __future__ import annotations

from enum import StrEnum

from linebot.v3.messaging import Message

from bot import access, postback, replies
from bot.access import ClaimResult
from bot.flows import Context, Flow, Outcome, Turn, TurnKind
from bot.textinput import GUARDIAN_AGE, MAX_AGE, Refused, clean_age, clean_nickname, clean_person_name, clean_place
from bot.thai import PROVINCES_BY_CODE, Province
from handlers import consent as notices
from handlers import enrolment
from handlers.common import (
    ROLE_NAMES,
    TEXT_PLEASE,
    emergency_chips,
    menu_chips,
    province_answer,
    province_chips,
)
from models import CodeKind, Role, User

FLOW = "onboarding"
START_TEXTS = frozenset({"สมัคร อพม.น้อย", "สมัคร", "ลงทะเบียน", "สมัครอพม.น้อย", "register"})
START_ACTION = "onboard"
SKIP_WORDS = frozenset({"ข้าม", "ไม่มี", "-", "skip"})
NO_CODE_WORDS = frozenset({"ยังไม่มีรหัส", "ไม่มีรหัส", "ไม่มี"})
RELATIONS = ("พ่อ", "แม่", "ปู่ย่าตายาย", "ญาติ", "ผู้ปกครองอื่น")


class Step(StrEnum):
    AGE = "age"
    GUARDIAN_NAME = "guardian_name"
    GUARDIAN_RELATION = "guardian_relation"
    CONSENT = "consent"
    NICKNAME = "nickname"
    PROVINCE = "province"
    COMMUNITY = "community"
    SCHOOL = "school"
    MENTOR = "mentor"
    CONFIRM = "confirm"


ASK = {
    Step.AGE: "ก่อนเริ่ม ขอถามอายุก่อนนะคะ น้องอายุกี่ปี พิมพ์เป็นตัวเลข เช่น 12",
    Step.GUARDIAN_NAME: ("น้องอายุยังไม่ถึง 10 ปี ต้องให้พ่อแม่หรือผู้ปกครองยินยอมก่อนค่ะ\n"
                         "ชวนผู้ปกครองมาอ่านด้วยกันนะ ผู้ปกครองชื่ออะไรคะ เช่น สมศรี ใจดี"),
    Step.GUARDIAN_RELATION: "ผู้ปกครองเป็นอะไรกับน้องคะ กดเลือกหรือพิมพ์ได้เลย",
    Step.NICKNAME: "ให้บอทเรียกน้องว่าอะไรดีคะ พิมพ์ชื่อเล่น เช่น ฟ้า",
    Step.PROVINCE: "น้องอยู่จังหวัดอะไรคะ พิมพ์ชื่อจังหวัด หรือพิมพ์แค่ตัวแรก ๆ ก็ได้ เช่น เชียง",
    Step.COMMUNITY: "น้องทำกิจกรรมอาสาที่ชุมชนหรือหมู่บ้านไหนคะ เช่น ชุมชนบ้านหนองบัว ต.ในเมือง",
    Step.SCHOOL: "น้องเรียนที่โรงเรียนไหน หรืออยู่กลุ่มไหนคะ (ไม่ตอบก็ได้ กด \"ข้าม\")",
    Step.MENTOR: ("มีรหัสกลุ่มจากพี่เลี้ยง อพม. ไหมคะ ถ้ามี พิมพ์รหัส 8 ตัว เช่น ABCD2345\n"
                  "ถ้ายังไม่มี กด \"ยังไม่มีรหัส\" เจ้าหน้าที่จังหวัดจะช่วยหาพี่เลี้ยงให้"),
}
WELCOME_START = "มาสมัครเป็น อพม.น้อย กันค่ะ ใช้เวลาประมาณ 2 นาที พิมพ์ \"ยกเลิก\" เพื่อหยุดได้ทุกเมื่อ"
RESUME = "ทำต่อจากเดิมนะคะ"
TOO_OLD = ("อพม.น้อย เป็นโครงการของเด็กและเยาวชนอายุไม่เกิน 25 ปีค่ะ\n"
           "ถ้าอยากเป็นอาสาสมัคร อพม. ติดต่อสำนักงาน พมจ. ในจังหวัดได้เลย "
           "ถ้าเป็นพี่เลี้ยงหรือเจ้าหน้าที่ที่ได้รับรหัส พิมพ์รหัสในแชทนี้ได้เลยค่ะ")
DECLINED = ("ไม่เป็นไรค่ะ บอทไม่ได้เก็บข้อมูลของน้องไว้ ถ้าเปลี่ยนใจ พิมพ์ \"สมัคร\" ได้ทุกเมื่อ\n"
            "ถ้ามีใครตกอยู่ในอันตราย โทร 191 1669 หรือ 1300 ได้เสมอ")
NO_PROVINCE = "ไม่พบจังหวัด \"{typed}\" ค่ะ ลองพิมพ์ใหม่ เช่น เชียงใหม่ หรือ Chiang Mai"
CODE_OK = "รหัสกลุ่มของพี่{mentor} จังหวัด{province} ค่ะ"
CODE_OTHER_PROVINCE = ("รหัสนี้เป็นกลุ่มของพี่เลี้ยงจังหวัด{code_province} แต่น้องเลือกจังหวัด{chosen}ไว้ค่ะ\n"
                       "ขอรหัสของพี่เลี้ยงในจังหวัดของน้อง หรือกด \"ยังไม่มีรหัส\"")
CODE_FOR_STAFF = "รหัสนี้เป็นรหัสสำหรับพี่เลี้ยงหรือเจ้าหน้าที่ค่ะ ใช้สมัคร อพม.น้อย ไม่ได้"
CODE_REFUSED = {
    ClaimResult.UNKNOWN: "ไม่พบรหัสกลุ่มนี้ค่ะ ตรวจตัวอักษรอีกครั้ง หรือกด \"ยังไม่มีรหัส\"",
    ClaimResult.EXPIRED: "รหัสกลุ่มนี้หมดอายุแล้วค่ะ ขอรหัสใหม่จากพี่เลี้ยง หรือกด \"ยังไม่มีรหัส\"",
    ClaimResult.REVOKED: "รหัสกลุ่มนี้ถูกยกเลิกแล้วค่ะ ขอรหัสใหม่จากพี่เลี้ยง หรือกด \"ยังไม่มีรหัส\"",
    ClaimResult.USED: "รหัสกลุ่มนี้ใช้ครบจำนวนแล้วค่ะ ขอรหัสใหม่จากพี่เลี้ยง หรือกด \"ยังไม่มีรหัส\"",
    ClaimResult.TOO_MANY_TRIES: "ใส่รหัสไม่ถูกหลายครั้งแล้วค่ะ กด \"ยังไม่มีรหัส\" ไปก่อน แล้วเปลี่ยนพี่เลี้ยงทีหลังได้",
}
SUMMARY = "ตรวจข้อมูลก่อนยืนยันนะคะ\n{lines}\n\nถูกต้องไหมคะ"
EDIT_WHICH = "จะแก้ข้อไหนคะ"
ALREADY_YOUTH = "น้อง{nickname}สมัครเป็น อพม.น้อย แล้วค่ะ ดูหรือแก้ข้อมูลได้ที่ \"ข้อมูลของฉัน\""
ALREADY_STAFF = "บัญชีนี้เป็น{role}แล้วค่ะ ถ้าต้องการเปลี่ยนบทบาท ติดต่อผู้ดูแลระบบ"
LABELS = {"nickname": "ชื่อเล่น", "province": "จังหวัด", "community": "ชุมชน", "school": "โรงเรียน/กลุ่ม",
          "mentor": "พี่เลี้ยง"}


# --------------------------------------------------------------------------------------------- entry


def start(turn: Turn, ctx: Context) -> Outcome:
    """"สมัคร" or the start button: begin, resume, or say they are already registered."""
    if ctx.user.role == Role.YOUTH:
        return Outcome.end(replies.text(ALREADY_YOUTH.format(nickname=ctx.user.nickname or ""), menu_chips()))
    if ctx.user.role is not None:
        return Outcome.end(replies.text(ALREADY_STAFF.format(role=ROLE_NAMES[ctx.user.role]), menu_chips()))
    if ctx.flow == FLOW:
        return resume(ctx, RESUME)
    return Outcome.goto(FLOW, Step.AGE, replies.text(WELCOME_START), ask(Step.AGE, ctx, {}), data={})


def begin_on_follow(greeting: str, ctx: Context) -> Outcome:
    """The follow greeting with the first question in one message, or a resumed registration."""
    if ctx.flow == FLOW:
        return resume(ctx, RESUME, replies.text(greeting))
    return Outcome.goto(FLOW, Step.AGE, replies.text(f"{greeting}\n\n{ASK[Step.AGE]}"), data={})


def begin_with_group_code(code, ctx: Context) -> Outcome:
    """A newcomer sent a mentor's group code (from the QR): register straight into that group."""
    data = ctx.data if ctx.flow == FLOW else {}
    intro, data = _take_group_code(code, ctx, data)
    if intro is None:
        return Outcome.reply(replies.text(CODE_OTHER_PROVINCE.format(**_provinces(code, data)), menu_chips()))
    step = next_step(data)
    return Outcome.goto(FLOW, step, replies.text(intro), ask(step, ctx, data), data=data)


def resume(ctx: Context, note: str, *before: Message) -> Outcome:
    step = Step(ctx.step) if ctx.step in Step.__members__.values() else next_step(ctx.data)
    return Outcome.goto(FLOW, step, *before, replies.text(note), ask(step, ctx, ctx.data))


# ----------------------------------------------------------------------------------------- questions


def next_step(data: dict) -> Step:
    """The first question still unanswered (the summary when all are)."""
    if "age" not in data:
        return Step.AGE
    if data["age"] < GUARDIAN_AGE:
        for step in (Step.GUARDIAN_NAME, Step.GUARDIAN_RELATION):
            if step.value not in data:
                return step
    for step in (Step.CONSENT, Step.NICKNAME, Step.PROVINCE, Step.COMMUNITY, Step.SCHOOL, Step.MENTOR):
        if step.value not in data:
            return step
    return Step.CONFIRM


def ask(step: Step, ctx: Context, data: dict, problem: str | None = None) -> Message:
    """The question of `step` (after the reason the last answer was refused, if any)."""
    if step is Step.CONSENT:
        return notices.consent_question(_audience(data), ctx.token, problem)
    if step is Step.CONFIRM:
        return _summary(ctx, data)
    text = ASK[step] if problem is None else f"{problem}\n\n{ASK[step]}"
    return replies.text(text, _chips(step))


def _chips(step: Step) -> list:
    if step is Step.GUARDIAN_RELATION:
        return [replies.say_chip(relation) for relation in RELATIONS]
    if step is Step.SCHOOL:
        return [replies.say_chip("ข้าม")]
    if step is Step.MENTOR:
        return [replies.say_chip("ยังไม่มีรหัส")]
    return []


def _audience(data: dict) -> str:
    age = data.get("age", 0)
    return "guardian" if age < GUARDIAN_AGE else "youth" if age < 18 else "adult"


def _advance(ctx: Context, data: dict, *before: Message) -> Outcome:
    step = next_step(data)
    return Outcome.goto(FLOW, step, *before, ask(step, ctx, data), data=data)


def _again(step: Step, ctx: Context, problem: str) -> Outcome:
    return Outcome.reply(ask(step, ctx, ctx.data, problem))


# --------------------------------------------------------------------------------------------- steps


def text_step(step: Step, read):
    """A step that takes text: `read(text, ctx, data)` returns the new data, or raises Refused."""
    def handler(turn: Turn, ctx: Context) -> Outcome:
        if turn.kind is TurnKind.TEXT and access.typed_code(turn.text or "") and step is not Step.AGE:
            return _code_inside_flow(turn, ctx, step)
        if turn.kind is not TurnKind.TEXT:
            return _again(step, ctx, TEXT_PLEASE)
        try:
            data = read(turn.text or "", ctx, ctx.data)
        except Refused as refused:
            return _again(step, ctx, str(refused))
        return data if isinstance(data, Outcome) else _advance(ctx, data)
    return handler


def read_age(text: str, ctx: Context, data: dict):
    age = clean_age(text)
    if age > MAX_AGE:
        return Outcome.end(replies.text(TOO_OLD, menu_chips()))
    return {**{k: v for k, v in data.items() if k not in ("consent", "guardian_name", "guardian_relation")},
            "age": age}


def read_guardian_name(text: str, ctx: Context, data: dict) -> dict:
    return {**data, "guardian_name": clean_person_name(text)}


def read_guardian_relation(text: str, ctx: Context, data: dict) -> dict:
    return {**data, "guardian_relation": clean_place(text, "ความเกี่ยวข้อง")[:40]}


def read_nickname(text: str, ctx: Context, data: dict) -> dict:
    return {**data, "nickname": clean_nickname(text)}


def read_community(text: str, ctx: Context, data: dict) -> dict:
    return {**data, "community": clean_place(text)}


def read_school(text: str, ctx: Context, data: dict) -> dict:
    skipped = text.strip().lower() in SKIP_WORDS
    return {**data, "school": None if skipped else clean_place(text, "ชื่อโรงเรียนหรือกลุ่ม")}


def read_mentor(text: str, ctx: Context, data: dict) -> dict:
    if text.strip() in NO_CODE_WORDS:
        return {**data, "mentor": None}
    raise Refused("ไม่ใช่รหัสกลุ่มค่ะ รหัสมี 8 ตัว เช่น ABCD2345")


def age_step(turn: Turn, ctx: Context) -> Outcome:
    """The first question; a staff code typed here is claimed (adults follow the bot too)."""
    if turn.kind is TurnKind.TEXT and access.typed_code(turn.text or ""):
        from handlers.codes import use_typed_code  # codes route to several capabilities

        return use_typed_code(turn, ctx)
    return text_step(Step.AGE, read_age)(turn, ctx)


def consent_step(turn: Turn, ctx: Context) -> Outcome:
    answer = notices.consent_answer(turn)
    if answer is None:
        return _again(Step.CONSENT, ctx, notices.TAP_PLEASE)
    if not answer:
        return Outcome.end(replies.text(DECLINED, emergency_chips()))
    return _advance(ctx, {**ctx.data, "consent": _audience(ctx.data)})


def province_step(turn: Turn, ctx: Context) -> Outcome:
    if turn.kind is TurnKind.TEXT and access.typed_code(turn.text or ""):
        return _code_inside_flow(turn, ctx, Step.PROVINCE)
    answer = province_answer(turn, "ob.province")
    if isinstance(answer, Province):
        return _advance(ctx, {**ctx.data, "province": answer.code})
    if turn.kind is not TurnKind.TEXT:
        return _again(Step.PROVINCE, ctx, TEXT_PLEASE)
    if not answer:
        return _again(Step.PROVINCE, ctx, NO_PROVINCE.format(typed=(turn.text or "")[:30]))
    return Outcome.reply(province_chips(answer, "ob.province", ctx.token))


def confirm_step(turn: Turn, ctx: Context) -> Outcome:
    action = turn.postback.action if turn.kind is TurnKind.POSTBACK and turn.postback else None
    if action == "ob.confirm":
        return register(ctx)
    if action == "ob.edit":
        chips = [replies.postback_chip(label, postback.encode("ob.field", ctx.token, f=key))
                 for key, label in LABELS.items()]
        return Outcome.reply(replies.text(EDIT_WHICH, chips))
    if action == "ob.field" and turn.postback.params.get("f") in LABELS:
        data = {k: v for k, v in ctx.data.items() if k != turn.postback.params["f"]}
        return _advance(ctx, data)
    if turn.kind is TurnKind.TEXT and access.typed_code(turn.text or ""):
        return _code_inside_flow(turn, ctx, Step.CONFIRM)
    return Outcome.reply(_summary(ctx, ctx.data))


def _summary(ctx: Context, data: dict) -> Message:
    lines = [f"• {LABELS['nickname']}: {data['nickname']}", f"• อายุ: {data['age']} ปี",
             f"• {LABELS['province']}: {PROVINCES_BY_CODE[data['province']].name_th}",
             f"• {LABELS['community']}: {data['community']}",
             f"• {LABELS['school']}: {data.get('school') or '-'}",
             f"• {LABELS['mentor']}: {_mentor_label(ctx, data)}"]
    if data.get("guardian_name"):
        lines.append(f"• ผู้ปกครอง: {data['guardian_name']} ({data['guardian_relation']})")
    chips = [replies.postback_chip("ยืนยัน", postback.encode("ob.confirm", ctx.token)),
             replies.postback_chip("แก้ไข", postback.encode("ob.edit", ctx.token))]
    return replies.text(SUMMARY.format(lines="\n".join(lines)), chips)


def _mentor_label(ctx: Context, data: dict) -> str:
    mentor = ctx.db.get(User, data["mentor"]["id"]) if data.get("mentor") else None
    return f"พี่{mentor.nickname or ''}".strip() if mentor else "ยังไม่มี (เจ้าหน้าที่จังหวัดจะช่วยหาให้)"


# ----------------------------------------------------------------------------------------- group codes


def _code_inside_flow(turn: Turn, ctx: Context, step: Step) -> Outcome:
    """A code typed during registration: a group code sets the mentor; any other code is refused here."""
    result, code = access.check(ctx.db, ctx.user, access.typed_code(turn.text or ""), ctx.now,
                                frozenset({CodeKind.YOUTH_JOIN}))
    if result is ClaimResult.WRONG_KIND:
        return _again(step, ctx, CODE_FOR_STAFF)
    if result is not ClaimResult.OK:
        return _again(step, ctx, CODE_REFUSED[result])
    intro, data = _take_group_code(code, ctx, ctx.data)
    if intro is None:
        return _again(step, ctx, CODE_OTHER_PROVINCE.format(**_provinces(code, ctx.data)))
    return _advance(ctx, data, replies.text(intro))


def _take_group_code(code, ctx: Context, data: dict) -> tuple[str | None, dict]:
    """Data with the code's mentor and province, and the line that says whose group it is; no intro if
    the person already chose another province."""
    if data.get("province") not in (None, code.province_code):
        return None, data
    mentor = ctx.db.get(User, code.issued_by_user_id)
    data = {**data, "mentor": {"id": mentor.id, "code": code.code}, "province": code.province_code}
    intro = CODE_OK.format(mentor=mentor.nickname or "", province=PROVINCES_BY_CODE[code.province_code].name_th)
    return intro, data


def _provinces(code, data: dict) -> dict:
    return {"code_province": PROVINCES_BY_CODE[code.province_code].name_th,
            "chosen": PROVINCES_BY_CODE[data["province"]].name_th}


# ------------------------------------------------------------------------------------------ register


def register(ctx: Context) -> Outcome:
    """Store the registration (handlers/enrolment.py); back to the code question if the code died meanwhile."""
    welcome = enrolment.enrol(ctx, ctx.data, _audience(ctx.data))
    if welcome is None:
        data = {k: v for k, v in ctx.data.items() if k != "mentor"}
        return Outcome.goto(FLOW, Step.MENTOR, ask(Step.MENTOR, ctx, data, CODE_REFUSED[ClaimResult.REVOKED]),
                            data=data)
    return Outcome.end(*welcome)


FLOW_DEFINITION = Flow(
    name=FLOW,
    steps={
        Step.AGE: age_step,
        Step.GUARDIAN_NAME: text_step(Step.GUARDIAN_NAME, read_guardian_name),
        Step.GUARDIAN_RELATION: text_step(Step.GUARDIAN_RELATION, read_guardian_relation),
        Step.CONSENT: consent_step,
        Step.NICKNAME: text_step(Step.NICKNAME, read_nickname),
        Step.PROVINCE: province_step,
        Step.COMMUNITY: text_step(Step.COMMUNITY, read_community),
        Step.SCHOOL: text_step(Step.SCHOOL, read_school),
        Step.MENTOR: text_step(Step.MENTOR, read_mentor),
        Step.CONFIRM: confirm_step,
    },
    start=start,
    entry_actions=frozenset({START_ACTION}),
    entry_texts=START_TEXTS,
)
