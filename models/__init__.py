"""SQLAlchemy models, one module per aggregate; importing this package registers them all."""

from models.base import Base
from models.inbox import InboxEvent, InboxStatus
from models.outbox import OutboxKind, OutboxMessage, OutboxStatus
from models.user import Conversation, User

__all__ = [
    "Base", "Conversation", "InboxEvent", "InboxStatus",
    "OutboxKind", "OutboxMessage", "OutboxStatus", "User",
]
