"""The conversation owner changes only through the state machine, and every change is recorded."""

import asyncio

import pytest
from sqlalchemy import select

from handoff.conversations import service, states
from handoff.conversations.enums import Channel, Owner
from handoff.conversations.models import Conversation

from ..db_helpers import events, run_db


def _new_conversation(settings) -> None:
    run_db(settings, lambda db: service.create(db_session=db, channel=Channel.webchat, institution_id="example"))


def test_a_full_handoff_writes_one_event_per_change(settings):
    _new_conversation(settings)
    from ..db_helpers import move_to

    move_to(settings, [Owner.waiting, Owner.human, Owner.bot, Owner.closed], actor="officer:1")
    rows = events(settings)
    assert [(e.from_owner, e.to_owner) for e in rows] == [
        (Owner.bot, Owner.waiting), (Owner.waiting, Owner.human), (Owner.human, Owner.bot), (Owner.bot, Owner.closed)
    ]
    assert all(e.actor == "officer:1" and e.created_at.tzinfo is not None for e in rows)


@pytest.mark.parametrize("path", [[Owner.human], [Owner.closed, Owner.bot], [Owner.closed, Owner.waiting]])
def test_changes_that_skip_a_step_or_reopen_are_refused(settings, path):
    _new_conversation(settings)
    from ..db_helpers import move_to

    with pytest.raises(states.TransitionRefused):
        move_to(settings, path)


def test_when_two_officers_take_the_same_conversation_at_once_exactly_one_wins(settings):
    _new_conversation(settings)
    from ..db_helpers import move_to

    move_to(settings, [Owner.waiting])

    async def race(db_factory):
        async def take(officer: str):
            async with db_factory() as db:
                conversation = await db.scalar(select(Conversation))
                try:
                    await states.transition(db_session=db, conversation=conversation, to=Owner.human, actor=officer)
                    return officer
                except states.TransitionRefused:
                    return None

        return await asyncio.gather(take("officer:a"), take("officer:b"))

    from handoff.core.db import create_engine, create_sessionmaker

    async def go():
        engine = create_engine(settings.async_database_url)
        try:
            return await race(create_sessionmaker(engine))
        finally:
            await engine.dispose()

    winners = [w for w in asyncio.run(go()) if w]
    assert len(winners) == 1
    takes = [e for e in events(settings) if e.to_owner == Owner.human]
    assert len(takes) == 1 and takes[0].actor == winners[0]
