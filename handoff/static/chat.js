// Web chat client. Protocol: docs/webchat-protocol.md. Nothing but the conversation token is kept in
// the browser, and only in sessionStorage, which the browser forgets when the tab closes.
(function () {
  "use strict";
  var TOKEN_KEY = "disclosure-assistant-token";
  var log = document.getElementById("log");
  var replies = document.getElementById("replies");
  var typing = document.getElementById("typing");
  var statusLine = document.getElementById("status");
  var form = document.getElementById("composer");
  var input = document.getElementById("text");
  var exitLink = document.getElementById("exit");

  var socket = null;
  var lastSeq = 0;
  var pending = {};        // client_id -> {text, element}, until the server acknowledges it
  var shown = {};          // seq -> true
  var retry = 0;
  var leaving = false;

  function newId() {
    var bytes = new Uint8Array(12);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function label(from) {
    return { user: "You", assistant: "Assistant (automated)", officer: "Welfare officer", system: "Notice" }[from] || from;
  }

  function addBubble(from, text) {
    var item = document.createElement("li");
    item.className = "from-" + from;
    var who = document.createElement("span");
    who.className = "who";
    who.textContent = label(from);
    item.appendChild(who);
    item.appendChild(document.createTextNode(text));
    log.appendChild(item);
    item.scrollIntoView({ block: "end" });
    return item;
  }

  function showButtons(buttons) {
    replies.textContent = "";
    (buttons || []).forEach(function (b) {
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = b.title;
      button.addEventListener("click", function () { send(b.title, b.payload); });
      replies.appendChild(button);
    });
  }

  function onMessage(event) {
    if (shown[event.seq]) return;
    shown[event.seq] = true;
    lastSeq = Math.max(lastSeq, event.seq);
    if (event.from === "user" && event.client_id && pending[event.client_id]) {
      pending[event.client_id].element.classList.remove("pending");
      delete pending[event.client_id];
      return;
    }
    addBubble(event.from, event.text);
    if (event.from !== "user") showButtons(event.buttons);
  }

  function transmit(clientId) {
    var item = pending[clientId];
    if (socket && socket.readyState === WebSocket.OPEN && item) {
      socket.send(JSON.stringify({ type: "message", client_id: clientId, text: item.payload || item.text }));
    }
  }

  function send(text, payload) {
    text = (text || "").trim();
    if (!text) return;
    var clientId = newId();
    var element = addBubble("user", text);
    element.classList.add("pending");
    pending[clientId] = { text: text, payload: payload, element: element };
    showButtons([]);
    transmit(clientId);
  }

  function connect() {
    if (leaving) return;
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + "/ws/chat");
    socket.addEventListener("open", function () {
      socket.send(JSON.stringify({ type: "hello", token: sessionStorage.getItem(TOKEN_KEY), after: lastSeq }));
    });
    socket.addEventListener("message", function (raw) {
      var event;
      try { event = JSON.parse(raw.data); } catch (e) { return; }
      if (event.type === "welcome") {
        retry = 0;
        sessionStorage.setItem(TOKEN_KEY, event.token);
        statusLine.textContent = "";
        input.maxLength = event.max_chars || 2000;
        Object.keys(pending).forEach(transmit);
        if (!event.resumed && lastSeq === 0) send("Hello", "/greet");
      } else if (event.type === "message") {
        onMessage(event);
      } else if (event.type === "ack") {
        if (pending[event.client_id]) {
          pending[event.client_id].element.classList.remove("pending");
          shown[event.seq] = true;
          lastSeq = Math.max(lastSeq, event.seq);
          delete pending[event.client_id];
        }
      } else if (event.type === "typing") {
        typing.textContent = event.on ? label(event.from) + " is writing..." : "";
      } else if (event.type === "error") {
        statusLine.textContent = event.message;
        if (event.client_id && pending[event.client_id]) {
          pending[event.client_id].element.remove();
          delete pending[event.client_id];
        }
      }
    });
    socket.addEventListener("close", function () {
      if (leaving) return;
      statusLine.textContent = "Connection lost. Reconnecting... Your messages are kept.";
      retry = Math.min(retry + 1, 6);
      setTimeout(connect, 250 * Math.pow(2, retry));
    });
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    send(input.value);
    input.value = "";
    input.focus();
  });
  input.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); form.requestSubmit(); }
  });

  function exitPage(e) {
    if (e) e.preventDefault();
    leaving = true;
    sessionStorage.removeItem(TOKEN_KEY);
    if (socket) socket.close();
    document.body.textContent = "";
    window.location.replace(exitLink.href);
  }
  exitLink.addEventListener("click", exitPage);
  var shifts = [];
  document.addEventListener("keydown", function (e) {
    if (e.key !== "Shift" || e.repeat) return;
    var now = Date.now();
    shifts = shifts.filter(function (t) { return now - t < 1000; });
    shifts.push(now);
    if (shifts.length >= 3) exitPage();
  });

  connect();
})();
