// What the page carries as data (the Content-Security-Policy allows no inline script), read once as the
// modules load. The queue as it is now and the words for flags, goals and channels come from
// handoff/console/views.py: one vocabulary, and the first queue is drawn by the same code as every refresh.

function pageData(id) {
  var block = document.getElementById(id);
  try { return block ? JSON.parse(block.textContent) : null; } catch (e) { return null; }
}

export const DATA = pageData("console-data") || { queue: [], words: {} };  // officer_id: who is signed in
const WORDS = DATA.words || {};
export const RISK = WORDS.risk || {};
export const URGENT = {};
(WORDS.urgent || []).forEach(function (label) { URGENT[label] = true; });
export const GOALS = WORDS.goals || {};
export const CHANNELS = WORDS.channels || {};
export const CHECK_IN = WORDS.check_in || {};
// How a reply to a check-in was read, by question and answer ("not sure (risk)", "not read as an answer").
export const ANSWERS = WORDS.answers || {};
// A label seen only weakly (a look-alike, perhaps) carries this prefix: low confidence, never shown as urgent.
export const LOW = WORDS.low || "low:";

// How a text is counted (safety/gsm.py): the page carries the rules as JSON, so there is one copy of the
// GSM-7 alphabet. budget: characters in one text; basic and extended: the two GSM-7 tables (an extended
// character counts twice); replaced: characters made plain when sent, not left out. Null if the page lacks it.
export const SMS = pageData("sms-rules");
