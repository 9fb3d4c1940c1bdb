"""Health, the chat page, and the headers every response carries."""

import re
from html.parser import HTMLParser

import pytest


def test_health_reports_the_database_and_an_unreachable_assistant(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "degraded", "database": "ok", "rasa": "unavailable"}


def test_the_chat_page_is_served_with_strict_headers(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "Exit this page" in response.text
    assert "automated assistant, not a person" in response.text
    csp = response.headers["content-security-policy"]
    assert "object-src 'none'" in csp and "base-uri 'none'" in csp and "default-src 'self'" in csp
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-content-type-options"] == "nosniff"


def test_the_page_the_widget_frames_is_the_chat_page_made_for_a_frame(client):
    """One template: the framed chat leaves the frame for the exit and for 999, can be closed, and has no footer
    link away from the chat; the whole page links to the services. Both say what is kept, and where."""
    page, framed = client.get("/").text, client.get("/embed").text
    for html in (page, framed):
        assert "automated assistant, not a person" in html and 'id="composer"' in html and 'href="tel:999"' in html
        assert "keeps only a reference to the chat" in " ".join(html.split())
    assert 'href="/services"' in page and 'href="/services"' not in framed
    assert 'id="close"' in framed and 'id="close"' not in page
    assert re.search(r'id="exit"[^>]*target="_top"', framed) and 'target="_top"' not in page
    assert "does not store what you write" in " ".join(framed.split())
    assert '<html lang="en-GB" class="embedded">' in framed and '<html lang="en-GB">' in page


# Attributes through which a page fetches something by itself (a link the student clicks is not a load).
_LOADING = {"src", "srcset", "poster", "data", "action", "formaction", "background", "manifest"}
_CSS_URL = re.compile(r"""url\(\s*['"]?([^'")\s]+)""")
_JS_FETCH = re.compile(r"""(?:fetch|WebSocket|EventSource|importScripts|sendBeacon|open)\(\s*['"`]([^'"`]+)""")


def _same_site(url: str) -> bool:
    """A path on this site (or inline data): no scheme, no "//host"."""
    return url.startswith("data:") or not re.match(r"\s*(?:[a-z][a-z0-9+.-]*:|//|\\\\)", url, re.I)


class _Loads(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.loads: list[str] = []
        self.files: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name in _LOADING or (name == "href" and tag == "link"):
                urls = [part.split()[0] for part in value.split(",") if part.strip()] if name == "srcset" else [value]
                self.loads += urls
                if tag in ("script", "link"):
                    self.files += urls
            if name == "style":
                self.loads += _CSS_URL.findall(value)


@pytest.mark.parametrize("path", ["/", "/embed", "/services", "/console"])
def test_a_page_and_its_own_files_load_nothing_from_other_sites(client, path):
    """Every resource a page, its styles and its scripts fetch by themselves is on this site, and the page's
    content policy names no other site (the exit link is a link the student follows, not a load)."""
    response = client.get(path)
    assert response.status_code == 200
    policy = response.headers["content-security-policy"]
    fetching = [d for d in policy.split(";") if d.strip().split(" ")[0] != "frame-ancestors"]
    assert not any(re.search(r"https?:|\*|//", directive) for directive in fetching), policy
    page = _Loads()
    page.feed(response.text)
    for block in re.findall(r"<style[^>]*>(.*?)</style>", response.text, re.S):
        page.loads += _CSS_URL.findall(block)
    assert page.files, "a page with no script or style of its own is not what this test expects"
    loads = list(page.loads)
    for file in page.files:
        fetched = client.get(file)
        assert fetched.status_code == 200, file
        loads += _CSS_URL.findall(fetched.text) + _JS_FETCH.findall(fetched.text)
    assert [url for url in loads if not _same_site(url)] == []


def test_the_chat_script_keeps_nothing_on_the_device_after_the_tab_closes(client):
    script = client.get("/static/chat.js").text
    assert "localStorage" not in script
    assert "sessionStorage" in script


