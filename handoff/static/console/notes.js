// Case notes, added from the open conversation or from a case page: staff only, the student never sees them.
import { ui, el, setText } from "./dom.js";
import { actor, when } from "./format.js";
import { api } from "./api.js";
import { announce } from "./announce.js";

export function addNote(reference, textarea, list, after) {
  var text = textarea.value.trim();
  if (!reference || !text) { textarea.focus(); return; }
  api("POST", "/cases/" + encodeURIComponent(reference) + "/notes", { text: text }).then(function (note) {
    textarea.value = "";
    list.appendChild(noteItem(note));
    announce("Note saved.");
    if (after) after();
  }, function (error) {
    setText(list === ui.notes ? ui.convState : ui.caseStatus, "The note was not saved. " + error.message, true);
  });
}

export function noteItem(note) {
  var item = el("li", "note-item");
  var meta = el("p", "meta");
  meta.appendChild(el("span", "who", actor("officer:" + note.officer_id)));
  var at = el("time", "at", when(note.at));
  at.setAttribute("datetime", note.at || "");
  meta.appendChild(at);
  item.appendChild(meta);
  item.appendChild(el("p", "text", note.text));
  return item;
}
