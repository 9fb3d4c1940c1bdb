"""/services and /services.json take any nation in the address without failing, and only ever list one
nation's services or the whole UK's."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handoff.services_page import router

NATIONS = {"england", "wales", "scotland", "northern_ireland"}


def _client() -> TestClient:
    app = FastAPI()
    app.include_router(router)
    return TestClient(app)


CLIENT = _client()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300) | st.sampled_from(["wales", "uk", "WALES", "../etc", "england%00", "<script>"]))
def test_any_nation_in_the_address_is_answered(asked: str) -> None:
    data = CLIENT.get("/services.json", params={"nation": asked}).json()
    assert data["nation"] in NATIONS | {None}
    if asked in NATIONS:
        assert data["nation"] == asked
    page = CLIENT.get("/services", params={"nation": asked})
    assert page.status_code == 200 and "<script>" not in page.text


def test_the_institutions_nation_is_the_default_and_uk_lists_everything() -> None:
    assert CLIENT.get("/services.json").json()["nation"] == "england"  # data/institutions/example.yml
    everything = CLIENT.get("/services.json", params={"nation": "uk"}).json()
    assert everything["nation"] is None
    assert {"sarc_england", "sarc_wales", "sarcs_scotland", "sarc_northern_ireland"} <= set(everything["services"])
