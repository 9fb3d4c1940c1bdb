"""Look-up in the institution's own policy: the section or two that best answer a question (BM25).

Questions and sections go through the same normalisation: lower case, SMS speak spelt out, a light stemmer
and a small list of the field's synonyms mapped to one word (complaint/report, appeal/challenge, the other
person/harasser/accused), so "cn i challenge the outcome" finds the appeals section.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import snowballstemmer
from rank_bm25 import BM25Okapi

from institutions.policy_doc import PolicyDocument, Section, load_policy

# Below this score the best section is not trusted to answer the question (chosen on the tuning questions,
# never on the blind ones: python -m institutions.evaluate).
MIN_SCORE = 4.0
FALLBACK_MIN_SCORE = 5.0  # after a message nobody understood, quote only a clearer match
TITLE_WEIGHT = 3  # a section's title words count this many times
PARENT_WEIGHT = 1  # and the title of the section it sits in (7.3 under 7) this many
K1, B = 1.5, 0.5  # BM25's term saturation and length normalisation (chosen on the tuning questions)
MAX_QUESTION_CHARS = 1000
MAX_QUERY_WORDS = 40

SMS = {
    "u": "you", "ur": "your", "r": "are", "wat": "what", "wot": "what", "wht": "what", "cn": "can", "cud": "could",
    "coll": "college", "uni": "university", "pls": "please", "plz": "please", "ppl": "people", "abt": "about",
    "bc": "because", "cos": "because", "coz": "because", "b4": "before", "2": "to", "4": "for", "wen": "when",
    "ppolicy": "policy", "polcy": "policy", "poilcy": "policy", "complant": "complaint", "complaitn": "complaint",
    "informaly": "informally", "infromal": "informal", "anon": "anonymous",
    "apeal": "appeal", "appel": "appeal", "anonymus": "anonymous", "anonimous": "anonymous", "confidental":
    "confidential", "confidentiallity": "confidential", "investigaton": "investigation", "tho": "though",
    "dont": "do not", "doesnt": "does not", "wont": "will not", "cant": "cannot", "im": "i am", "ive": "i have",
    "gonna": "going to", "wanna": "want to", "mins": "minutes", "hrs": "hours", "yr": "year", "yrs": "years",
}
# Words of the field that mean the same thing here, mapped to one (after stemming).
SYNONYMS = {
    "report": "complain", "complaint": "complain", "complain": "complain", "grievance": "complain",
    "allegation": "complain", "alleg": "complain",
    "appeal": "appeal", "challenge": "appeal", "disagree": "appeal", "overturn": "appeal",
    "harasser": "respondent", "accused": "respondent", "perpetrator": "respondent", "respondent": "respondent",
    "anonymous": "anonym", "anonymously": "anonym",
    "private": "confidential", "confidentiality": "confidential", "secret": "confidential",
    "deadline": "limit",
    "record": "record", "data": "record", "gdpr": "record",
    "wellbeing": "support", "support": "support",
    "relationship": "relationship", "dating": "relationship",
    "learner": "learner", "apprentice": "learner", "apprenticeship": "learner", "trainee": "learner",
    "lecturer": "staff", "tutor": "staff", "teacher": "staff", "employee": "staff",
    "mediation": "informal", "informally": "informal", "informal": "informal",
    "training": "train", "workshop": "train",
    "parent": "parent", "carer": "parent", "mum": "parent", "dad": "parent",
}
WORD = re.compile(r"[a-z0-9]+")
# Phrases that say one thing in many ways, read as one word before the rest (on questions and sections alike).
PHRASES: dict[str, tuple[str, ...]] = {
    "timelimit": ("time limit", "time limits", "too late", "how long after", "how long ago", "still report",
                  "deadline", "long ago", "how long i have", "how long do i have", "how long have i got"),
    "anonym": ("without giving my name", "without my name", "without giving your name", "not give my name",
               "stay anonymous", "anonymously", "anonymous"),
    "accompan": ("bring someone", "bring a friend", "bring my", "accompanied", "accompany", "companion",
                 "support person", "come with me", "someone with me", "someone with you"),
    "interim": ("while it is looked into", "while it's looked into", "while its looked into", "in the meantime",
                "meanwhile", "during the investigation", "change my timetable", "move class", "different class",
                "diff class", "no contact", "no-contact", "interim", "precautionary", "temporary measures",
                "changes while", "changes during"),
    "victimis": ("pick on", "picking on", "picked on", "payback", "punished for reporting", "get back at",
                 "retaliation", "retaliate", "retaliating", "victimisation", "victimised", "victimise", "reprisal",
                 "reprisals", "revenge"),
    "sanction": ("sanctions", "sanction", "punishment", "punished", "penalty", "penalties", "expelled", "expel",
                 "expulsion", "excluded", "dismissed", "dismissal", "sacked", "fired", "disciplinary",
                 "discipline", "disciplined"),
    "counsel": ("counselling", "counseling", "counsellor", "counselor", "therapy", "therapist",
                "talk to someone", "mental health"),
    "police": ("no further action", "nfa", "prosecution", "prosecute", "cps", "court", "criminal", "crime",
               "police"),
    "record": ("records", "record", "gdpr", "my data", "personal data", "my information", "keep my information",
               "data protection"),
    "partner": ("partner university", "awarding university", "awarding body", "university's own",
                "partner universities"),
    "online": ("social media", "online", "instagram", "facebook", "whatsapp", "tiktok", "snapchat", "internet",
               "wechat", "twitter"),
    "parent": ("parents", "parent", "carers", "carer", "mum", "dad"),
    "ban": ("banned", "banning", "ban", "barred", "not allowed on site", "keep them off site"),
    "afterreport": ("what happens after", "what happens next", "next steps", "after i report", "after a report",
                    "after you report", "after reporting", "once i report", "once you report"),
    "decid": ("who decides", "decides", "decision", "decide", "decided"),
    "howreport": ("make a complaint", "making a complaint", "makes a complaint", "how to report",
                  "how do i report", "who do i report to", "who do i complain to", "who should i report",
                  "who i should report", "where do i report", "ways to report", "how to complain"),
}
def _words(phrase: str) -> str:
    """A phrase as the tokeniser sees it: "it's" is "it s"."""
    return " ".join(WORD.findall(phrase.lower()))


_PHRASE_WORD = {_words(phrase): word for word, phrases in PHRASES.items() for phrase in phrases}
_PHRASE = re.compile(r"\b(" + "|".join(re.escape(p) for p in sorted(_PHRASE_WORD, key=len, reverse=True)) + r")\b")

STOP = frozenset(
    "a an and are as at be been but by can could do does for from had has have how i if in into is it its "
    "me my of on or our so than that the their them then there they this to was we were what when where "
    "which who will with would you your about any there's it's i'm policy say says said section part show "
    "tell please know want does not".split()
)
# Words that only ask for the policy itself ("show me the bit of the rules on ..."): dropped from questions, kept
# in the sections, where they can carry meaning.
ASKING = frozenset("bit rule rules guidance policies clause".split())
_QUESTION_STOP = STOP | ASKING


_STEMMER = snowballstemmer.stemmer("english")


@lru_cache(maxsize=20_000)
def _stem(word: str) -> str:
    return str(_STEMMER.stemWord(word))


def tokens(text: str, question: bool = False) -> list[str]:
    """The words of a question or section that matter for look-up."""
    stop = _QUESTION_STOP if question else STOP
    out: list[str] = []
    spelt = " ".join(SMS.get(raw, raw) for raw in WORD.findall(text.lower().replace("\u2019", "'")))
    for word in WORD.findall(_PHRASE.sub(lambda m: f" {_PHRASE_WORD[m.group(1)]} ", spelt)):
        if word not in stop:
            out.append(SYNONYMS.get(word) or SYNONYMS.get(_stem(word)) or _stem(word))
    return out


@dataclass(frozen=True)
class Match:
    section: Section
    score: float


class PolicyIndex:
    """BM25 over one policy's sections (title words weighted), built once per document."""

    def __init__(self, document: PolicyDocument) -> None:
        self.document = document
        self.sections = [s for s in document.sections if s.text.strip()]
        titles = {s.number: s.title for s in document.sections}
        corpus = [tokens(s.title) * TITLE_WEIGHT + tokens(titles.get(s.number.rsplit(".", 1)[0], "")
                                                            if "." in s.number else "") * PARENT_WEIGHT
                  + tokens(s.text) for s in self.sections]
        self._bm25 = BM25Okapi(corpus, k1=K1, b=B) if self.sections else None

    def search(self, question: str, k: int = 3) -> list[Match]:
        # Each word once, and no more than a question's worth: a 2,000-character message costs no more than a
        # long question (BM25 scores every section for every query word).
        query = list(dict.fromkeys(tokens(question[:MAX_QUESTION_CHARS], question=True)))[:MAX_QUERY_WORDS]
        if not query or self._bm25 is None:
            return []
        scores = self._bm25.get_scores(query)
        ranked = sorted(range(len(scores)), key=lambda i: scores[i], reverse=True)[:k]
        return [Match(self.sections[i], float(scores[i])) for i in ranked if scores[i] > 0]

    def answer(self, question: str, k: int = 2, min_score: float = MIN_SCORE) -> list[Match]:
        """The best one or two sections when the best is trusted; [] for an honest "I couldn't find it"."""
        found = self.search(question, k=max(k, 2))
        if not found or found[0].score < min_score:
            return []
        best = found[0].score
        # A second section only when it is nearly as good: one clear answer reads better than two.
        return [m for m in found[:k] if m.score >= 0.75 * best]


@lru_cache(maxsize=16)
def _index(directory: str, institution_id: str, mtime: float) -> PolicyIndex | None:
    document = load_policy(Path(directory), institution_id)
    return None if document is None else PolicyIndex(document)


def policy_index(directory: Path, institution_id: str) -> PolicyIndex | None:
    """The cached index of a profile's policy (rebuilt when the file changes); None when it has no policy."""
    path = directory / institution_id / "policy.md"
    try:
        mtime = path.stat().st_mtime
    except OSError:
        return None
    return _index(str(directory), institution_id, mtime)
