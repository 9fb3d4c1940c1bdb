"""Which UK nation an institution is in, for routes that differ by nation (SARCs, sexual-violence lines)."""

from __future__ import annotations

import logging

from institutions import ProfileError, load_profile

logger = logging.getLogger(__name__)


def institution_nation(institution_id: str | None) -> str | None:
    """The nation in the institution's profile; None when the profile cannot be read.

    Never raises: a safety reply must still go out, and with no nation it names every nation's routes.
    """
    try:
        return load_profile(institution_id or None).nation
    except (ProfileError, OSError):
        logger.warning("institution profile unreadable; safety replies name every nation's routes")
        return None
