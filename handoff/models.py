"""Every table, imported in one place for Alembic and the app."""

from handoff.cases.models import CallbackRequest, Case, CaseEvent, CaseNote
from handoff.conversations.models import Conversation, ConversationEvent, Message
from handoff.conversations.phones import SmsContact, SmsOutbound
from handoff.core.db import Base
from handoff.officers.models import AuditEvent, Officer, StaffSession
from handoff.records.models import RecordsAudit

__all__ = [
    "AuditEvent",
    "Base",
    "CallbackRequest",
    "Case",
    "CaseEvent",
    "CaseNote",
    "Conversation",
    "ConversationEvent",
    "Message",
    "Officer",
    "RecordsAudit",
    "SmsContact",
    "SmsOutbound",
    "StaffSession",
]
