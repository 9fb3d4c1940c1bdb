"""Turn a message into lower-case canonical words, so one pattern covers SMS and typed spellings."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u00b4": "'", "\u02bc": "'"})
# Hyphens inside words become spaces, so "self-harm" and "self harm" read the same.
_INNER_HYPHEN = re.compile(r"(?<=\w)[-\u2010\u2011](?=\w)")
_LINE_BREAK = re.compile(r"[\r\n]+")
_CHUNK = re.compile(r"'?[^\W_]+(?:'[^\W_]+)*|\S")  # "'ll" typed apart is one chunk
_SPLIT_ENDINGS = frozenset(["n't", "'s", "'ll", "'ve", "'re", "'d", "'m", "'t"])
_RUNS = re.compile(r"\d+|[^\W\d_]+")


class Normaliser:
    """Tokenises text and rewrites SMS spellings and contractions into canonical words."""

    def __init__(
        self,
        spellings: Mapping[str, str],
        suffixes: Mapping[str, str],
        is_after: Iterable[str],
    ) -> None:
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
        self._suffixes = {s.lstrip("'"): tuple(v.split()) for s, v in suffixes.items()}
        self._is_after = frozenset(is_after)

    def words(self, text: str) -> list[str]:
        """Canonical lower-case words and punctuation marks of the text; line breaks end a sentence."""
        text = _LINE_BREAK.sub(" . ", text.lower().translate(_QUOTES))
        text = _INNER_HYPHEN.sub(" ", text)
        chunks: list[str] = []
        for chunk in _CHUNK.findall(text):
            if chunk in _SPLIT_ENDINGS and chunks and chunks[-1][-1:].isalnum():
                chunks[-1] += chunk  # "ca n't", "it 's": a contraction typed in two pieces is one word
            else:
                chunks.append(chunk)
        out = [word for chunk in chunks for word in self._chunk(chunk) if word]  # never an empty word
        return self._join_phrases(out) if self._phrases else out

    def _chunk(self, chunk: str) -> tuple[str, ...]:
        if not chunk:
            return ()  # "n't" typed as a word of its own ("ca n't") leaves nothing before the mark
        known = self._words.get(chunk)
        if known is not None:
            return known
        if "'" in chunk:
            return self._contraction(chunk)
        runs = _RUNS.findall(chunk)
        if len(runs) > 1:
            # "15yo", "yr11": split digits from letters, then look each part up again.
            return tuple(w for run in runs for w in self._words.get(run, (run,)))
        return (chunk,)

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
