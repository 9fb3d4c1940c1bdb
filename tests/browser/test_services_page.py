"""The /services page in a real browser: by need, open now, the Nightline, accessible, no JavaScript needed,
nothing from other sites, printable; linked from the chat page; the same data as JSON.

Only the handoff service runs (no assistant): its clock starts at 23:00 on a Tuesday in term.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect
from processes import base_env, free_port, handoff_process, migrate, wait_until_ready

from .axe import assert_accessible
from .helpers import Browsing

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# data/institutions/example.yml: in England; its Nightline is open 20:00 to 08:00 on term nights (autumn term
# 21 September to 11 December 2026).
TUESDAY_NIGHT_IN_TERM = datetime(2026, 12, 1, 23, 0, tzinfo=ZoneInfo("Europe/London"))


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    logs: Path = tmp_path_factory.mktemp("services-page")
    port = free_port()
    database_url = f"sqlite:///{logs}/handoff.db"
    migrate(database_url, base_env())
    process = handoff_process(port, database_url, f"http://127.0.0.1:{free_port()}", logs, name="services-handoff",
                              travel_to=TUESDAY_NIGHT_IN_TERM).start()
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until_ready(f"{url}/health", [process])
        yield url
    finally:
        process.stop()


@pytest.fixture
def without_js(browser: Browser) -> Iterator[Browsing]:
    """A phone-sized browser with JavaScript turned off."""
    browsing = Browsing(browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844}))
    yield browsing
    browsing.context.close()


def _contrast(page: Page, selector: str) -> float:
    """WCAG contrast ratio of the first match's text colour on the page background."""
    return page.evaluate(
        """(selector) => {
          const lum = (rgb) => { const [r, g, b] = rgb.match(/\\d+/g).slice(0, 3).map(Number).map(v => {
            v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
            return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
          const el = document.querySelector(selector);
          const fg = lum(getComputedStyle(el).color), bg = lum(getComputedStyle(document.body).backgroundColor);
          return (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
        }""",
        selector,
    )


def test_the_page_lists_services_by_need_with_who_is_open_now(service: str, browsing: Browsing) -> None:
    page = browsing.new_page()
    response = page.goto(f"{service}/services")
    assert response is not None and response.ok
    assert response.headers["content-security-policy"].startswith("default-src 'self'; script-src 'self'")
    expect(page.get_by_role("heading", level=1)).to_have_text("Support services in England")
    for landmark in ("banner", "main", "navigation", "contentinfo"):
        expect(page.get_by_role(landmark).first).to_be_visible()
    open_now = page.locator("section[aria-labelledby=open-now]")
    expect(open_now.get_by_role("link", name="Samaritans")).to_be_visible()
    expect(open_now.get_by_role("link", name="CALM (Campaign Against Living Miserably)")).to_be_visible()
    # The Nightline is open at 23:00 on a term night, and says until when.
    nightline = page.locator("section.nightline")
    expect(nightline.get_by_role("heading", level=2)).to_have_text("Example Nightline")
    expect(nightline).to_contain_text("Open now until 08:00")
    expect(nightline.get_by_role("link", name="Call 01632 960111")).to_have_attribute("href", "tel:01632960111")
    # Each need is a section with a level-2 heading; the England SARC finder is listed, Wales's is not.
    sexual_violence = page.locator("section:has(h2#sexual_violence)")
    england_sarc = sexual_violence.get_by_role("heading", level=3, name="Sexual assault referral centres, England")
    expect(england_sarc).to_be_visible()
    expect(page.get_by_text("Sexual assault referral centres, Wales")).to_have_count(0)
    calm = page.locator("article[aria-labelledby='mental_health_crisis-calm']")
    expect(calm).to_contain_text("open now until midnight")
    # 101 is free; nothing says 15p.
    expect(page.get_by_text("15p")).to_have_count(0)
    levels = page.eval_on_selector_all("h1, h2, h3", "els => els.map(e => Number(e.tagName[1]))")
    assert levels[0] == 1 and all(b - a <= 1 for a, b in itertools.pairwise(levels))
    for selector in ("body", ".lead", ".status", ".meta", ".state.is-open", "a"):
        assert _contrast(page, selector) >= 4.5, selector
    assert_accessible(page, "services page")
    assert browsing.outside == [], browsing.outside  # no fonts, scripts or images from anywhere else
    assert not [m for m in browsing.console if "Content Security Policy" in m]


def test_without_javascript_a_student_can_choose_their_nation(service: str, without_js: Browsing) -> None:
    page = without_js.new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(f"{service}/services")
    page.get_by_label("Show services for").select_option("wales")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(f"{service}/services?nation=wales")
    expect(page.get_by_role("heading", level=1)).to_have_text("Support services in Wales")
    expect(page.get_by_role("link", name="South and mid Wales: https://www.newpathways.org.uk")).to_be_visible()
    expect(page.locator("a[href='https://www.nhs.uk/sarcs']")).to_have_count(0)
    page.get_by_label("Show services for").select_option("scotland")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("heading", level=3, name="Breathing Space").first).to_be_visible()
    expect(page.locator("article[aria-labelledby='mental_health_crisis-breathing_space']")).to_contain_text(
        "open now until 02:00")
    assert all(url.startswith(service) for url in requests), requests


def test_printing_hides_controls_and_keeps_the_addresses(service: str, browsing: Browsing) -> None:
    page = browsing.new_page()
    page.goto(f"{service}/services?nation=northern_ireland")
    expect(page.locator("form.nation")).to_be_visible()
    page.emulate_media(media="print")
    for control in ("form.nation", "nav.contents", "a.exit", "a.skip"):
        expect(page.locator(control)).to_be_hidden()
    rowan = page.locator("article[aria-labelledby='sexual_violence-sarc_northern_ireland']")
    expect(rowan).to_be_visible()
    expect(rowan).to_contain_text("https://therowan.net")  # on paper the address itself is the link
    assert page.eval_on_selector("body", "el => getComputedStyle(el).color") == "rgb(0, 0, 0)"
    pdf = page.pdf()
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000


def test_the_chat_page_footer_links_to_the_services_page(service: str, browsing: Browsing) -> None:
    page = browsing.new_page()
    page.goto(service)
    footer = page.get_by_role("contentinfo")
    footer.get_by_role("link", name="Support services and who is open now").click()
    expect(page).to_have_url(f"{service}/services")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Support services")


def test_the_same_directory_as_json(service: str) -> None:
    data = httpx.get(f"{service}/services.json", params={"nation": "northern_ireland"}, timeout=10).json()
    assert data["nation"] == "northern_ireland"
    assert data["now"].startswith("2026-12-01T23:")
    sexual_violence = next(g for g in data["groups"] if g["id"] == "sexual_violence")
    assert "sarc_northern_ireland" in sexual_violence["services"] and "sarc_england" not in data["services"]
    rowan = data["services"]["sarc_northern_ireland"]
    assert rowan["open_now"] and [c["value"] for c in rowan["contacts"]] == ["https://therowan.net"]
    assert data["nightline"]["open_now"] is True and data["services"]["police_101"]["free"] is True
