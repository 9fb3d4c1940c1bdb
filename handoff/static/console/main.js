// The welfare officers' console: the live queue, one open conversation, cases and call-backs.
// Data comes from /api/console (docs/console.md) and live events from /ws/console. Everything a student or an
// officer wrote is untrusted: it is only ever put on the page as text (textContent), never as markup.
//
// This is the entry point, loaded as a module (deferred, so the page has been parsed when it runs). The other
// modules only define things, so the order in which they load does not matter: the listeners and timers are set
// up here, and then the console starts.
import { DATA } from "./page.js";
import { state } from "./state.js";
import { ui, el, setText } from "./dom.js";
import { words, parseTime } from "./format.js";
import { api } from "./api.js";
import { showDuty, wireDuty } from "./duty.js";
import { refreshQueue, renderQueue, wireQueue } from "./queue.js";
import { openConversation, wireConversation } from "./conversation.js";
import { connect, wireSocket } from "./socket.js";
import { route, wireViews } from "./views.js";
import { wireRecords } from "./records.js";

function fillSelect(select, values) {
  values.forEach(function (value) {
    var option = el("option", "", words(value));
    option.value = value;
    select.appendChild(option);
  });
}

wireDuty();
wireConversation();
wireSocket();
wireQueue();
wireViews();
wireRecords();

// The queue as the page was served, drawn at once; the refresh after /me keeps it live.
if (DATA.now && !isNaN(parseTime(DATA.now))) state.skew = parseTime(DATA.now) - Date.now();
state.queueRows = DATA.queue || [];
renderQueue();

api("GET", "/me").then(function (answer) {
  var me = answer;
  state.me = me;
  fillSelect(ui.outcome, me.outcomes || []);
  fillSelect(ui.category, me.categories || []);
  ui.duty.setAttribute("aria-pressed", me.on_duty ? "true" : "false");
  showDuty();
  route(false);
  refreshQueue().then(function () {
    // After a reload in the middle of a conversation, it opens again by itself.
    var mine = state.queueRows.filter(function (row) {
      return row.owner === "human" && row.assigned_officer_id === me.id;
    });
    if (!state.current && mine.length === 1) openConversation(mine[0].conversation, false);
  });
  connect();
  document.documentElement.setAttribute("data-ready", "true");
}, function (error) {
  if (error.status !== 401) setText(ui.connection, "The console could not start. " + error.message, true);
});
showDuty();
