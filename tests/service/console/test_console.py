"""Signing in to the officer console."""

import asyncio

import pytest

from handoff.core.db import create_engine, create_sessionmaker
from handoff.officers import service as officers
from handoff.officers.models import Role

from ..console_helpers import form_token

PASSWORD = "a long enough password"


@pytest.fixture
def officer(settings):
    async def run():
        engine = create_engine(settings.async_database_url)
        async with create_sessionmaker(engine)() as db:
            await officers.create(
                db_session=db, email="Sam@Example.ac.uk", display_name="Sam", role=Role.welfare_officer,
                password=PASSWORD,
            )
        await engine.dispose()

    asyncio.run(run())
    return "sam@example.ac.uk"


def test_the_console_asks_for_sign_in(client):
    response = client.get("/console")
    assert response.status_code == 200 and "Sign in" in response.text


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(client, officer):
    response = client.post("/console/login", data={"email": officer, "password": "wrong password!",
                                                   "csrf": form_token(client)})
    assert response.status_code == 401
    assert "did not match" in response.text
    assert "officer_session" not in response.headers.get("set-cookie", "")


def test_sign_in_shows_the_queue_and_sign_out_ends_the_session_on_the_server(client, officer):
    response = client.post("/console/login", data={"email": officer, "password": PASSWORD, "csrf": form_token(client)},
                           follow_redirects=False)
    assert response.status_code == 303
    cookie = response.cookies["officer_session"]
    assert "httponly" in response.headers["set-cookie"].lower()
    assert "samesite=strict" in response.headers["set-cookie"].lower()
    queue = client.get("/console")
    assert "Live queue" in queue.text and "Sam" in queue.text
    client.post("/console/logout", data={"csrf": form_token(client)})
    client.cookies.set("officer_session", cookie)  # an old copy of the cookie no longer works
    assert "Sign in" in client.get("/console").text


def test_passwords_are_stored_as_argon2id(settings, officer):
    from sqlalchemy import select

    from handoff.officers.models import Officer

    async def run():
        engine = create_engine(settings.async_database_url)
        async with create_sessionmaker(engine)() as db:
            stored = await db.scalar(select(Officer.password_hash))
        await engine.dispose()
        return stored

    assert asyncio.run(run()).startswith("$argon2id$")


def test_the_console_page_carries_the_sms_rules_from_safety_gsm_as_data_not_script(client, officer):
    import json
    import re
    from pathlib import Path

    from safety.gsm import browser_rules

    client.post("/console/login", data={"email": officer, "password": PASSWORD, "csrf": form_token(client)})
    html = client.get("/console").text
    found = re.search(r'<script type="application/json" id="sms-rules">(.*?)</script>', html, re.S)
    assert found and json.loads(found.group(1)) == browser_rules()
    assert all('type="application/json"' in tag or "src=" in tag for tag in re.findall(r"<script[^>]*>", html))
    modules = sorted((Path(__file__).parents[3] / "handoff" / "static" / "console").glob("*.js"))
    assert any(module.name == "main.js" for module in modules)
    script = "\n".join(module.read_text() for module in modules)
    assert "ÄÖÑÜ" not in script and "320" not in script  # the one copy is safety/gsm.py
