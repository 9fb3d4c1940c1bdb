"""Turn a message into lower-case canonical words, so one pattern covers SMS and typed spellings."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from itertools import pairwise, product

_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u00b4": "'", "\u02bc": "'"})
# Hyphens inside words become spaces, so "self-harm" and "self harm" read the same.
_INNER_HYPHEN = re.compile(r"(?<=\w)[-\u2010\u2011](?=\w)")
_LINE_BREAK = re.compile(r"[\r\n]+")
# Invisible characters (zero-width spaces and joiners, soft hyphens, direction marks) read as nothing, so
# "d\u200bie" is "die": typed inside a word they would otherwise split it and hide it from the check. (The
# check also reads them as spaces, for "i\u200bwant to die": see RiskClassifier.classify.)
# Emoji variation selectors and skin tones count too: "🗡️" is "🗡".
INVISIBLE = re.compile(
    "[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufe0e\ufe0f\ufeff\U0001f3fb-\U0001f3ff]"
)
# Letters from "fancy font" generators read as plain letters: full-width, mathematical bold and italic, circled and
# other styled letters and digits (each one whose compatibility form is a single ASCII letter or digit), and the
# small capitals that have no such form ("ɪ ᴡᴀɴᴛ ᴛᴏ ᴅɪᴇ"). One character for one: nothing else changes and no
# message grows (a ligature, a fraction or an emoji is left as it is).
_SMALL_CAPITALS = dict(zip("ᴀʙᴄᴅᴇꜰɢʜɪᴊᴋʟᴍɴᴏᴘǫʀꜱᴛᴜᴠᴡʏᴢ", "abcdefghijklmnopqrstuvwyz", strict=True))


@lru_cache(maxsize=4096)
def _plain(char: str) -> str:
    if char in _SMALL_CAPITALS:
        return _SMALL_CAPITALS[char]
    folded = unicodedata.normalize("NFKC", char)
    return folded if len(folded) == 1 and folded.isascii() and folded.isalnum() else char


def plain_letters(text: str) -> str:
    """The text with styled letters and digits read as plain ones (ASCII text is returned as it is)."""
    return text if text.isascii() else "".join(_plain(char) if not char.isascii() else char for char in text)


_CHUNK = re.compile(r"'?[^\W_]+(?:'[^\W_]+)*|\S")  # "'ll" typed apart is one chunk
_SPLIT_ENDINGS = frozenset(["n't", "'s", "'ll", "'ve", "'re", "'d", "'m", "'t"])
_RUNS = re.compile(r"\d+|[^\W\d_]+")
# A letter typed three times or more in a row: no English or Welsh word has that, so it is a word stretched for
# feeling ("pleaseeee", "diiiie", "helppp", "bleedingggg"). See `Normaliser.unstretch`.
_STRETCHED = re.compile(r"([^\W\d_])\1{2,}")
_MAX_STRETCHES = 4  # runs in one word tried both ways (2**4 spellings at most); beyond that each is one letter
# Unknown stretched words keep one letter of a run, or two of these inside a word ("goooood", "sleeeep"; "waaaay"
# aside): English doubles e and o there far more often than at the end ("anymoreeee", "byeee").
_DOUBLED_VOWELS = frozenset("eo")
# Words are cached as they are read (students repeat them); a chunk longer than this is no word: it is worked out
# each time and never cached, so a stream of long unique chunks cannot fill memory.
_CACHED_WORD = 48


class TypoRepair:
    """Repairs near misses of the few words that matter ("suicde", "overdoze"; "kil" is a spelling instead).

    A word is repaired only when it is unknown (not a target, not a word the rules use, not left alone), is at
    least `min_length` long, starts with the target's letter, and is one edit away (two when both words have
    nine letters or more); a tie between two targets repairs nothing.
    """

    def __init__(self, targets: Iterable[str], known: Iterable[str], min_length: int = 4) -> None:
        self.targets = frozenset(targets)
        self.known = frozenset(known) | self.targets
        self.min_length = min_length
        by_letter: dict[str, list[str]] = {}
        for word in sorted(self.targets):
            by_letter.setdefault(word[0], []).append(word)
        self._by_letter = {letter: tuple(words) for letter, words in by_letter.items()}
        self.repair = lru_cache(maxsize=8192)(self._repair)  # students repeat their words; the cache is bounded

    def _repair(self, word: str) -> str:
        if len(word) < self.min_length or word in self.known or not word.isalpha():
            return word
        from rapidfuzz.distance import OSA  # in both environments; imported late to keep start-up cheap

        best: list[str] = []
        best_distance = 3
        for target in self._by_letter.get(word[0], ()):
            allowed = 2 if len(target) >= 9 and len(word) >= 9 else 1
            distance = OSA.distance(word, target, score_cutoff=allowed)
            if distance > allowed:
                continue
            if distance < best_distance:
                best, best_distance = [target], distance
            elif distance == best_distance:
                best.append(target)
        return best[0] if len(best) == 1 else word


class Normaliser:
    """Tokenises text and rewrites SMS spellings and contractions into canonical words."""

    def __init__(
        self,
        spellings: Mapping[str, str],
        suffixes: Mapping[str, str],
        is_after: Iterable[str],
        typos: TypoRepair | None = None,
    ) -> None:
        self.typos = typos
        self.unstretch = lru_cache(maxsize=4096)(self._unstretch)
        self.chunk = lru_cache(maxsize=8192)(self._chunk)  # a word's reading, cached as words are (see _CACHED_WORD)
        self._words: dict[str, tuple[str, ...]] = {}
        self._phrases: dict[tuple[str, ...], tuple[str, ...]] = {}
        for written, canonical in spellings.items():
            key = tuple(written.lower().split())
            value = tuple(canonical.lower().split())
            if len(key) == 1:
                self._words[key[0]] = value
            else:
                self._phrases[key] = value
        self._longest_phrase = max((len(k) for k in self._phrases), default=0)
        self._phrase_starts = frozenset(k[0] for k in self._phrases)
        self._suffixes = {s.lstrip("'"): tuple(v.split()) for s, v in suffixes.items()}
        self._is_after = frozenset(is_after)

    def with_typos(self, typos: TypoRepair) -> Normaliser:
        """The same normaliser, also repairing near misses of the words that matter."""
        copy = object.__new__(Normaliser)
        copy.__dict__.update(self.__dict__)
        copy.typos = typos
        copy.unstretch = lru_cache(maxsize=4096)(copy._unstretch)  # its known words include the typo targets'
        copy.chunk = lru_cache(maxsize=8192)(copy._chunk)  # and it repairs typos
        return copy

    def known_words(self) -> frozenset[str]:
        """Every word the spellings map reads or writes (these are never treated as typos)."""
        written = {w for key in self._phrases for w in key} | set(self._words)
        canonical = {w for value in (*self._words.values(), *self._phrases.values()) for w in value}
        return frozenset(written | canonical)

    def words(self, text: str) -> list[str]:
        """Canonical lower-case words and punctuation marks of the text; line breaks end a sentence."""
        text = _LINE_BREAK.sub(" . ", plain_letters(INVISIBLE.sub("", text)).lower().translate(_QUOTES))
        text = _INNER_HYPHEN.sub(" ", text)
        chunks: list[str] = []
        for chunk in _CHUNK.findall(text):
            if chunk in _SPLIT_ENDINGS and chunks and chunks[-1][-1:].isalnum():
                chunks[-1] += chunk  # "ca n't", "it 's": a contraction typed in two pieces is one word
            else:
                chunks.append(chunk)
        if _STRETCHED.search(text):  # most messages have no letter three times in a row: one scan settles it
            chunks = [self.unstretch(chunk) if len(chunk) <= _CACHED_WORD else self._unstretch(chunk)
                      for chunk in chunks]
        out = [word for chunk in chunks  # never an empty word
               for word in (self.chunk(chunk) if len(chunk) <= _CACHED_WORD else self._chunk(chunk)) if word]
        return self._join_phrases(out) if self._phrases else out

    def _unstretch(self, chunk: str) -> str:
        """A stretched word as it is spelt: each run of three or more of a letter read as one or two of it,
        whichever spelling the check knows (a word the rules or the typo repair use, or an SMS spelling):
        "pleaseeee" is "please", "sooo" is "so", "killlll" is "kil" and so "kill". An unknown word keeps one
        letter of each run ("bleedingggg" is "bleeding"), two of an e or an o inside it ("goooood" is "good")."""
        runs = list(_STRETCHED.finditer(chunk))
        if not runs:
            return chunk
        letters = [run.group(1) for run in runs]
        between = [chunk[: runs[0].start()], *(chunk[a.end() : b.start()] for a, b in pairwise(runs)),
                   chunk[runs[-1].end() :]]

        def spelt(counts: Sequence[int]) -> str:
            return between[0] + "".join(letter * count + rest
                                        for letter, count, rest in zip(letters, counts, between[1:], strict=True))

        known = self.typos.known if self.typos is not None else self.known_words()
        tried, left = min(len(runs), _MAX_STRETCHES), max(0, len(runs) - _MAX_STRETCHES)
        for counts in product((1, 2), repeat=tried):  # one letter of each run first, then two of the last, and so on
            spelling = spelt((*counts, *(1,) * left))
            if spelling in known or spelling in self._words:
                return spelling
        ends_word = not between[-1]  # a run that ends the word keeps one letter ("moreeee")
        return spelt([1 if (ends_word and n == len(runs) - 1) or letter not in _DOUBLED_VOWELS else 2
                      for n, letter in enumerate(letters)])

    def _chunk(self, chunk: str) -> tuple[str, ...]:
        if not chunk:
            return ()  # "n't" typed as a word of its own ("ca n't") leaves nothing before the mark
        known = self._words.get(chunk)
        if known is not None:
            return known
        if "'" in chunk:
            return self._contraction(chunk)
        runs = () if chunk.isalpha() else _RUNS.findall(chunk)
        if len(runs) > 1:
            # "15yo", "yr11": split digits from letters, then look each part up again.
            return tuple(w for run in runs for w in self._words.get(run, (run,)))
        if self.typos is None or len(chunk) > _CACHED_WORD:  # no word is this long, nor one or two letters from one
            return (chunk,)
        return (self.typos.repair(chunk),)

    def _contraction(self, chunk: str) -> tuple[str, ...]:
        stem, _, suffix = chunk.rpartition("'")
        if suffix == "t" and stem.endswith("n"):
            return (*self._chunk(stem[:-1]), *self._suffixes.get("n't", ("not",)))
        if suffix == "s":
            # "he's" is "he is"; "my friend's" is a possessive and the mark adds nothing.
            return (*self._chunk(stem), "is") if stem in self._is_after else self._chunk(stem)
        if suffix in self._suffixes:
            return (*self._chunk(stem), *self._suffixes[suffix])
        return tuple(w for part in chunk.split("'") if part for w in self._chunk(part))

    def _join_phrases(self, words: list[str]) -> list[str]:
        out: list[str] = []
        i = 0
        while i < len(words):
            if words[i] not in self._phrase_starts:  # most words begin no phrase: no need to try each length
                out.append(words[i])
                i += 1
                continue
            for size in range(min(self._longest_phrase, len(words) - i), 1, -1):
                replacement = self._phrases.get(tuple(words[i : i + size]))
                if replacement is not None:
                    out.extend(replacement)
                    i += size
                    break
            else:
                out.append(words[i])
                i += 1
        return out
