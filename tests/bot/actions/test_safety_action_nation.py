"""The assistant's safety response names the SARC of the institution's nation, on the web and by SMS."""

from __future__ import annotations

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.safety import ActionSafetyResponse
from safety.gsm import fits_sms

# Profiles: the example college is in England, Afon Valley University in Wales, Longest Fields in Northern Ireland.
ROUTES = {
    "example": ("nhs.uk/sarcs", ["newpathways.org.uk", "therowan.net", "0800 148 88 88"]),
    "afon-valley-university": ("newpathways.org.uk", ["nhs.uk/sarcs", "therowan.net", "0800 148 88 88"]),
    "longest-fields": ("therowan.net", ["nhs.uk/sarcs", "newpathways.org.uk", "0800 148 88 88"]),
}


def _tracker(channel: str) -> Tracker:
    latest = {"text": "…", "intent": {"name": "risk_detected", "confidence": 1.0},
              "entities": [{"entity": "risk_label", "value": "recent_sexual_assault"}]}
    return Tracker("student", {}, latest, [{"event": "user", "text": "…", "parse_data": latest,
                                             "input_channel": channel}], False, None, {}, "action_listen")


@pytest.mark.parametrize("profile", list(ROUTES))
@pytest.mark.parametrize("channel", ["webchat", "sms"])
async def test_the_reply_names_the_local_sarc_only(use_profile, profile: str, channel: str) -> None:
    use_profile(profile)
    dispatcher = CollectingDispatcher()
    await ActionSafetyResponse().run(dispatcher, _tracker(channel), {})
    first = dispatcher.messages[0]["text"]
    own, others = ROUTES[profile]
    assert own in first and not any(route in first for route in others), first
    if channel == "sms":
        assert "999" in first[:160] and all(fits_sms(m["text"]) for m in dispatcher.messages)


async def test_a_missing_profile_still_gets_every_nations_route(use_profile, monkeypatch) -> None:
    use_profile("example")
    monkeypatch.setenv("INSTITUTION_ID", "no-such-college")
    from actions.common import clear_profile_cache
    clear_profile_cache()
    dispatcher = CollectingDispatcher()
    await ActionSafetyResponse().run(dispatcher, _tracker("sms"), {})
    first = dispatcher.messages[0]["text"]
    assert all(route in first for route in ("nhs.uk/sarcs", "newpathways.org.uk", "therowan.net", "0800 148 88 88"))
