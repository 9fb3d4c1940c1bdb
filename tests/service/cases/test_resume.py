"""Coming back with a reference: only the student who was given it can move their case to a new conversation."""

from __future__ import annotations

import os
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select
from starlette.testclient import TestClient

from handoff.cases.models import Case, CaseEvent
from handoff.conversations.models import Conversation
from handoff.main import create_app
from handoff.officers.models import Role

from ..chat_helpers import assistant_turn, hello
from ..console_helpers import Console, create_officer
from ..db_helpers import run_db

TUESDAY_11AM = datetime(2026, 11, 24, 11, 0, tzinfo=ZoneInfo("Europe/London"))
SAME_ANSWER = {"found": False}


@pytest.fixture(autouse=True)
def in_hours():
    with time_machine.travel(TUESDAY_11AM, tick=True):
        yield


def _newest(settings) -> Conversation:
    return run_db(settings, lambda db: db.scalar(select(Conversation).order_by(Conversation.id.desc())))


def _new_conversation(client, settings) -> str:
    with client.websocket_connect("/ws/chat") as ws:
        hello(ws)
    return _newest(settings).public_id


def _case(client, settings) -> tuple[str, str]:
    """A student asks for a person: (the reference they are given, their conversation)."""
    create_officer(settings, "sam@example.ac.uk")
    public_id = _new_conversation(client, settings)
    with assistant_turn(client, public_id, "web:student"):
        reference = client.post("/api/handoff-requests", json={
            "sender_id": public_id, "request_id": "r1", "goal": "disclosure", "share_transcript": True,
        }).json()["reference"]
    return reference, public_id


def _resume(client, settings, typed: str, who: str) -> dict:
    """Quote a reference from a brand-new conversation, as a client (address or number) ``who``."""
    public_id = _new_conversation(client, settings)
    with assistant_turn(client, public_id, who):
        response = client.post("/api/cases/resume", json={"sender_id": public_id, "reference": typed})
    assert response.status_code == 200, response.text
    return response.json()


def _case_row(settings) -> Case:
    return run_db(settings, lambda db: db.scalar(select(Case)))


def _kinds(settings) -> list[str]:
    return list(run_db(settings, lambda db: db.scalars(select(CaseEvent.kind).order_by(CaseEvent.id))))


def test_the_case_reference_alone_no_longer_moves_a_case_to_a_strangers_conversation(client, settings):
    reference, _ = _case(client, settings)
    case_reference = reference[:7]  # what the assistant used to accept, and what officers see
    first_id = _case_row(settings).conversation_id

    assert _resume(client, settings, case_reference, "web:stranger") == SAME_ANSWER
    wrong_code = case_reference + ("-AAA" if not reference.endswith("AAA") else "-CCC")
    assert _resume(client, settings, wrong_code, "web:stranger") == SAME_ANSWER
    assert _resume(client, settings, "KKK-KKK-KKK", "web:stranger") == SAME_ANSWER  # no such case reads the same

    assert _case_row(settings).conversation_id == first_id  # the student's conversation keeps its case
    assert "resumed" not in _kinds(settings)


def test_the_student_comes_back_however_they_type_it_and_the_officer_sees_where_from(client, settings):
    reference, _ = _case(client, settings)
    typed = "  " + reference.lower().replace("-", " ") + " "
    found = _resume(client, settings, typed, "web:student-at-home")
    newest = _newest(settings)
    assert found == {"found": True, "reference": reference, "status": "open"}
    assert _case_row(settings).conversation_id == newest.id

    create_officer(settings, "dsl@example.ac.uk", role=Role.safeguarding_lead)
    page = Console(client, "dsl@example.ac.uk").get(f"/cases/{reference}").json()
    resumed = [e for e in page["events"] if e["kind"] == "resumed"]
    assert resumed and resumed[-1]["detail"] == "from=new_conversation channel=webchat"
    assert reference not in str(page)  # officers find the case by its reference; the student's code is theirs


def test_wrong_references_are_limited_per_client_and_a_right_one_then_reads_the_same(client, settings):
    reference, _ = _case(client, settings)
    for n in range(5):
        assert _resume(client, settings, f"KKK-KK{'KMNPQ'[n]}-AAA", "web:guesser") == SAME_ANSWER
    assert _resume(client, settings, reference, "web:guesser") == SAME_ANSWER  # right, but refused: same words
    assert "resumed" not in _kinds(settings)
    assert _resume(client, settings, reference, "web:student")["found"] is True  # another client is not held up


def test_wrong_codes_are_limited_per_reference_whoever_sends_them(client, settings):
    reference, _ = _case(client, settings)
    wrong = [reference[:8] + code for code in ("AAA", "CCC", "DDD", "EEE", "FFF", "GGG") if code != reference[8:]]
    for n, guess in enumerate(wrong[:5]):
        assert _resume(client, settings, guess, f"web:guesser-{n}") == SAME_ANSWER
    assert _resume(client, settings, reference, "web:student") == SAME_ANSWER
    assert "resumed" not in _kinds(settings)


def test_a_case_from_before_codes_keeps_its_reference_for_officers_but_cannot_be_claimed(client, settings):
    reference, _ = _case(client, settings)

    async def forget_code(db):
        case = await db.scalar(select(Case))
        case.resume_code = None  # as every case opened before the migration
        await db.commit()

    run_db(settings, forget_code)
    create_officer(settings, "dsl@example.ac.uk", role=Role.safeguarding_lead)
    lead = Console(client, "dsl@example.ac.uk")
    assert lead.get(f"/cases/{reference[:7]}").status_code == 200
    assert [c["reference"] for c in lead.get(f"/cases?reference={reference[:7].lower()}").json()] == [reference[:7]]
    assert _resume(client, settings, reference[:7], "web:someone") == SAME_ANSWER
    assert _resume(client, settings, reference, "web:someone") == SAME_ANSWER


@pytest.mark.redis
@pytest.mark.skipif(not os.environ.get("TEST_REDIS_URL"), reason="TEST_REDIS_URL is not set")
def test_with_several_workers_wrong_tries_count_together(settings):
    shared = settings.model_copy(update={"redis_url": os.environ["TEST_REDIS_URL"],
                                         "redis_prefix": f"test-{uuid.uuid4().hex[:8]}:"})
    with TestClient(create_app(shared)) as worker_a, TestClient(create_app(shared)) as worker_b:
        reference, _ = _case(worker_a, settings)
        for n in range(5):
            worker = (worker_a, worker_b)[n % 2]
            assert _resume(worker, settings, f"KKK-KK{'KMNPQ'[n]}-AAA", "web:guesser") == SAME_ANSWER
        assert _resume(worker_a, settings, reference, "web:guesser") == SAME_ANSWER
        assert _resume(worker_b, settings, reference, "web:guesser") == SAME_ANSWER
        assert _resume(worker_b, settings, reference, "web:student")["found"] is True


def test_new_references_never_use_a_word_the_assistant_skips_and_read_back_however_typed():
    from hypothesis import given
    from hypothesis import strategies as st

    from handoff.cases.service import new_reference, new_resume_code, split_reference
    from handoff.content import words_not_in_references

    skipped = words_not_in_references()
    for _ in range(3000):
        reference, code = new_reference(), new_resume_code()
        assert not {reference[:3], reference[4:], code} & skipped

    @given(st.text(max_size=40))
    def anything_typed(text):
        key, code = split_reference(text)
        assert (key, code) == ("", "") or (len(key) == 7 and len(code) in (0, 3))

    anything_typed()
    assert split_reference(" kmx - 4qt  hce ") == ("KMX-4QT", "HCE")
    assert split_reference("KMX4QT") == ("KMX-4QT", "")
    assert split_reference("KMX-4QT-HC") == ("", "")


def test_a_web_client_is_its_address_and_an_ipv6_client_its_whole_slash_64():
    from types import SimpleNamespace

    from handoff.channels.webchat import client_network

    def socket(host):
        return SimpleNamespace(client=SimpleNamespace(host=host))

    assert client_network(socket("2001:db8:1:2:aaaa::1")) == client_network(socket("2001:db8:1:2:ffff::9"))
    assert client_network(socket("2001:db8:1:3::1")) != client_network(socket("2001:db8:1:2::1"))
    assert client_network(socket("::ffff:192.0.2.7")) == client_network(socket("192.0.2.7")) == "192.0.2.7"
    assert client_network(socket("198.51.100.1")) != client_network(socket("198.51.100.2"))


async def _burst(limits, count: int) -> int:
    import asyncio

    tries = await asyncio.gather(*(limits.attempt(client="web:guesser", reference=f"KKK-{n:03d}")
                                   for n in range(count)))
    return sum(tries)


async def test_tries_sent_all_at_once_cannot_slip_past_the_limit_together():
    from handoff.resume_limits import ResumeLimits

    assert await _burst(ResumeLimits("5/15 minutes;20/day", "5/day"), 50) == 5


@pytest.mark.redis
@pytest.mark.skipif(not os.environ.get("TEST_REDIS_URL"), reason="TEST_REDIS_URL is not set")
async def test_tries_sent_all_at_once_to_several_workers_cannot_slip_past_together():
    from handoff.resume_limits import ResumeLimits

    prefix = f"test-{uuid.uuid4().hex[:8]}:"
    workers = [ResumeLimits("5/15 minutes;20/day", "5/day", os.environ["TEST_REDIS_URL"], prefix) for _ in range(2)]
    import asyncio

    assert sum(await asyncio.gather(_burst(workers[0], 25), _burst(workers[1], 25))) == 5


def test_every_reference_the_service_makes_is_read_whole_by_the_assistant_however_typed():
    """The assistant (bot/references.py) and the service (cases/service.py) agree on the form of a reference:
    each one made here, with its code, typed in lower case with spaces or run together, is found whole."""
    from bot.references import find_reference, is_whole, typed_reference
    from handoff.cases.service import new_reference, new_resume_code

    for n in range(2000):
        full = f"{new_reference()}-{new_resume_code()}"
        typed = full.lower().replace("-", " ") if n % 2 else full.replace("-", "")
        match = find_reference(f"hi my ref is {typed} thanks")
        assert match is not None and is_whole(match) and typed_reference(match) == full, typed
