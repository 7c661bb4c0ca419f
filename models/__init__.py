"""SQLAlchemy models, one module per aggregate; importing this package registers them all."""

from models.access import AccessCode, CodeKind
from models.base import Base
from models.bulk import BulkSend
from models.inbox import InboxEvent, InboxStatus
from models.operations import Heartbeat, Lease, SchedulerTick, SystemFlag
from models.outbox import OutboxKind, OutboxMessage, OutboxStatus
from models.user import Conversation, Role, User

__all__ = [
    "AccessCode", "Base", "CodeKind", "BulkSend", "Conversation", "Heartbeat", "InboxEvent", "InboxStatus", "Lease",
    "OutboxKind", "OutboxMessage", "OutboxStatus", "Role", "SchedulerTick", "SystemFlag", "User",
]
