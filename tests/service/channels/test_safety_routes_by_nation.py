"""A student is sent to their own nation's SARC: the service's safety replies (used when the assistant is
down or a person is awaited) and the responses file's per-nation texts."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from handoff.channels.replies import safety_replies
from handoff.conversations.enums import Channel
from handoff.conversations.models import Conversation
from safety.gsm import fits_sms
from safety.responses import ResponseFileError, get_responses, load_responses, safety_response
from safety.verdict import Verdict

ROOT = Path(__file__).resolve().parents[3]
SARC = {
    "england": "nhs.uk/sarcs",
    "wales": "newpathways.org.uk",
    "scotland": "0800 148 88 88",
    "northern_ireland": "therowan.net",
}
ASSAULT = Verdict(labels=frozenset({"recent_sexual_assault"}), severity=2)


@pytest.fixture
def profiles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """One institution in each nation: the example profile with its id and nation changed."""
    example = yaml.safe_load((ROOT / "data" / "institutions" / "example.yml").read_text(encoding="utf-8"))
    for nation in SARC:
        ident = f"college-{nation.replace('_', '-')}"
        (tmp_path / f"{ident}.yml").write_text(yaml.safe_dump({**example, "id": ident, "nation": nation}))
    monkeypatch.setenv("INSTITUTIONS_DIR", str(tmp_path))
    return tmp_path


def conversation(nation: str, channel: Channel) -> Conversation:
    return Conversation(channel=channel, institution_id=f"college-{nation.replace('_', '-')}")


@pytest.mark.parametrize("nation", list(SARC))
@pytest.mark.parametrize("channel", [Channel.webchat, Channel.sms])
def test_the_service_names_the_sarc_of_the_institutions_nation(profiles, nation: str, channel: Channel) -> None:
    replies = [reply.text for reply in safety_replies(ASSAULT, conversation(nation, channel))]
    first = replies[0]
    assert SARC[nation] in first
    for other, route in SARC.items():
        if other != nation:
            assert route not in first, (nation, other)
    if channel == Channel.sms:
        assert all(fits_sms(text) for text in replies)
        assert "999" in first[:160]


def test_an_unreadable_profile_still_gets_a_reply_naming_every_nation(profiles) -> None:
    replies = safety_replies(ASSAULT, Conversation(channel=Channel.sms, institution_id="no-such-college"))
    assert all(route in replies[0].text for route in SARC.values())
    assert "999" in replies[0].text[:160]


@pytest.mark.parametrize("nation", [*SARC, None])
@pytest.mark.parametrize("channel", ["web", "sms"])
def test_every_variant_believes_and_gives_999_first(nation, channel) -> None:
    text = safety_response(["recent_sexual_assault"], channel, nation)[0]
    assert "not your fault" in text and "999" in text
    if channel == "sms":
        assert fits_sms(text) and "999" in text[:160]


def test_other_labels_are_the_same_in_every_nation() -> None:
    for nation in SARC:
        assert safety_response(["suicide_self_harm"], "sms", nation) == safety_response(["suicide_self_harm"], "sms")


def test_the_file_refuses_a_nation_sms_without_999_early(tmp_path: Path) -> None:
    data = yaml.safe_load((ROOT / "data" / "safety" / "responses.yml").read_text(encoding="utf-8"))
    late = "I'm so sorry. " * 12 + "Call 999."
    data["responses"]["recent_sexual_assault"]["nations"]["wales"]["sms"] = late
    path = tmp_path / "responses.yml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ResponseFileError, match=r"recent_sexual_assault\.nations\.wales\.sms: must say 999"):
        load_responses(path)
    data["responses"]["recent_sexual_assault"]["nations"] = {"atlantis": {"web": "x 999", "sms": "x 999"}}
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ResponseFileError, match="nations: must map some of"):
        load_responses(path)


def test_the_shipped_file_has_a_variant_for_every_nation() -> None:
    assert set(get_responses().by_nation["recent_sexual_assault"]) == set(SARC)




