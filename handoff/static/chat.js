// Web chat client, for the chat page (/) and the widget's frame (/embed). Protocol: docs/webchat-protocol.md.
// The browser keeps nothing but the conversation token, and only in sessionStorage, which it forgets when
// the tab closes. Messages live on the page and nowhere else.
(function () {
  "use strict";
  var TOKEN_KEY = "disclosure-assistant-token";
  var GREETING = "/greet";           // sent by the page to start a new conversation; never shown
  var PING_EVERY = 25000;            // ms between keep-alive pings
  var SILENCE_LIMIT = 10000;         // ms without any frame after a ping before the socket counts as dead
  var GAP_WAIT = 3000;               // ms a missing seq may stay missing before the page asks again
  var MESSAGE = "talk-it-through";   // marks postMessage traffic between this frame and widget.js
  var SHARE_CHOOSE = "/share_choose"; // this quick reply opens the list below instead of being sent

  var root = document.documentElement;
  var embedded = root.classList.contains("embedded");
  var framed = window.parent !== window;
  var scroller = document.getElementById("scroller");
  var log = document.getElementById("log");
  var replies = document.getElementById("replies");
  var typing = document.getElementById("typing");
  var statusLine = document.getElementById("status");
  var form = document.getElementById("composer");
  var input = document.getElementById("text");
  var exitLink = document.getElementById("exit");
  var exitProgress = document.getElementById("exit-progress");
  var closeButton = document.getElementById("close");
  var exitUrl = exitLink.href;

  var socket = null;
  var helloAfter = 0;      // the `after` of the current socket's hello
  var shown = {};          // seq -> true, for every message on screen (or deliberately hidden)
  var contiguous = 0;      // every seq up to this one is shown: the `after` of the next hello
  var highest = 0;         // the highest seq shown
  var queue = [];          // client_ids not yet acknowledged, oldest first
  var pending = {};        // client_id -> {text, shownText, element}
  var titles = {};         // quick-reply payload -> its title, so a replayed choice reads as it did
  var needGreeting = false;
  var retry = 0;
  var refusedUntil = 0;  // the server said when to try again (too many chats from this address)
  var reconnectTimer = null;
  var pingTimer = null;
  var lastHeard = 0;
  var gapTimer = null;
  var gapAskedAt = -1;
  var leaving = false;
  var memoryToken = null;  // used only if the browser refuses sessionStorage

  // ---- storage: the token only ------------------------------------------------------------------
  function readToken() {
    try { return window.sessionStorage.getItem(TOKEN_KEY); } catch (e) { return memoryToken; }
  }
  function keepToken(token) {
    memoryToken = token;
    try { window.sessionStorage.setItem(TOKEN_KEY, token); } catch (e) { /* memory only */ }
  }
  function forgetToken() {
    memoryToken = null;
    try { window.sessionStorage.removeItem(TOKEN_KEY); } catch (e) { /* nothing stored */ }
  }

  // ---- rendering ----------------------------------------------------------------------------------
  function newId() {
    var bytes = new Uint8Array(12);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function label(from) {
    return { user: "You", assistant: "Assistant (automated)", officer: "Welfare officer", system: "Notice" }[from] ||
      "Notice";
  }

  // The view follows the conversation while the student is at the end of it, not while they read back.
  // A new chat starts at the top, so the introduction and the privacy note are read first.
  var following = false;
  function nearBottom() {
    return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 80;
  }
  function scrollDown(force) {
    if (force || following) {
      scroller.scrollTop = scroller.scrollHeight;
      following = true;
    }
  }
  scroller.addEventListener("scroll", function () { following = nearBottom(); });
  if (window.ResizeObserver) new window.ResizeObserver(function () { scrollDown(false); }).observe(scroller);

  // Messages with a seq are kept in seq order; those still waiting for one stay at the end.
  function place(item, seq) {
    var children = log.children;
    for (var i = 0; i < children.length; i++) {
      var other = children[i];
      if (other === item) continue;
      var otherSeq = other.getAttribute("data-seq");
      if (otherSeq === null ? other.classList.contains("pending") : Number(otherSeq) > seq) {
        log.insertBefore(item, other);
        return;
      }
    }
    log.appendChild(item);
  }

  // Phone numbers become tel: links and web addresses links, so help is one tap away. Built from text nodes
  // and <a> elements only: nothing in a message is ever read as markup, and only http(s) addresses link.
  var LINKS = /https?:\/\/[^\s<>"]*[^\s<>".,;:!?)]|\bwww\.[^\s<>"]*[^\s<>".,;:!?)]|\b(?:999|111|116 ?\d{3}|0\d{2,4}(?: ?\d){4,8})(?![\d])/g;

  function appendLinked(parent, text) {
    var last = 0;
    var match;
    LINKS.lastIndex = 0;
    while ((match = LINKS.exec(text)) !== null) {
      var found = match[0];
      if (match.index > last) parent.appendChild(document.createTextNode(text.slice(last, match.index)));
      var link = document.createElement("a");
      if (/^(https?:|www\.)/i.test(found)) {
        link.href = /^www\./i.test(found) ? "https://" + found : found;
        link.target = "_blank";
        link.rel = "noopener noreferrer";
      } else {
        link.href = "tel:" + found.replace(/\s/g, "");
      }
      link.textContent = found;
      parent.appendChild(link);
      last = match.index + found.length;
    }
    if (last < text.length) parent.appendChild(document.createTextNode(text.slice(last)));
  }

  function addBubble(from, text, seq) {
    var item = document.createElement("li");
    item.className = "from-" + (label(from) === "Notice" ? "system" : from);
    var who = document.createElement("span");
    who.className = "who";
    who.textContent = label(from);
    item.appendChild(who);
    if (from === "user") item.appendChild(document.createTextNode(text));
    else appendLinked(item, text);
    if (typeof seq === "number") {
      item.setAttribute("data-seq", String(seq));
      place(item, seq);
    } else {
      log.appendChild(item);
    }
    scrollDown(from === "user");
    return item;
  }

  function addEvent(text) {
    var item = document.createElement("li");
    item.className = "event";
    item.textContent = text;
    log.appendChild(item);
    scrollDown(false);
  }

  function setStatus(text, problem) {
    statusLine.textContent = text || "";
    statusLine.classList.toggle("problem", Boolean(problem && text));
  }

  function showButtons(buttons) {
    var hadFocus = replies.contains(document.activeElement);
    replies.textContent = "";
    (buttons || []).forEach(function (b) {
      if (!b || typeof b.title !== "string" || typeof b.payload !== "string") return;
      titles[b.payload] = b.title;
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = b.title;
      button.addEventListener("click", function () {
        if (b.payload === SHARE_CHOOSE) { openShareChooser(); return; }
        send(b.title, b.payload);
        input.focus();  // the buttons are gone now: focus must not fall back to the page
      });
      replies.appendChild(button);
    });
    if (hadFocus) input.focus();
    scrollDown(false);
  }

  // ---- choosing what the officer sees -------------------------------------------------------------
  // The student's own messages, exactly as the officer would see them, each with a box to untick. The
  // answer names the last message listed and the ones left out; the service shares nothing else from before.
  function openShareChooser() {
    var mine = Array.prototype.filter.call(log.children, function (item) {
      return item.classList.contains("from-user") && item.hasAttribute("data-seq");
    });
    replies.textContent = "";
    var box = document.createElement("fieldset");
    box.className = "share-chooser";
    var legend = document.createElement("legend");
    legend.textContent = "What the welfare officer will see. Untick anything you'd rather keep to yourself.";
    box.appendChild(legend);
    var list = document.createElement("ul");
    mine.forEach(function (item) {
      var row = document.createElement("li");
      var label = document.createElement("label");
      var tick = document.createElement("input");
      tick.type = "checkbox";
      tick.checked = true;
      tick.value = item.getAttribute("data-seq");
      label.appendChild(tick);
      label.appendChild(document.createTextNode(" " + Array.prototype.filter.call(item.childNodes, function (n) {
        return n.nodeType === 3;
      }).map(function (n) { return n.textContent; }).join("")));
      row.appendChild(label);
      list.appendChild(row);
    });
    box.appendChild(list);
    var shareTicked = document.createElement("button");
    shareTicked.type = "button";
    shareTicked.textContent = "Share the ticked messages";
    var shareNone = document.createElement("button");
    shareNone.type = "button";
    shareNone.textContent = "Share nothing";
    box.appendChild(shareTicked);
    box.appendChild(shareNone);
    replies.appendChild(box);
    shareTicked.addEventListener("click", function () {
      var ticks = Array.prototype.slice.call(list.querySelectorAll("input"));
      var upto = ticks.reduce(function (most, t) { return Math.max(most, Number(t.value)); }, 0);
      var left = ticks.filter(function (t) { return !t.checked; }).map(function (t) { return t.value; });
      var kept = ticks.length - left.length;
      var payload = "/share_chosen" + JSON.stringify({ share_upto: upto, share_withheld: left.join(" ") });
      if (payload.length > 200) payload = "/deny";  // too long to send: share less, never more
      send("Share " + kept + " of my " + ticks.length + " messages", payload);
      input.focus();
    });
    shareNone.addEventListener("click", function () {
      send("Share nothing", "/deny");
      input.focus();
    });
    var first = list.querySelector("input") || shareTicked;
    first.focus();
  }

  // After an officer closes the chat the student may write on (the assistant answers) or start a new chat.
  function offerNewChat() {
    showButtons([]);
    var button = document.createElement("button");
    button.type = "button";
    button.className = "new-chat";
    button.textContent = "Start a new chat";
    button.addEventListener("click", function () {
      forgetToken();
      startAfresh();
      addEvent("This is a new chat. The welfare team keeps the earlier one with its reference.");
      reconnectNow();
      input.focus();
    });
    replies.appendChild(button);
    scrollDown(false);
  }

  function setTyping(from, on) {
    typing.textContent = on ? label(from).replace(" (automated)", "") + " is writing…" : "";
    scrollDown(false);
  }

  // ---- sequence bookkeeping -----------------------------------------------------------------------
  function markShown(seq) {
    shown[seq] = true;
    if (seq > highest) highest = seq;
    while (shown[contiguous + 1]) contiguous += 1;
    watchForGaps();
  }

  // A message missing between others is fetched again by resuming from the last unbroken one.
  function watchForGaps() {
    if (gapTimer !== null || contiguous >= highest) return;
    gapTimer = setTimeout(function () {
      gapTimer = null;
      if (contiguous < highest && gapAskedAt !== contiguous && isOpen()) {
        gapAskedAt = contiguous;
        reconnectNow();
      }
    }, GAP_WAIT);
  }

  function confirm(clientId, seq) {
    var item = pending[clientId];
    if (!item) return;
    delete pending[clientId];
    queue = queue.filter(function (id) { return id !== clientId; });
    markShown(seq);
    if (item.element) {
      item.element.classList.remove("pending");
      item.element.setAttribute("data-seq", String(seq));
      place(item.element, seq);
    }
  }

  // ---- events from the server ---------------------------------------------------------------------
  function onMessage(event) {
    if (typeof event.seq !== "number") return;
    if (event.from === "user" && event.client_id && pending[event.client_id]) {
      confirm(event.client_id, event.seq);
      return;
    }
    if (shown[event.seq]) return;
    markShown(event.seq);
    var latest = event.seq >= highest;
    (event.buttons || []).forEach(function (b) { if (b && b.payload) titles[b.payload] = b.title; });
    if (event.from === "user") {
      if (latest) showButtons([]);
      if (event.text === GREETING) return;
      addBubble("user", titles[event.text] || event.text, event.seq);
      return;
    }
    setTyping(event.from, false);
    if (event.text) addBubble(event.from, event.text, event.seq);
    if (latest) showButtons(event.buttons);
  }

  function onError(event) {
    setStatus(event.message || "Something went wrong. Please try again.", true);
    if (event.retry_after && !event.client_id) {
      // The server is closing this socket (too many chats from here): keep its message, come back later.
      refusedUntil = Date.now() + Number(event.retry_after) * 1000;
      return;
    }
    var item = event.client_id && pending[event.client_id];
    if (!item) return;
    if (event.code === "rate_limited" || event.code === "not_taken_in") {
      // Kept, and sent again when the server says it may be (too fast, or it could not take it in just now).
      var wait = Math.max(1, Number(event.retry_after) || 5) * 1000;
      setTimeout(function () { transmit(event.client_id); }, wait);
      return;
    }
    delete pending[event.client_id];
    queue = queue.filter(function (id) { return id !== event.client_id; });
    if (item.element) item.element.remove();
    if (item.element && !input.value) input.value = item.shownText;  // nothing the student wrote is lost
  }

  function onWelcome(event) {
    retry = 0;
    keepToken(event.token);
    setStatus("");
    if (event.max_chars) input.maxLength = event.max_chars;
    if (!event.resumed && helloAfter > 0) {
      // The earlier chat no longer exists (deleted, or past its time). Start again from seq 0.
      startAfresh();
      addEvent("Your earlier chat has ended. This is a new one.");
      reconnectNow();
      return;
    }
    if (!event.resumed) needGreeting = true;
    if (event.resumed && helloAfter === 0) scrollDown(true);  // a reloaded page shows the latest
    if (event.owner === "waiting") setStatus("Waiting for a welfare officer.");
    if (event.owner === "closed") offerNewChat();
    if (needGreeting) {
      needGreeting = false;
      var id = newId();
      pending[id] = { text: GREETING, shownText: "", element: null };
      queue.unshift(id);
    }
    queue.forEach(transmit);
  }

  function startAfresh() {
    shown = {};
    contiguous = 0;
    highest = 0;
    gapAskedAt = -1;
    needGreeting = true;
    Array.prototype.slice.call(log.children).forEach(function (item) {
      if (!item.classList.contains("pending")) item.remove();
    });
    showButtons([]);
  }

  function onFrame(ws, raw) {
    lastHeard = Date.now();
    var event;
    try { event = JSON.parse(raw.data); } catch (e) { return; }
    if (!event || typeof event !== "object") return;
    switch (event.type) {
      case "welcome": ws.welcomed = true; onWelcome(event); break;
      case "message": onMessage(event); break;
      case "ack":
        if (event.client_id && typeof event.seq === "number") confirm(event.client_id, event.seq);
        if (statusLine.classList.contains("problem")) setStatus("");
        break;
      case "typing": setTyping(event.from, Boolean(event.on)); break;
      case "officer_joined":
        if (!statusLine.classList.contains("problem")) setStatus("");
        addEvent("A welfare officer has joined the chat.");
        break;
      case "officer_left": addEvent("The welfare officer has left the chat."); break;
      case "closed": offerNewChat(); break;
      case "queue":
        if (typeof event.position === "number" && typeof event.wait_words === "string") {
          setStatus("Waiting for a welfare officer: you are number " + event.position + " in the queue. " +
                    "The wait is " + event.wait_words + " now.");
        }
        break;
      case "error": onError(event); break;
      default: break;  // pong, and anything newer than this page
    }
  }

  // ---- sending ------------------------------------------------------------------------------------
  function isOpen() {
    return socket !== null && socket.readyState === WebSocket.OPEN;
  }

  function transmit(clientId) {
    var item = pending[clientId];
    if (item && isOpen() && socket.welcomed) {
      var frame = { type: "message", client_id: clientId, text: item.shownText || item.text };
      if (item.payload) frame.payload = item.payload;
      socket.send(JSON.stringify(frame));
    }
  }

  function send(shownText, payload) {
    shownText = (shownText || "").trim();
    if (!shownText) return;
    var clientId = newId();
    var element = addBubble("user", shownText);
    element.classList.add("pending");
    pending[clientId] = { text: payload || shownText, shownText: shownText, payload: payload, element: element };
    queue.push(clientId);
    showButtons([]);
    transmit(clientId);
  }

  // ---- the connection -----------------------------------------------------------------------------
  function connect() {
    if (leaving) return;
    clearTimeout(reconnectTimer);
    reconnectTimer = null;
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var ws = new WebSocket(scheme + location.host + "/ws/chat");
    socket = ws;
    ws.addEventListener("open", function () {
      if (ws !== socket) return;
      lastHeard = Date.now();
      helloAfter = contiguous;
      ws.send(JSON.stringify({ type: "hello", token: readToken(), after: helloAfter }));
    });
    ws.addEventListener("message", function (raw) {
      if (ws === socket) onFrame(ws, raw);
    });
    ws.addEventListener("close", function () {
      if (ws !== socket || leaving) return;
      socket = null;
      setTyping("assistant", false);
      var wait = refusedUntil - Date.now();
      if (wait > 0) {
        reconnectTimer = setTimeout(connect, wait);
        return;
      }
      setStatus("Connection lost. Reconnecting… Anything you write will be sent when the chat is back.", true);
      scheduleReconnect();
    });
  }

  function scheduleReconnect() {
    if (leaving || reconnectTimer !== null) return;
    retry = Math.min(retry + 1, 5);
    var delay = Math.min(8000, 400 * Math.pow(2, retry - 1)) * (0.8 + Math.random() * 0.4);
    reconnectTimer = setTimeout(connect, delay);
  }

  function reconnectNow() {
    var old = socket;
    socket = null;
    if (old) { try { old.close(); } catch (e) { /* already closed */ } }
    connect();
  }

  function keepAlive() {
    if (!isOpen()) return;
    if (Date.now() - lastHeard > PING_EVERY + SILENCE_LIMIT) { reconnectNow(); return; }
    socket.send(JSON.stringify({ type: "ping" }));
  }

  // Back online, or back to a tab the phone had put to sleep: check at once rather than at the next tick.
  function wakeUp() {
    if (socket === null) connect();
    else if (isOpen()) socket.send(JSON.stringify({ type: "ping" }));
  }
  window.addEventListener("online", wakeUp);
  document.addEventListener("visibilitychange", function () { if (!document.hidden) wakeUp(); });

  // ---- the composer -------------------------------------------------------------------------------
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var text = input.value;
    if (!text.trim()) { input.focus(); return; }
    send(text);
    input.value = "";
    input.focus();
  });
  input.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit", { cancelable: true }));
    }
  });

  // ---- leaving quickly (GOV.UK "Exit this page") --------------------------------------------------
  function post(message) {
    if (!framed) return;
    message.source = MESSAGE;
    try { window.parent.postMessage(message, "*"); } catch (e) { /* no parent to tell */ }
  }

  function exitPage(e) {
    if (e) e.preventDefault();
    if (leaving) return;
    leaving = true;
    forgetToken();
    clearTimeout(reconnectTimer);
    clearInterval(pingTimer);
    if (socket) { try { socket.close(); } catch (err) { /* closing anyway */ } }
    document.title = "Loading";
    document.body.textContent = "";
    if (framed) {
      post({ type: "exit", url: exitUrl });  // widget.js replaces the institution's page
      try { window.top.location.replace(exitUrl); } catch (err) { /* widget.js does it */ }
    } else {
      window.location.replace(exitUrl);
    }
  }
  exitLink.addEventListener("click", exitPage);

  // Shift pressed 3 times in a row (any other key starts the count again).
  var shiftCount = 0;
  var shiftTimer = null;
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape" && embedded && framed) post({ type: "close" });
    if (e.key !== "Shift") {
      shiftCount = 0;
      exitProgress.textContent = "";
      return;
    }
    if (e.repeat) return;
    shiftCount += 1;
    clearTimeout(shiftTimer);
    shiftTimer = setTimeout(function () { shiftCount = 0; exitProgress.textContent = ""; }, 5000);
    if (shiftCount >= 3) { exitPage(); return; }
    if (shiftCount === 2) exitProgress.textContent = "Shift, press 1 more time to exit.";
  });

  // ---- inside the widget --------------------------------------------------------------------------
  if (embedded && framed) {
    if (closeButton) {
      closeButton.hidden = false;
      closeButton.addEventListener("click", function () { post({ type: "close" }); });
    }
    window.addEventListener("message", function (e) {
      var data = e.data;
      if (e.source !== window.parent || !data || data.source !== MESSAGE) return;
      if (data.type === "focus") input.focus();
    });
    post({ type: "ready" });
  }

  pingTimer = setInterval(keepAlive, PING_EVERY);
  setStatus("Connecting…");
  connect();
})();
