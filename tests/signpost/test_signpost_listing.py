"""The directory as the /services page lists it: by need, for one nation, with what is open at a moment."""

from __future__ import annotations

import json

import pytest
from signpost_testkit import NATIONS, SUNDAY_2AM, WEDNESDAY_2PM

from signpost import Directory
from signpost.listing import listing, listing_data
from signpost.nation import institution_nation


@pytest.mark.parametrize("nation", NATIONS)
def test_only_services_for_that_nation_and_only_verified_contacts(directory: Directory, nation: str) -> None:
    result = listing(nation, WEDNESDAY_2PM)
    for group in result.groups:
        for item in group.services:
            assert nation in item.service.nations
            assert all(any(c.verified and c.value == v.value for c in item.service.contacts) for v in item.contacts)
    unverified = {c.value for s in directory.services for c in s.contacts if not c.verified}
    assert not unverified & {v.value for g in result.groups for i in g.services for v in i.contacts} - {
        c.value for s in directory.services for c in s.contacts if c.verified}


def test_the_whole_uk_lists_every_service_with_a_verified_contact_once_in_the_data(directory: Directory) -> None:
    data = listing_data(listing(None, SUNDAY_2AM))
    expected = {s.id for s in directory.services if any(c.verified for c in s.contacts)}
    assert set(data["services"]) == expected
    json.dumps(data)  # ready for the JSON route


def test_open_now_at_2am_is_what_the_hours_say(directory: Directory) -> None:
    result = listing("england", SUNDAY_2AM)
    ids = {item.id for item in result.open_now}
    assert {"samaritans", "shout", "victim_support"} <= ids
    assert "national_stalking_helpline" not in ids and "calm" not in ids
    stalking = next(i for g in result.groups if g.id == "stalking" for i in g.services
                    if i.id == "national_stalking_helpline")
    assert not stalking.open_now and stalking.contacts[0].status == "opens Monday 09:30"


def test_staff_only_services_are_listed_for_staff_alone() -> None:
    groups = {g.id: [i.id for i in g.services] for g in listing("wales", WEDNESDAY_2PM).groups}
    assert groups["staff"] == ["education_support"]
    assert all("education_support" not in ids for group, ids in groups.items() if group != "staff")


def test_each_nation_lists_its_own_sarc_first_among_medical_routes() -> None:
    own = {"england": "sarc_england", "wales": "sarc_wales", "scotland": "sarcs_scotland",
           "northern_ireland": "sarc_northern_ireland"}
    for nation, sarc in own.items():
        ids = [i.id for g in listing(nation, WEDNESDAY_2PM).groups if g.id == "sexual_violence" for i in g.services]
        assert sarc in ids and not (set(own.values()) - {sarc}) & set(ids), nation


def test_an_unknown_institution_has_no_nation_and_does_not_raise() -> None:
    assert institution_nation("no-such-college") is None
    assert institution_nation("example") == "england"
