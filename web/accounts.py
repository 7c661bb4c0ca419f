"""Who may sign in to the console, and how: a password (werkzeug's scrypt hash) or a one-time link sent to
the person's own LINE chat. Only active coordinators and admins get in.

Five wrong passwords in a row lock the account for 15 minutes (the right password is refused meanwhile);
the answer to a wrong login name and to a wrong password is the same, so nobody learns which names exist.
A login link is valid for 10 minutes and once; only its SHA-256 is stored. Every sign-in, failure and lock
is written to the audit log (never the password or the token).
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from bot import people
from models import ConsoleAccount, ConsoleLoginLink, Role, User, UserStatus

STAFF_ROLES = (Role.COORDINATOR, Role.ADMIN)
MAX_FAILED_ATTEMPTS = 5
LOCK_DURATION = dt.timedelta(minutes=15)
LINK_LIFETIME = dt.timedelta(minutes=10)
MIN_PASSWORD_LENGTH = 10
# verify against this when the login name is unknown, so a wrong name takes as long as a wrong password
_DUMMY_HASH = generate_password_hash(secrets.token_hex(16))


class Refusal(enum.Enum):
    WRONG = "ชื่อผู้ใช้หรือรหัสผ่านไม่ถูกต้อง"
    LOCKED = "บัญชีนี้ถูกล็อกชั่วคราวเพราะใส่รหัสผ่านผิดหลายครั้ง ลองใหม่ในอีก 15 นาที หรือขอลิงก์เข้าระบบทาง LINE"
    NOT_STAFF = "บัญชีนี้ไม่มีสิทธิ์เข้าระบบเจ้าหน้าที่"
    LINK_INVALID = "ลิงก์นี้ใช้ไม่ได้แล้ว (ใช้ไปแล้ว หมดอายุ หรือไม่ถูกต้อง) ขอลิงก์ใหม่ทาง LINE โดยพิมพ์ \"เข้าเว็บ\""


@dataclass(frozen=True)
class SignedIn:
    user: User
    session_version: int


def is_staff(user: User | None) -> bool:
    return user is not None and user.role in STAFF_ROLES and user.status == UserStatus.ACTIVE


def account_of(session: Session, user: User, now: dt.datetime) -> ConsoleAccount:
    """The person's console account, made on first use."""
    account = session.scalar(select(ConsoleAccount).where(ConsoleAccount.user_id == user.id))
    if account is None:
        account = ConsoleAccount(user_id=user.id, created_at=now)
        session.add(account)
        session.flush()
    return account


def sign_in_with_password(session: Session, login: str, password: str, now: dt.datetime) -> SignedIn | Refusal:
    """Check a login name and password; count failures and lock after MAX_FAILED_ATTEMPTS in a row."""
    account = session.scalar(select(ConsoleAccount).where(ConsoleAccount.login == (login or "").strip().lower())
                             .with_for_update())
    if account is None or account.password_hash is None:
        check_password_hash(_DUMMY_HASH, password or "")
        return Refusal.WRONG
    if account.locked_until is not None and account.locked_until > now:
        people.audit(session, now, "console.locked_attempt", None, session.get(User, account.user_id))
        return Refusal.LOCKED
    if not check_password_hash(account.password_hash, password or ""):
        return _count_failure(session, account, now)
    return _signed_in(session, account, now, "password")


def _count_failure(session: Session, account: ConsoleAccount, now: dt.datetime) -> Refusal:
    account.failed_attempts += 1
    subject = session.get(User, account.user_id)
    if account.failed_attempts >= MAX_FAILED_ATTEMPTS:
        account.locked_until, account.failed_attempts = now + LOCK_DURATION, 0
        people.audit(session, now, "console.locked", None, subject)
        return Refusal.LOCKED
    people.audit(session, now, "console.failed", None, subject, attempts=account.failed_attempts)
    return Refusal.WRONG


def _signed_in(session: Session, account: ConsoleAccount, now: dt.datetime, method: str) -> SignedIn | Refusal:
    user = session.get(User, account.user_id)
    if not is_staff(user):
        return Refusal.NOT_STAFF
    account.failed_attempts, account.locked_until, account.last_login_at = 0, None, now
    people.audit(session, now, "console.signed_in", user, user, method=method)
    return SignedIn(user, account.session_version)


def issue_link(session: Session, user: User, now: dt.datetime,
               lifetime: dt.timedelta = LINK_LIFETIME) -> str | None:
    """A new one-time login token for a staff member (None for anyone else)."""
    if not is_staff(user):
        return None
    token = secrets.token_urlsafe(32)
    session.add(ConsoleLoginLink(token_hash=_digest(token), user_id=user.id, created_at=now,
                                 expires_at=now + lifetime))
    people.audit(session, now, "console.link_issued", user, user)
    return token


def sign_in_with_link(session: Session, token: str, now: dt.datetime) -> SignedIn | Refusal:
    """Use a login link once: the row is marked used in the same statement that checks it is unused."""
    used = session.execute(update(ConsoleLoginLink)
                           .where(ConsoleLoginLink.token_hash == _digest(token or ""),
                                  ConsoleLoginLink.used_at.is_(None), ConsoleLoginLink.expires_at > now)
                           .values(used_at=now).returning(ConsoleLoginLink.user_id)).scalar_one_or_none()
    if used is None:
        return Refusal.LINK_INVALID
    user = session.get(User, used)
    if not is_staff(user):
        return Refusal.NOT_STAFF
    return _signed_in(session, account_of(session, user, now), now, "link")


def set_password(session: Session, user: User, login: str, password: str, now: dt.datetime) -> str | None:
    """Set the login name and password; None when done, else the Thai reason. Other sessions end."""
    login = (login or "").strip().lower()
    if not (3 <= len(login) <= 60) or not all(ch.isalnum() or ch in "._-@" for ch in login):
        return "ชื่อผู้ใช้ใช้ได้ 3-60 ตัว: ตัวอักษร ตัวเลข และ . _ - @"
    if len(password or "") < MIN_PASSWORD_LENGTH:
        return f"รหัสผ่านต้องยาวอย่างน้อย {MIN_PASSWORD_LENGTH} ตัวอักษร"
    account = account_of(session, user, now)
    taken = session.scalar(select(func.count()).select_from(ConsoleAccount)
                           .where(ConsoleAccount.login == login, ConsoleAccount.id != account.id))
    if taken:
        return "ชื่อผู้ใช้นี้มีคนใช้แล้ว"
    account.login, account.password_hash = login, generate_password_hash(password)
    account.session_version += 1
    people.audit(session, now, "console.password_set", user, user)
    return None


def session_is_current(session: Session, user_id: int, version: int) -> User | None:
    """The staff member behind a console session, if it is still valid (role kept, password not changed)."""
    user = session.get(User, user_id)
    if not is_staff(user):
        return None
    account = session.scalar(select(ConsoleAccount).where(ConsoleAccount.user_id == user_id))
    return user if account is not None and account.session_version == version else None


def link_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/console/link/{token}"


def console_base_url(settings) -> str:
    """Where staff open the console: PUBLIC_BASE_URL, else this machine's port (the embedded demo)."""
    return settings.public_base_url or f"http://127.0.0.1:{settings.port}"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
