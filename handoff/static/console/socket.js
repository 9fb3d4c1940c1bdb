// The live socket (/ws/console): queue events, the student's messages in this officer's conversations, and the
// officer's duty as the socket opens. It reconnects with a growing, jittered delay; a 4401 close means the
// session has ended.
import { state } from "./state.js";
import { ui, setText } from "./dom.js";
import { endSession } from "./api.js";
import { announce } from "./announce.js";
import { showDuty } from "./duty.js";
import { alertJoined, alertRisk } from "./alerts.js";
import { refreshQueue, renderQueue, isMine } from "./queue.js";
import { following, openConversation, addMessage } from "./conversation.js";

var PING_EVERY = 25000;          // ms between keep-alive pings on the console socket
var QUEUE_EVENTS = { joined: true, risk: true, taken: true, closed: true };
var retry = 0;
var reconnectTimer = null;

export function connect() {
  if (state.signedOut) return;
  clearTimeout(reconnectTimer);
  reconnectTimer = null;
  var ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/console");
  state.socket = ws;
  ws.addEventListener("open", function () {
    if (ws !== state.socket) return;
    var wasLost = retry > 0;
    retry = 0;
    setText(ui.connection, wasLost ? "Live updates are back." : "");
    if (wasLost) setTimeout(function () { if (retry === 0) setText(ui.connection, ""); }, 4000);
    refreshQueue();
    if (following()) openConversation(state.current.id, false);  // watch again, and fill any gap
  });
  ws.addEventListener("message", function (raw) {
    if (ws !== state.socket) return;
    var event;
    try { event = JSON.parse(raw.data); } catch (e) { return; }
    if (event && typeof event === "object") onEvent(event);
  });
  ws.addEventListener("close", function (e) {
    if (ws !== state.socket) return;
    state.socket = null;
    if (e.code === 4401) { endSession(); return; }
    setText(ui.connection, "Live updates lost: reconnecting. The queue may be out of date until then.", true);
    retry = Math.min(retry + 1, 5);
    var delay = Math.min(8000, 400 * Math.pow(2, retry - 1)) * (0.8 + Math.random() * 0.4);
    reconnectTimer = setTimeout(connect, delay);
  });
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
  var current = state.current;
  if (event.type === "message" && event.from === "user" && !(current && current.id === event.conversation)) {
    var row = state.queueRows.filter(function (r) { return r.conversation === event.conversation; })[0];
    if (row && isMine(row)) {
      state.unread[row.conversation] = (state.unread[row.conversation] || 0) + 1;
      renderQueue();
      announce("New message from the student in " + (row.reference || "another conversation") + ".");
    }
    return;
  }
  if (!following() || event.conversation !== current.id) return;
  if (event.type === "message") {
    addMessage(event, true);
  } else if (event.type === "officer_left" && !state.busy) {
    openConversation(current.id, false);  // for example, moved back to the queue after a lost connection
  }
}

// Keep-alive pings, and a reconnect as soon as the computer is back online.
export function wireSocket() {
  setInterval(function () {
    var socket = state.socket;
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: "ping" }));
  }, PING_EVERY);
  window.addEventListener("online", function () { if (!state.socket && !state.signedOut) connect(); });
}
