// How values read on the page: the service's words for flags, times in London, who did something.
import { RISK, URGENT, CHECK_IN, LOW } from "./page.js";
import { state } from "./state.js";
import { el } from "./dom.js";

export function words(value) {
  if (!value) return "";
  var text = String(value).replace(/_/g, " ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export function riskWords(flag) {
  flag = String(flag);
  if (CHECK_IN[flag]) return CHECK_IN[flag];
  if (flag.indexOf(LOW) === 0) return "possible " + riskWords(flag.slice(LOW.length)) + " (low confidence)";
  return RISK[flag] || flag.replace(/_/g, " ");
}

export function flagList(flags) {
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

export function parseTime(iso) {
  if (!iso) return NaN;
  // The API sends timezone-aware ISO 8601; read one without a zone as UTC, never as this computer's time.
  return Date.parse(/(Z|[+-]\d\d:?\d\d)$/.test(iso) ? iso : iso + "Z");
}

function serverNow() { return Date.now() + state.skew; }

export function waited(iso) {
  var minutes = Math.floor((serverNow() - parseTime(iso)) / 60000);
  if (!(minutes >= 1)) return "under 1 min";
  if (minutes < 60) return minutes + " min";
  var hours = Math.floor(minutes / 60);
  return hours + " h " + (minutes % 60) + " min";
}

var clockFormat = new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", timeZone: "Europe/London" });
var dateFormat = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "short", year: "numeric",
  hour: "2-digit", minute: "2-digit", timeZone: "Europe/London" });

export function clock(iso) {
  var time = parseTime(iso);
  return isNaN(time) ? "" : clockFormat.format(new Date(time));
}

export function when(iso) {
  var time = parseTime(iso);
  return isNaN(time) ? "" : dateFormat.format(new Date(time));
}

export function actor(value) {
  if (!value) return "";
  var match = /^officer:(\d+)$/.exec(value);
  if (match) return state.me && Number(match[1]) === state.me.id ? "You" : "Officer " + match[1];
  return words(value);
}
