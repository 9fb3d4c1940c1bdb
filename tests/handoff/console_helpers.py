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
        self.me = self.get("/me").json()
        self.headers = {"X-CSRF-Token": self.me["csrf_token"]}

    def _use(self) -> None:
        self.client.cookies.clear()
        self.client.cookies.set("officer_session", self.cookie)

    def get(self, path: str):
        self._use()
        return self.client.get(f"/api/console{path}")

    def post(self, path: str, json: dict | None = None, headers: dict | None = None):
        self._use()
        return self.client.post(f"/api/console{path}", json=json or {}, headers=self.headers if headers is None
                                else headers)
