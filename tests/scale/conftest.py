"""One cluster for the module: two service workers, two Rasa servers, one action server, on a PostgreSQL and a
Redis of its own (so the fault tests can restart them without disturbing anyone else)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from cluster import Cluster, PrivatePostgres, PrivateRedis, running_cluster
from processes import MODEL, create_officer

from .clients import PASSWORD

# data/institutions/example.yml: the welfare team is in Monday to Friday, 09:00 to 17:00 (a Tuesday, no bank holiday).
IN_OFFICE_HOURS = datetime(2026, 11, 24, 11, 0, tzinfo=ZoneInfo("Europe/London"))
OFFICER = "officer@example.ac.uk"


def _missing() -> str | None:
    if not MODEL.exists():
        return "no trained model (make train)"
    for program in ("redis-server", "runuser"):
        if shutil.which(program) is None:
            return f"{program} is not installed"
    if not list(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl")):
        return "PostgreSQL server binaries are not installed (/usr/lib/postgresql/*/bin)"
    return None


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    reason = _missing()
    if reason:
        pytest.skip(reason)
    logs = tmp_path_factory.mktemp("cluster")
    postgres = PrivatePostgres().start()
    redis = PrivateRedis(logs / "redis").start()
    try:
        with running_cluster(logs, postgres=postgres, redis=redis, travel_to=IN_OFFICE_HOURS,
                             HANDOFF_WAIT_LIMIT="3600") as running:
            create_officer(running.database_url, OFFICER, "Sam Officer", PASSWORD, on_duty=True)
            yield running
    finally:
        redis.stop()
        postgres.remove()
