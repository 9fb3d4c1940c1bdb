// The console API (/api/console, docs/console.md): every request goes through api(), which sends the CSRF token
// with anything that changes something, keeps the clock skew from each answer's Date header, and notices when
// the session has ended.
import { state } from "./state.js";
import { ui } from "./dom.js";
import { words } from "./format.js";

function ApiError(status, detail) {
  this.status = status;
  this.message = detail || "Something went wrong (" + status + "). Please try again.";
}

function problemText(data) {
  if (!data || data.detail === undefined) return "";
  if (typeof data.detail === "string") return words(data.detail) + ".";
  return "Please check what you entered.";
}

export function api(method, path, body) {
  var options = { method: method, credentials: "same-origin", headers: { Accept: "application/json" } };
  if (method !== "GET") {
    options.headers["Content-Type"] = "application/json";
    options.headers["X-CSRF-Token"] = state.me ? state.me.csrf_token : "";
    options.body = JSON.stringify(body || {});
  }
  return fetch("/api/console" + path, options).then(function (response) {
    var date = Date.parse(response.headers.get("Date") || "");
    if (!isNaN(date)) state.skew = date - Date.now();
    if (response.status === 401) {
      endSession();
      throw new ApiError(401, "You have been signed out.");
    }
    return response.json().catch(function () { return null; }).then(function (data) {
      if (!response.ok) throw new ApiError(response.status, problemText(data));
      return data;
    });
  }, function () {
    throw new ApiError(0, "The console could not reach the service. Check the connection and try again.");
  });
}

export function endSession() {
  if (state.signedOut) return;
  state.signedOut = true;
  ui.sessionEnded.hidden = false;
  if (state.socket) { try { state.socket.close(); } catch (e) { /* closing anyway */ } }
}
