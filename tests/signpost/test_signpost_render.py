"""The words people read: plain web text, SMS within 320 GSM-7 characters, and button data."""

from __future__ import annotations

import itertools
import json

import pytest
from signpost_testkit import EASTER_MONDAY, NATIONS_OR_UNKNOWN, SUNDAY_2AM, WEDNESDAY_2PM

from safety.gsm import SMS_BUDGET, fits_sms
from signpost import NEEDS, format_sms, format_web, signpost, to_data


@pytest.mark.parametrize(
    ("need", "nation", "moment"),
    list(itertools.product(NEEDS, NATIONS_OR_UNKNOWN, [SUNDAY_2AM, WEDNESDAY_2PM, EASTER_MONDAY])),
)
def test_every_sms_fits_and_reads_as_plain_text(need, nation, moment) -> None:
    messages = format_sms(signpost([need], nation, "sms", now=moment))
    assert messages
    for message in messages:
        assert fits_sms(message, SMS_BUDGET), (len(message), message)
        assert "http" not in message and "<" not in message and "*" not in message
    assert "999" in messages[0]


def test_sms_for_sunday_night_sexual_violence_in_england() -> None:
    messages = format_sms(signpost(["sexual_violence"], "england", "sms", now=SUNDAY_2AM))
    first = messages[0]
    assert first.startswith("Open now")
    assert "Call 08 08 16 89 111 (24/7, free)" in first
    assert "nhs.uk/sarcs" in first
    assert "press 55" in first


def test_sms_with_many_options_splits_into_several_messages() -> None:
    needs = ["harassment_bullying", "stalking", "online_image_abuse"]
    messages = format_sms(signpost(needs, None, "sms", now=SUNDAY_2AM), budget=160)
    assert len(messages) > 1
    assert all(fits_sms(m, 160) for m in messages)
    assert not any(m.rstrip().endswith(":") for m in messages)


def test_web_text_lists_open_then_later_then_999() -> None:
    text = format_web(signpost(["stalking"], "england", "web", now=SUNDAY_2AM))
    open_at, later_at, danger_at = text.index("Open now:"), text.index("Opening later:"), text.index("call 999")
    assert open_at < later_at < danger_at
    assert "1. Victim Support" in text
    assert "Call 0808 802 0300 (opens Monday 09:30)" in text
    assert "press 55" in text


def test_web_text_shows_chat_links_and_no_markup() -> None:
    text = format_web(signpost(["sexual_violence"], "wales", "web", now=SUNDAY_2AM))
    assert "https://247sexualabusesupport.org.uk (open 24/7)" in text
    assert "<" not in text and "**" not in text


def test_data_for_buttons_is_json_and_uses_real_links() -> None:
    data = to_data(signpost(["domestic_abuse"], "england", "web", now=SUNDAY_2AM))
    json.dumps(data)
    hrefs = [link["url"] for link in data["links"]]
    assert "tel:08082000247" in hrefs
    assert all(h.startswith(("tel:", "sms:", "https://", "mailto:")) for h in hrefs)
    assert data["emergency"]["contacts"][0]["href"] == "tel:999"
    assert data["open_now"][0]["contacts"][0]["open_now"] is True
