"""Fixtures: a real database per test (SQLite, and PostgreSQL when TEST_DATABASE_URL is set)."""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from handoff.core.config import Settings
from handoff.core.migrate import upgrade
from handoff.main import create_app

CLOSED_PORT_URL = "http://127.0.0.1:9"  # nothing listens on the discard port: the assistant is "down"


def _backends() -> list[str]:
    backends = ["sqlite"]
    if os.environ.get("TEST_DATABASE_URL"):
        backends.append("postgres")
    return backends


async def _admin(url: str, statement: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@pytest.fixture(params=_backends())
def database_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """A migrated, empty database that exists only for this test."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/handoff.db"
        upgrade(Settings(database_url=url).async_database_url)
        yield url
        return
    base = os.environ["TEST_DATABASE_URL"]
    name = f"handoff_test_{secrets.token_hex(4)}"
    asyncio.run(_admin(base, f'CREATE DATABASE "{name}"'))
    url = base.rsplit("/", 1)[0] + f"/{name}"
    try:
        upgrade(Settings(database_url=url).async_database_url)
        yield url
    finally:
        asyncio.run(_admin(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, rasa_url=CLOSED_PORT_URL, rasa_timeout=2.0, _env_file=None)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture
def own_profile(monkeypatch: pytest.MonkeyPatch, tmp_path) -> str:
    """An institution's own profile, as production needs (the shipped ones are fictional): a copy of
    harbourside-college without ``modelled_on``, under its own id, in a folder INSTITUTIONS_DIR names."""
    import yaml

    root = Path(__file__).resolve().parents[2]
    data = yaml.safe_load((root / "data" / "institutions" / "harbourside-college.yml").read_text(encoding="utf-8"))
    del data["modelled_on"]
    data["id"] = "our-college"
    folder = tmp_path / "own-institutions"
    folder.mkdir()
    (folder / "our-college.yml").write_text(yaml.safe_dump(data), encoding="utf-8")
    monkeypatch.setenv("INSTITUTIONS_DIR", str(folder))
    return "our-college"
