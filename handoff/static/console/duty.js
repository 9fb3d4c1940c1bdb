// On duty: the switch in the bar, what it means in words, and going off duty on signing out.
import { state } from "./state.js";
import { ui, setText } from "./dom.js";
import { api } from "./api.js";
import { unlockAudio, notificationsState, askForNotifications } from "./alerts.js";

export function onDuty() { return ui.duty.getAttribute("aria-pressed") === "true"; }

export function showDuty() {
  var on = onDuty();
  ui.duty.querySelector(".switch-state").textContent = on ? "Yes" : "No";
  var permission = notificationsState();
  var text = on
    ? "You are on duty while this console is open: students can be offered a person, and you will hear a " +
      "tone when someone joins. If you close it, you come off duty within a minute."
    : "You are off duty: students are not offered a person unless someone else is on duty. Duty ends when " +
      "no console of yours is open.";
  if (on && permission === "denied") text += " Desktop notifications are blocked in this browser.";
  ui.dutyNote.textContent = text;
  ui.allowNotifications.hidden = !(on && permission === "default");
}

// Browsers let a page make sound only after a click or a key press; the first one on the page unlocks it.
function firstGesture() {
  if (onDuty()) unlockAudio();
  document.removeEventListener("pointerdown", firstGesture, true);
  document.removeEventListener("keydown", firstGesture, true);
}

export function wireDuty() {
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

  document.addEventListener("pointerdown", firstGesture, true);
  document.addEventListener("keydown", firstGesture, true);

  // Signing out also takes the officer off duty, so students are not promised someone who has gone.
  ui.logout.addEventListener("submit", function (e) {
    if (!onDuty() || state.signedOut || ui.logout.dataset.leaving) return;
    e.preventDefault();
    ui.logout.dataset.leaving = "true";
    api("POST", "/duty", { on_duty: false }).catch(function () { /* signing out anyway */ })
      .then(function () { ui.logout.submit(); });
  });
}
