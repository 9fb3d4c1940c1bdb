// The chat widget for an institution's own website. Add one tag:
//   <script src="https://SERVICE/widget.js" defer></script>
// It adds a launcher button that opens the chat in an iframe served by SERVICE (/embed). Everything the
// student writes stays inside that frame: this script stores nothing and never sees a message.
// Options on the script tag: data-label="…" (the launcher's text).
(function () {
  "use strict";
  var MESSAGE = "talk-it-through";
  var script = document.currentScript ||
    document.querySelector('script[src$="/widget.js"]');
  if (!script || window[MESSAGE + "-widget"]) return;  // once per page
  window[MESSAGE + "-widget"] = true;
  var origin = new URL(script.src, location.href).origin;
  var launcherText = script.getAttribute("data-label") || "Talk it through";
  var fallbackExit = "https://www.bbc.co.uk/weather";

  var css = [
    ":host { all: initial; }",
    "* { box-sizing: border-box; }",
    ".launcher { position: fixed; right: 1rem; bottom: 1rem; z-index: 2147483000; min-height: 2.75rem;",
    "  padding: .625rem 1.125rem; border: 2px solid #fff; border-radius: 1.5rem; background: #1d4f91; color: #fff;",
    "  font: 700 1rem/1.5 system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif; cursor: pointer;",
    "  box-shadow: 0 2px 8px rgba(0, 0, 0, .35); }",
    ".launcher:hover { background: #163d70; }",
    ".launcher:focus-visible { outline: 3px solid #ffdd00; outline-offset: 0; box-shadow: 0 0 0 6px #0b0c0c; }",
    ".panel { position: fixed; right: 1rem; bottom: 4.75rem; z-index: 2147483001; width: 25rem;",
    "  max-width: calc(100vw - 2rem); height: 40rem; max-height: calc(100vh - 6rem); background: #fff;",
    "  border: 1px solid #505a5f; border-radius: .75rem; overflow: hidden; box-shadow: 0 8px 32px rgba(0, 0, 0, .35); }",
    ".panel[hidden] { display: none; }",
    ".panel iframe { display: block; width: 100%; height: 100%; border: 0; }",
    "@media (max-width: 30rem), (max-height: 32rem) {",
    "  .panel { inset: 0; width: 100%; max-width: none; height: 100%; max-height: none; border: 0;",
    "    border-radius: 0; }",
    "  .open .launcher { display: none; }",
    "}"
  ].join("\n");

  var host = document.createElement("div");
  host.setAttribute("data-talk-it-through", "");
  var shadow = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
  try {
    var sheet = new CSSStyleSheet();
    sheet.replaceSync(css);
    shadow.adoptedStyleSheets = [sheet];
  } catch (e) {
    var style = document.createElement("style");
    style.textContent = css;
    shadow.appendChild(style);
  }
  var wrapper = document.createElement("div");
  var panel = document.createElement("div");
  panel.className = "panel";
  panel.id = "talk-it-through-panel";
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-label", launcherText + ": support chat");
  panel.hidden = true;
  var launcher = document.createElement("button");
  launcher.type = "button";
  launcher.className = "launcher";
  launcher.textContent = launcherText;
  launcher.setAttribute("aria-expanded", "false");
  launcher.setAttribute("aria-controls", panel.id);
  wrapper.appendChild(panel);
  wrapper.appendChild(launcher);
  shadow.appendChild(wrapper);

  var frame = null;
  var ready = false;
  var wantFocus = false;

  function focusChat() {
    if (!frame) return;
    frame.focus();
    if (ready) {
      frame.contentWindow.postMessage({ source: MESSAGE, type: "focus" }, origin);
      wantFocus = false;
    } else {
      wantFocus = true;
    }
  }

  function open() {
    if (!frame) {
      frame = document.createElement("iframe");
      frame.title = launcherText + ": support chat";
      frame.src = origin + "/embed";
      frame.referrerPolicy = "no-referrer";  // the service is not told which page the student was on
      panel.appendChild(frame);
    }
    panel.hidden = false;
    wrapper.className = "open";
    launcher.setAttribute("aria-expanded", "true");
    focusChat();
  }

  function close() {
    panel.hidden = true;
    wrapper.className = "";
    launcher.setAttribute("aria-expanded", "false");
    launcher.focus();
  }

  function leave(url) {
    url = /^https:\/\//.test(url || "") ? url : fallbackExit;
    host.remove();
    document.body.textContent = "";
    window.location.replace(url);
  }

  launcher.addEventListener("click", function () {
    if (panel.hidden) open(); else close();
  });

  window.addEventListener("message", function (e) {
    var data = e.data;
    if (!frame || e.origin !== origin || e.source !== frame.contentWindow || !data || data.source !== MESSAGE) {
      return;
    }
    if (data.type === "ready") {
      ready = true;
      if (wantFocus && !panel.hidden) focusChat();
    } else if (data.type === "close") {
      close();
    } else if (data.type === "exit") {
      leave(data.url);
    }
  });

  // While the chat is open, Escape closes it and Shift pressed 3 times leaves, from this page too.
  var shifts = 0;
  var shiftTimer = null;
  document.addEventListener("keydown", function (e) {
    if (panel.hidden) { shifts = 0; return; }
    if (e.key === "Escape") { close(); return; }
    if (e.key !== "Shift") { shifts = 0; return; }
    if (e.repeat) return;
    shifts += 1;
    clearTimeout(shiftTimer);
    shiftTimer = setTimeout(function () { shifts = 0; }, 5000);
    if (shifts >= 3) leave(fallbackExit);
  });

  function attach() { document.body.appendChild(host); }
  if (document.body) attach(); else document.addEventListener("DOMContentLoaded", attach);
})();
