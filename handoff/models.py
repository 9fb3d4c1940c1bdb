"""Every table, imported in one place for Alembic and the app."""

from handoff.cases.models import CallbackRequest, Case, CaseEvent, CaseNote
from handoff.conversations.models import Conversation, ConversationEvent, Message
from handoff.core.db import Base
from handoff.officers.models import Officer, StaffSession
from handoff.sms.models import SmsContact, SmsOutbound

__all__ = [
    "Base",
    "CallbackRequest",
    "Case",
    "CaseEvent",
    "CaseNote",
    "Conversation",
    "ConversationEvent",
    "Message",
    "Officer",
    "SmsContact",
    "SmsOutbound",
    "StaffSession",
]
