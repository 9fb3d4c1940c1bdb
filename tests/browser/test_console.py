"""The officers' console in Chromium: a student in one browser, officers in others, the real system behind.

The service runs in office hours (see ``console_system``); Rasa and the action server are the folder's own.
Set CONSOLE_SCREENSHOT to a file path to keep a picture of the console with a conversation open.
"""

from __future__ import annotations

import os
import re
import sqlite3
from contextlib import closing
from datetime import datetime

import pytest
from playwright.sync_api import Browser, Page, expect

from .helpers import (
    REFERENCE,
    Browsing,
    ConsoleSystem,
    HeldRequests,
    alerts,
    ask_for_a_person,
    assistant_messages,
    go_on_duty,
    officer_browsing,
    open_browsing,
    queue_entry,
    quick_replies,
    say,
    sign_in,
    transcript,
    wait_for_greeting,
    write,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TAKE = re.compile(r"^Take\b")
OPEN = re.compile(r"^Open\b")
FOCUS_STYLE = """() => {
  const style = getComputedStyle(document.activeElement);
  return {outline: style.outlineStyle, width: parseFloat(style.outlineWidth), shadow: style.boxShadow};
}"""


def officer_console(browser: Browser, contexts: list[Browsing], system: ConsoleSystem, name: str,
                    width: int = 1280, height: int = 800) -> Page:
    browsing = officer_browsing(browser, width, height)
    contexts.append(browsing)
    page = browsing.new_page()
    sign_in(page, system.url, system.new_officer(name))
    return page


def student_chat(browser: Browser, contexts: list[Browsing], system: ConsoleSystem) -> Page:
    browsing = open_browsing(browser)
    contexts.append(browsing)
    page = browsing.new_page()
    page.goto(system.url + "/")
    wait_for_greeting(page)
    return page


def waiting_for_an_officer_on_duty(browser: Browser, contexts: list[Browsing], system: ConsoleSystem,
                                   name: str) -> tuple[Page, Page, str]:
    """The officer signs in and goes on duty; a student opens the chat and asks for a person (the case reference)."""
    console = officer_console(browser, contexts, system, name)
    go_on_duty(console)
    chat = student_chat(browser, contexts, system)
    return console, chat, ask_for_a_person(chat)


def wait_for_alerts(page: Page, count: int) -> None:
    page.wait_for_function(
        "count => window.__alerts.notifications.length >= count && window.__alerts.tones >= count", arg=count
    )


def tab_to(page: Page, target: str, limit: int = 40) -> None:
    """Press Tab until the element matching ``target`` has the focus; every stop must show it."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        style = page.evaluate(FOCUS_STYLE)
        assert style["outline"] == "solid" and style["width"] >= 2 and style["shadow"] != "none", style
        if page.evaluate("selector => document.activeElement.matches(selector)", target):
            return
    raise AssertionError(f"Tab never reached {target}")


def test_an_officer_takes_a_web_chat_replies_hands_back_and_closes(
    browser: Browser, contexts: list[Browsing], console_system: ConsoleSystem
):
    console = officer_console(browser, contexts, console_system, "Sam")
    go_on_duty(console)
    assert alerts(console)["asked"] == 1  # notifications were asked for on that click, and only then
    expect(console.locator("#duty-note")).to_contain_text("You are on duty")

    chat = student_chat(browser, contexts, console_system)
    reference = ask_for_a_person(chat)

    entry = queue_entry(console, reference)
    expect(entry).to_contain_text("Web chat")
    expect(entry).to_contain_text("Just talk")
    expect(entry).to_contain_text("waiting under 1 min")
    wait_for_alerts(console, 1)
    shown = alerts(console)["notifications"][-1]
    assert shown["title"] == "Someone is waiting for a welfare officer"
    assert "real person" not in shown["title"] + shown["body"]  # never anything the student wrote
    expect(console.locator("#announce")).to_contain_text(f"New in the queue: Web chat, {reference}")

    entry.get_by_role("button", name=TAKE).click()
    expect(console.locator("#conversation-title")).to_have_text(f"Conversation {reference}")
    expect(console.locator("#conversation-title")).to_be_focused()
    expect(console.locator("#transcript-note")).to_contain_text("agreed to share")
    expect(transcript(console).filter(has_text="can I talk to a real person")).to_have_count(1)  # from before
    expect(console.locator("#facts")).to_contain_text("Just talk")
    expect(entry).to_contain_text("with you for")
    expect(chat.locator("#log li.from-system").last).to_contain_text("A welfare officer has joined")

    reply = console.get_by_label("Reply to the student")
    reply.fill("Hello, I'm Sam from the welfare team.")
    reply.press("Shift+Enter")  # a new line, not sent
    reply.press_sequentially("I'm here to listen.")
    reply.press("Enter")
    from_officer = chat.locator("#log li.from-officer").last
    expect(from_officer).to_contain_text("I'm here to listen.")
    assert "welfare team.\nI'm here to listen." in from_officer.inner_text()
    expect(from_officer.locator(".who")).to_have_text("Welfare officer")
    expect(reply).to_have_value("")

    write(chat, "Thank you. It's about something at a party.")
    expect(transcript(console).last).to_contain_text("something at a party")
    expect(transcript(console).last).to_have_class("from-user")
    expect(console.locator("#announce")).to_contain_text("Student: Thank you. It's about something at a party.")
    if os.environ.get("CONSOLE_SCREENSHOT"):
        console.screenshot(path=os.environ["CONSOLE_SCREENSHOT"])

    console.get_by_label("Note for this case").fill("Wants to talk it through. No risk raised.")
    console.get_by_role("button", name="Add note").click()
    expect(console.locator("#notes li")).to_contain_text("Wants to talk it through.")

    console.get_by_role("button", name="Hand back to the assistant").click()
    expect(chat.locator("#log li.from-system").last).to_contain_text("passed you back to the automated assistant")
    expect(console.locator("#conversation-state")).to_contain_text("Handed back to the assistant")
    expect(queue_entry(console, reference)).to_have_count(0)
    expect(reply).to_be_disabled()

    assert ask_for_a_person(chat) == reference  # the same case continues
    wait_for_alerts(console, 2)

    # The second time with the keyboard alone: from the heading of the queue to the Take button, then reply.
    console.locator("#queue-title").focus()
    tab_to(console, f'#queue li[data-reference="{reference}"] button')
    console.keyboard.press("Enter")
    expect(console.locator("#conversation-state")).to_contain_text("You are talking with the student")
    expect(console.locator("#conversation-title")).to_be_focused()
    tab_to(console, "#reply")
    console.keyboard.type("I'm back. Is now still a good time?")
    console.keyboard.press("Enter")
    expect(chat.locator("#log li.from-officer").last).to_contain_text("I'm back.")

    console.get_by_label("Outcome").select_option("support_given")
    console.get_by_label("Category").select_option("sexual_harassment")
    console.get_by_role("button", name="Close conversation").click()
    expect(chat.locator("#log li.from-system").last).to_contain_text("closed this conversation")
    expect(console.locator("#conversation-state")).to_contain_text("Closed: Support given, Sexual harassment")
    expect(queue_entry(console, reference)).to_have_count(0)

    console.get_by_role("link", name="Open the case page").click()
    expect(console.get_by_role("heading", name=f"Case {reference}")).to_be_visible()
    expect(console.locator("#case-facts")).to_contain_text("Support given")
    events = console.locator("#case-events-body tr")
    expect(events.first).to_have_attribute("data-kind", "created")
    kinds = events.evaluate_all("rows => rows.map(row => row.dataset.kind)")
    order = [kinds.index(kind) for kind in ("created", "taken", "note_added", "handed_back", "closed")]
    assert order == sorted(order), kinds
    assert kinds.count("taken") == 2
    expect(console.locator("#case-notes")).to_contain_text("Wants to talk it through.")

    console.get_by_role("link", name="Cases", exact=True).click()
    console.get_by_label("Case reference").fill(reference.lower().replace("-", ""))
    console.get_by_role("button", name="Find").click()
    expect(console.locator("#cases-status")).to_have_text("Found 1 case.")
    expect(console.locator("#cases-body tr")).to_have_count(1)
    expect(console.locator("#cases-body tr").first).to_have_attribute("data-reference", reference)

    for browsing in contexts:
        assert browsing.outside == []  # nothing from any other site
        assert not [line for line in browsing.console if "Content Security Policy" in line], browsing.console


def test_a_student_who_comes_back_in_a_new_chat_is_shown_on_the_case_page(
    browser: Browser, contexts: list[Browsing], console_system: ConsoleSystem
):
    console, chat, reference = waiting_for_an_officer_on_duty(browser, contexts, console_system, "Ola")
    given = re.search(rf"{reference}-[A-Z2-9]{{3}}", chat.locator("#log").inner_text())
    assert given, "the student is given the whole reference"
    queue_entry(console, reference).get_by_role("button", name=TAKE).click()
    expect(console.locator("#conversation-title")).to_have_text(f"Conversation {reference}")

    later = student_chat(browser, contexts, console_system)  # another day, another browser
    later.locator("#text").fill(f"my ref is {given.group(0).lower().replace('-', ' ')}")
    later.locator("#text").press("Enter")
    expect(later.locator("#log li.from-assistant").last).to_contain_text(f"now linked to {given.group(0)}")

    console.goto(console_system.url + f"/console#case/{reference}")
    expect(console.get_by_role("heading", name=f"Case {reference}")).to_be_visible()
    expect(console.locator("#case-facts")).to_contain_text("in a new conversation by Web chat")
    expect(console.locator('#case-events-body tr[data-kind="resumed"]')).to_contain_text("New conversation")
    assert given.group(0) not in console.locator("main").inner_text()  # the last part is the student's alone


def test_a_second_officer_is_told_kindly_that_someone_else_took_it(
    browser: Browser, contexts: list[Browsing], console_system: ConsoleSystem
):
    alex = officer_console(browser, contexts, console_system, "Alex")
    robin = officer_console(browser, contexts, console_system, "Robin")
    go_on_duty(alex)
    go_on_duty(robin)
    chat = student_chat(browser, contexts, console_system)
    reference = ask_for_a_person(chat)
    expect(queue_entry(alex, reference).get_by_role("button", name=TAKE)).to_be_visible()
    expect(queue_entry(robin, reference).get_by_role("button", name=TAKE)).to_be_visible()

    held = HeldRequests(robin, "**/api/console/queue")  # Robin's screen is not refreshed: both click Take
    queue_entry(alex, reference).get_by_role("button", name=TAKE).click()
    expect(alex.locator("#conversation-title")).to_have_text(f"Conversation {reference}")
    queue_entry(robin, reference).get_by_role("button", name=TAKE).click()
    expect(robin.locator("#queue-status")).to_contain_text("Another officer has already taken this conversation")
    expect(robin.locator("#queue-status")).not_to_have_class(re.compile(r"\bproblem\b"))  # not an error
    held.release()  # and any refresh from now on goes on as well
    expect(queue_entry(robin, reference)).to_have_count(0)
    expect(robin.locator("#conversation-empty")).to_be_visible()

    # Alex takes a second student too; a message in the conversation that is not open is noticed.
    other = student_chat(browser, contexts, console_system)
    second = ask_for_a_person(other)
    queue_entry(alex, second).get_by_role("button", name=TAKE).click()
    expect(alex.locator("#conversation-title")).to_have_text(f"Conversation {second}")
    write(chat, "Are you still there?")
    expect(queue_entry(alex, reference).locator(".unread")).to_have_text("1 new message")
    expect(alex.locator("#announce")).to_contain_text(f"New message from the student in {reference}.")
    expect(alex.locator("#announce")).not_to_contain_text("still there")  # only the open one is read out
    queue_entry(alex, reference).get_by_role("button", name=OPEN).click()
    expect(alex.locator("#conversation-title")).to_have_text(f"Conversation {reference}")
    expect(transcript(alex).last).to_contain_text("Are you still there?")
    expect(queue_entry(alex, reference).locator(".unread")).to_have_count(0)

    hand_back = alex.get_by_role("button", name="Hand back to the assistant")  # leave nobody waiting on Alex
    hand_back.click()
    expect(alex.locator("#conversation-state")).to_contain_text("Handed back")
    queue_entry(alex, second).get_by_role("button", name=OPEN).click()
    expect(alex.locator("#conversation-title")).to_have_text(f"Conversation {second}")
    hand_back.click()
    expect(alex.locator("#conversation-state")).to_contain_text("Handed back")


def test_the_console_has_landmarks_a_live_region_fits_a_tablet_and_signs_out_off_duty(
    browser: Browser, contexts: list[Browsing], console_system: ConsoleSystem
):
    console = officer_console(browser, contexts, console_system, "Kai", width=820, height=1180)
    expect(console.get_by_role("banner")).to_have_count(1)
    expect(console.get_by_role("main")).to_have_count(1)
    expect(console.get_by_role("navigation", name="Console sections")).to_be_visible()
    expect(console.get_by_role("heading", level=1)).to_have_text("Live queue")
    expect(console.locator("#announce")).to_have_attribute("aria-live", "polite")

    console.locator("body").focus()
    tab_to(console, ".skip")
    tab_to(console, "#duty")
    console.keyboard.press("Space")
    expect(console.locator("#duty")).to_have_attribute("aria-pressed", "true")
    console.keyboard.press("Space")
    expect(console.locator("#duty")).to_have_attribute("aria-pressed", "false")

    for view in ("Queue", "Cases", "Call-backs"):
        console.get_by_role("link", name=view, exact=True).click()
        expect(console.get_by_role("link", name=view, exact=True)).to_have_attribute("aria-current", "page")
        overflow = console.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{view} is wider than a tablet by {overflow}px"
    expect(console.locator("#callbacks-status")).to_have_text("No call-backs are waiting.")

    go_on_duty(console)
    email = console_system.officers[-1]
    console.get_by_role("button", name="Sign out").click()  # which also takes the officer off duty
    expect(console.get_by_role("heading", name="Sign in")).to_be_visible()
    sign_in(console, console_system.url, email)
    expect(console.locator("#duty")).to_have_attribute("aria-pressed", "false")


def test_an_officer_marks_a_call_back_done_and_the_case_says_who_and_when(
    browser: Browser, contexts: list[Browsing], console_system: ConsoleSystem
):
    chat = student_chat(browser, contexts, console_system)
    say(chat, "can someone call me back")
    expect(assistant_messages(chat).last).to_contain_text("phone call, a text or an email")
    say(chat, "call me evenings after 6 on 07700 900123")
    expect(assistant_messages(chat).last).to_contain_text("voicemail")
    quick_replies(chat).filter(has_text="Yes, that's safe").click()
    told = assistant_messages(chat).filter(has_text="Your reference is")
    expect(told).to_have_count(1)
    match = REFERENCE.search(told.last.inner_text())
    assert match, told.last.inner_text()
    reference = match.group(1)

    # The officer sees what was asked: the way, the safe time, the number and whether a voicemail is safe.
    console = officer_console(browser, contexts, console_system, "Jo")
    console.get_by_role("link", name="Call-backs", exact=True).click()
    row = console.locator("#callbacks-body tr").filter(has_text=reference)
    expect(row).to_have_count(1)
    expect(row.locator("td").nth(1)).to_have_text("Phone")
    expect(row.locator("td").nth(2)).to_have_text("evenings after 6")
    expect(row.locator("td").nth(3)).to_have_text("+447700900123")  # the number, kept in one form
    expect(row.locator("td").nth(4)).to_have_text("A message saying it's the welfare team is safe")
    row.get_by_role("button", name=f"Mark the call-back for {reference} done").click()

    # It leaves the waiting list, is read out, and stays done after a reload.
    expect(row).to_have_count(0)
    expect(console.locator("#callbacks-status")).to_have_text("No call-backs are waiting.")
    expect(console.locator("#callbacks-table")).to_be_hidden()
    expect(console.locator("#announce")).to_contain_text(f"Call-back for {reference} marked done.")
    console.reload()
    expect(console.locator("html")).to_have_attribute("data-ready", "true")
    expect(console.get_by_role("link", name="Call-backs", exact=True)).to_have_attribute("aria-current", "page")
    expect(console.locator("#callbacks-status")).to_have_text("No call-backs are waiting.")
    expect(console.locator("#callbacks-body tr")).to_have_count(0)

    # The case's history says who marked it done and when (a welfare officer sees only their own cases).
    me = console.request.get(f"{console_system.url}/api/console/me").json()
    with closing(sqlite3.connect(console_system.database_url.removeprefix("sqlite:///"))) as db:
        events = db.execute(
            "SELECT e.actor, e.created_at FROM case_events e JOIN cases c ON c.id = e.case_id "
            "WHERE c.reference = ? AND e.kind = 'callback_done'", (reference,)).fetchall()
        asked = db.execute(
            "SELECT r.created_at, r.done FROM callback_requests r JOIN cases c ON c.id = r.case_id "
            "WHERE c.reference = ?", (reference,)).fetchall()
    assert [(actor, done) for (actor, _), (_, done) in zip(events, asked, strict=True)] == [(f"officer:{me['id']}", 1)]
    assert datetime.fromisoformat(events[0][1]) >= datetime.fromisoformat(asked[0][0])  # marked after it was asked


def test_after_a_close_a_crisis_message_is_answered_and_back_in_the_queue_and_the_wait_is_shown(
    browser: Browser, contexts: list[Browsing], console_system: ConsoleSystem
):
    console, chat, reference = waiting_for_an_officer_on_duty(browser, contexts, console_system, "Robin")
    # The lasting waiting line: the place in the queue and a rough wait, live.
    expect(chat.locator("#status")).to_contain_text("number 1 in the queue")
    expect(chat.locator("#status")).to_contain_text("The wait is")
    write(chat, "are you still there")  # while waiting the service answers, with what the student can do
    for action in ("Ask for a call back", "Stop waiting", "Services open now"):
        expect(chat.locator("#replies button").filter(has_text=action)).to_be_visible()

    queue_entry(console, reference).get_by_role("button", name=TAKE).click()
    expect(console.locator("#conversation-state")).to_contain_text("You are talking with the student")
    expect(transcript(console).filter(has_text="/greet")).to_have_count(0)  # the page's hidden greeting
    console.get_by_label("Outcome").select_option("support_given")
    console.get_by_label("Category").select_option("harassment")
    console.get_by_role("button", name="Close conversation").click()
    expect(chat.locator("#log li.from-system").last).to_contain_text("closed this conversation")
    expect(chat.get_by_role("button", name="Start a new chat")).to_be_visible()

    write(chat, "i dont want to be alive any more")
    answer = chat.locator("#log li.from-assistant")
    expect(answer.filter(has_text="116 123").last).to_be_visible()
    # Help is one tap away: the numbers are tel: links (made from text, never from markup in the message).
    expect(answer.filter(has_text="116 123").last.locator('a[href="tel:116123"]').first).to_have_text("116 123")
    expect(answer.filter(has_text="in the queue").last).to_contain_text(reference)
    expect(queue_entry(console, reference)).to_be_visible()  # raised for the officers again, with the risk
    expect(queue_entry(console, reference)).to_have_class(re.compile(r"\brisky\b"))


def taken_after(browser: Browser, contexts: list[Browsing], system: ConsoleSystem, name: str,
                turns: list[tuple[str, str]]) -> Page:
    """An officer on duty; a student says each message and sees the reply that says the given words, then asks for a
    person, and the officer takes the conversation. The officer's page, with the transcript open."""
    console = officer_console(browser, contexts, system, name)
    go_on_duty(console)
    chat = student_chat(browser, contexts, system)
    for message, replied in turns:
        say(chat, message)
        expect(assistant_messages(chat).filter(has_text=replied)).not_to_have_count(0)
    reference = ask_for_a_person(chat)
    queue_entry(console, reference).get_by_role("button", name=TAKE).click()
    expect(console.locator("#conversation-title")).to_have_text(f"Conversation {reference}")
    return console


def test_the_officer_sees_which_policy_sections_the_student_was_shown(
    browser: Browser, contexts: list[Browsing], console_system: ConsoleSystem
):
    console = taken_after(browser, contexts, console_system, "Priya", [
        ("what does the policy say about appealing the outcome", "From Example College's policy, section 9"),
    ])
    quoted = transcript(console).filter(has_text="From Example College's policy, section 9").first
    expect(quoted.locator(".quoted")).to_contain_text(re.compile(r"Quoted from the policy: section 9\.\d"))
    expect(transcript(console).locator(".quoted")).not_to_have_count(0)


def test_the_officer_sees_how_the_students_reply_to_a_check_in_was_read(
    browser: Browser, contexts: list[Browsing], console_system: ConsoleSystem
):
    console = taken_after(browser, contexts, console_system, "Tomasz", [
        ("i dont know how much longer i can do this", "are you thinking about suicide"),  # asked, not guessed
        ("no, just stressed about exams", "Thank you for answering"),
    ])
    reply = transcript(console).filter(has_text="no, just stressed about exams").first
    expect(reply.locator(".check-in-answer")).to_have_text("Reply to \u201casked about suicide\u201d, read as: no")
    expect(transcript(console).locator(".check-in-answer")).to_have_count(1)  # only replies to a check-in


def test_the_queue_the_page_arrives_with_is_drawn_as_every_refresh_with_low_confidence_never_urgent(
    browser: Browser, contexts: list[Browsing], console_system: ConsoleSystem
):
    """One renderer: the console page carries the queue as data and the console's script draws it at once, before any
    refresh, exactly as it draws a refresh; a weak sighting reads as low confidence and never as urgent."""
    alex, _, reference = waiting_for_an_officer_on_duty(browser, contexts, console_system, "Alex")
    expect(queue_entry(alex, reference).get_by_role("button", name=TAKE)).to_be_visible()
    with closing(sqlite3.connect(console_system.database_url.removeprefix("sqlite:///"))) as db, db:
        db.execute("UPDATE conversations SET risk_flags = ?, risk_level = 1 WHERE id = "
                   "(SELECT conversation_id FROM cases WHERE reference = ?)",
                   ('["low:suicide_self_harm", "under_18"]', reference))

    held = HeldRequests(alex, "**/api/console/queue")  # no refresh reaches the page: it shows its own data
    alex.reload()
    entry = queue_entry(alex, reference)
    flags = entry.locator(".flags li")
    expect(flags).to_have_text(["possible suicide or self-harm (low confidence)", "under 18"])
    expect(flags.first).to_have_class(re.compile(r"\bcaution\b.*\blow\b"))
    expect(entry.locator(".flag.urgent")).to_have_count(0)
    expect(entry.locator(".channel")).to_have_text("Web chat")
    expect(entry.locator(".waited")).to_contain_text("waiting")
    expect(entry.get_by_role("button", name=TAKE)).to_be_visible()
    expect(alex.locator("#queue-empty")).to_be_hidden()
    held.release()
    entry.get_by_role("button", name=TAKE).click()  # leave nobody waiting
    expect(alex.locator("#conversation-title")).to_have_text(f"Conversation {reference}")
    alex.get_by_role("button", name="Hand back to the assistant").click()
    expect(alex.locator("#conversation-state")).to_contain_text("Handed back")
