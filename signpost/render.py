"""Turn a SignpostResult into plain text for the web, SMS messages, or data for buttons."""

from __future__ import annotations

import re
from typing import Any

from safety.gsm import SMS_BUDGET, gsm7_length, split_sms, to_gsm7

from .select import NOTHING_OPEN_NOTE, ContactView, Option, SignpostResult

WEB_INTRO = "Here are people you can contact. It is your choice if and when you do."
WEB_OPEN = "Open now:"
WEB_LATER = "Opening later:"
WEB_ANYTIME = "You can also get in touch with these any time, but they may not reply straight away:"
WEB_NONE_OPEN = "None of these services are open right now, but you can still reach 999 at any time."

SMS_OPEN = "Open now. You choose if and when:"
SMS_LATER = "Opening later:"
SMS_ANYTIME = "Any time:"
SMS_DANGER = "In danger now? Call 999."
SMS_SILENT = "Can't speak? Stay on the line and press 55 when asked."


def _danger_line(result: SignpostResult) -> str:
    """The 999 sentence, built from the verified 999 contacts only."""
    emergency = result.emergency
    if emergency is None:
        return "If you are in danger now, call 999."
    call = next((c for c in emergency.contacts if c.kind == "phone"), None)
    text = next((c for c in emergency.contacts if c.kind == "text"), None)
    parts = ["If you are in danger now, call 999."]
    if call and call.note:
        parts.append(call.note)
    if text and text.note and result.channel == "web":
        parts.append(text.note)
    return " ".join(parts)


def _contact_line(contact: ContactView) -> str:
    line = f"{contact.action} ({contact.status})"
    return f"{line}. {contact.note}" if contact.note else line


def _web_block(number: int | None, option: Option) -> list[str]:
    head = f"{number}. {option.name}" if number else f"- {option.name}"
    lines = [head, f"   {option.summary}"]
    if option.eligibility:
        lines.append(f"   {option.eligibility}")
    lines.extend(f"   - {_contact_line(contact)}" for contact in option.contacts)
    lines.append(f"   {option.cost}")
    return lines


def format_web(result: SignpostResult) -> str:
    """Plain text for the web chat: open options numbered, then later and any-time ones, then 999."""
    lines = [WEB_INTRO, ""]
    if result.open_now:
        lines.append(WEB_OPEN)
        for number, option in enumerate(result.open_now, start=1):
            lines.extend(_web_block(number, option))
        lines.append("")
    else:
        lines.extend([WEB_NONE_OPEN, ""])
    if result.later:
        lines.append(WEB_LATER)
        for option in result.later:
            lines.extend(_web_block(None, option))
        lines.append("")
    if result.anytime:
        lines.append(WEB_ANYTIME)
        for option in result.anytime:
            lines.extend(_web_block(None, option))
        lines.append("")
    lines.append(_danger_line(result))
    for note in result.notes:
        if note != NOTHING_OPEN_NOTE:
            lines.extend(["", note])
    return "\n".join(lines).strip() + "\n"


def _short_link(value: str) -> str:
    # Phones turn 'nhs.uk/sarcs' into a link; the scheme and 'www.' only use up the budget.
    return re.sub(r"^https://(www\.)?", "", value).rstrip("/")


def _sms_line(option: Option, contact: ContactView) -> str:
    action = contact.action.replace(contact.value, _short_link(contact.value))
    details = [] if not contact.live else [contact.status.replace("open 24/7", "24/7").replace("open now ", "")]
    if option.free:
        details.append("free")
    return f"{option.name} - {action} ({', '.join(details)})" if details else f"{option.name} - {action}"


def _sms_danger(result: SignpostResult) -> str:
    emergency = result.emergency
    call = next((c for c in emergency.contacts if c.kind == "phone"), None) if emergency else None
    # The press-55 advice comes from the verified 999 entry; without it, keep to the bare number.
    return f"{SMS_DANGER} {SMS_SILENT}" if call and call.note else SMS_DANGER


def format_sms(result: SignpostResult, budget: int = SMS_BUDGET) -> list[str]:
    """SMS messages, each pure GSM-7 and within `budget` characters, most useful first."""
    # One contact per service keeps the first message to the options open now plus 999.
    blocks: list[list[str]] = []
    if result.open_now:
        blocks.append([SMS_OPEN, *(_sms_line(o, o.contacts[0]) for o in result.open_now)])
    blocks.append([_sms_danger(result)])
    if result.later:
        blocks.append([SMS_LATER, *(_sms_line(o, o.contacts[0]) for o in result.later)])
    if result.anytime:
        blocks.append([SMS_ANYTIME, *(_sms_line(o, o.contacts[0]) for o in result.anytime)])
    blocks.extend([note] for note in result.notes if note != NOTHING_OPEN_NOTE)
    messages = _pack(blocks, budget)
    if result.open_now and SMS_DANGER not in messages[0]:
        # Long names pushed 999 into a second text, which may arrive late or not at all: 999 goes first.
        danger = blocks.pop(1)
        messages = _pack([danger, *blocks], budget)
    return messages


def _pack(blocks: list[list[str]], budget: int) -> list[str]:
    """Fill messages line by line; a heading never ends a message on its own."""
    messages: list[str] = []
    current = ""
    for block in blocks:
        block = [to_gsm7(line) for line in block]
        units = ["\n".join(block[:2]), *block[2:]] if len(block) > 1 else block
        for unit in units:
            candidate = f"{current}\n{unit}" if current else unit
            if gsm7_length(candidate) <= budget:
                current = candidate
                continue
            if current:
                messages.append(current)
            if gsm7_length(unit) <= budget:
                current = unit
            else:
                *full, current = split_sms(unit, budget)
                messages.extend(full)
    if current:
        messages.append(current)
    return messages


def _contact_data(contact: ContactView) -> dict[str, Any]:
    return {
        "kind": contact.kind,
        "value": contact.value,
        "href": contact.href,
        "action": contact.action,
        "status": contact.status,
        "open_now": contact.open_now,
        "always_open": contact.always_open,
        "opens_at": contact.opens_at.isoformat() if contact.opens_at else None,
        "closes_at": contact.closes_at.isoformat() if contact.closes_at else None,
        "note": contact.note,
    }


def _option_data(option: Option) -> dict[str, Any]:
    return {
        "id": option.service_id,
        "name": option.name,
        "summary": option.summary,
        "eligibility": option.eligibility,
        "url": option.url,
        "cost": option.cost,
        "free": option.free,
        "open_now": option.open_now,
        "always_open": option.always_open,
        "opens_at": option.opens_at.isoformat() if option.opens_at else None,
        "status": option.status,
        "contacts": [_contact_data(contact) for contact in option.contacts],
    }


def to_data(result: SignpostResult) -> dict[str, Any]:
    """JSON-ready data for web buttons and links; `links` lists one button per open option first."""
    links = [
        {"title": f"{option.name}: {option.contacts[0].action}", "url": option.contacts[0].href}
        for option in (*result.open_now, *result.anytime)
        if option.contacts
    ]
    return {
        "needs": list(result.needs),
        "nation": result.nation,
        "channel": result.channel,
        "now": result.now.isoformat(),
        "ask_nation": result.ask_nation,
        "open_now": [_option_data(o) for o in result.open_now],
        "later": [_option_data(o) for o in result.later],
        "anytime": [_option_data(o) for o in result.anytime],
        "emergency": _option_data(result.emergency) if result.emergency else None,
        "danger": _danger_line(result),
        "notes": list(result.notes),
        "links": links,
    }
