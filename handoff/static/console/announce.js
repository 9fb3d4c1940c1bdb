// What screen reader users hear of things that happen away from where they are reading.
import { ui, el } from "./dom.js";

var announceTimer = null;

export function announce(text) {
  // A polite live region: screen readers read each new line once, after what they are reading now.
  ui.announce.appendChild(el("p", "", text));
  while (ui.announce.childNodes.length > 5) ui.announce.removeChild(ui.announce.firstChild);
  clearTimeout(announceTimer);
  announceTimer = setTimeout(function () { ui.announce.textContent = ""; }, 20000);
}
