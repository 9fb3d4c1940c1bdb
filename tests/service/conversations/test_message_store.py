"""The turn's writes: each message once, in order, encrypted; the assistant's words only while it may speak."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy import text

from handoff.conversations import service, states
from handoff.conversations.enums import Channel, Direction, Owner
from handoff.conversations.store import Draft, DuplicateMessage, MessageStore, create_message_store
from handoff.core import crypto
from handoff.core.crypto import Vault
from handoff.core.db import create_engine, create_sessionmaker


def _with_store(settings, work: Callable[[MessageStore, Any, Any], Awaitable[Any]]) -> Any:
    """Run ``work(store, sessions, conversation)`` on a fresh conversation of the test database."""

    async def go():
        crypto.configure(Vault.from_settings(settings))
        engine = create_engine(settings.async_database_url)
        store = create_message_store(engine)
        sessions = create_sessionmaker(engine)
        try:
            async with sessions() as db:
                conversation, _ = await service.create(db_session=db, channel=Channel.webchat,
                                                       institution_id="example")
            return await work(store, sessions, conversation)
        finally:
            await store.aclose()
            await engine.dispose()

    return asyncio.run(go())


async def _stored_rows(sessions, conversation_id: int) -> list[tuple[int, str, str]]:
    async with sessions() as db:
        messages = await service.messages_after(db_session=db, conversation_id=conversation_id)
    return [(m.seq, m.direction.value, m.text) for m in messages]


def test_a_resent_message_is_refused_and_nothing_new_is_stored(settings):
    async def work(store, sessions, conversation):
        first = await store.store(conversation_id=conversation.id, direction=Direction.user,
                                  drafts=[Draft("hello", client_message_id="c1")])
        with pytest.raises(DuplicateMessage):
            await store.store(conversation_id=conversation.id, direction=Direction.user,
                              drafts=[Draft("hello", client_message_id="c1")])
        after = await store.store(conversation_id=conversation.id, direction=Direction.user,
                                  drafts=[Draft("and another", client_message_id="c2")])
        return first, after, await _stored_rows(sessions, conversation.id)

    first, after, rows = _with_store(settings, work)
    assert first.owner == Owner.bot and first.messages[0].seq == 1
    assert after.messages[0].seq == 2  # the refused resend took no position
    assert rows == [(1, "user", "hello"), (2, "user", "and another")]


def test_a_turns_replies_take_the_next_positions_and_are_encrypted_at_rest(settings):
    async def work(store, sessions, conversation):
        await store.store(conversation_id=conversation.id, direction=Direction.user, drafts=[Draft("hi")])
        replies = await store.store(
            conversation_id=conversation.id, direction=Direction.assistant, assistant_turn=True,
            drafts=[Draft("First part of the answer"), Draft("Second part", {"buttons": [{"title": "More",
                                                                                        "payload": "/more"}]})],
        )
        async with sessions() as db:
            raw = (await db.execute(text("SELECT text FROM messages ORDER BY seq"))).scalars().all()
            stored = await service.messages_after(db_session=db, conversation_id=conversation.id)
        return replies, raw, stored

    replies, raw, stored = _with_store(settings, work)
    assert [(m.seq, m.text) for m in replies.messages] == [(2, "First part of the answer"), (3, "Second part")]
    assert [m.text for m in stored] == ["hi", "First part of the answer", "Second part"]
    assert stored[2].extra == {"buttons": [{"title": "More", "payload": "/more"}]}
    assert not any("answer" in value or "hi" == value for value in raw)  # only ciphertext in the table


@pytest.mark.parametrize("owner", [Owner.human, Owner.closed])
def test_the_assistants_words_are_not_stored_once_an_officer_has_the_conversation_or_it_closed(settings, owner):
    async def work(store, sessions, conversation):
        async with sessions() as db:
            path = [Owner.waiting, Owner.human] if owner == Owner.human else [Owner.closed]
            for step in path:
                await states.transition(db_session=db, conversation=conversation, to=step, actor="test")
        refused = await store.store(conversation_id=conversation.id, direction=Direction.assistant,
                                    drafts=[Draft("too late")], assistant_turn=True)
        person = await store.store(conversation_id=conversation.id, direction=Direction.officer,
                                   drafts=[Draft("I'm here")])
        return refused, person, await store.owner_of(conversation.id), await _stored_rows(sessions, conversation.id)

    refused, person, now, rows = _with_store(settings, work)
    assert refused is None
    assert person is not None and person.owner == owner and now == owner
    assert rows == [(1, "officer", "I'm here")]


def test_messages_stored_at_the_same_moment_get_distinct_consecutive_positions(settings):
    async def work(store, sessions, conversation):
        await asyncio.gather(*(
            store.store(conversation_id=conversation.id, direction=Direction.user,
                        drafts=[Draft(f"message {i}", client_message_id=f"c{i}")])
            for i in range(20)
        ))
        return await _stored_rows(sessions, conversation.id)

    rows = _with_store(settings, work)
    assert [seq for seq, _, _ in rows] == list(range(1, 21))
    assert sorted(body for _, _, body in rows) == sorted(f"message {i}" for i in range(20))


def test_a_conversation_that_is_gone_stores_nothing_and_has_no_owner(settings):
    async def work(store, _sessions, _conversation):
        return (await store.store(conversation_id=10**9, direction=Direction.user, drafts=[Draft("x")]),
                await store.owner_of(10**9))

    assert _with_store(settings, work) == (None, None)
