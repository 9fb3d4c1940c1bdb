"""Sign officers in and drive the console API as the console page does."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from handoff.officers import service as officers
from handoff.officers.models import Role

from .db_helpers import run_db

PASSWORD = "a long enough password"


def create_officer(settings, email: str, role: Role = Role.welfare_officer, on_duty: bool = True) -> None:
    async def go(db):
        officer = await officers.create(db_session=db, email=email, display_name=email.split("@")[0].title(),
                                        role=role, password=PASSWORD)
        officer.on_duty = on_duty
        await db.commit()

    run_db(settings, go)


def form_token(client: TestClient, path: str = "/console") -> str:
    """The form token a console page gives this client (its cookie is kept in the client)."""
    match = re.search(r'name="csrf" value="([^"]+)"', client.get(path).text)
    assert match, "the page has no form token"
    return match.group(1)


class Console:
    """One officer's browser session on the shared test client: its own cookie and CSRF token."""

    def __init__(self, client: TestClient, email: str) -> None:
        self.client = client
        client.cookies.clear()
        response = client.post("/console/login", data={"email": email, "password": PASSWORD,
                                                        "csrf": form_token(client)}, follow_redirects=False)
        assert response.status_code == 303, response.text
        self.cookie = response.cookies["officer_session"]
        self.csrf_cookie = client.cookies.get("console_csrf")  # a browser keeps its token's cookie as well
        self.me = self.get("/me").json()
        self.headers = {"X-CSRF-Token": self.me["csrf_token"]}
        self.socket = None  # the console's live socket, when a test holds one open (OnDuty)

    def _use(self) -> None:
        self.client.cookies.clear()
        self.client.cookies.set("officer_session", self.cookie)
        if self.csrf_cookie:
            self.client.cookies.set("console_csrf", self.csrf_cookie)

    def get(self, path: str):
        self._use()
        return self.client.get(f"/api/console{path}")

    def post(self, path: str, json: dict | None = None, headers: dict | None = None):
        self._use()
        return self.client.post(f"/api/console{path}", json=json or {}, headers=self.headers if headers is None
                                else headers)


class OnDuty:
    """An officer on duty with the console open: signed in, switched on, and its live socket held open.

    On duty counts only while a console socket is open, so a test that needs someone to come keeps one.
    """

    def __init__(self, client: TestClient, settings, email: str = "sam@example.ac.uk", create: bool = True) -> None:
        if create:
            create_officer(settings, email)
        self.console = Console(client, email)
        self.console._use()
        self._socket_cm = client.websocket_connect("/ws/console")
        self.socket = self._socket_cm.__enter__()
        duty = self.socket.receive_json()
        assert duty["type"] == "duty"
        self.console.socket = self.socket

    def close(self) -> None:
        self._socket_cm.__exit__(None, None, None)

    def __enter__(self) -> Console:
        return self.console

    def __exit__(self, *exc) -> None:
        self.close()
