"""Look-up in the institution's own policy: the section or two that best answer a question (BM25).

Questions and sections go through the same normalisation: lower case, short forms and SMS speak spelt out,
phrases that say one thing in many ways read as one word, stop words dropped, a Snowball stemmer, and the
field's synonyms mapped to one word (complaint/report, appeal/challenge, the other person/accused), so
"cn i challenge the outcome" finds the appeals section. The words live in ``data/policy_lookup.yml``.

A section's score is its BM25 score (title words counted more) plus a share of the score of the section it
sits in. Beside each section's own words the index reads the ways people ask for it, when the profile gives
them (``<id>/asks.yml``: a section's heading -> short questions in everyday words, written from the section, never
from the questions look-up is measured on): students say "move him out of my class", policies say "interim
measures". Beside the words, each section is weighed by what the question means (``institutions.meaning``: a
sentence encoder that places "move him out of my class" near "interim measures"). Whether the best one is trusted to
answer at all is a separate measure (``PolicyIndex.trust``): below the threshold the student gets an honest "I
couldn't find that".
"""

from __future__ import annotations

import logging
import math
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import snowballstemmer
import yaml
from rank_bm25 import BM25Okapi
from sklearn.feature_extraction.text import TfidfVectorizer

from institutions import meaning
from institutions.policy_doc import PolicyDocument, Section, load_policy, parent_number

# Below this trust (PolicyIndex.trust) the best section is not taken to answer the question. Chosen on the tuning
# questions, never on the blind ones (python -m institutions.evaluate --split tune).
MIN_SCORE = 1.1
FALLBACK_MIN_SCORE = 1.3  # after a message nobody understood, quote only a clearer match
TITLE_WEIGHT = 3  # a section's title words count this many times
PARENT_WEIGHT = 1  # and the title of the section it sits in (7.3 under 7) this many
PARENT_SHARE = 0.3  # a section's score gains this share of its parent's score (chosen on the tuning questions)
K1, B = 1.5, 0.5  # BM25's term saturation and length normalisation (chosen on the tuning questions)
EPSILON = 0.25  # a word in more than half the sections weighs this share of the average word (rank_bm25)
ASK_WEIGHT = 1  # the ways people ask for a section count this many times (chosen on the tuning questions)
# How far a question that reads like one of a section's asks (letters in common, so a typo or another ending of
# the same word still counts) adds to that section, in units of the best BM25 score (chosen on the tuning questions).
ASK_LIKENESS_WEIGHT = 0.6
# How far what the question means adds to a section: the mean cosine of the section's two texts (its title, its
# opening, its asks) closest in meaning to the question, in the same units (chosen on the tuning questions).
MEANING_WEIGHT = 2.0
OPENING_SENTENCES = 3  # a section's meaning is read from its title and its first sentences
SECOND_SHARE = 0.8  # a second section is quoted only when it scores at least this share of the first (0.75 before
# the meaning was weighed: 0.8 quotes two about as often as then, chosen on the tuning questions)
# A question at least this share of whose words are Welsh words look-up knows is read as Welsh (see ``trust``).
WELSH_SHARE = 0.4
MAX_QUESTION_CHARS = 1000
MAX_QUERY_WORDS = 40

logger = logging.getLogger(__name__)
ASKS_FILE = "asks.yml"
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's safe loader when built in: 20 times faster
WORDS = Path(__file__).resolve().parent.parent / "data" / "policy_lookup.yml"
WORD = re.compile(r"[a-z0-9]+")
# Short forms spelt out before the words are split ("doesn't" would leave "doesn" and "t"); a possessive or an
# "is" ("Northway's", "it's") carries nothing and goes.
_WHOLE_SHORT_FORMS = {"can't": "cannot", "won't": "will not"}
_ENDINGS = {"n't": " not", "'m": " am", "'re": " are", "'ve": " have", "'ll": " will", "'d": " would", "'s": ""}
_SHORT_FORM = re.compile(r"\b(?:can't|won't)\b|(?<=[a-z])(?:n't|'m|'re|'ve|'ll|'d|'s)\b")


@dataclass(frozen=True)
class Vocabulary:
    """The field's words as look-up reads them (data/policy_lookup.yml)."""

    spellings: dict[str, str]  # "cn" -> "can"
    phrase_word: dict[str, str]  # "without my name" -> "anonym"; a phrase that only asks -> ""
    phrase: re.Pattern[str]  # any of the phrases, longest first
    synonyms: dict[str, str]  # a word (or a stem) -> the one word its group is read as
    stop: frozenset[str]
    question_stop: frozenset[str]  # stop words and the words that only ask for the policy
    welsh: frozenset[str] = frozenset()  # the Welsh words look-up knows (read as English, or carrying nothing)


_STEMMER = snowballstemmer.stemmer("english")


@lru_cache(maxsize=20_000)
def _stem(word: str) -> str:
    return str(_STEMMER.stemWord(word))


def _folded(text: str) -> str:
    """Accents folded (apêl -> apel, café -> cafe), so that a word typed with or without them reads the same."""
    if text.isascii():
        return text
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _plain(text: str) -> str:
    """Lower case, a curly apostrophe read as a straight one, accents folded."""
    return _folded(text.lower().replace("\u2019", "'"))


def _spelt(text: str, spellings: dict[str, str]) -> str:
    """The words of a text in lower case, short forms and SMS speak spelt out, one space apart."""
    text = _plain(text)
    text = _SHORT_FORM.sub(lambda m: _WHOLE_SHORT_FORMS.get(m.group(0)) or _ENDINGS[m.group(0)], text)
    return " ".join(spellings.get(raw, raw) for raw in WORD.findall(text))


def _strings(values: Iterable[object], where: str) -> list[str]:
    """The entries of a list in the words file, each a string (YAML reads a bare on, no or yes as true/false)."""
    out = list(values)
    wrong = [value for value in out if not isinstance(value, str)]
    if wrong:
        raise ValueError(f"{where} holds {wrong!r}, not words: quote them")
    return out


def _one_each(pairs: Iterable[tuple[str, str]], where: str) -> dict[str, str]:
    """A mapping from (key, value) pairs, refusing a key given two values (a phrase in two groups)."""
    out: dict[str, str] = {}
    for key, value in pairs:
        if out.setdefault(key, value) != value:
            raise ValueError(f"{where}: {key!r} is read both as {out[key]!r} and as {value!r}")
    return out


def load_vocabulary(path: Path = WORDS) -> Vocabulary:
    """The words file, checked: every entry a word, and no phrase or word in two groups."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    name = path.name
    welsh = data.get("welsh") or {}
    spellings = _one_each(zip(_strings([*data["spellings"], *welsh], f"{name}: spellings and welsh"),
                              _strings([*data["spellings"].values(), *welsh.values()], f"{name}: spellings and welsh"),
                              strict=True), f"{name}: spellings and welsh")
    phrase_word = _one_each(
        [(_spelt(phrase, spellings), word) for word, phrases in data["phrases"].items()
         for phrase in _strings(phrases, f"{name}: phrases.{word}")]
        + [(_spelt(phrase, spellings), "") for phrase in _strings(data["asking_phrases"], f"{name}: asking_phrases")],
        f"{name}: phrases")
    longest_first = sorted(phrase_word, key=len, reverse=True)
    phrase = re.compile(r"\b(" + "|".join(re.escape(p) for p in longest_first) + r")\b")
    synonyms = _one_each([(member, word) for word, members in data["synonyms"].items()
                          for member in _strings([word, *members], f"{name}: synonyms.{word}")], f"{name}: synonyms")
    stop = frozenset(_strings([*data["stop"], *(data.get("welsh_stop") or ())], f"{name}: stop and welsh_stop"))
    asking = frozenset(_strings(data["asking"], f"{name}: asking"))
    welsh_words = frozenset([*welsh, *(data.get("welsh_stop") or ())])
    return Vocabulary(spellings, phrase_word, phrase, synonyms, stop, stop | asking, welsh_words)


VOCABULARY = load_vocabulary()


@lru_cache(maxsize=20_000)
def _read_as(word: str) -> str:
    """One word as the index reads it: the word of its synonym group (as written, without a plural s, or
    stemmed), else its stem."""
    synonyms, stem = VOCABULARY.synonyms, _stem(word)
    plural = synonyms.get(word[:-1]) if word.endswith("s") else None
    return synonyms.get(word) or plural or synonyms.get(stem) or stem


def tokens(text: str, question: bool = False) -> list[str]:
    """The words of a question or section that matter for look-up."""
    words = VOCABULARY
    stop = words.question_stop if question else words.stop
    spelt = words.phrase.sub(lambda m: f" {words.phrase_word[m.group(1)]} ", _spelt(text, words.spellings))
    return [_read_as(word) for word in spelt.split() if word not in stop]


def reads_as_welsh(text: str) -> bool:
    """Whether a question is asked in Welsh: at least WELSH_SHARE of its words are Welsh words look-up knows."""
    words = WORD.findall(_plain(text[:MAX_QUESTION_CHARS]))
    return bool(words) and sum(word in VOCABULARY.welsh for word in words) >= WELSH_SHARE * len(words)


class BM25(BM25Okapi):
    """rank_bm25's Okapi BM25, with what the honest no needs: how much of a question the policy uses at all."""

    def __init__(self, corpus: list[list[str]], k1: float = K1, b: float = B) -> None:
        super().__init__(corpus, k1=k1, b=b, epsilon=EPSILON)
        # The weight a word no section uses would carry, and that of a word only one section uses: the unit
        # trust is read in, so that long and short policies compare.
        self.unknown_idf = math.log((self.corpus_size + 0.5) / 0.5)
        self.unit = max(math.log((self.corpus_size - 0.5) / 1.5), EPSILON)

    def known_share(self, query: list[str]) -> float:
        """How much of the query, weighted as BM25 weighs its words, the sections use at all (1.0: every word)."""
        weights = [(self.idf.get(word), self.unknown_idf) for word in query]
        total = sum(unknown if known is None else known for known, unknown in weights)
        return sum(known for known, _ in weights if known is not None) / total if total else 0.0

    def scores(self, query: list[str]) -> np.ndarray:
        """Each section's BM25 score for the query's words."""
        return np.asarray(self.get_scores(query), dtype=float)


@dataclass(frozen=True)
class Match:
    section: Section
    score: float  # BM25 with a share of the parent section's, the asks' likeness and the meaning: it ranks the
    # sections of one policy


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def meaning_texts_of(section: Section, parent_title: str, asks: Iterable[str]) -> list[str]:
    """The texts a section's meaning is read from: its title (after its parent's), its title and opening, its asks."""
    opening = " ".join(_SENTENCE_END.split(" ".join(section.text.split()))[:OPENING_SENTENCES])
    return [f"{parent_title}: {section.title}" if parent_title else section.title, f"{section.title}. {opening}",
            *asks]


def meaning_texts(directory: Path) -> list[str]:
    """Every text whose meaning look-up reads, for each profile in a folder with a policy (``python -m
    institutions.meaning`` stores them)."""
    out: list[str] = []
    for folder in sorted(p for p in directory.iterdir() if (p / "policy.md").is_file()):
        index = policy_index(directory, folder.name, with_meaning=False)
        if index is not None:
            out += index.meaning_texts
    return out


class PolicyIndex:
    """BM25 over one policy's sections (title words weighted), built once per document."""

    def __init__(self, document: PolicyDocument, asks: dict[str, list[str]] | None = None,
                 with_meaning: bool = True) -> None:
        self.document = document
        self.sections = [s for s in document.sections if s.text.strip()]
        asks = asks or {}
        # The section each one sits in, by its number: 7.3 is in 7 (a policy without numbers has none).
        parents = [parent_number(s.number) for s in self.sections]
        titles = {s.number: s.title for s in document.sections}
        corpus = [tokens(s.title) * TITLE_WEIGHT + tokens(titles.get(parent, "")) * PARENT_WEIGHT + tokens(s.text)
                  + tokens(" . ".join(asks.get(s.label, ()))) * ASK_WEIGHT
                  for s, parent in zip(self.sections, parents, strict=True)]
        self._bm25 = BM25(corpus) if self.sections else None
        # Beside the words: how like the question is to the ways people ask for each section (and its title), by
        # runs of three to five letters.
        likeness_texts, owners = [], []
        for i, s in enumerate(self.sections):
            for text in (s.title, *asks.get(s.label, ())):
                likeness_texts.append(" ".join(tokens(text, question=True)))
                owners.append(i)
        self._likeness: tuple[TfidfVectorizer, object, np.ndarray] | None = None
        if any(likeness_texts):
            vectoriser = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True)
            self._likeness = (vectoriser, vectoriser.fit_transform(likeness_texts), np.asarray(owners, dtype=np.intp))
        # What each section means: the texts it is read from, and which section each belongs to.
        self.meaning_texts, meaning_owners = [], []
        for i, (s, parent) in enumerate(zip(self.sections, parents, strict=True)):
            texts = meaning_texts_of(s, titles.get(parent, ""), asks.get(s.label, ()))
            self.meaning_texts += texts
            meaning_owners += [i] * len(texts)
        self._meaning: tuple[np.ndarray, np.ndarray] | None = None
        vectors = None
        if with_meaning and self.meaning_texts:
            try:
                vectors = meaning.meanings(self.meaning_texts)
            except Exception:  # look-up by words alone rather than no look-up at all
                logger.exception("look-up by words alone: the sections' meaning could not be read")
        if vectors is not None:
            self._meaning = (vectors, np.asarray(meaning_owners, dtype=np.intp))
        position = {s.number: i for i, s in enumerate(self.sections)}
        # Where each section's parent is in the index (-1: none, or a heading with no words of its own).
        self._parent = np.array([position.get(parent, -1) for parent in parents], dtype=np.intp)

    def query(self, question: str) -> list[str]:
        """The question's words as the index reads them: each once, and no more than a question's worth (a
        2,000-character message costs no more than a long question)."""
        return list(dict.fromkeys(tokens(question[:MAX_QUESTION_CHARS], question=True)))[:MAX_QUERY_WORDS]

    def search(self, question: str, k: int = 3) -> list[Match]:
        """The k best sections for a question, best first."""
        return self._look_up(question, k)[0]

    def answer(self, question: str, k: int = 2, min_score: float = MIN_SCORE) -> list[Match]:
        """The best one or two sections when the policy is trusted to answer (``trust`` at least ``min_score``);
        [] for an honest "I couldn't find it"."""
        return self.ranked_and_answer(question, k, k, min_score)[1]

    def ranked_and_answer(self, question: str, ranked: int = 3, k: int = 2,
                          min_score: float = MIN_SCORE) -> tuple[list[Match], list[Match]]:
        """The ``ranked`` best sections (as ``search``) and the answer (as ``answer``), reading the question once."""
        found, trust = self._look_up(question, max(ranked, k, 2))
        if not found or trust < min_score:
            return found[:ranked], []
        # A second section only when it is nearly as good: one clear answer reads better than two.
        return found[:ranked], [m for m in found[:k] if m.score >= SECOND_SHARE * found[0].score]

    def trust(self, question: str) -> float:
        """How far the policy answers a question (compared with MIN_SCORE).

        The best section's own BM25 score, counted in units of the weight of a word only one section uses (so a
        long policy and a short one compare), times the share of the question, weighted as BM25 weighs its
        words, that the policy uses anywhere. A question whose telling words ("visa", "halls", "Welsh") appear
        nowhere in the policy asks about something it does not cover, however well its other words match.

        A question asked in Welsh (``reads_as_welsh``) is read differently: a word of it that look-up cannot read is
        more likely Welsh it does not know than a subject the policy leaves out, so the share is the square root of
        the share, by count, of its words the policy uses (chosen on tests/policy_lookup/welsh_tuning.yml).
        """
        return self._look_up(question, 0)[1]

    def _ask_likeness(self, query: list[str]) -> np.ndarray:
        """Each section's likeness to the question: the cosine of its closest ask (or title), 0 to 1."""
        assert self._likeness is not None
        vectoriser, matrix, owners = self._likeness
        similarity = (matrix @ vectoriser.transform([" ".join(query)]).T).toarray().ravel()
        best = np.zeros(len(self.sections))
        np.maximum.at(best, owners, similarity)
        return best

    def _meaning_of(self, question: str) -> np.ndarray:
        """Each section's closeness in meaning to the question: the mean cosine of its two closest texts."""
        assert self._meaning is not None
        model = meaning.encoder()
        if model is None:
            return np.zeros(len(self.sections))
        vectors, owners = self._meaning
        try:
            similarity = vectors @ model.encode(question[:MAX_QUESTION_CHARS], meaning.QUESTION_TOKENS)
        except Exception as exc:  # whatever the encoder cannot read, look-up still answers by the question's words
            # The error's name only: its message or trace could carry the student's words into the log.
            logger.error("look-up by words alone: the question's meaning could not be read (%s)", type(exc).__name__)
            return np.zeros(len(self.sections))
        best = np.full(len(self.sections), -1.0)
        np.maximum.at(best, owners, similarity)
        # Every section has at least two texts (its title and its opening); the second closest, without the closest.
        rest = np.where(similarity >= best[owners], -1.0, similarity)
        second = np.full(len(self.sections), -1.0)
        np.maximum.at(second, owners, rest)
        return (best + np.where(second > -1.0, second, best)) / 2

    def _look_up(self, question: str, k: int) -> tuple[list[Match], float]:
        """The k best sections for a question, and the trust (see ``trust``); k = 0 for the trust alone, which
        reads words only (no need to read the question's meaning)."""
        query = self.query(question)
        if not query or self._bm25 is None:
            return [], 0.0
        welsh = reads_as_welsh(question)
        own = self._bm25.scores(query)
        # A section inside a part that answers the question (7.2.2 under 7.2 Formal complaints) is more likely
        # the answer than a match on one word elsewhere.
        scores = own + PARENT_SHARE * np.where(self._parent >= 0, own[self._parent], 0.0)
        if self._likeness is not None and scores.max() > 0:
            scores = scores / scores.max() + ASK_LIKENESS_WEIGHT * self._ask_likeness(query)
        # The encoder reads English: a question in Welsh is weighed by its words alone.
        if self._meaning is not None and not welsh and k > 0:
            scores = scores + MEANING_WEIGHT * self._meaning_of(question)
        ranked = np.argsort(-scores, kind="stable")[:k]
        found = [Match(self.sections[i], float(scores[i])) for i in ranked if scores[i] > 0]
        if welsh:
            share = math.sqrt(sum(word in self._bm25.idf for word in query) / len(query))
        else:
            share = self._bm25.known_share(query)
        trust = float(own.max()) / self._bm25.unit * share
        return found, trust


def load_asks(path: Path, document: PolicyDocument) -> dict[str, list[str]]:
    """The ways people ask for each section (``asks.yml``: a heading, as the policy writes it, -> a list of short
    questions); {} when there is no file. A heading the policy does not have, or a value that is not a list of
    strings, is refused (ValueError) with the file and the heading named."""
    if not path.is_file():
        return {}
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER) or {}  # noqa: S506 - a safe loader
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ValueError(f"{path}: cannot be read ({exc.__class__.__name__})") from None
    if not isinstance(raw, dict):
        raise ValueError(f"{path}: expected a mapping of section headings to lists of questions")
    headings = {s.label for s in document.sections}
    out = {}
    for heading, asks in raw.items():
        if str(heading) not in headings:
            raise ValueError(f"{path}: {heading!r} is not a heading of the policy")
        if not isinstance(asks, list) or not all(isinstance(a, str) for a in asks):
            raise ValueError(f"{path}: {heading!r} needs a list of questions (strings)")
        out[str(heading)] = asks
    return out


@lru_cache(maxsize=16)
def _index(directory: str, institution_id: str, mtimes: tuple[float, float],
           with_meaning: bool = True) -> PolicyIndex | None:
    document = load_policy(Path(directory), institution_id)
    if document is None:
        return None
    try:
        asks = load_asks(Path(directory) / institution_id / ASKS_FILE, document)
    except ValueError as exc:  # look-up still works on the sections' own words; the operator sees why in the log
        logger.error("look-up without the ways people ask: %s", exc)
        asks = {}
    return PolicyIndex(document, asks, with_meaning)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return -1.0


def policy_index(directory: Path, institution_id: str, with_meaning: bool = True) -> PolicyIndex | None:
    """The cached index of a profile's policy (rebuilt when the policy or its asks change); None when it has no
    policy."""
    folder = directory / institution_id
    policy = _mtime(folder / "policy.md")
    if policy < 0:
        return None
    return _index(str(directory), institution_id, (policy, _mtime(folder / ASKS_FILE)), with_meaning)
