// The page's elements, found once, and the small helpers that build and fill them. Anything a student or an
// officer wrote only ever goes on the page as text (textContent), never as markup.

export function byId(id) { return document.getElementById(id); }

export const ui = {
  duty: byId("duty"), dutyNote: byId("duty-note"), allowNotifications: byId("allow-notifications"),
  logout: byId("logout"), sessionEnded: byId("session-ended"), connection: byId("connection"),
  announce: byId("announce"),
  queue: byId("queue"), queueEmpty: byId("queue-empty"), queueStatus: byId("queue-status"),
  convTitle: byId("conversation-title"), convEmpty: byId("conversation-empty"), convState: byId("conversation-state"),
  convMain: byId("conversation-main"), convTools: byId("conversation-tools"), transcriptNote: byId("transcript-note"),
  transcript: byId("transcript"), replyForm: byId("reply-form"), reply: byId("reply"), send: byId("send"),
  replyCount: byId("reply-count"), facts: byId("facts"), handback: byId("handback"), closeForm: byId("close-form"),
  outcome: byId("outcome"), category: byId("category"), closeButton: byId("close"), noteForm: byId("note-form"),
  note: byId("note"), notes: byId("notes"), caseLink: byId("case-link"),
  searchForm: byId("case-search"), searchReference: byId("search-reference"), showAll: byId("show-all"),
  casesStatus: byId("cases-status"), casesTable: byId("cases-table"), casesCaption: byId("cases-caption"),
  casesBody: byId("cases-body"),
  caseTitle: byId("case-title"), caseStatus: byId("case-status"), caseBody: byId("case-body"),
  caseFacts: byId("case-facts"), caseEvents: byId("case-events-body"), caseNotes: byId("case-notes"),
  caseNotesEmpty: byId("case-notes-empty"), caseNoteForm: byId("case-note-form"), caseNote: byId("case-note"),
  caseCallbacks: byId("case-callbacks"), caseCallbacksEmpty: byId("case-callbacks-empty"),
  callbacksStatus: byId("callbacks-status"), callbacksTable: byId("callbacks-table"),
  callbacksBody: byId("callbacks-body")
};

export function el(tag, className, text) {
  var node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

export function setText(node, text, problem) {
  node.textContent = text || "";
  node.classList.toggle("problem", Boolean(problem && text));
}

export function fact(list, term, value, className) {
  var dt = el("dt", "", term);
  var dd = el("dd", className || "");
  if (value instanceof Node) dd.appendChild(value); else dd.textContent = value;
  list.appendChild(dt);
  list.appendChild(dd);
}
