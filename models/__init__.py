"""SQLAlchemy models, one module per aggregate; importing this package registers them all."""

from models.access import AccessCode, CodeKind
from models.activity import (
    Activity,
    ActivityReminder,
    ActivityResponse,
    ActivityStatus,
    Answer,
    ReminderStatus,
    Repeat,
)
from models.audit import AuditEvent
from models.base import Base
from models.bulk import BulkSend
from models.campaign import Campaign, CampaignClick, CampaignShare, CampaignStatus, UserTag
from models.consent import ConfirmedBy, Consent, ConsentKind
from models.console import ConsoleAccount, ConsoleLoginLink
from models.held import HeldPush
from models.inbox import InboxEvent, InboxStatus
from models.operations import Heartbeat, Lease, SchedulerTick, SystemFlag
from models.outbox import OutboxKind, OutboxMessage, OutboxStatus
from models.report import PhotoStatus, Report, ReportEvent, ReportPhoto, ReportStatus
from models.richmenu import RichMenu
from models.user import Conversation, Role, User, UserStatus

__all__ = [
    "AccessCode", "Activity", "ActivityReminder", "ActivityResponse", "ActivityStatus", "Answer",
    "ReminderStatus", "Repeat", "AuditEvent", "Base", "CodeKind", "BulkSend", "Campaign", "CampaignClick",
    "CampaignShare",
    "CampaignStatus", "ConfirmedBy", "ConsoleAccount", "ConsoleLoginLink", "Consent", "ConsentKind",
    "Conversation", "Heartbeat", "HeldPush", "InboxEvent", "InboxStatus", "Lease", "OutboxKind", "OutboxMessage",
    "OutboxStatus", "PhotoStatus", "Report", "ReportEvent", "ReportPhoto", "ReportStatus", "RichMenu", "Role",
    "SchedulerTick", "SystemFlag", "User", "UserStatus", "UserTag",
]
