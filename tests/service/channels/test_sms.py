"""SMS through Twilio: signed webhooks only, each text stored once, STOP/START/HELP, the SMS budget."""

from __future__ import annotations

import socket
import threading
import time
from contextlib import contextmanager
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select, text
from starlette.testclient import TestClient

from handoff.channels.sms.standin import TwilioStandIn
from handoff.content import service_messages
from handoff.conversations.enums import Owner
from handoff.conversations.models import Message
from handoff.conversations.phones import SmsContact, SmsOutbound
from handoff.core.config import Settings
from handoff.main import create_app
from safety.gsm import fits_sms, split_sms
from safety.responses import get_responses

from ..console_helpers import OnDuty
from ..db_helpers import move_to, run_db
from ..sms_helpers import PHONE, inbound_params, post_sms, twilio_signature, twiml_messages


def _messages(settings) -> list[Message]:
    return run_db(settings, lambda db: _all(db, select(Message).order_by(Message.id)))


async def _all(db, statement):
    return list(await db.scalars(statement))


# Signatures -----------------------------------------------------------------------------------------


def test_the_webhook_accepts_a_text_signed_as_twilios_published_example_signs(database_url):
    """Twilio's documented example (token 12345, a URL with a query string, these fields) signs to
    "GvWf1cFY/Q7PnoempGyD5oXAezc=". The signer here is the algorithm written out by hand, checked against that
    published answer; the service, given the same token, must accept what it signs (query string included) and
    keep the text, and refuse the same request once one field is changed."""
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    published = {"CallSid": "CA1234567890ABCDE", "Caller": "+14158675310", "Digits": "1234",
                 "From": "+14158675310", "To": "+18005551212"}
    assert twilio_signature("12345", url, published) == "GvWf1cFY/Q7PnoempGyD5oXAezc="

    settings = Settings(database_url=database_url, rasa_url="http://127.0.0.1:9", rasa_timeout=2.0,
                        public_url="https://mycompany.com", twilio_auth_token="12345", _env_file=None)
    params = inbound_params("is what I say here kept private?")
    path = "/sms/inbound?foo=1&bar=2"
    signature = twilio_signature("12345", settings.public_url + path, params)
    with TestClient(create_app(settings)) as client:
        accepted = client.post(path, data=params, headers={"X-Twilio-Signature": signature})
        refused = client.post(path, data=dict(params, MessageSid="SM" + "f" * 32),
                              headers={"X-Twilio-Signature": signature})
    assert accepted.status_code == 200 and twiml_messages(accepted)
    assert refused.status_code == 403
    stored = [m.text for m in _messages(settings) if m.direction == "user"]
    assert stored == ["is what I say here kept private?"]


def test_a_correctly_signed_text_is_kept_once_and_answered_within_the_sms_budget(client, settings):
    response = post_sms(client, settings, "hello", sid="SM" + "a" * 32)
    again = post_sms(client, settings, "hello", sid="SM" + "a" * 32)  # Twilio retries a slow webhook
    assert response.status_code == 200 and again.status_code == 200
    replies = twiml_messages(response)
    assert replies and all(fits_sms(part) for part in replies)
    rows = _messages(settings)
    student = [m for m in rows if m.direction == "user"]
    assert [m.text for m in student] == ["hello"]
    answers = [m.text for m in rows if m.direction == "assistant" and m.conversation_id == student[0].conversation_id]
    sent = [part for answer in answers for part in split_sms(answer)]
    assert answers and replies[: len(sent)] == sent  # what was kept is what was sent
    assert any("delete" in part.lower() for part in replies[len(sent):])  # a first text also says how to delete them


def test_a_signed_text_with_a_nul_in_it_is_kept_without_it_and_answered(client, settings):
    """Twilio does not send a refused webhook again: a NUL (which PostgreSQL text cannot hold) must not cost
    the student their message. The signature is checked on the text as sent; the text is kept without the NUL."""
    response = post_sms(client, settings, "i want to kill\x00 myself")
    assert response.status_code == 200
    assert "85258" in " ".join(twiml_messages(response))  # the suicide answer
    assert [m.text for m in _messages(settings) if m.direction.value == "user"] == ["i want to kill myself"]


def test_an_unsigned_text_with_a_nul_is_refused_as_unsigned_and_nothing_is_kept(client, settings):
    response = client.post("/sms/inbound", content=b"From=%2B447700900123&Body=hi%00&MessageSid=SM1",
                           headers={"content-type": "application/x-www-form-urlencoded"})
    assert response.status_code == 403
    assert _messages(settings) == []


def _signed(settings, params, url=None):
    return twilio_signature(settings.twilio_token, url or settings.public_url + "/sms/inbound", params)


@pytest.mark.parametrize("forgery", ["missing header", "altered body", "wrong url", "extra parameter", "wrong token"])
def test_forged_or_altered_webhooks_are_refused_and_nothing_is_stored(client, settings, forgery):
    params = inbound_params("hello")
    signature = _signed(settings, params)
    headers = {"X-Twilio-Signature": signature}
    if forgery == "missing header":
        headers = {}
    elif forgery == "altered body":
        params = dict(params, Body="something else")
    elif forgery == "wrong url":
        headers = {"X-Twilio-Signature": _signed(settings, params, "https://elsewhere.example/sms/inbound")}
    elif forgery == "extra parameter":
        params = dict(params, Extra="1")
    elif forgery == "wrong token":
        url = settings.public_url + "/sms/inbound"
        headers = {"X-Twilio-Signature": twilio_signature("not-the-token", url, params)}
    response = client.post("/sms/inbound", data=params, headers=headers)
    assert response.status_code == 403
    assert _messages(settings) == []


def test_the_public_url_behind_a_proxy_is_what_gets_signed(database_url):
    settings = Settings(database_url=database_url, rasa_url="http://127.0.0.1:9", public_url="https://chat.example.ac.uk",
                        _env_file=None)
    with TestClient(create_app(settings)) as client:
        assert post_sms(client, settings, "hello").status_code == 200
        params = inbound_params("hello")
        local = twilio_signature(settings.twilio_token, "http://testserver/sms/inbound", params)
        assert client.post("/sms/inbound", data=params, headers={"X-Twilio-Signature": local}).status_code == 403


# Storage, replay, keywords -------------------------------------------------------------------------------


def test_a_replayed_message_sid_is_stored_once_and_answered_the_same_way(client, settings):
    first = post_sms(client, settings, "is anyone there", sid="SM" + "1" * 32)
    again = post_sms(client, settings, "is anyone there", sid="SM" + "1" * 32)
    assert twiml_messages(again) == twiml_messages(first)
    users = [m for m in _messages(settings) if m.direction.value == "user"]
    assert len(users) == 1 and users[0].channel_message_id == "SM" + "1" * 32


def test_a_crisis_text_reusing_another_phones_message_sid_is_kept_answered_and_flagged(client, settings, caplog):
    sid = "SM" + "2" * 32
    post_sms(client, settings, "hello", sid=sid)
    other = "+447700900456"
    replies = twiml_messages(post_sms(client, settings, "i want to kms", sid=sid, phone=other))
    assert "116 123" in replies[0] and all(fits_sms(r) for r in replies)
    again = twiml_messages(post_sms(client, settings, "i want to kms", sid=sid, phone=other))  # Twilio retries it
    assert again == replies
    users = [m for m in _messages(settings) if m.direction.value == "user"]
    assert [m.text for m in users] == ["hello", "i want to kms"]
    first, crisis = users
    assert first.channel_message_id == sid and crisis.conversation_id != first.conversation_id
    assert crisis.channel_message_id is None and crisis.extra["channel_id_clash"] is True
    assert crisis.extra["risk"] == ["suicide_self_harm"]
    assert "another conversation" in caplog.text and "7700900456" not in caplog.text


def test_any_signed_texts_with_reused_message_sids_are_each_kept_once_and_answered(client, settings):
    """Whatever the words, and however Twilio's ids repeat (a retry from the same phone, or the same id from another
    phone), every signed text gets a 200 and an answer, and each phone's text is kept exactly once."""
    import uuid

    from hypothesis import HealthCheck, given
    from hypothesis import settings as run
    from hypothesis import strategies as st

    from handoff.channels.sms.views import HELP_WORDS, START_WORDS, STOP_WORDS

    phones = ["+447700900301", "+447700900302", "+447700900303"]
    words = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=300)
    keywords = STOP_WORDS | START_WORDS  # answered by their own rules, and not kept (HELP is kept: HELP_WORDS below)
    assert HELP_WORDS
    body = words.filter(lambda said: any(c.isalnum() for c in said) and said.strip().lower() not in keywords)
    sends = st.lists(st.tuples(st.integers(0, 2), st.integers(0, 2), body), min_size=1, max_size=6)

    @run(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(sends)
    def check(texts: list[tuple[int, int, str]]) -> None:
        sids = ["SM" + uuid.uuid4().hex for _ in range(3)]
        before = len([m for m in _messages(settings) if m.direction.value == "user"])
        first: dict[tuple[int, int], list[str]] = {}
        for phone, sid, words_sent in texts:
            response = post_sms(client, settings, words_sent, sid=sids[sid], phone=phones[phone])
            assert response.status_code == 200, response.text
            replies = twiml_messages(response)
            if (phone, sid) in first:
                assert replies == first[(phone, sid)]  # a retry: what was said the first time
            else:
                assert replies and all(fits_sms(r) for r in replies)
                first[(phone, sid)] = replies
        after = len([m for m in _messages(settings) if m.direction.value == "user"])
        assert after - before == len(first)

    check()


def test_with_the_database_down_a_signed_text_still_gets_the_numbers_and_is_asked_to_send_again():
    """On an error answer Twilio only logs it: the student would hear nothing."""
    settings = Settings(database_url="postgresql://postgres@127.0.0.1:9/nothing", rasa_url="http://127.0.0.1:9",
                        _env_file=None)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        response = post_sms(client, settings, "i want to kms")
        stopped = post_sms(client, settings, "STOP")
        unsigned = client.post("/sms/inbound", data=inbound_params("hello"))
    assert response.status_code == 200
    [reply] = twiml_messages(response)
    assert "again" in reply and "999" in reply and "116 123" in reply and fits_sms(reply)
    assert stopped.status_code == 200 and twiml_messages(stopped) == []  # STOP is never answered
    assert unsigned.status_code == 403


def test_whatever_breaks_while_a_text_is_taken_in_the_student_gets_the_numbers(client, settings, monkeypatch):
    from handoff.channels import intake

    async def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(intake, "receive", broken)
    response = post_sms(client, settings, "i took all my tablets")
    assert response.status_code == 200
    [reply] = twiml_messages(response)
    assert "999" in reply and "116 123" in reply and fits_sms(reply)


def test_when_the_assistant_is_down_an_sms_user_still_gets_emergency_numbers_and_a_person(client, settings):
    [reply, _privacy] = twiml_messages(post_sms(client, settings, "hello?"))
    assert "999" in reply and "116 123" in reply and "PERSON" in reply
    assert fits_sms(reply)


def test_a_crisis_text_gets_the_safety_response_when_the_assistant_is_down(client, settings):
    replies = twiml_messages(post_sms(client, settings, "i want to kms"))
    assert "116 123" in replies[0] and "85258" in replies[0]
    assert all(fits_sms(r) for r in replies)


def test_help_answers_with_safety_information_and_is_kept_with_its_answer(client, settings):
    post_sms(client, settings, "hello")
    [reply] = twiml_messages(post_sms(client, settings, "HELP", sid="SMhelp1"))
    assert "999" in reply and "not a person" in reply and "STOP" in reply
    said = [(m.direction.value, m.text) for m in _messages(settings)]
    assert said[-2:] == [("user", "HELP"), ("system", reply)]  # an officer reading the conversation sees both
    assert twiml_messages(post_sms(client, settings, "HELP", sid="SMhelp1")) == [reply]  # Twilio's retry
    assert [t for d, t in ((m.direction.value, m.text) for m in _messages(settings)) if d == "user"].count("HELP") == 1


def test_help_as_a_first_text_keeps_the_privacy_note_and_an_officer_talking_sees_it_live(client, settings):
    [reply, privacy] = twiml_messages(post_sms(client, settings, "info"))
    assert "999" in reply and "delete" in privacy.lower()
    move_to(settings, [Owner.waiting, Owner.human])  # an officer has taken the conversation over
    [again] = twiml_messages(post_sms(client, settings, "Help"))
    assert again == reply
    assert [m.text for m in _messages(settings) if m.direction.value == "user"] == ["info", "Help"]


def test_after_stop_nothing_more_is_sent_until_start(client, settings):
    assert twiml_messages(post_sms(client, settings, "STOP")) == []
    assert twiml_messages(post_sms(client, settings, "are you there")) == []
    assert any(m.text == "are you there" for m in _messages(settings))  # kept for the record, not answered
    [welcome] = twiml_messages(post_sms(client, settings, "START"))
    assert "again" in welcome
    assert twiml_messages(post_sms(client, settings, "hello"))


def test_the_phone_number_is_stored_only_encrypted_and_the_same_phone_reaches_the_same_conversation(client, settings):
    post_sms(client, settings, "first")
    post_sms(client, settings, "second")
    users = [m for m in _messages(settings) if m.direction.value == "user"]
    assert users[0].conversation_id == users[1].conversation_id

    async def dump(db):
        rows = []
        for table in ("sms_contacts", "messages", "conversations"):
            rows += [str(tuple(r)) for r in (await db.execute(text(f"SELECT * FROM {table}"))).all()]
        return " ".join(rows)

    raw = run_db(settings, dump)
    assert PHONE not in raw and PHONE[1:] not in raw and "7700900123" not in raw


def test_phone_numbers_never_reach_the_logs(client, settings, caplog):
    caplog.set_level("DEBUG")
    post_sms(client, settings, "hello", phone="+447700900999")
    post_sms(client, settings, "STOP", phone="+447700900999")
    assert "7700900999" not in caplog.text


def test_every_sms_text_the_service_can_send_fits_one_budget():
    longest = {"reference": "K7M-4QX-HT6", "position": 999, "when": "they are back on Wednesday at 09:00",
               "limit": 10000, "wait": "about 55 minutes"}
    texts = [" ".join(v["sms"].format(**longest).split()) for v in service_messages().values()]
    texts += [t for by_channel in get_responses().by_label.values() for t in [by_channel["sms"]]]
    assert texts and all(fits_sms(t) for t in texts)


def test_a_text_longer_than_the_assistant_reads_is_kept_whole_and_answered_with_help(client, settings):
    story = "It started in first year and I never told anyone about the messages he kept sending me. " * 40
    assert len(story) > settings.max_message_chars
    [reply, _privacy] = twiml_messages(post_sms(client, settings, story))
    assert "saved" in reply and "PERSON" in reply and "999" in reply and "116 123" in reply
    assert fits_sms(reply)
    assert [m.text for m in _messages(settings) if m.direction.value == "user"] == [story.strip()]


def test_a_crisis_at_the_end_of_a_long_text_gets_the_crisis_answer_and_flags_the_conversation(client, settings):
    story = "Sorry this is long, I have been meaning to write for weeks about my course and my flat. " * 30
    text = story + "I have taken all of my tablets tonight and I just want it to stop."
    replies = twiml_messages(post_sms(client, settings, text))
    assert "116 123" in replies[0] and "85258" in replies[0]  # the suicide and self-harm response
    stored = [m for m in _messages(settings) if m.direction.value == "user"]
    assert [m.text for m in stored] == [text] and "suicide_self_harm" in stored[0].extra["risk"]
    assert "suicide_self_harm" in _conversation(settings).risk_flags


def test_a_picture_without_words_is_told_we_cannot_see_it_not_that_the_message_was_empty(client, settings):
    """A photo (of an injury, a threat, a screenshot) sent with no words: the service cannot open it, and says so."""
    params = {**inbound_params(""), "NumMedia": "1", "MediaContentType0": "image/jpeg",
              "MediaUrl0": "https://api.twilio.com/2010-04-01/Accounts/AC0/Messages/MM0/Media/ME0"}
    response = client.post("/sms/inbound", data=params, headers={"X-Twilio-Signature": _signed(settings, params)})
    [reply] = twiml_messages(response)
    assert "picture" in reply and "words" in reply and "empty" not in reply
    assert "999" in reply and "116 123" in reply and fits_sms(reply)
    assert _messages(settings) == []  # no link to the picture is kept
    # A picture with words: the words are read as ever.
    params = {**inbound_params("i want to kill myself"), "NumMedia": "1"}
    response = client.post("/sms/inbound", data=params, headers={"X-Twilio-Signature": _signed(settings, params)})
    assert "116 123" in twiml_messages(response)[0]
    assert [m.text for m in _messages(settings) if m.direction.value == "user"] == ["i want to kill myself"]


def test_a_picture_sent_while_an_officer_has_the_text_conversation_is_shown_to_the_officer(client, settings):
    """The officer would otherwise wait for an answer the student thinks they sent: the officer sees that a picture
    came and what the student was told; the picture is not opened or kept."""
    with time_machine.travel(datetime(2026, 11, 24, 11, 0, tzinfo=ZoneInfo("Europe/London")), tick=True), \
            OnDuty(client, settings, "sam@example.ac.uk") as officer:
        post_sms(client, settings, "PERSON")
        public_id = _conversation(settings).public_id
        assert officer.post(f"/conversations/{public_id}/take").status_code == 200
        params = {**inbound_params(""), "MessageSid": "SMpicture1", "NumMedia": "1",
                  "MediaUrl0": "https://api.twilio.com/2010-04-01/Accounts/AC0/Messages/MM1/Media/ME1"}
        response = client.post("/sms/inbound", data=params, headers={"X-Twilio-Signature": _signed(settings, params)})
        [reply] = twiml_messages(response)
        assert "picture" in reply and "999" in reply
        shown = officer.get(f"/conversations/{public_id}").json()["messages"]
        assert shown[-1]["from"] == "system" and shown[-1]["text"] == reply
        assert not any("twilio.com" in m.text for m in _messages(settings))
        assert [m.text for m in _messages(settings) if m.direction.value == "user"] == ["PERSON"]


def test_a_picture_sent_while_the_assistant_has_the_text_conversation_is_noted_in_it(client, settings):
    """An officer who reads the conversation later (after a handover, or in the record) sees that a picture came and
    what the student was told; the next text is answered as ever, and the privacy notice is not sent twice."""
    first = twiml_messages(post_sms(client, settings, "hello"))
    assert any("delete" in reply.lower() for reply in first)  # the privacy notice, once
    params = {**inbound_params(""), "MessageSid": "SMpicture2", "NumMedia": "1",
              "MediaUrl0": "https://api.twilio.com/2010-04-01/Accounts/AC0/Messages/MM2/Media/ME2"}
    response = client.post("/sms/inbound", data=params, headers={"X-Twilio-Signature": _signed(settings, params)})
    [reply] = twiml_messages(response)
    assert "picture" in reply and "999" in reply
    stored = _messages(settings)
    assert stored[-1].direction.value == "system" and stored[-1].text == reply
    assert not any("twilio.com" in m.text for m in stored)
    later = twiml_messages(post_sms(client, settings, "what is consent"))
    assert later and not any("delete" in text.lower() for text in later)
    assert [m.text for m in _messages(settings) if m.direction.value == "user"] == ["hello", "what is consent"]


def test_bad_bodies_get_a_clear_answer(client, settings):
    assert "empty" in twiml_messages(post_sms(client, settings, "   "))[0]
    params = inbound_params("hello")
    del params["From"]
    response = client.post("/sms/inbound", data=params, headers={"X-Twilio-Signature": _signed(settings, params)})
    assert response.status_code == 400


def test_a_flood_gets_a_kind_message_and_every_text_is_kept(database_url):
    settings = Settings(database_url=database_url, rasa_url="http://127.0.0.1:9", rate_limit_messages=3,
                        _env_file=None)
    with TestClient(create_app(settings)) as client:
        replies = [twiml_messages(post_sms(client, settings, f"message {n}")) for n in range(5)]
    assert "faster than I can read" in replies[-1][0]
    assert sum(m.direction.value == "user" for m in _messages(settings)) == 5


def test_a_retry_of_a_text_over_the_rate_limit_is_answered_with_the_numbers_again(database_url):
    """Twilio sends a text again when our answer did not reach it: the answer to a text over the limit is not stored,
    so the retry is answered with it again, never with nothing."""
    settings = Settings(database_url=database_url, rasa_url="http://127.0.0.1:9", rate_limit_messages=1,
                        _env_file=None)
    with TestClient(create_app(settings)) as client:
        post_sms(client, settings, "first")
        over = twiml_messages(post_sms(client, settings, "i want to die", sid="SM" + "4" * 32))
        again = twiml_messages(post_sms(client, settings, "i want to die", sid="SM" + "4" * 32))
    assert "faster than I can read" in over[0] and again == over and "116 123" in again[0]
    assert sum(m.direction.value == "user" for m in _messages(settings)) == 2


# When the assistant is slow: answer now, send the rest through the REST API ---------------------------------


@pytest.fixture
def black_hole():
    """A server that accepts connections and never answers: an assistant that hangs."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held = []
    stop = threading.Event()

    def accept():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join()
    for connection in held:
        connection.close()
    server.close()


@contextmanager
def _twilio_and_a_hanging_assistant(database_url, rasa_url, digit, auth_token, **settings):
    """Texts go out through a stand-in for Twilio's REST API, and the assistant never answers."""
    standin = TwilioStandIn(account_sid="AC" + digit * 32, auth_token=auth_token).start()
    try:
        yield standin, Settings(
            database_url=database_url, rasa_url=rasa_url, twilio_account_sid=standin.account_sid,
            twilio_auth_token=standin.auth_token, twilio_api_base=standin.base_url, _env_file=None, **settings,
        )
    finally:
        standin.stop()


def test_a_slow_assistant_gets_a_holding_reply_within_seconds_and_the_answer_follows_by_rest(database_url, black_hole):
    with _twilio_and_a_hanging_assistant(database_url, black_hole, "1", "standin-token-1234567890",
                                         rasa_timeout=2.0, sms_reply_timeout=0.5,
                                         twilio_from_number="+447700900000") as (standin, settings):
        with TestClient(create_app(settings)) as client:
            started = time.monotonic()
            [holding, privacy] = twiml_messages(post_sms(client, settings, "hello"))
            assert "stay on your phone" in privacy
            assert time.monotonic() - started < 2.0
            assert "999" in holding and "saved" in holding
            deadline = time.monotonic() + 10
            while not standin.sent and time.monotonic() < deadline:
                time.sleep(0.1)
            assert standin.sent, "the late answer was not sent through the REST API"
            sms = standin.sent[0]
            assert sms.to == PHONE and "116 123" in sms.body and fits_sms(sms.body)
            assert sms.status_callback == f"{settings.public_url}/sms/status"
            # The row is written once Twilio has answered the send: wait for it rather than race it.
            outbound = run_db(settings, lambda db: db.scalar(select(SmsOutbound)))
            while (outbound is None or outbound.provider_sid is None) and time.monotonic() < deadline:
                time.sleep(0.1)
                outbound = run_db(settings, lambda db: db.scalar(select(SmsOutbound)))
            assert outbound is not None and outbound.provider_sid == sms.sid and outbound.status == "queued"
            # Twilio reports delivery: the status is recorded.
            params = {"MessageSid": sms.sid, "MessageStatus": "delivered", "AccountSid": standin.account_sid}
            signature = twilio_signature(settings.twilio_token, settings.public_url + "/sms/status", params)
            response = client.post("/sms/status", data=params, headers={"X-Twilio-Signature": signature})
            assert response.status_code == 204
            assert run_db(settings, lambda db: db.scalar(select(SmsOutbound.status))) == "delivered"
            forged = client.post("/sms/status", data=params, headers={"X-Twilio-Signature": "bad"})
            assert forged.status_code == 403


def _wait_for_outbound(settings, deadline: float) -> list[SmsOutbound]:
    rows: list[SmsOutbound] = []
    while not rows and time.monotonic() < deadline:
        time.sleep(0.1)
        rows = run_db(settings, lambda db: _all(db, select(SmsOutbound)))
    return rows


def test_a_late_answer_still_reaches_the_phone_when_twilio_is_briefly_unavailable(database_url, black_hole):
    with _twilio_and_a_hanging_assistant(database_url, black_hole, "5", "standin-token-5566778899",
                                         rasa_timeout=1.0, sms_reply_timeout=0.3) as (standin, settings):
        standin.unavailable_for = 2  # Twilio answers 503 twice, then takes the text
        with TestClient(create_app(settings)) as client:
            post_sms(client, settings, "hello")
            [outbound] = _wait_for_outbound(settings, time.monotonic() + 15)
        assert standin.unavailable_for == 0
        [sms] = standin.sent
        assert sms.to == PHONE and "116 123" in sms.body
        assert outbound.provider_sid == sms.sid and outbound.status == "queued" and outbound.error_code is None


def test_a_text_twilio_never_takes_is_recorded_as_failed_after_every_try(database_url, black_hole):
    with _twilio_and_a_hanging_assistant(database_url, black_hole, "6", "standin-token-9988776655",
                                         rasa_timeout=1.0, sms_reply_timeout=0.3) as (standin, settings):
        standin.unavailable_for = 5  # one more than the tries: the fifth would have been taken
        with TestClient(create_app(settings)) as client:
            post_sms(client, settings, "hello")
            [outbound] = _wait_for_outbound(settings, time.monotonic() + 20)
        assert standin.sent == [] and standin.unavailable_for == 1  # tried four times, then stopped
        assert outbound.status == "failed" and outbound.provider_sid is None
        assert outbound.error_code == "TwilioRestException"[:16]  # the column holds 16


def test_no_rest_message_goes_to_a_number_that_sent_stop(database_url, black_hole):
    with _twilio_and_a_hanging_assistant(database_url, black_hole, "2", "standin-token-0987654321",
                                         rasa_timeout=1.5, sms_reply_timeout=0.3) as (standin, settings):
        with TestClient(create_app(settings)) as client:
            post_sms(client, settings, "hello")
            post_sms(client, settings, "STOP")
            time.sleep(2.5)  # past the assistant's time-out, when the late answer would go out
        assert standin.sent == []
        contact = run_db(settings, lambda db: db.scalar(select(SmsContact)))
        assert contact.opted_out


def test_with_the_assistant_down_person_still_reaches_the_queue_by_sms(client, settings):
    with time_machine.travel(datetime(2026, 11, 24, 11, 0, tzinfo=ZoneInfo("Europe/London")), tick=True), \
            OnDuty(client, settings):
        replies = twiml_messages(post_sms(client, settings, "PERSON"))
    reply = " ".join(replies)
    assert "asked the welfare team" in reply and "number 1 in the queue" in reply and all(map(fits_sms, replies))


def test_a_crisis_text_after_the_officer_closed_gets_the_safety_reply_and_a_place_in_the_queue(client, settings):
    with time_machine.travel(datetime(2026, 11, 24, 11, 0, tzinfo=ZoneInfo("Europe/London")), tick=True):
        with OnDuty(client, settings) as officer:
            twiml_messages(post_sms(client, settings, "PERSON"))
            public_id = _conversation(settings).public_id
            assert officer.post(f"/conversations/{public_id}/take").status_code == 200
            assert officer.post(f"/conversations/{public_id}/close", json={
                "outcome": "support_given", "category": "harassment"}).status_code == 200
            replies = twiml_messages(post_sms(client, settings, "i dont want to be alive any more"))
            queue = officer.get("/queue").json()
    text = " ".join(replies)
    assert "116 123" in text and "999" in text and "number 1 in the queue" in text
    assert all(fits_sms(r) for r in replies)
    assert [row["conversation"] for row in queue] == [public_id] and queue[0]["risk_flags"]
    assert _conversation(settings).owner.value == "waiting"


def _conversation(settings):
    from handoff.conversations.models import Conversation

    return run_db(settings, lambda db: db.scalar(select(Conversation)))


def test_the_first_reply_of_a_conversation_says_texts_stay_on_the_phone_and_how_to_delete_them(client, settings):
    first = twiml_messages(post_sms(client, settings, "hello"))
    assert "stay on your phone" in first[-1] and "Delete" in first[-1] and fits_sms(first[-1])
    again = twiml_messages(post_sms(client, settings, "hello again"))
    assert not any("stay on your phone" in text for text in again)  # once per conversation


@pytest.mark.parametrize(("text", "command"), [
    ("STOP WAITING", True), ("stop waiting.", True), ("Callback", True), ("never mind", True),
    ("stop waiting hes outside my door with a knife", False), ("i cant stop waiting for him to come back", False),
    ("x" * 5000, False),
])
def test_only_a_whole_message_that_is_a_command_counts_as_our_own_words(text: str, command: bool) -> None:
    from handoff.content import is_command

    assert is_command(text) is command


def test_by_sms_a_command_with_a_crisis_beside_it_is_answered_as_a_crisis(client, settings):
    with time_machine.travel(datetime(2026, 11, 24, 11, 0, tzinfo=ZoneInfo("Europe/London")), tick=True), \
            OnDuty(client, settings):
        twiml_messages(post_sms(client, settings, "PERSON"))
        replies = twiml_messages(post_sms(client, settings, "stop waiting hes outside my door with a knife"))
    assert "999" in replies[0][:160]


def test_by_sms_stop_waiting_from_someone_not_waiting_says_there_is_nothing_to_stop(client, settings):
    """A student who has left the queue (or never joined it) and texts STOP WAITING is told so, with the way to a
    person; a crisis beside those words still gets the emergency answer."""
    with time_machine.travel(datetime(2026, 11, 24, 11, 0, tzinfo=ZoneInfo("Europe/London")), tick=True), \
            OnDuty(client, settings):
        first = twiml_messages(post_sms(client, settings, "STOP WAITING"))
        twiml_messages(post_sms(client, settings, "PERSON"))
        twiml_messages(post_sms(client, settings, "STOP WAITING"))
        again = twiml_messages(post_sms(client, settings, "stop waiting"))
        crisis = twiml_messages(post_sms(client, settings, "stop waiting hes outside my door with a knife"))
        in_passing = twiml_messages(post_sms(client, settings, "never mind"))  # said in passing, not our command
    for replies in (first, again):
        assert "nothing to stop" in replies[0] and "PERSON" in replies[0] and all(map(fits_sms, replies))
    assert _conversation(settings).owner.value == "bot"
    assert "999" in crisis[0][:160] and "nothing to stop" not in " ".join(crisis)
    assert in_passing and "nothing to stop" not in " ".join(in_passing)


def test_by_sms_stop_waiting_leaves_the_queue_and_says_so(client, settings):
    with time_machine.travel(datetime(2026, 11, 24, 11, 0, tzinfo=ZoneInfo("Europe/London")), tick=True), \
            OnDuty(client, settings):
        twiml_messages(post_sms(client, settings, "PERSON"))
        assert _conversation(settings).owner.value == "waiting"
        saved = twiml_messages(post_sms(client, settings, "ok"))
        assert "STOP WAITING" in saved[0] and "CALLBACK" in saved[0] and all(map(fits_sms, saved))
        left = twiml_messages(post_sms(client, settings, "STOP WAITING"))
    assert "left the queue" in left[0] and all(map(fits_sms, left))
    assert _conversation(settings).owner.value == "bot"
    assert not run_db(settings, lambda db: db.scalar(select(SmsContact.opted_out)))  # not an opt-out
