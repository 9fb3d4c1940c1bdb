// The console's views (queue, cases, a case, call-backs), chosen by the address's fragment: #queue, #cases,
// #case/ABC-234, #callbacks.
import { byId, ui } from "./dom.js";
import { loadCases, loadCase, loadCallbacks } from "./records.js";

var VIEWS = { queue: "view-queue", cases: "view-cases", "case": "view-case", callbacks: "view-callbacks" };

export function showView(name) {
  Object.keys(VIEWS).forEach(function (key) { byId(VIEWS[key]).hidden = key !== name; });
  var section = name === "case" ? "cases" : name;
  Array.prototype.forEach.call(document.querySelectorAll("nav.views a"), function (link) {
    if (link.getAttribute("data-view") === section) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  });
}

export function route(moveFocus) {
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

export function wireViews() {
  window.addEventListener("hashchange", function () { route(true); });
}
