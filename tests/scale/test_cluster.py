"""Several workers and several Rasa servers, and what happens when parts of them fail.

One cluster serves the module (starting it takes most of the time); the tests run in order and the later
ones break things for good (a Rasa server, then a worker). Every fault test checks the same promise: every
message the service acknowledged (an ack on the chat socket, a 200 for an officer's reply) is there exactly
once for both people, and nothing arrives twice on one socket.
"""

from __future__ import annotations

import asyncio
import re

import pytest
from cluster import Cluster

from .clients import Officer, Student
from .conftest import OFFICER

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]
OFFICER_JOINED = "A welfare officer has joined the conversation."
REFERENCE = re.compile(r"Your reference is [A-Z2-9]{3}-[A-Z2-9]{3}")


def _buttons(message: dict) -> set[str]:
    return {button.get("payload", "") for button in message.get("buttons", [])}


async def _ask_for_a_person(student: Student) -> None:
    """Asks for a person and answers the assistant's two questions, each once it has been asked, until the reference
    comes. Each answer waits for its question, not for a pause in the replies: on a busy machine the assistant can
    take longer than a pause, and an answer sent before its question is read out of turn. A failure lists every
    message the student has."""
    seq = await student.send("can I talk to a real person")
    await student.wait_for(lambda m: m["seq"] > seq and "/affirm" in _buttons(m), 60)
    seq = await student.send("Yes, share it", payload="/affirm")
    await student.wait_for(lambda m: m["seq"] > seq and "/goal_talk" in _buttons(m), 60)
    seq = await student.send("Just talk", payload="/goal_talk")
    await student.wait_for(lambda m: m["seq"] > seq and REFERENCE.search(m["text"]) is not None, 60)


async def _handed_over(cluster: Cluster, student_worker: int, officer_worker: int) -> tuple[Student, Officer, str]:
    """A student on one worker asks for a person; the officer, on another, takes the conversation."""
    officer = Officer(OFFICER)
    await officer.sign_in(cluster.worker_urls[officer_worker])
    await officer.open_console()
    known = {row["conversation"] for row in await officer.queue()}
    student = Student()
    await student.connect(cluster.worker_urls[student_worker])
    await _ask_for_a_person(student)
    # The queue changes reach the officer's console on the other worker.
    joined = await officer.wait_for_event(lambda e: e.get("type") == "joined" and e["conversation"] not in known)
    public_id = joined["conversation"]
    await officer.take(public_id)
    await student.wait_for(lambda m: m["text"].startswith(OFFICER_JOINED), 20)
    await officer.watch(public_id)
    return student, officer, public_id


async def _assert_exactly_once(student: Student, officer: Officer, public_id: str, from_student: list[str],
                               from_officer: list[str]) -> None:
    """Each acknowledged message is stored once and the student's page shows each once, with no gaps."""
    for text in from_officer:
        await student.wait_for(lambda m, text=text: m["text"] == text, 30)
    transcript = await officer.transcript(public_id)
    stored = [m["text"] for m in transcript]
    for text in from_student + from_officer:
        assert stored.count(text) == 1, (text, stored)
    for text in from_officer:
        assert student.count(text) == 1, text
    assert [m["seq"] for m in transcript] == list(range(transcript[0]["seq"], transcript[-1]["seq"] + 1))
    assert student.contiguous >= max(m["seq"] for m in transcript if m["text"] in from_officer)
    assert student.duplicates_on_a_socket == []
    assert officer.duplicates_on_a_socket == []


async def test_a_student_on_one_worker_and_an_officer_on_another_talk_both_ways(cluster: Cluster):
    student, officer, public_id = await _handed_over(cluster, student_worker=0, officer_worker=1)
    seq = await student.send("Hello, this is the student on the first worker")
    live = await officer.wait_for_event(lambda e: e.get("type") == "message" and e.get("seq") == seq)
    assert live["conversation"] == public_id and live["from"] == "user"
    await officer.reply(public_id, "Hello, this is the officer on the second worker")
    await _assert_exactly_once(student, officer, public_id, ["Hello, this is the student on the first worker"],
                               ["Hello, this is the officer on the second worker"])
    assert officer.live_messages(public_id)[seq] == 1
    await student.disconnect()
    await officer.close_console()


async def test_both_rasa_servers_keep_one_copy_of_a_conversation_that_expires_with_the_retention_period(
        cluster: Cluster):
    import redis

    student = Student()
    await student.connect(cluster.worker_urls[0])
    intro = await student.turn("can I talk to a real person")  # answered by Rasa server 0
    assert "real person" in " ".join(m["text"] for m in intro)
    await student.connect(cluster.worker_urls[1])
    # Rasa server 1 carries on where server 0 left off: the "yes" answers server 0's question.
    offer = await student.turn("Yes, share it", payload="/affirm")
    assert any("/goal_talk" in _buttons(m) for m in offer)

    trackers = redis.Redis.from_url(cluster.env["RASA_TRACKER_STORE_URL"])
    try:
        keys = trackers.keys(f"{cluster.env['RASA_TRACKER_KEY_PREFIX']}:tracker:*")
        assert len(keys) >= 1
        # 30 days (data/institutions/example.yml, conversations without a case), counted from the last message.
        assert all(2592000 - 600 < trackers.ttl(key) <= 2592000 for key in keys)
    finally:
        trackers.close()
    await student.disconnect()


async def test_the_service_carries_on_when_postgresql_restarts_mid_conversation(cluster: Cluster):
    assert cluster.postgres is not None
    student, officer, public_id = await _handed_over(cluster, student_worker=0, officer_worker=1)
    await student.send("Before the database restart")
    await officer.reply(public_id, "Officer before the database restart")

    restart = asyncio.create_task(asyncio.to_thread(cluster.postgres.restart, "fast", 2.0))
    await asyncio.sleep(0.5)  # the database is going down now: the student keeps typing
    await student.send("While the database restarts")
    await restart
    # No worker was restarted: their pools drop dead connections and the next request just works.
    await officer.reply(public_id, "Officer after the database restart")
    await student.send("After the database restart")
    await _assert_exactly_once(
        student, officer, public_id,
        ["Before the database restart", "While the database restarts", "After the database restart"],
        ["Officer before the database restart", "Officer after the database restart"],
    )
    await student.disconnect()
    await officer.close_console()


async def test_the_service_carries_on_when_redis_restarts_and_everyone_catches_up(cluster: Cluster):
    assert cluster.redis is not None
    student, officer, public_id = await _handed_over(cluster, student_worker=0, officer_worker=1)
    seq = await student.send("Before Redis restarts")
    await officer.wait_for_event(lambda e: e.get("type") == "message" and e.get("seq") == seq)

    await asyncio.to_thread(cluster.redis.stop)
    # Both people keep writing while the workers cannot reach each other: everything is stored and acknowledged.
    await student.send("While Redis is away")
    await officer.reply(public_id, "Officer while Redis is away")
    await asyncio.to_thread(cluster.redis.start)

    # The student's worker resubscribes and resends what the student missed, from the database.
    await student.wait_for(lambda m: m["text"] == "Officer while Redis is away", 30)
    # The console is told to reconnect (close code 1012); like the console page, it reconnects and reloads.
    await officer.wait_for_event(lambda e: e.get("text") == "While Redis is away", 30)
    assert 1012 in officer.closes, officer.closes

    # Live again, both ways.
    await asyncio.sleep(0.5)
    seq = await student.send("After Redis is back")
    await officer.wait_for_event(lambda e: e.get("type") == "message" and e.get("seq") == seq)
    await officer.reply(public_id, "Officer after Redis is back")
    await _assert_exactly_once(
        student, officer, public_id, ["Before Redis restarts", "While Redis is away", "After Redis is back"],
        ["Officer while Redis is away", "Officer after Redis is back"],
    )
    await student.disconnect()
    await officer.close_console()


async def test_when_a_rasa_server_dies_the_student_gets_the_fallback_and_still_reaches_a_person(cluster: Cluster):
    officer = Officer(OFFICER)
    await officer.sign_in(cluster.worker_urls[0])
    await officer.open_console()
    student = Student()
    await student.connect(cluster.worker_urls[1])
    assert await student.turn("hello")  # the second worker's Rasa server answers

    await asyncio.to_thread(cluster.rasa[1].kill)
    fallback = " ".join(m["text"] for m in await student.turn("what does consent mean"))
    assert "not answering" in fallback and "999" in fallback and "Samaritans" in fallback

    # The student's next connection lands on the first worker (as behind a load balancer): its Rasa server
    # carries on the same conversation from the shared tracker store, and the student reaches a person.
    known = {row["conversation"] for row in await officer.queue()}
    welcome = await student.connect(cluster.worker_urls[0])
    assert welcome["resumed"] is True
    await _ask_for_a_person(student)
    joined = await officer.wait_for_event(lambda e: e.get("type") == "joined" and e["conversation"] not in known)
    await officer.take(joined["conversation"])
    await student.wait_for(lambda m: m["text"].startswith(OFFICER_JOINED), 20)
    await officer.reply(joined["conversation"], "A person, even with one assistant down")
    await student.wait_for(lambda m: m["text"] == "A person, even with one assistant down", 20)
    await student.disconnect()
    await officer.close_console()


async def test_with_the_assistant_down_asking_for_a_person_still_reaches_the_queue(cluster: Cluster):
    assert not cluster.rasa[1].running  # killed by the test before
    officer = Officer(OFFICER)
    await officer.sign_in(cluster.worker_urls[0])
    known = {row["conversation"] for row in await officer.queue()}
    student = Student()
    await student.connect(cluster.worker_urls[1])
    await student.turn("talk to a person", quiet=2)
    for _ in range(40):  # the service opens the case itself; on a busy machine that can take a few seconds
        if {row["conversation"] for row in await officer.queue()} - known:
            break
        await asyncio.sleep(0.5)
    assert {row["conversation"] for row in await officer.queue()} - known
    await student.disconnect()


async def test_killing_a_worker_mid_conversation_loses_and_repeats_nothing(cluster: Cluster):
    student, officer, public_id = await _handed_over(cluster, student_worker=0, officer_worker=1)
    await student.send("Before the crash")
    await officer.reply(public_id, "Officer before the crash")
    await student.wait_for(lambda m: m["text"] == "Officer before the crash", 20)

    in_flight = await student.send_without_waiting("Sent just as the worker died")
    await asyncio.to_thread(cluster.workers[0].kill)
    await officer.reply(public_id, "Officer while the student reconnects")

    # The page reconnects to the other worker with its token, and sends again what was never acknowledged.
    second = [cluster.worker_urls[1]]
    await student.send("Sent just as the worker died", client_id=in_flight, urls=second)
    assert student.welcomes[-1]["resumed"] is True and student.url == cluster.worker_urls[1]
    seq = await student.send("After moving to the other worker", urls=second)
    await officer.wait_for_event(lambda e: e.get("type") == "message" and e.get("seq") == seq)
    await officer.reply(public_id, "Officer after the move")
    await _assert_exactly_once(
        student, officer, public_id,
        ["Before the crash", "Sent just as the worker died", "After moving to the other worker"],
        ["Officer before the crash", "Officer while the student reconnects", "Officer after the move"],
    )
    await student.disconnect()
    await officer.close_console()
