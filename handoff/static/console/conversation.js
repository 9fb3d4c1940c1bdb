// The open conversation: its transcript, the student's choices, the reply box (with the SMS counter), hand back,
// close, and notes. Everything the student wrote is shown as text, never as markup.
import { GOALS, CHANNELS, LOW, SMS, CHECK_IN, ANSWERS } from "./page.js";
import { state } from "./state.js";
import { ui, el, setText, fact } from "./dom.js";
import { words, flagList, clock } from "./format.js";
import { api } from "./api.js";
import { announce } from "./announce.js";
import { refreshQueue, renderQueue } from "./queue.js";
import { showView } from "./views.js";
import { addNote } from "./notes.js";

var FROM = { user: "Student", assistant: "Assistant (automated)", officer: "Welfare officer",
  system: "Notice (automatic)" };

export function watch(conversationId) {
  if (state.socket && state.socket.readyState === WebSocket.OPEN) {
    state.socket.send(JSON.stringify({ type: "watch", conversation: conversationId }));
  }
}

// The open conversation is followed live only while this officer has it. After a hand back the student is
// talking to the assistant again, and that is not shown here as it happens.
export function following() {
  var current = state.current;
  return Boolean(current && !current.closed && current.owner === "human" && current.mine);
}

// Opens (or, when moveFocus is false, quietly reloads) a conversation this officer has.
export function openConversation(conversationId, moveFocus) {
  if (moveFocus) showView("queue");
  watch(conversationId);  // first, so nothing said while the transcript loads is missed
  return api("GET", "/conversations/" + encodeURIComponent(conversationId)).then(function (detail) {
    var same = state.current && state.current.id === conversationId;
    var atEnd = !same || ui.transcript.scrollHeight - ui.transcript.scrollTop - ui.transcript.clientHeight < 60;
    if (!same) {
      state.current = { id: conversationId, seqs: {}, highest: 0 };
      ui.transcript.textContent = "";
      ui.notes.textContent = "";
      ui.reply.value = "";
      ui.note.value = "";
    }
    delete state.unread[conversationId];
    var current = state.current;
    current.detail = detail;
    current.reference = detail.reference;
    current.channel = detail.channel;
    current.owner = detail.owner;
    current.mine = state.me && detail.assigned_officer_id === state.me.id;
    current.closed = false;
    (detail.messages || []).forEach(function (message) { addMessage(message, false); });
    renderConversation();
    renderQueue();
    if (atEnd) ui.transcript.scrollTop = ui.transcript.scrollHeight;  // after the layout has settled
    if (moveFocus) ui.convTitle.focus();
  }, function (error) {
    // A quiet reload can race a hand back or a close; only a click deserves a message.
    if (moveFocus && error.status !== 401) {
      setText(ui.queueStatus, "That conversation could not be opened. " + error.message, true);
    }
  });
}

export function renderConversation() {
  var current = state.current;
  var detail = current.detail;
  ui.convTitle.textContent = "Conversation " + (current.reference || "");
  ui.convEmpty.hidden = true;
  ui.convMain.hidden = false;
  ui.convTools.hidden = false;

  ui.facts.textContent = "";
  fact(ui.facts, "Channel", CHANNELS[current.channel] || current.channel);
  fact(ui.facts, "Goal", GOALS[detail.goal] || "Not given");
  fact(ui.facts, "Earlier chat", detail.share_transcript ? "Shared" : "Not shared");
  fact(ui.facts, "Name", detail.anonymous ? "Anonymous" : "May be given");
  var flags = detail.risk_flags || [];
  fact(ui.facts, "Risk", flags.length ? flagList(flags) : "None flagged");

  ui.transcriptNote.textContent = detail.trimmed
    ? "The student chose which of their earlier messages to share: only those are shown, and none of the " +
      "assistant's replies from before."
    : detail.share_transcript
    ? "The student agreed to share what they wrote to the assistant: the earlier messages are shown."
    : "The student chose not to share what they wrote to the assistant: you see only what came after they " +
      "asked for a person.";
  ui.caseLink.href = "#case/" + encodeURIComponent(current.reference || "");
  renderState();
}

function renderState() {
  var current = state.current;
  var live = !current.closed && current.owner === "human" && current.mine;
  ui.reply.disabled = !live;
  ui.send.disabled = !live;
  ui.handback.disabled = !live;
  ui.outcome.disabled = !live;
  ui.category.disabled = !live;
  ui.closeButton.disabled = !live;
  var text = "";
  if (current.closed) {
    text = "Closed: " + words(current.outcome) + ", " + words(current.category) + ". The student has been told.";
  } else if (current.owner === "human" && current.mine) {
    text = "You are talking with the student. The assistant stays quiet until you hand back or close.";
  } else if (current.owner === "bot") {
    text = "Handed back to the assistant. The case stays open: if the student asks for a person again, they " +
      "join the queue.";
  } else if (current.owner === "waiting") {
    text = "Back in the queue (for example, after a lost connection). Take it again from the queue to carry on.";
  } else if (current.owner === "human") {
    text = "Another officer is talking with the student.";
  }
  ui.convState.textContent = text;
  countReply();
}

export function addMessage(message, live) {
  var current = state.current;
  if (!current || typeof message.seq !== "number" || current.seqs[message.seq]) return;
  current.seqs[message.seq] = true;
  var gap = live && current.highest && message.seq > current.highest + 1;
  if (message.seq > current.highest) current.highest = message.seq;

  // Follow the conversation while the officer is at the end of it, not while they read back.
  var atEnd = ui.transcript.scrollHeight - ui.transcript.scrollTop - ui.transcript.clientHeight < 60;
  var item = el("li", "from-" + (FROM[message.from] ? message.from : "system"));
  item.setAttribute("data-seq", String(message.seq));
  var meta = el("p", "meta");
  meta.appendChild(el("span", "who", FROM[message.from] || FROM.system));
  var at = el("time", "at", clock(message.at));
  at.setAttribute("datetime", message.at || "");
  meta.appendChild(at);
  item.appendChild(meta);
  item.appendChild(el("p", "text", message.text));
  if ((message.risk || []).length || (message.low_confidence || []).length) {
    // What the safety check saw in this message: a flag, or a weak sighting shown as low confidence.
    item.appendChild(flagList((message.risk || []).concat((message.low_confidence || []).map(function (label) {
      return LOW + label;
    }))));
  }
  if (message.check_in_answer) {
    // The student's reply to a check-in, as the assistant read it: what it did next follows from this.
    var asked = message.check_in_answer.kind;
    var read = (ANSWERS[asked] || {})[message.check_in_answer.read_as] || message.check_in_answer.read_as;
    item.appendChild(el("p", "check-in-answer",
      "Reply to \u201c" + (CHECK_IN["check_in:" + asked] || asked) + "\u201d, read as: " + read));
  }
  if ((message.quoted || []).length) {
    // The sections of the institution's policy this reply quoted: what the student has read.
    item.appendChild(el("p", "quoted", "Quoted from the policy: " + message.quoted.map(function (label) {
      return "section " + label;
    }).join("; ")));
  }
  place(item, message.seq);

  if (atEnd || message.from === "officer") ui.transcript.scrollTop = ui.transcript.scrollHeight;
  if (live && message.from === "user") announce("Student: " + message.text);
  if (gap) openConversation(current.id, false);  // a message went missing: load the transcript again
}

function place(item, seq) {
  var children = ui.transcript.children;
  for (var i = children.length - 1; i >= 0; i--) {
    if (Number(children[i].getAttribute("data-seq")) < seq) {
      ui.transcript.insertBefore(item, children[i].nextSibling);
      return;
    }
  }
  ui.transcript.insertBefore(item, ui.transcript.firstChild);
}

function countReply() {
  if (!SMS || !state.current || state.current.channel !== "sms") { ui.replyCount.textContent = ""; return; }
  var text = ui.reply.value.trim();
  var length = 0;
  var dropped = false;
  for (var i = 0; i < text.length; i++) {
    var ch = text.charAt(i);
    if (SMS.extended.indexOf(ch) >= 0) length += 2;
    else if (SMS.basic.indexOf(ch) >= 0 || SMS.replaced.indexOf(ch) >= 0) length += 1;
    else if (!/[\uDC00-\uDFFF]/.test(ch)) dropped = true;
  }
  var texts = Math.max(1, Math.ceil(length / SMS.budget));
  var line = "SMS: " + length + " of " + SMS.budget + " characters" +
    (texts > 1 ? ", so it will arrive as " + texts + " or more texts." : ", one text.");
  if (dropped) line += " Emoji and some symbols cannot be sent by text and will be left out.";
  ui.replyCount.textContent = line;
  ui.replyCount.classList.toggle("problem", texts > 1 || dropped);
}

export function wireConversation() {
  ui.reply.addEventListener("input", countReply);
  ui.reply.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      if (ui.replyForm.requestSubmit) ui.replyForm.requestSubmit();
      else ui.replyForm.dispatchEvent(new Event("submit", { cancelable: true }));
    }
  });

  ui.replyForm.addEventListener("submit", function (e) {
    e.preventDefault();
    var text = ui.reply.value.trim();
    if (!state.current || !text || ui.reply.disabled || ui.replyForm.getAttribute("aria-busy")) return;
    var conversation = state.current;
    ui.replyForm.setAttribute("aria-busy", "true");
    api("POST", "/conversations/" + encodeURIComponent(conversation.id) + "/messages", { text: text })
      .then(function (message) {
        if (ui.reply.value.trim() === text) ui.reply.value = "";
        countReply();
        if (state.current === conversation) { addMessage(message, true); renderState(); }
      }, function (error) {
        // The words stay in the box, so nothing the officer wrote is lost.
        setText(ui.convState, "Your reply was not sent. " + error.message, true);
        if (error.status === 409 && state.current === conversation) openConversation(conversation.id, false);
      })
      .then(function () { ui.replyForm.removeAttribute("aria-busy"); });
  });

  ui.handback.addEventListener("click", function () {
    if (!state.current || state.busy) return;
    var conversation = state.current;
    state.busy = true;
    api("POST", "/conversations/" + encodeURIComponent(conversation.id) + "/handback").then(function () {
      conversation.owner = "bot";
      if (state.current === conversation) { renderState(); ui.convTitle.focus(); }
      announce("Handed back to the assistant.");
    }, function (error) {
      setText(ui.convState, "The conversation was not handed back. " + error.message, true);
    }).then(function () { state.busy = false; return refreshQueue(); });
  });

  ui.closeForm.addEventListener("submit", function (e) {
    e.preventDefault();
    if (!state.current) return;
    if (!ui.outcome.value || !ui.category.value) {
      setText(ui.convState, "Choose an outcome and a category first.", true);
      (ui.outcome.value ? ui.category : ui.outcome).focus();
      return;
    }
    if (state.busy) return;
    var conversation = state.current;
    var choice = { outcome: ui.outcome.value, category: ui.category.value };
    state.busy = true;
    api("POST", "/conversations/" + encodeURIComponent(conversation.id) + "/close", choice).then(function () {
      conversation.closed = true;
      conversation.outcome = choice.outcome;
      conversation.category = choice.category;
      if (state.current === conversation) { renderState(); ui.convTitle.focus(); }
      announce("Conversation " + (conversation.reference || "") + " closed.");
    }, function (error) {
      setText(ui.convState, "The conversation was not closed. " + error.message, true);
    }).then(function () { state.busy = false; return refreshQueue(); });
  });

  ui.noteForm.addEventListener("submit", function (e) {
    e.preventDefault();
    if (state.current) addNote(state.current.reference, ui.note, ui.notes);
  });
}
