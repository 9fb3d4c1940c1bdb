// The records: the case list (with the search by reference), one case's page, and the open call-back requests.
import { GOALS, CHANNELS } from "./page.js";
import { ui, el, setText, fact } from "./dom.js";
import { words, when, actor } from "./format.js";
import { api } from "./api.js";
import { announce } from "./announce.js";
import { addNote, noteItem } from "./notes.js";

var EVENTS = {
  created: "Case created", taken: "Taken by an officer", read: "Read", note_added: "Note added",
  handed_back: "Handed back to the assistant", closed: "Closed", wait_notice: "Told the student about the wait",
  resumed: "Student came back with their reference", callback_requested: "Call-back requested",
  callback_done: "Call-back done", reopened: "Opened again after a close", left_queue: "Student stopped waiting",
  choices_updated: "Student changed their choices"
};

var openCase = null;  // the reference shown on the case page

// A table cell with the case's reference as a link to its page.
function caseCell(reference) {
  var cell = el("td");
  var link = el("a", "", reference);
  link.href = "#case/" + encodeURIComponent(reference);
  cell.appendChild(link);
  return cell;
}

export function loadCases(reference) {
  reference = (reference || "").trim();
  setText(ui.casesStatus, "Loading…");
  var query = reference ? "?reference=" + encodeURIComponent(reference) : "";
  api("GET", "/cases" + query).then(function (cases) {
    ui.casesBody.textContent = "";
    cases.forEach(function (c) {
      var row = el("tr");
      row.setAttribute("data-reference", c.reference);
      row.appendChild(caseCell(c.reference));
      row.appendChild(el("td", "", words(c.status)));
      row.appendChild(el("td", "", GOALS[c.goal] || words(c.goal)));
      row.appendChild(el("td", "", CHANNELS[c.channel] || words(c.channel)));
      row.appendChild(el("td", "", when(c.created_at)));
      row.appendChild(el("td", "", words(c.outcome) || "—"));
      row.appendChild(el("td", "", words(c.category) || "—"));
      ui.casesBody.appendChild(row);
    });
    ui.casesTable.hidden = cases.length === 0;
    ui.casesCaption.textContent = reference ? "Cases matching " + reference : "Cases you can see, newest first";
    setText(ui.casesStatus, cases.length
      ? (reference ? "Found " + cases.length + (cases.length === 1 ? " case." : " cases.") : "")
      : (reference ? "No case with the reference " + reference + " that you can see." : "No cases yet."));
  }, function (error) {
    if (error.status !== 401) setText(ui.casesStatus, "The cases could not be loaded. " + error.message, true);
  });
}

export function loadCase(reference) {
  openCase = reference;
  ui.caseTitle.textContent = "Case " + reference;
  setText(ui.caseStatus, "Loading…");
  ui.caseBody.hidden = true;
  api("GET", "/cases/" + encodeURIComponent(reference)).then(function (c) {
    if (openCase !== reference) return;
    setText(ui.caseStatus, "");
    ui.caseFacts.textContent = "";
    fact(ui.caseFacts, "Status", words(c.status));
    fact(ui.caseFacts, "Goal", GOALS[c.goal] || words(c.goal));
    fact(ui.caseFacts, "Channel", CHANNELS[c.channel] || words(c.channel));
    fact(ui.caseFacts, "Opened", when(c.created_at) + (c.out_of_hours ? " (out of hours)" : ""));
    if (c.closed_at) fact(ui.caseFacts, "Closed", when(c.closed_at));
    fact(ui.caseFacts, "Outcome", words(c.outcome) || "Not yet");
    fact(ui.caseFacts, "Category", words(c.category) || "Not yet");
    var back = (c.events || []).filter(function (event) { return event.kind === "resumed"; });
    if (back.length) {  // the student quoted their reference in a new conversation: which one is theirs now
      var last = back[back.length - 1];
      var by = (/channel=(\S+)/.exec(last.detail || "") || [])[1];
      fact(ui.caseFacts, "Came back", when(last.at) + " in a new conversation" +
        (by ? " by " + (CHANNELS[by] || words(by)) : "") + (back.length > 1 ? " (" + back.length + " times)" : ""));
    }

    ui.caseEvents.textContent = "";
    (c.events || []).forEach(function (event) {
      var row = el("tr");
      row.setAttribute("data-kind", event.kind);
      var at = el("time", "", when(event.at));
      at.setAttribute("datetime", event.at);
      var cell = el("td");
      cell.appendChild(at);
      row.appendChild(cell);
      row.appendChild(el("td", "", actor(event.actor)));
      var what = EVENTS[event.kind] || words(event.kind);
      var detail = eventDetail(event.detail);
      row.appendChild(el("td", "", detail ? what + " (" + detail + ")" : what));
      ui.caseEvents.appendChild(row);
    });

    ui.caseNotes.textContent = "";
    (c.notes || []).forEach(function (note) { ui.caseNotes.appendChild(noteItem(note)); });
    ui.caseNotesEmpty.hidden = (c.notes || []).length > 0;

    ui.caseCallbacks.textContent = "";
    (c.callbacks || []).forEach(function (cb) { ui.caseCallbacks.appendChild(callbackItem(cb)); });
    ui.caseCallbacksEmpty.hidden = (c.callbacks || []).length > 0;
    ui.caseBody.hidden = false;
  }, function (error) {
    if (openCase !== reference || error.status === 401) return;
    setText(ui.caseStatus, error.status === 404 ? "There is no case with that reference."
      : error.status === 403 ? "This case is handled by another officer, so you cannot open it."
        : "The case could not be loaded. " + error.message, true);
  });
}

// "goal=talk share_transcript=True" (as the service records it) -> "goal: Just talk; shared the chat: yes".
var DETAIL_KEYS = { share_transcript: "shared the chat" };
function eventDetail(detail) {
  if (!detail) return "";
  return String(detail).split(/\s+/).filter(Boolean).map(function (pair) {
    var at = pair.indexOf("=");
    if (at < 0) return pair;
    var key = pair.slice(0, at);
    var value = pair.slice(at + 1);
    if (value === "True" || value === "False") value = value === "True" ? "yes" : "no";
    else if (key === "goal") value = GOALS[value] || words(value);
    else if (key === "channel") value = CHANNELS[value] || words(value);
    else value = words(value);
    return (DETAIL_KEYS[key] || key.replace(/_/g, " ")) + ": " + value;
  }).join("; ");
}

function callbackItem(cb) {
  var item = el("li");
  item.appendChild(el("span", "", words(cb.channel) + ": "));
  item.appendChild(el("strong", "", cb.contact));
  item.appendChild(el("span", "", ", safe time: " + (cb.safe_time || "any") + (cb.done ? " (done)" : "")));
  item.appendChild(el("span", "leave-message", ". " + leaveMessageWords(cb.leave_message)));
  return item;
}

// Whether a voicemail, or a text or email saying who it is from, is safe. Not asked counts as not safe.
function leaveMessageWords(leaveMessage) {
  if (leaveMessage === true) return "A message saying it's the welfare team is safe";
  if (leaveMessage === false) return "Leave no message; don't say who it is from";
  return "Not asked: leave no message";
}

export function loadCallbacks() {
  setText(ui.callbacksStatus, "Loading…");
  api("GET", "/callbacks").then(function (rows) {
    ui.callbacksBody.textContent = "";
    rows.forEach(function (cb) {
      var row = el("tr");
      row.appendChild(caseCell(cb.reference));
      row.appendChild(el("td", "", words(cb.channel)));
      row.appendChild(el("td", "", cb.safe_time || "Any time"));
      row.appendChild(el("td", "", cb.contact));
      row.appendChild(el("td", "leave-message", leaveMessageWords(cb.leave_message)));
      row.appendChild(el("td", "", when(cb.requested_at)));
      var doneCell = el("td");
      var done = el("button", "", "Mark done");
      done.type = "button";
      done.setAttribute("aria-label", "Mark the call-back for " + cb.reference + " done");
      done.addEventListener("click", function () {
        done.disabled = true;
        api("POST", "/callbacks/" + encodeURIComponent(String(cb.id)) + "/done").then(function () {
          announce("Call-back for " + cb.reference + " marked done.");
          loadCallbacks();
        }, function (error) {
          done.disabled = false;
          setText(ui.callbacksStatus, "That call-back could not be marked done. " + error.message, true);
        });
      });
      doneCell.appendChild(done);
      row.appendChild(doneCell);
      ui.callbacksBody.appendChild(row);
    });
    ui.callbacksTable.hidden = rows.length === 0;
    setText(ui.callbacksStatus, rows.length ? "" : "No call-backs are waiting.");
  }, function (error) {
    if (error.status !== 401) setText(ui.callbacksStatus, "The call-backs could not be loaded. " + error.message, true);
  });
}

export function wireRecords() {
  ui.searchForm.addEventListener("submit", function (e) {
    e.preventDefault();
    loadCases(ui.searchReference.value);
  });
  ui.showAll.addEventListener("click", function () {
    ui.searchReference.value = "";
    loadCases("");
  });

  ui.caseNoteForm.addEventListener("submit", function (e) {
    e.preventDefault();
    addNote(openCase, ui.caseNote, ui.caseNotes, function () { ui.caseNotesEmpty.hidden = true; });
  });
}
