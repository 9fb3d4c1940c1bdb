"""Signposting directory of UK support services: who can help, and who is open right now.

Nothing here imports Rasa or FastAPI, so both the assistant and the handoff service can use it.
"""

from __future__ import annotations

from .loader import DirectoryError, Issue, load_directory
from .model import Contact, Directory, Service
from .render import format_sms, format_web, to_data
from .select import ContactView, Option, SignpostResult, signpost
from .vocab import NATIONS, NEEDS, TAGS

__all__ = [
    "NATIONS",
    "NEEDS",
    "TAGS",
    "Contact",
    "ContactView",
    "Directory",
    "DirectoryError",
    "Issue",
    "Option",
    "Service",
    "SignpostResult",
    "format_sms",
    "format_web",
    "load_directory",
    "signpost",
    "to_data",
]
