"""Entries added or corrected after checking the directory against the services' own pages (2026-12-03)."""

from __future__ import annotations

from datetime import date

import pytest
from signpost_testkit import NATIONS, at, rendered

from signpost import Directory, format_sms, signpost
from signpost.listing import listing

# A Tuesday in term, late evening; a Saturday lunchtime; a Tuesday lunchtime.
TUESDAY_11PM = at(2026, 12, 1, 23)
SATURDAY_NOON = at(2026, 12, 5, 12)
TUESDAY_NOON = at(2026, 12, 1, 12)


def contact(directory: Directory, service_id: str, value: str):
    return next(c for c in directory.get(service_id).contacts if c.value == value)


def test_101_is_free_since_april_2020(directory: Directory) -> None:
    police = directory.get("police_101")
    assert police.free is True
    assert "15p" not in police.cost and "Free" in police.cost
    assert contact(directory, "police_101", "101").verified
    result = signpost(["stalking"], "england", "web", now=TUESDAY_NOON, max_open=10)
    option = next(o for o in result.options() if o.service_id == "police_101")
    assert option.free and "15p" not in rendered(result)


@pytest.mark.parametrize(
    "service_id",
    ["calm", "breathing_space", "report_remove", "crimestoppers", "sarc_wales", "sarc_northern_ireland"],
)
def test_each_new_entry_cites_the_page_read_and_when(directory: Directory, service_id: str) -> None:
    service = directory.get(service_id)
    assert service.source.startswith(("https://", "http://"))
    assert service.verified_on == date(2026, 12, 3)
    assert any(c.verified for c in service.contacts)


def test_calm_is_open_5pm_to_midnight_every_day_by_phone_and_web_chat(directory: Directory) -> None:
    calm = directory.get("calm")
    phone, chat = contact(directory, "calm", "0800 58 58 58"), contact(directory, "calm", "https://www.thecalmzone.net")
    assert phone.verified and chat.verified and chat.kind == "chat"
    for moment, expected in [(TUESDAY_11PM, True), (at(2026, 12, 2, 0, 30), False), (TUESDAY_NOON, False),
                             (at(2026, 12, 25, 20), True)]:  # Christmas Day: 365 days a year
        assert calm.is_open(phone, moment) is expected, moment
    web = signpost(["mental_health_crisis"], "wales", "web", now=TUESDAY_11PM, max_open=10)
    assert "calm" in [o.service_id for o in web.open_now]
    assert "Chat online" in rendered(web) or "Web chat on their website" in rendered(web)


def test_breathing_space_is_only_for_scotland_and_open_evenings_and_all_weekend(directory: Directory) -> None:
    space = directory.get("breathing_space")
    line = contact(directory, "breathing_space", "0800 83 85 87")
    assert space.nations == frozenset({"scotland"})
    assert space.is_open(line, TUESDAY_11PM) and space.is_open(line, at(2026, 12, 2, 1, 30))
    assert space.is_open(line, SATURDAY_NOON) and space.is_open(line, at(2026, 12, 7, 5))  # Monday 5am
    assert not space.is_open(line, TUESDAY_NOON) and not space.is_open(line, at(2026, 12, 7, 7))
    # Open all weekend: the page says when it closes, not midnight.
    web = signpost(["mental_health_crisis"], "scotland", "web", now=SATURDAY_NOON, max_open=10)
    option = next(o for o in web.open_now if o.service_id == "breathing_space")
    assert option.status == "open now until Monday 06:00"
    for nation in ("england", "wales", "northern_ireland"):
        assert "breathing_space" not in [o.service_id for o in signpost(["mental_health_crisis"], nation, "web",
                                                                          now=TUESDAY_11PM).options()]


def test_report_remove_is_offered_to_under_18s_about_images_only(directory: Directory) -> None:
    young = signpost(["online_image_abuse"], "england", "web", now=TUESDAY_NOON, age=15)
    assert "report_remove" in [o.service_id for o in young.options()]
    assert "childline.org.uk" in rendered(young)
    adult = signpost(["online_image_abuse"], "england", "web", now=TUESDAY_NOON, age=20)
    assert "report_remove" not in [o.service_id for o in adult.options()]
    # The deep link was only seen quoted on a forum, so it is never shown.
    deep = "https://www.childline.org.uk/info-advice/bullying-abuse-safety/online-mobile-safety/report-remove/"
    assert not contact(directory, "report_remove", deep).verified and deep not in rendered(young)


def test_crimestoppers_is_anonymous_and_24_7(directory: Directory) -> None:
    crime = directory.get("crimestoppers")
    phone = contact(directory, "crimestoppers", "0800 555 111")
    assert phone.verified and phone.always_open and crime.uk_wide and crime.free
    assert "without giving your name" in crime.summary
    crime_section = next(g for g in listing("scotland", TUESDAY_NOON).groups if g.id == "crime")
    assert "crimestoppers" in [item.id for item in crime_section.services]


def test_the_domestic_abuse_helpline_chat_stays_hidden_until_its_hours_are_confirmed(directory: Directory) -> None:
    chat = next(c for c in directory.get("national_domestic_abuse_helpline").contacts if c.kind == "chat")
    assert not chat.verified and "2020" in (chat.unverified_reason or "")
    result = signpost(["domestic_abuse"], "england", "web", now=TUESDAY_NOON)
    helpline = next(o for o in result.options() if o.service_id == "national_domestic_abuse_helpline")
    assert helpline.contacts and "chat" not in [c.kind for c in helpline.contacts]


@pytest.mark.parametrize(
    ("service_id", "value"),
    [
        ("rape_crisis_england_wales", "0808 500 2222"),
        ("mind_infoline", "0300 123 3393"),
        ("galop", "0800 999 5428"),
        ("papyrus", "07786 209697"),
        ("survivors_trust", "08088 010 818"),
        ("sarc_northern_ireland", "0800 389 4424"),
    ],
)
def test_contacts_no_public_page_confirms_stay_unverified_with_a_reason(directory, service_id, value) -> None:
    found = contact(directory, service_id, value)
    assert not found.verified and found.unverified_reason


# --- SARCs by nation ------------------------------------------------------------------------------------------

SARC_BY_NATION = {
    "england": ("sarc_england", "nhs.uk/sarcs"),
    "wales": ("sarc_wales", "newpathways.org.uk"),
    "scotland": ("sarcs_scotland", "0800 148 88 88"),
    "northern_ireland": ("sarc_northern_ireland", "therowan.net"),
}


@pytest.mark.parametrize("nation", NATIONS)
@pytest.mark.parametrize("channel", ["web", "sms"])
@pytest.mark.parametrize("moment", [TUESDAY_11PM, TUESDAY_NOON, at(2026, 11, 22, 2)])
def test_each_nation_gets_its_own_sarc_and_never_another_nations(nation: str, channel: str, moment) -> None:
    result = signpost(["sexual_violence"], nation, channel, now=moment)
    ids = [o.service_id for o in result.options()]
    own, shown = SARC_BY_NATION[nation]
    assert own in ids and shown in rendered(result)
    for other, (other_id, other_shown) in SARC_BY_NATION.items():
        if other != nation:
            assert other_id not in ids and other_shown not in rendered(result), (nation, other)
    if channel == "sms":
        assert "999" in format_sms(result)[0]


def test_a_student_in_wales_is_not_sent_to_englands_finder() -> None:
    for channel in ("web", "sms"):
        text = rendered(signpost(["sexual_violence"], "wales", channel, now=TUESDAY_11PM))
        assert "nhs.uk/sarcs" not in text and "newpathways.org.uk" in text
