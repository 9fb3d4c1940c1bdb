// Alerts: a tone and a notification when someone joins the queue, and a line for screen readers when someone
// joins or a risk is flagged.
import { CHANNELS } from "./page.js";
import { state } from "./state.js";
import { riskWords } from "./format.js";
import { announce } from "./announce.js";
import { onDuty, showDuty } from "./duty.js";
import { following, renderConversation } from "./conversation.js";

var audio = null;  // made on the first click or key press: browsers let a page make sound only after one

export function unlockAudio() {
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

export function notificationsState() {
  return "Notification" in window ? window.Notification.permission : "unsupported";
}

export function askForNotifications() {
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

export function alertJoined(conversationId) {
  var row = state.queueRows.filter(function (r) { return r.conversation === conversationId; })[0];
  if (!row || row.owner !== "waiting") return;
  var flags = (row.risk_flags || []).map(riskWords);
  announce("New in the queue: " + (CHANNELS[row.channel] || row.channel) +
    (row.reference ? ", " + row.reference : "") + (flags.length ? ", risk: " + flags.join(", ") : "") + ".");
  if (!onDuty()) return;
  tone();
  notify(row);
}

export function alertRisk(conversationId) {
  var row = state.queueRows.filter(function (r) { return r.conversation === conversationId; })[0];
  if (!row) return;
  announce("Risk flagged" + (row.reference ? " for " + row.reference : "") + ": " +
    (row.risk_flags || []).map(riskWords).join(", ") + ".");
  if (following() && state.current.id === conversationId) {
    state.current.detail.risk_flags = row.risk_flags;  // from the queue: no need to read the case again
    renderConversation();
  }
}
