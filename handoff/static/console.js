// The welfare officers' console: the live queue, one open conversation, cases and call-backs.
// Data comes from /api/console (docs/console.md) and live events from /ws/console. Everything a student or an
// officer wrote is untrusted: it is only ever put on the page as text (textContent), never as markup.
(function () {
  "use strict";

  var PING_EVERY = 25000;          // ms between keep-alive pings on the console socket
  var TICK_EVERY = 30000;          // ms between redraws of the waiting times
  var QUEUE_EVENTS = { joined: true, risk: true, taken: true, closed: true };

  // The page carries the queue as it is now and the words for flags, goals and channels (handoff/console/views.py):
  // one vocabulary, and the first queue is drawn by the same code as every refresh.
  function pageData(id) {
    var block = document.getElementById(id);
    try { return block ? JSON.parse(block.textContent) : null; } catch (e) { return null; }
  }
  var DATA = pageData("console-data") || { queue: [], words: {} };  // officer_id: who is signed in
  var WORDS = DATA.words || {};
  var RISK = WORDS.risk || {};
  var URGENT = {};
  (WORDS.urgent || []).forEach(function (label) { URGENT[label] = true; });
  var GOALS = WORDS.goals || {};
  var CHANNELS = WORDS.channels || {};
  var FROM = { user: "Student", assistant: "Assistant (automated)", officer: "Welfare officer",
    system: "Notice (automatic)" };
  var EVENTS = {
    created: "Case created", taken: "Taken by an officer", read: "Read", note_added: "Note added",
    handed_back: "Handed back to the assistant", closed: "Closed", wait_notice: "Told the student about the wait",
    resumed: "Student came back with their reference", callback_requested: "Call-back requested",
    callback_done: "Call-back done", reopened: "Opened again after a close", left_queue: "Student stopped waiting",
    choices_updated: "Student changed their choices"
  };

  function byId(id) { return document.getElementById(id); }

  // How a text is counted (safety/gsm.py): the page carries the rules as JSON, so there is one copy of the
  // GSM-7 alphabet. budget: characters in one text; basic and extended: the two GSM-7 tables (an extended
  // character counts twice); replaced: characters made plain when sent, not left out. Null if the page lacks it.
  var SMS = pageData("sms-rules");

  var ui = {
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

  var me = null;               // GET /api/console/me: id, name, role, on_duty, categories, outcomes, csrf_token
  var skew = 0;                // the server's clock minus this computer's, in ms (from each answer's Date header)
  var queueRows = [];
  var queueLoading = false;    // a refresh is in flight
  var queueWaiters = [];       // callers waiting for a refresh that starts after they asked
  var current = null;          // the open conversation
  var openCase = null;         // the reference shown on the case page
  var busy = false;            // a hand back or a close is on its way
  var unread = {};             // conversation id -> new student messages in a conversation that is not open
  var socket = null;
  var retry = 0;
  var reconnectTimer = null;
  var signedOut = false;
  var audio = null;

  // ---- small helpers -------------------------------------------------------------------------------
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function words(value) {
    if (!value) return "";
    var text = String(value).replace(/_/g, " ");
    return text.charAt(0).toUpperCase() + text.slice(1);
  }

  var CHECK_IN = WORDS.check_in || {};
  var LOW = WORDS.low || "low:";  // seen only weakly (a look-alike, perhaps): low confidence, never shown as urgent

  function riskWords(flag) {
    flag = String(flag);
    if (CHECK_IN[flag]) return CHECK_IN[flag];
    if (flag.indexOf(LOW) === 0) return "possible " + riskWords(flag.slice(LOW.length)) + " (low confidence)";
    return RISK[flag] || flag.replace(/_/g, " ");
  }

  function parseTime(iso) {
    if (!iso) return NaN;
    // The API sends timezone-aware ISO 8601; read one without a zone as UTC, never as this computer's time.
    return Date.parse(/(Z|[+-]\d\d:?\d\d)$/.test(iso) ? iso : iso + "Z");
  }

  function serverNow() { return Date.now() + skew; }

  function waited(iso) {
    var minutes = Math.floor((serverNow() - parseTime(iso)) / 60000);
    if (!(minutes >= 1)) return "under 1 min";
    if (minutes < 60) return minutes + " min";
    var hours = Math.floor(minutes / 60);
    return hours + " h " + (minutes % 60) + " min";
  }

  var clockFormat = new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", timeZone: "Europe/London" });
  var dateFormat = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "short", year: "numeric",
    hour: "2-digit", minute: "2-digit", timeZone: "Europe/London" });

  function clock(iso) {
    var time = parseTime(iso);
    return isNaN(time) ? "" : clockFormat.format(new Date(time));
  }

  function when(iso) {
    var time = parseTime(iso);
    return isNaN(time) ? "" : dateFormat.format(new Date(time));
  }

  function actor(value) {
    if (!value) return "";
    var match = /^officer:(\d+)$/.exec(value);
    if (match) return me && Number(match[1]) === me.id ? "You" : "Officer " + match[1];
    return words(value);
  }

  function setText(node, text, problem) {
    node.textContent = text || "";
    node.classList.toggle("problem", Boolean(problem && text));
  }

  var announceTimer = null;
  function announce(text) {
    // A polite live region: screen readers read each new line once, after what they are reading now.
    ui.announce.appendChild(el("p", "", text));
    while (ui.announce.childNodes.length > 5) ui.announce.removeChild(ui.announce.firstChild);
    clearTimeout(announceTimer);
    announceTimer = setTimeout(function () { ui.announce.textContent = ""; }, 20000);
  }

  function fact(list, term, value, className) {
    var dt = el("dt", "", term);
    var dd = el("dd", className || "");
    if (value instanceof Node) dd.appendChild(value); else dd.textContent = value;
    list.appendChild(dt);
    list.appendChild(dd);
  }

  function flagList(flags) {
    var list = el("ul", "flags");
    list.setAttribute("aria-label", "Risk flags");
    (flags || []).forEach(function (flag) {
      var item = el("li", "flag " + (URGENT[flag] ? "urgent" : "caution") +
        (String(flag).indexOf(LOW) === 0 ? " low" : ""), riskWords(flag));
      item.setAttribute("data-flag", flag);
      list.appendChild(item);
    });
    return list;
  }

  // ---- the API -------------------------------------------------------------------------------------
  function ApiError(status, detail) {
    this.status = status;
    this.message = detail || "Something went wrong (" + status + "). Please try again.";
  }

  function problemText(data) {
    if (!data || data.detail === undefined) return "";
    if (typeof data.detail === "string") return words(data.detail) + ".";
    return "Please check what you entered.";
  }

  function api(method, path, body) {
    var options = { method: method, credentials: "same-origin", headers: { Accept: "application/json" } };
    if (method !== "GET") {
      options.headers["Content-Type"] = "application/json";
      options.headers["X-CSRF-Token"] = me ? me.csrf_token : "";
      options.body = JSON.stringify(body || {});
    }
    return fetch("/api/console" + path, options).then(function (response) {
      var date = Date.parse(response.headers.get("Date") || "");
      if (!isNaN(date)) skew = date - Date.now();
      if (response.status === 401) {
        endSession();
        throw new ApiError(401, "You have been signed out.");
      }
      return response.json().catch(function () { return null; }).then(function (data) {
        if (!response.ok) throw new ApiError(response.status, problemText(data));
        return data;
      });
    }, function () {
      throw new ApiError(0, "The console could not reach the service. Check the connection and try again.");
    });
  }

  function endSession() {
    if (signedOut) return;
    signedOut = true;
    ui.sessionEnded.hidden = false;
    if (socket) { try { socket.close(); } catch (e) { /* closing anyway */ } }
  }

  // ---- alerts: a tone and a notification when someone joins the queue --------------------------------
  function unlockAudio() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return;
    try {
      if (!audio) audio = new Context();
      if (audio.state === "suspended") audio.resume();
    } catch (e) { audio = null; }
  }

  function tone() {
    if (!audio) return;
    try {
      var start = audio.currentTime + 0.01;
      [[660, 0], [880, 0.18]].forEach(function (note) {
        var oscillator = audio.createOscillator();
        var gain = audio.createGain();
        oscillator.type = "sine";
        oscillator.frequency.value = note[0];
        gain.gain.setValueAtTime(0.0001, start + note[1]);
        gain.gain.exponentialRampToValueAtTime(0.2, start + note[1] + 0.02);
        gain.gain.exponentialRampToValueAtTime(0.0001, start + note[1] + 0.16);
        oscillator.connect(gain);
        gain.connect(audio.destination);
        oscillator.start(start + note[1]);
        oscillator.stop(start + note[1] + 0.18);
      });
    } catch (e) { /* no sound on this computer */ }
  }

  function notificationsState() {
    return "Notification" in window ? window.Notification.permission : "unsupported";
  }

  function askForNotifications() {
    // Only ever from a click: browsers ignore (or block) requests that the officer did not ask for.
    if (notificationsState() !== "default") return;
    try {
      Promise.resolve(window.Notification.requestPermission()).then(showDuty, showDuty);
    } catch (e) { /* an old browser */ }
  }

  function notify(row) {
    // The title and body never carry anything a student wrote: a notification can show on a locked screen.
    if (notificationsState() !== "granted") return;
    var body = "Someone is waiting (" + (CHANNELS[row.channel] || row.channel) + ")." +
      ((row.risk_flags || []).length ? " A risk has been flagged." : "");
    try {
      var notification = new window.Notification("Someone is waiting for a welfare officer", {
        body: body, tag: "queue-" + row.conversation
      });
      notification.onclick = function () { window.focus(); location.hash = "#queue"; };
    } catch (e) { /* notifications can fail (for example on a locked profile): the tone still plays */ }
  }

  function alertJoined(conversationId) {
    var row = queueRows.filter(function (r) { return r.conversation === conversationId; })[0];
    if (!row || row.owner !== "waiting") return;
    var flags = (row.risk_flags || []).map(riskWords);
    announce("New in the queue: " + (CHANNELS[row.channel] || row.channel) +
      (row.reference ? ", " + row.reference : "") + (flags.length ? ", risk: " + flags.join(", ") : "") + ".");
    if (!onDuty()) return;
    tone();
    notify(row);
  }

  function alertRisk(conversationId) {
    var row = queueRows.filter(function (r) { return r.conversation === conversationId; })[0];
    if (!row) return;
    announce("Risk flagged" + (row.reference ? " for " + row.reference : "") + ": " +
      (row.risk_flags || []).map(riskWords).join(", ") + ".");
    if (following() && current.id === conversationId) {
      current.detail.risk_flags = row.risk_flags;  // from the queue: no need to read the case again
      renderConversation();
    }
  }

  // ---- on duty -------------------------------------------------------------------------------------
  function onDuty() { return ui.duty.getAttribute("aria-pressed") === "true"; }

  function showDuty() {
    var on = onDuty();
    ui.duty.querySelector(".switch-state").textContent = on ? "Yes" : "No";
    var state = notificationsState();
    var text = on
      ? "You are on duty while this console is open: students can be offered a person, and you will hear a " +
        "tone when someone joins. If you close it, you come off duty within a minute."
      : "You are off duty: students are not offered a person unless someone else is on duty. Duty ends when " +
        "no console of yours is open.";
    if (on && state === "denied") text += " Desktop notifications are blocked in this browser.";
    ui.dutyNote.textContent = text;
    ui.allowNotifications.hidden = !(on && state === "default");
  }

  ui.duty.addEventListener("click", function () {
    var on = !onDuty();
    if (on) { unlockAudio(); askForNotifications(); }
    ui.duty.setAttribute("aria-busy", "true");
    api("POST", "/duty", { on_duty: on }).then(function (answer) {
      ui.duty.setAttribute("aria-pressed", answer.on_duty ? "true" : "false");
      showDuty();
    }, function (error) {
      setText(ui.queueStatus, "You are still " + (on ? "off" : "on") + " duty. " + error.message, true);
    }).then(function () { ui.duty.removeAttribute("aria-busy"); });
  });

  ui.allowNotifications.addEventListener("click", function () {
    unlockAudio();
    askForNotifications();
    ui.duty.focus();
  });

  // Browsers let a page make sound only after a click or a key press; the first one on the page unlocks it.
  function firstGesture() {
    if (onDuty()) unlockAudio();
    document.removeEventListener("pointerdown", firstGesture, true);
    document.removeEventListener("keydown", firstGesture, true);
  }
  document.addEventListener("pointerdown", firstGesture, true);
  document.addEventListener("keydown", firstGesture, true);

  // Signing out also takes the officer off duty, so students are not promised someone who has gone.
  ui.logout.addEventListener("submit", function (e) {
    if (!onDuty() || signedOut || ui.logout.dataset.leaving) return;
    e.preventDefault();
    ui.logout.dataset.leaving = "true";
    api("POST", "/duty", { on_duty: false }).catch(function () { /* signing out anyway */ })
      .then(function () { ui.logout.submit(); });
  });

  // ---- the queue -----------------------------------------------------------------------------------
  // Resolves once a refresh that started after the call has finished, so the new rows are in it.
  function refreshQueue() {
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
      queueRows = rows || [];
      // Follow every conversation this officer has, so a message in one that is not open is noticed.
      queueRows.forEach(function (row) { if (isMine(row)) watch(row.conversation); });
      renderQueue();
    }, function (error) {
      if (error.status !== 401) setText(ui.queueStatus, "The queue could not be refreshed. " + error.message, true);
    }).then(function () {
      queueLoading = false;
      waiters.forEach(function (resolve) { resolve(); });
      if (queueWaiters.length) loadQueue();
    });
  }

  function renderQueue() {
    var focused = document.activeElement;
    var focusKey = focused && ui.queue.contains(focused) ? focused.getAttribute("data-key") : null;
    ui.queue.textContent = "";
    queueRows.forEach(function (row) { ui.queue.appendChild(queueItem(row)); });
    ui.queueEmpty.hidden = queueRows.length > 0;
    if (focusKey) {
      var again = ui.queue.querySelector('[data-key="' + focusKey + '"]');
      (again || ui.queue.closest("section").querySelector("h1")).focus();
    }
  }

  function isMine(row) {
    return row.owner === "human" && row.assigned_officer_id === DATA.officer_id;
  }

  function queueItem(row) {
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
    if (unread[row.conversation]) {
      var count = unread[row.conversation];
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

  // ---- the open conversation -----------------------------------------------------------------------
  function watch(conversationId) {
    if (socket && socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify({ type: "watch", conversation: conversationId }));
    }
  }

  // Opens (or, when moveFocus is false, quietly reloads) a conversation this officer has.
  function openConversation(conversationId, moveFocus) {
    if (moveFocus) showView("queue");
    watch(conversationId);  // first, so nothing said while the transcript loads is missed
    return api("GET", "/conversations/" + encodeURIComponent(conversationId)).then(function (detail) {
      var same = current && current.id === conversationId;
      var atEnd = !same || ui.transcript.scrollHeight - ui.transcript.scrollTop - ui.transcript.clientHeight < 60;
      if (!same) {
        current = { id: conversationId, seqs: {}, highest: 0 };
        ui.transcript.textContent = "";
        ui.notes.textContent = "";
        ui.reply.value = "";
        ui.note.value = "";
      }
      delete unread[conversationId];
      current.detail = detail;
      current.reference = detail.reference;
      current.channel = detail.channel;
      current.owner = detail.owner;
      current.mine = me && detail.assigned_officer_id === me.id;
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

  function renderConversation() {
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

  function addMessage(message, live) {
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
    if (!SMS || !current || current.channel !== "sms") { ui.replyCount.textContent = ""; return; }
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
    if (!current || !text || ui.reply.disabled || ui.replyForm.getAttribute("aria-busy")) return;
    var conversation = current;
    ui.replyForm.setAttribute("aria-busy", "true");
    api("POST", "/conversations/" + encodeURIComponent(conversation.id) + "/messages", { text: text })
      .then(function (message) {
        if (ui.reply.value.trim() === text) ui.reply.value = "";
        countReply();
        if (current === conversation) { addMessage(message, true); renderState(); }
      }, function (error) {
        // The words stay in the box, so nothing the officer wrote is lost.
        setText(ui.convState, "Your reply was not sent. " + error.message, true);
        if (error.status === 409 && current === conversation) openConversation(conversation.id, false);
      })
      .then(function () { ui.replyForm.removeAttribute("aria-busy"); });
  });

  ui.handback.addEventListener("click", function () {
    if (!current || busy) return;
    var conversation = current;
    busy = true;
    api("POST", "/conversations/" + encodeURIComponent(conversation.id) + "/handback").then(function () {
      conversation.owner = "bot";
      if (current === conversation) { renderState(); ui.convTitle.focus(); }
      announce("Handed back to the assistant.");
    }, function (error) {
      setText(ui.convState, "The conversation was not handed back. " + error.message, true);
    }).then(function () { busy = false; return refreshQueue(); });
  });

  ui.closeForm.addEventListener("submit", function (e) {
    e.preventDefault();
    if (!current) return;
    if (!ui.outcome.value || !ui.category.value) {
      setText(ui.convState, "Choose an outcome and a category first.", true);
      (ui.outcome.value ? ui.category : ui.outcome).focus();
      return;
    }
    if (busy) return;
    var conversation = current;
    var choice = { outcome: ui.outcome.value, category: ui.category.value };
    busy = true;
    api("POST", "/conversations/" + encodeURIComponent(conversation.id) + "/close", choice).then(function () {
      conversation.closed = true;
      conversation.outcome = choice.outcome;
      conversation.category = choice.category;
      if (current === conversation) { renderState(); ui.convTitle.focus(); }
      announce("Conversation " + (conversation.reference || "") + " closed.");
    }, function (error) {
      setText(ui.convState, "The conversation was not closed. " + error.message, true);
    }).then(function () { busy = false; return refreshQueue(); });
  });

  function addNote(reference, textarea, list, after) {
    var text = textarea.value.trim();
    if (!reference || !text) { textarea.focus(); return; }
    api("POST", "/cases/" + encodeURIComponent(reference) + "/notes", { text: text }).then(function (note) {
      textarea.value = "";
      list.appendChild(noteItem(note));
      announce("Note saved.");
      if (after) after();
    }, function (error) {
      setText(list === ui.notes ? ui.convState : ui.caseStatus, "The note was not saved. " + error.message, true);
    });
  }

  function noteItem(note) {
    var item = el("li", "note-item");
    var meta = el("p", "meta");
    meta.appendChild(el("span", "who", actor("officer:" + note.officer_id)));
    var at = el("time", "at", when(note.at));
    at.setAttribute("datetime", note.at || "");
    meta.appendChild(at);
    item.appendChild(meta);
    item.appendChild(el("p", "text", note.text));
    return item;
  }

  ui.noteForm.addEventListener("submit", function (e) {
    e.preventDefault();
    if (current) addNote(current.reference, ui.note, ui.notes);
  });

  // ---- the socket ----------------------------------------------------------------------------------
  function connect() {
    if (signedOut) return;
    clearTimeout(reconnectTimer);
    reconnectTimer = null;
    var ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/console");
    socket = ws;
    ws.addEventListener("open", function () {
      if (ws !== socket) return;
      var wasLost = retry > 0;
      retry = 0;
      setText(ui.connection, wasLost ? "Live updates are back." : "");
      if (wasLost) setTimeout(function () { if (retry === 0) setText(ui.connection, ""); }, 4000);
      refreshQueue();
      if (following()) openConversation(current.id, false);  // watch again, and fill any gap
    });
    ws.addEventListener("message", function (raw) {
      if (ws !== socket) return;
      var event;
      try { event = JSON.parse(raw.data); } catch (e) { return; }
      if (event && typeof event === "object") onEvent(event);
    });
    ws.addEventListener("close", function (e) {
      if (ws !== socket) return;
      socket = null;
      if (e.code === 4401) { endSession(); return; }
      setText(ui.connection, "Live updates lost: reconnecting. The queue may be out of date until then.", true);
      retry = Math.min(retry + 1, 5);
      var delay = Math.min(8000, 400 * Math.pow(2, retry - 1)) * (0.8 + Math.random() * 0.4);
      reconnectTimer = setTimeout(connect, delay);
    });
  }

  // The open conversation is followed live only while this officer has it. After a hand back the student is
  // talking to the assistant again, and that is not shown here as it happens.
  function following() {
    return Boolean(current && !current.closed && current.owner === "human" && current.mine);
  }

  function onEvent(event) {
    if (event.type === "duty") {  // sent as the socket opens: duty lapses when no console stays open
      ui.duty.setAttribute("aria-pressed", event.on_duty ? "true" : "false");
      showDuty();
      return;
    }
    if (QUEUE_EVENTS[event.type]) {
      refreshQueue().then(function () {
        if (event.type === "joined") alertJoined(event.conversation);
        if (event.type === "risk") alertRisk(event.conversation);
      });
      return;
    }
    if (event.type === "message" && event.from === "user" && !(current && current.id === event.conversation)) {
      var row = queueRows.filter(function (r) { return r.conversation === event.conversation; })[0];
      if (row && isMine(row)) {
        unread[row.conversation] = (unread[row.conversation] || 0) + 1;
        renderQueue();
        announce("New message from the student in " + (row.reference || "another conversation") + ".");
      }
      return;
    }
    if (!following() || event.conversation !== current.id) return;
    if (event.type === "message") {
      addMessage(event, true);
    } else if (event.type === "officer_left" && !busy) {
      openConversation(current.id, false);  // for example, moved back to the queue after a lost connection
    }
  }

  setInterval(function () {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: "ping" }));
  }, PING_EVERY);
  setInterval(redrawWaits, TICK_EVERY);
  window.addEventListener("online", function () { if (!socket && !signedOut) connect(); });

  // ---- views: queue, cases, a case, call-backs -----------------------------------------------------
  var VIEWS = { queue: "view-queue", cases: "view-cases", "case": "view-case", callbacks: "view-callbacks" };

  function showView(name) {
    Object.keys(VIEWS).forEach(function (key) { byId(VIEWS[key]).hidden = key !== name; });
    var section = name === "case" ? "cases" : name;
    Array.prototype.forEach.call(document.querySelectorAll("nav.views a"), function (link) {
      if (link.getAttribute("data-view") === section) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    });
  }

  function route(moveFocus) {
    var hash = decodeURIComponent(location.hash.replace(/^#/, ""));
    var heading;
    if (hash.indexOf("case/") === 0) {
      showView("case");
      loadCase(hash.slice(5));
      heading = ui.caseTitle;
    } else if (hash === "cases") {
      showView("cases");
      loadCases(ui.searchReference.value);
      heading = byId("cases-title");
    } else if (hash === "callbacks") {
      showView("callbacks");
      loadCallbacks();
      heading = byId("callbacks-title");
    } else {
      showView("queue");
      heading = byId("queue-title");
    }
    if (moveFocus && heading) heading.focus();
  }
  window.addEventListener("hashchange", function () { route(true); });

  function loadCases(reference) {
    reference = (reference || "").trim();
    setText(ui.casesStatus, "Loading…");
    var query = reference ? "?reference=" + encodeURIComponent(reference) : "";
    api("GET", "/cases" + query).then(function (cases) {
      ui.casesBody.textContent = "";
      cases.forEach(function (c) {
        var row = el("tr");
        row.setAttribute("data-reference", c.reference);
        var cell = el("td");
        var link = el("a", "", c.reference);
        link.href = "#case/" + encodeURIComponent(c.reference);
        cell.appendChild(link);
        row.appendChild(cell);
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

  ui.searchForm.addEventListener("submit", function (e) {
    e.preventDefault();
    loadCases(ui.searchReference.value);
  });
  ui.showAll.addEventListener("click", function () {
    ui.searchReference.value = "";
    loadCases("");
  });

  function loadCase(reference) {
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

  ui.caseNoteForm.addEventListener("submit", function (e) {
    e.preventDefault();
    addNote(openCase, ui.caseNote, ui.caseNotes, function () { ui.caseNotesEmpty.hidden = true; });
  });

  function loadCallbacks() {
    setText(ui.callbacksStatus, "Loading…");
    api("GET", "/callbacks").then(function (rows) {
      ui.callbacksBody.textContent = "";
      rows.forEach(function (cb) {
        var row = el("tr");
        var cell = el("td");
        var link = el("a", "", cb.reference);
        link.href = "#case/" + encodeURIComponent(cb.reference);
        cell.appendChild(link);
        row.appendChild(cell);
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

  // ---- start ---------------------------------------------------------------------------------------
  function fillSelect(select, values) {
    values.forEach(function (value) {
      var option = el("option", "", words(value));
      option.value = value;
      select.appendChild(option);
    });
  }

  // The queue as the page was served, drawn at once; the refresh after /me keeps it live.
  if (DATA.now && !isNaN(parseTime(DATA.now))) skew = parseTime(DATA.now) - Date.now();
  queueRows = DATA.queue || [];
  renderQueue();

  api("GET", "/me").then(function (answer) {
    me = answer;
    fillSelect(ui.outcome, me.outcomes || []);
    fillSelect(ui.category, me.categories || []);
    ui.duty.setAttribute("aria-pressed", me.on_duty ? "true" : "false");
    showDuty();
    route(false);
    refreshQueue().then(function () {
      // After a reload in the middle of a conversation, it opens again by itself.
      var mine = queueRows.filter(function (row) { return row.owner === "human" && row.assigned_officer_id === me.id; });
      if (!current && mine.length === 1) openConversation(mine[0].conversation, false);
    });
    connect();
    document.documentElement.setAttribute("data-ready", "true");
  }, function (error) {
    if (error.status !== 401) setText(ui.connection, "The console could not start. " + error.message, true);
  });
  showDuty();
})();
