"""Once a welfare officer has the conversation, the assistant says nothing more, even an answer already on its way.

The real Rasa answers; a loopback proxy in front of it can hold an answer back, so that an officer takes the
conversation while the assistant's reply is still travelling (with the real timing this window is a few
milliseconds wide, too narrow to hit on purpose).
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator

import pytest
from chat_client import is_ack, message_frame
from starlette.testclient import TestClient

from handoff.conversations.enums import Direction, Owner
from handoff.core.config import Settings
from handoff.core.migrate import upgrade
from handoff.main import create_app
from tests.service.chat_helpers import hello, is_assistant_message, receive_until
from tests.service.db_helpers import messages, move_to


class HeldAnswers:
    """Passes requests to the upstream server at once; while ``hold()`` is on, keeps its answers back."""

    def __init__(self, upstream_url: str) -> None:
        host, _, port = upstream_url.removeprefix("http://").partition(":")
        self.upstream = (host, int(port))
        self.answer_waiting = threading.Event()
        self._passing = threading.Event()
        self._passing.set()
        self._listener = socket.create_server(("127.0.0.1", 0))
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}"

    def hold(self) -> None:
        self.answer_waiting.clear()
        self._passing.clear()

    def release(self) -> None:
        self._passing.set()

    def _accept(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                client, _ = self._listener.accept()
                upstream = socket.create_connection(self.upstream, timeout=30)
                threading.Thread(target=self._pipe, args=(client, upstream, False), daemon=True).start()
                threading.Thread(target=self._pipe, args=(upstream, client, True), daemon=True).start()

    def _pipe(self, source: socket.socket, target: socket.socket, answers: bool) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                if answers and not self._passing.is_set():
                    self.answer_waiting.set()
                    self._passing.wait()
                target.sendall(data)
        for sock in (source, target):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self._passing.set()
        self._listener.close()


@pytest.fixture
def held(system) -> Iterator[HeldAnswers]:
    proxy = HeldAnswers(system.rasa_url)
    yield proxy
    proxy.close()


def test_an_answer_still_on_its_way_when_an_officer_takes_over_is_never_shown(system, held, tmp_path):
    database_url = f"sqlite:///{tmp_path}/handoff.db"
    settings = Settings(database_url=database_url, rasa_url=held.url, rasa_channel_token=system.channel_token,
                        rasa_timeout=30, _env_file=None)
    upgrade(settings.async_database_url)
    with TestClient(create_app(settings)) as client, client.websocket_connect("/ws/chat") as ws:
        hello(ws)
        # While the assistant has the conversation, its answer is shown.
        ws.send_json(message_frame("hello", client_id="a"))
        receive_until(ws, is_assistant_message)

        held.hold()
        ws.send_json(message_frame("what does consent mean", client_id="b"))
        assert held.answer_waiting.wait(30), "Rasa did not answer"
        move_to(settings, [Owner.waiting, Owner.human], actor="officer:1")  # an officer takes over meanwhile
        held.release()
        # The officer hands back; the next message is answered once the held turn is over (turns keep their order).
        move_to(settings, [Owner.bot], actor="officer:1")
        ws.send_json(message_frame("is this confidential", client_id="c"))
        acks: dict[str, int] = {}

        def answer_to_c(event: dict) -> bool:
            if is_ack(event):
                acks[event["client_id"]] = event["seq"]
            return is_assistant_message(event) and "c" in acks and event["seq"] > acks["c"]

        events = receive_until(ws, answer_to_c, limit=60)

    shown = [e for e in events if e["type"] == "message" and e["seq"] >= acks["b"]]
    assert [(e["from"], e.get("client_id")) for e in shown[:2]] == [("user", "b"), ("user", "c")]
    stored = messages(settings)
    b = next(m for m in stored if m.client_message_id == "b")
    after_b = [m for m in stored if m.seq > b.seq]
    assert after_b[0].client_message_id == "c" and after_b[0].direction == Direction.user
    assert all(m.direction == Direction.assistant for m in after_b[1:]) and len(after_b) > 1
