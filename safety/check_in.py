"""The check-in: when the safety check is unsure, ask the student directly instead of guessing.

Shared by the handoff service (which asks itself when the assistant is down or an officer is awaited, and
which reads the answer so that it can raise the conversation for an officer) and by the assistant's actions.
The words are data, in the `check_in` section of data/safety/responses.yml.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from safety.gsm import SMS_BUDGET, fits_sms
from safety.responses import CHANNELS, ResponseFileError, read_responses_file

KINDS = ("suicide", "safety")
ANSWERS = ("yes", "no", "fine", "unsure", "skip")
# A reading, not a listed answer: a reply that starts with an answer without risk and then says more that carries a
# sign of what was just asked about ("no, it's just that nothing is ever going to get better"). It is neither
# thanked as a plain no nor asked the same question straight back: the student is told they were heard and given the
# numbers (`said_more` in the data), and the check-in stays flagged for an officer.
SAID_MORE = "said_more"
READ = "check_in_read"  # the key, in the metadata sent to the assistant, for how the service read a check-in reply
# Sent as READ for a reply that starts with an answer without risk and goes on in words the service does not read as
# part of it ("no, my dissertation is due and my supervisor won't reply"): the assistant reads the words as usual,
# and if it understands none of them, answers with `said_more` rather than "not sure I understood".
ANSWERED_FIRST = "answered_then_more"
ASKED = "check_in_asked"  # in the same metadata: the question that reply answers (the service may have asked it)
MARKER = "check_in"  # the key that says "this message asked a check-in", in a reply's custom data and its extra
FLAG = "check_in:{kind}"  # the conversation's flag while a check-in has been asked
# Labels whose own response already says what a check-in would ask about: with one of them, nothing is asked.
EMERGENCY = frozenset({"suicide_self_harm", "immediate_danger"})


@dataclass(frozen=True)
class CheckInTexts:
    questions: dict[str, dict[str, str]]  # kind -> channel -> text
    buttons: dict[str, list[dict[str, str]]]  # kind -> quick replies (web)
    label: dict[str, str]  # kind -> the label an answer showing risk raises
    concern: dict[str, frozenset[str]]  # kind -> answers that show risk
    answers: dict[str, str]  # a plain reply -> what it means (one of ANSWERS)
    answered_no: dict[str, str]
    rather_not_say: dict[str, str]
    not_asked: tuple[str, ...] = ()  # bare acknowledgements a weak sign alone never asks about
    not_fine: tuple[str, ...] = ()  # signs that turn a bare acknowledgement into "I'm fine" that is not ("im ok 💔")
    asked_again: dict[str, dict[str, str]] | None = None  # kind -> channel -> the question after an answer of no risk
    repeated: tuple[str, ...] = ()  # openings that repeat an answer ("still", "i already said")
    says_more: tuple[str, ...] = ()  # words after an answer that turn it round ("but", "sometimes")
    question_words: tuple[str, ...] = ()  # a rest that starts with one asks something
    rest_words: int = 0  # the longest rest after an answer without risk that is still read as said in passing
    fillers: tuple[str, ...] = ()  # words that change nothing in an answer ("honestly", "lol", "mate")
    not_a_no: tuple[str, ...] = ()  # words that make a leading "no" something else ("no one", "no point")
    negations: tuple[str, ...] = ()  # a first word after "yes" or "I'm fine" that turns it ("yes not really")
    said_more: dict[str, dict[str, str]] | None = None  # kind -> channel -> the reply to SAID_MORE

    def question(self, kind: str, channel: str, *, again: bool = False) -> str:
        """The question; `again` when the student's latest answer to it showed no risk (it says so)."""
        texts = self.asked_again if again and self.asked_again else self.questions
        return texts[kind][_kind_of(channel)]

    def reply_to(self, answer: str, channel: str, kind: str | None = None) -> str:
        """What to say to an answer that shows no risk ('skip' gets its own words, SAID_MORE its kind's)."""
        if answer == SAID_MORE and self.said_more and kind in self.said_more:
            return self.said_more[kind][_kind_of(channel)]
        texts = self.rather_not_say if answer == "skip" else self.answered_no
        return texts[_kind_of(channel)]


def plain(text: str) -> str:
    """A reply as it is compared: lower case, no punctuation or apostrophes, single spaces."""
    lowered = text.lower().replace("\u2019", "'").replace("'", "")
    return " ".join(re.sub(r"[^\w\s/]", " ", lowered).split())


def classify(texts: CheckInTexts, text: str, payload: str | None = None) -> str | None:
    """What a reply to a check-in means (one of ANSWERS), or None when it is not an answer."""
    for candidate in (payload, text):
        if candidate:
            meaning = texts.answers.get(plain(candidate))
            if meaning is not None:
                return meaning
    return None


@dataclass(frozen=True)
class Leading:
    """The answer a reply starts with, and what follows it.

    `turned`: what follows could turn an answer without risk round ("no but...", "yes but I don't feel it").
    `plain_rest`: what follows only adds to the answer (short, asks nothing, does not turn it).
    """

    meaning: str
    turned: bool
    plain_rest: bool


READ_AT_MOST = 1000  # characters of a reply read for the answer it starts with: an answer comes first
_FIRST_PART = re.compile(r"\s*([^,.;:!?\n]*?)\s*(?:[,.;:!?\n]+|\s-+\s|$)(.*)$", re.S)


def leading_answer(texts: CheckInTexts, text: str) -> Leading | None:
    """The answer a reply that says more than an answer starts with, or None.

    Read in order: the words up to the first comma or full stop ("no, just stressed", "Honestly yes. I said no before"),
    after a `repeated` opening ("still no", "like i said, no") and without `fillers`; else the longest answer the
    reply starts with ("nah im fine just tired", "yeah i have been for a while"), unless the next word makes it
    something else (`not_a_no`: "no one cares", "no point"). See `check_in.repeated` and what follows it in the data.
    """
    text = text[:READ_AT_MOST]
    head, rest = _split(text)
    head, rest = _after_opening(texts, head, rest)
    meaning = _answer(texts, head)
    if meaning is None:  # nothing set apart, or not an answer: the answer the words start with
        words = _without_fillers(texts, plain(text)).split()
        if words and words[0].startswith("/"):
            return None  # a quick reply's payload is only ever the whole reply
        for n in range(min(len(words) - 1, 6), 0, -1):
            meaning = _known(texts, " ".join(words[:n]))
            if meaning is not None:
                if words[n] in texts.not_a_no:
                    return None
                rest = " ".join(words[n:])
                break
    if meaning is None:
        return None
    rest_plain = _without_fillers(texts, plain(rest))
    words = rest_plain.split()
    turned = any(f" {w} " in f" {rest_plain} " for w in texts.says_more) or (
        meaning in ("yes", "fine") and bool(words) and words[0] in texts.negations)
    plain_rest = (not turned and "?" not in rest and len(words) <= texts.rest_words
                  and not (words and words[0] in texts.question_words))
    return Leading(meaning, turned, plain_rest)


def _split(text: str) -> tuple[str, str]:
    match = _FIRST_PART.match(text.replace("\u2019", "'"))
    if match is None:
        return plain(text), ""
    return plain(match[1]), match[2].strip()


def _after_opening(texts: CheckInTexts, head: str, rest: str) -> tuple[str, str]:
    for opening in sorted(texts.repeated, key=len, reverse=True):  # "like i said, no" and "still no" alike
        if head == opening and rest:
            return _split(rest)
        if head.startswith(opening + " "):
            return head[len(opening) + 1:], rest
    return head, rest


def _without_fillers(texts: CheckInTexts, words: str) -> str:
    padded = f" {words} "
    for filler in sorted(texts.fillers, key=len, reverse=True):
        padded = padded.replace(f" {filler} ", " ")
    return " ".join(padded.split())


def _answer(texts: CheckInTexts, head: str) -> str | None:
    if not head or head.startswith("/"):
        return None  # a quick reply's payload is only ever the whole reply
    return _known(texts, _without_fillers(texts, head))


def _known(texts: CheckInTexts, words: str) -> str | None:
    """The answer these words (already without fillers) are, as written or stretched ("nooo", "yess")."""
    return texts.answers.get(words) or texts.answers.get(re.sub(r"(\w)\1+", r"\1", words))


def answered_first(texts: CheckInTexts, kind: str, text: str) -> bool:
    """True when a reply not read as an answer still starts with one that shows no risk, not turned round."""
    lead = leading_answer(texts, text)
    return lead is not None and not lead.turned and not concerning(texts, kind, lead.meaning)


def concerning(texts: CheckInTexts, kind: str, answer: str | None) -> bool:
    """True when this answer to this check-in shows risk."""
    return answer is not None and answer in texts.concern.get(kind, frozenset())


def showed_no_risk(texts: CheckInTexts, kind: str, answer: str | None) -> bool:
    """True when this answer to this check-in said the student is not at risk ("no" to suicide, "I'm safe")."""
    return answer in ("yes", "no", "fine") and not concerning(texts, kind, answer)


def kind_for(labels: Any, check_in: str | None, low_confidence: Any) -> str | None:
    """The check-in to ask: the one the verdict names (unless an emergency label already answers it), else,
    for a verdict with no label, one from its weak signals.

    A weak sign of suicide or self-harm asks about that; any other weak sign asks whether they are safe.
    A label such as under_18 gets its own response and the check-in after it.
    """
    if check_in in KINDS and not set(labels or ()) & EMERGENCY:
        return check_in
    if labels:
        return None
    if low_confidence:
        return "suicide" if "suicide_self_harm" in low_confidence else "safety"
    return None


def _kind_of(channel: str) -> str:
    return "sms" if channel == "sms" else "web"


HELP_NOW = "999"  # every question carries it, so asking is never the only help


def load_check_in(path: str | os.PathLike[str] | None = None) -> CheckInTexts:
    """Read the check-in section of the responses file (same path rules as safety.responses)."""
    chosen, data = read_responses_file(path)
    raw = data.get("check_in") if isinstance(data, dict) else None
    if not isinstance(raw, dict):
        raise ResponseFileError(f"{chosen}: 'check_in' must be a mapping")
    where = f"{chosen}: check_in"
    questions = _questions(where, "questions", raw.get("questions"))
    # Optional: a file without it asks again in the first words.
    asked_again = _questions(where, "asked_again", raw["asked_again"]) if "asked_again" in raw else None
    # Optional too: without it, a reply read as SAID_MORE gets the words for a plain no (which give 999 as well).
    said_more = _questions(where, "said_more", raw["said_more"]) if "said_more" in raw else None
    buttons: dict[str, list[dict[str, str]]] = {}
    for kind in KINDS:
        listed = (raw.get("buttons") or {}).get(kind)
        if not isinstance(listed, list) or not listed or not all(
            isinstance(b, dict) and isinstance(b.get("title"), str) and isinstance(b.get("payload"), str)
            for b in listed
        ):
            raise ResponseFileError(f"{where}.buttons.{kind}: needs a list of title and payload")
        buttons[kind] = [{"title": b["title"], "payload": b["payload"]} for b in listed]
    label, concern = raw.get("label") or {}, raw.get("concern") or {}
    if not all(isinstance(label.get(k), str) for k in KINDS):
        raise ResponseFileError(f"{where}.label: needs a label for each of {KINDS}")
    if not all(isinstance(concern.get(k), list) and set(concern[k]) <= set(ANSWERS) for k in KINDS):
        raise ResponseFileError(f"{where}.concern: needs a list of answers ({ANSWERS}) for each of {KINDS}")
    answers: dict[str, str] = {}
    for meaning in ANSWERS:
        phrases = (raw.get("answers") or {}).get(meaning)
        if not isinstance(phrases, list) or not all(isinstance(p, str) for p in phrases):
            raise ResponseFileError(f"{where}.answers.{meaning}: needs a list of replies")
        for phrase in phrases:
            if answers.setdefault(plain(phrase), meaning) != meaning:
                raise ResponseFileError(f"{where}.answers: {phrase!r} is listed with two meanings")
    return CheckInTexts(
        questions=questions, buttons=buttons, label={k: label[k] for k in KINDS},
        concern={k: frozenset(concern[k]) for k in KINDS}, answers=answers,
        asked_again=asked_again, said_more=said_more, not_asked=_not_asked(where, raw.get("not_asked", [])),
        repeated=_phrases(where, "repeated", raw.get("repeated", [])),
        says_more=_phrases(where, "says_more", raw.get("says_more", [])),
        question_words=_phrases(where, "question_words", raw.get("question_words", [])),
        rest_words=_count(where, "rest_words", raw.get("rest_words", 0)),
        fillers=_phrases(where, "fillers", raw.get("fillers", [])),
        not_a_no=_phrases(where, "not_a_no", raw.get("not_a_no", [])),
        negations=_phrases(where, "negations", raw.get("negations", [])),
        not_fine=_not_fine(where, raw.get("not_fine", [])),
        answered_no=_texts(where, "answered_no", raw.get("answered_no")),
        rather_not_say=_texts(where, "rather_not_say", raw.get("rather_not_say")),
    )


def _questions(where: str, name: str, raw: Any) -> dict[str, dict[str, str]]:
    questions = {kind: _texts(where, f"{name}.{kind}", (raw or {}).get(kind) if isinstance(raw, dict) else None)
                 for kind in KINDS}
    for kind, texts in questions.items():
        # Help never waits for an answer: a student who is asked and does not reply has still seen 999.
        if any(HELP_NOW not in text for text in texts.values()):
            raise ResponseFileError(f"{where}.{name}.{kind}: must give {HELP_NOW} on every channel")
    return questions


def _phrases(where: str, name: str, raw: Any) -> tuple[str, ...]:
    if not isinstance(raw, list) or not all(isinstance(p, str) and plain(p) for p in raw):
        raise ResponseFileError(f"{where}.{name}: needs a list of words or phrases")
    return tuple(plain(p) for p in raw)


def _count(where: str, name: str, raw: Any) -> int:
    if not isinstance(raw, int) or isinstance(raw, bool) or not 0 <= raw <= 50:
        raise ResponseFileError(f"{where}.{name}: needs a whole number from 0 to 50")
    return raw


def _not_asked(where: str, raw: Any) -> tuple[str, ...]:
    if not isinstance(raw, list) or not all(isinstance(p, str) and plain(p) for p in raw):
        raise ResponseFileError(f"{where}.not_asked: needs a list of short replies")
    return tuple(raw)


def _not_fine(where: str, raw: Any) -> tuple[str, ...]:
    if not isinstance(raw, list) or not all(isinstance(p, str) and p.strip() and " " not in p.strip() for p in raw):
        raise ResponseFileError(f"{where}.not_fine: needs a list of signs (an emoji or an emoticon), one word each")
    return tuple(p.strip() for p in raw)


def _texts(where: str, name: str, raw: Any) -> dict[str, str]:
    if not isinstance(raw, dict) or not all(isinstance(raw.get(c), str) and raw[c].strip() for c in CHANNELS):
        raise ResponseFileError(f"{where}.{name}: needs non-empty 'web' and 'sms' texts")
    if not fits_sms(raw["sms"].strip()):
        raise ResponseFileError(f"{where}.{name}.sms: must be plain GSM-7 within {SMS_BUDGET} characters")
    return {c: raw[c].strip() for c in CHANNELS}


@lru_cache(maxsize=1)
def get_check_in() -> CheckInTexts:
    """The process-wide check-in texts, loaded once on first use."""
    return load_check_in()
