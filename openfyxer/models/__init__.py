"""Every table, imported here so SQLModel.metadata (and alembic) sees them all."""

from openfyxer.models.account import EmailAccount, MailFolder
from openfyxer.models.audit import AuditLog
from openfyxer.models.calendar import Calendar, CalendarAccount, CalendarEvent, CalendarObject
from openfyxer.models.document import Document
from openfyxer.models.draft import Draft
from openfyxer.models.email import Email, EmailLocation, Notification, TriageFeedback
from openfyxer.models.knowledge import ChatMessage, KgChunk, KgEdge, KgNode
from openfyxer.models.meeting import Meeting, TranscriptSegment
from openfyxer.models.meeting_minutes import MeetingReminder
from openfyxer.models.notify import FollowUp, NotifyChannel, NotifyDelivery
from openfyxer.models.oauth import OAuthFlow
from openfyxer.models.settings import UserSettings
from openfyxer.models.user import AuthSession, Invitation, RefreshToken, TotpUsedStep, User

__all__ = [
    "AuditLog",
    "AuthSession",
    "Calendar",
    "CalendarAccount",
    "CalendarEvent",
    "CalendarObject",
    "ChatMessage",
    "Document",
    "Draft",
    "Email",
    "FollowUp",
    "KgChunk",
    "KgEdge",
    "KgNode",
    "EmailAccount",
    "EmailLocation",
    "Invitation",
    "MailFolder",
    "Notification",
    "NotifyChannel",
    "NotifyDelivery",
    "TriageFeedback",
    "Meeting",
    "MeetingReminder",
    "OAuthFlow",
    "RefreshToken",
    "TotpUsedStep",
    "TranscriptSegment",
    "User",
    "UserSettings",
]
