"""Health, the chat page, and the headers every response carries."""


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


def test_the_chat_page_loads_nothing_from_other_sites(client):
    page = client.get("/").text
    script = client.get("/static/chat.js").text
    assert "http://" not in page.replace('href="https://www.bbc.co.uk/weather"', "")
    assert "localStorage" not in script
    assert "sessionStorage" in script
