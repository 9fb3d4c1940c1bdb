// The live queue: students waiting for a person and the conversations officers have, in the order the API
// gives (highest risk first, then longest wait). The page's own data and every refresh are drawn by renderQueue.
import { DATA, CHANNELS, GOALS } from "./page.js";
import { state } from "./state.js";
import { ui, el, setText } from "./dom.js";
import { flagList, waited } from "./format.js";
import { api } from "./api.js";
import { watch, openConversation } from "./conversation.js";

var TICK_EVERY = 30000;      // ms between redraws of the waiting times
var queueLoading = false;    // a refresh is in flight
var queueWaiters = [];       // callers waiting for a refresh that starts after they asked

// Resolves once a refresh that started after the call has finished, so the new rows are in it.
export function refreshQueue() {
  return new Promise(function (resolve) {
    queueWaiters.push(resolve);
    if (!queueLoading) loadQueue();
  });
}

function loadQueue() {
  var waiters = queueWaiters;
  queueWaiters = [];
  queueLoading = true;
  api("GET", "/queue").then(function (rows) {
    state.queueRows = rows || [];
    // Follow every conversation this officer has, so a message in one that is not open is noticed.
    state.queueRows.forEach(function (row) { if (isMine(row)) watch(row.conversation); });
    renderQueue();
  }, function (error) {
    if (error.status !== 401) setText(ui.queueStatus, "The queue could not be refreshed. " + error.message, true);
  }).then(function () {
    queueLoading = false;
    waiters.forEach(function (resolve) { resolve(); });
    if (queueWaiters.length) loadQueue();
  });
}

export function renderQueue() {
  var focused = document.activeElement;
  var focusKey = focused && ui.queue.contains(focused) ? focused.getAttribute("data-key") : null;
  ui.queue.textContent = "";
  state.queueRows.forEach(function (row) { ui.queue.appendChild(queueItem(row)); });
  ui.queueEmpty.hidden = state.queueRows.length > 0;
  if (focusKey) {
    var again = ui.queue.querySelector('[data-key="' + focusKey + '"]');
    (again || ui.queue.closest("section").querySelector("h1")).focus();
  }
}

export function isMine(row) {
  return row.owner === "human" && row.assigned_officer_id === DATA.officer_id;
}

function queueItem(row) {
  var current = state.current;
  var mine = row.assigned_officer_id === DATA.officer_id;
  var waiting = row.owner === "waiting";
  var flags = row.risk_flags || [];
  var item = el("li", "entry" + (flags.length ? " risky" : "") + (!waiting && mine ? " mine" : "") +
    (current && current.id === row.conversation ? " current" : ""));
  item.setAttribute("data-conversation", row.conversation);
  item.setAttribute("data-reference", row.reference || "");
  item.setAttribute("data-owner", row.owner);

  var head = el("p", "entry-head");
  head.appendChild(el("strong", "reference", row.reference || "No case yet"));
  head.appendChild(el("span", "channel channel-" + row.channel, CHANNELS[row.channel] || row.channel));
  item.appendChild(head);
  if (flags.length) item.appendChild(flagList(flags));

  var details = el("p", "entry-details");
  details.appendChild(el("span", "goal", GOALS[row.goal] || "Goal not given"));
  details.appendChild(document.createTextNode(" · "));
  var prefix = waiting ? "waiting " : mine ? "with you for " : "with an officer for ";
  var wait = el("span", "waited", prefix + waited(row.waiting_since));
  wait.setAttribute("data-since", row.waiting_since);
  wait.setAttribute("data-prefix", prefix);
  details.appendChild(wait);
  item.appendChild(details);
  if (state.unread[row.conversation]) {
    var count = state.unread[row.conversation];
    item.appendChild(el("p", "unread", count + (count === 1 ? " new message" : " new messages")));
  }

  var action;
  if (waiting) {
    action = el("button", "take", "Take");
    action.type = "button";
    action.appendChild(el("span", "visually-hidden", " conversation " + (row.reference || "")));
    action.setAttribute("data-key", "take-" + row.conversation);
    action.addEventListener("click", function () { take(row.conversation, action); });
  } else if (mine && current && current.id === row.conversation) {
    action = el("span", "elsewhere", "Open now");
  } else if (mine) {
    action = el("button", "open secondary", "Open");
    action.type = "button";
    action.appendChild(el("span", "visually-hidden", " conversation " + (row.reference || "")));
    action.setAttribute("data-key", "open-" + row.conversation);
    action.addEventListener("click", function () { openConversation(row.conversation, true); });
  } else {
    action = el("span", "elsewhere", "With another officer");
  }
  var footer = el("p", "entry-action");
  footer.appendChild(action);
  item.appendChild(footer);
  return item;
}

function redrawWaits() {
  Array.prototype.forEach.call(document.querySelectorAll(".waited[data-since]"), function (node) {
    node.textContent = node.getAttribute("data-prefix") + waited(node.getAttribute("data-since"));
  });
}

function take(conversationId, button) {
  // Not disabled while busy (a disabled button loses the keyboard focus): marked busy instead.
  if (button.getAttribute("aria-disabled")) return;
  button.setAttribute("aria-disabled", "true");
  setText(ui.queueStatus, "");
  api("POST", "/conversations/" + encodeURIComponent(conversationId) + "/take").then(function () {
    return openConversation(conversationId, true);
  }, function (error) {
    if (error.status === 409) {
      setText(ui.queueStatus, "Another officer has already taken this conversation, so the student is being " +
        "looked after. Nothing more is needed from you: the queue has been refreshed.");
    } else if (error.status !== 401) {
      setText(ui.queueStatus, "That conversation could not be taken. " + error.message, true);
    }
    button.removeAttribute("aria-disabled");
  }).then(refreshQueue);
}

// The waiting times count up between refreshes.
export function wireQueue() {
  setInterval(redrawWaits, TICK_EVERY);
}
