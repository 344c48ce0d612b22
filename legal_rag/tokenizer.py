"""The Korean tokenizer: one function used at index time and at query time.

Tokens are kiwipiepy morphemes as `form/TAG` (the POS tag is kept so 법/NNG and 법/XSN stay apart), content
morphemes only; plus each compound noun as written (`채권자대위권/CMP`), because kiwi splits the same legal term
differently by context (`채권자대위권/NNP` alone, `채권자/NNG 대위/NNG 권/XSN` in a sentence) and the
compound is the unit lawyers search by; plus whole article references such as `제839조의2` so that a typed
article number is searchable as one token.
"""

from __future__ import annotations

import os
import re
import sys
import threading
import unicodedata
from collections.abc import Iterable, Iterator
from functools import lru_cache

from legal_rag.articles import ARTICLE_NUMBER_RE, NOTE_RE

TOKENIZER_ID = "kiwi-morph-cmp-v4"

# Content morphemes: nouns, verb/adjective stems, roots, numbers, foreign words, hanja, adverbs.
_KEEP_TAGS = {
    "NNG", "NNP", "NNB", "NR", "NP", "VV", "VA", "VX", "XR", "SN", "SL", "SH", "MAG", "XSN", "XPN", "MM",
}
_DROP_FORMS_NNB = {"것", "수", "바", "등", "때", "중", "데", "이", "항", "호", "조"}
_COMPOUND_TAGS = {"NNG", "NNP", "XSN", "XR", "NR"}
_HANGUL_RE = re.compile(r"[가-힣]+")
_DOTS_RE = re.compile(r"[·ㆍ・‧•∙]")

_kiwi_lock = threading.Lock()
_kiwi_instance = None


def normalize_text(text: str) -> str:
    """Normalisation before tokenising: full-width forms to ASCII, middle dots to spaces, notes removed.

    NFKC is not applied to the whole text because it turns U+318D (the dot legalize-kr uses) into a jamo.
    """
    text = NOTE_RE.sub(" ", text)
    text = _DOTS_RE.sub(" ", text)
    out = []
    for ch in text:
        o = ord(ch)
        if 0xFF01 <= o <= 0xFF5E or ch in "「」『』“”‘’":
            ch = unicodedata.normalize("NFKC", ch) if 0xFF01 <= o <= 0xFF5E else " "
        out.append(ch)
    return "".join(out)


def article_reference_tokens(text: str) -> list[str]:
    """`제839조의2` style references as single tokens (spaces people type removed)."""
    return [f"제{m.group(1)}조" + (f"의{m.group(2)}" if m.group(2) else "") for m in ARTICLE_NUMBER_RE.finditer(text)]


def _kiwi():  # type: ignore[no-untyped-def]
    """One Kiwi per process (its model is ~400 MB); callers serialise on _kiwi_lock."""
    global _kiwi_instance
    if _kiwi_instance is None:
        from kiwipiepy import Kiwi

        workers = int(os.environ.get("LEGAL_RAG_KIWI_WORKERS", "0")) or (os.cpu_count() or 1)
        # No multi-word dictionary: it changed no token of the statutes we compared and costs ~1.6 s of start-up,
        # which an incremental ingest of one changed file pays in full.
        _kiwi_instance = Kiwi(num_workers=workers, load_multi_dict=False)
    return _kiwi_instance


def warm_up_in_background() -> threading.Thread:
    """Load kiwi's model (~0.5-2 s) in a thread while the caller does other work; kiwi's loader releases the
    GIL. Tokenising waits for it on the same lock."""

    def load() -> None:
        with _kiwi_lock:
            _kiwi()

    thread = threading.Thread(target=load, name="kiwi-warm-up", daemon=True)
    thread.start()
    return thread


def _content_tokens(morphs: Iterable) -> list[str]:  # type: ignore[type-arg]
    out = []
    for m in morphs:
        tag = m.tag.split("-")[0]  # kiwi marks irregular conjugations as VV-I etc.
        if tag not in _KEEP_TAGS:
            continue
        if tag == "NNB" and m.form in _DROP_FORMS_NNB:
            continue
        out.append(f"{m.form}/{tag}")
    return out


def _compound_tokens(morphs: Iterable) -> list[str]:  # type: ignore[type-arg]
    """Runs of adjacent Hangul noun morphemes (no space between them) of 3+ syllables, as one token each."""
    runs: list[str] = []
    end = -1
    for m in morphs:
        if m.tag.split("-")[0] in _COMPOUND_TAGS and _HANGUL_RE.fullmatch(m.form):
            if runs and m.start == end:
                runs[-1] += m.form
            else:
                runs.append(m.form)
            end = m.start + m.len
        else:
            end = -1
    out = [f"{r}/CMP" for r in runs if len(r) >= 3]
    # 배임죄 -> also 배임: statutes name the act (횡령, 배임), decisions name the crime (배임죄).
    out += [f"{r[:-1]}/NNG" for r in runs if len(r) >= 3 and r.endswith("죄")]
    return out


def tokenize(text: str) -> list[str]:
    """Tokens of one text (query or document)."""
    return tokenize_many([text])[0]


def tokenize_many(texts: Iterable[str]) -> list[list[str]]:
    """Tokens of many texts, in order; kiwi spreads the work over its worker threads."""
    return list(iter_tokenize(texts))


def iter_tokenize(texts: Iterable[str], batch_size: int = 1024) -> Iterator[list[str]]:
    """Tokens of many texts, in order, a batch at a time so that kiwi's morpheme objects never pile up."""
    batch: list[str] = []
    for text in texts:
        batch.append(text)
        if len(batch) >= batch_size:
            yield from _tokenize_batch(batch)
            batch = []
    if batch:
        yield from _tokenize_batch(batch)


def _tokenize_batch(texts: list[str]) -> list[list[str]]:
    normalized = [normalize_text(t) for t in texts]
    with _kiwi_lock:  # kiwi's own worker pool parallelises a batch; concurrent callers take turns
        results = list(_kiwi().tokenize(normalized))
    # Interned: a corpus repeats the same few hundred thousand tokens tens of millions of times.
    return [
        [sys.intern(t) for t in _content_tokens(morphs) + _compound_tokens(morphs) + article_reference_tokens(original)]
        for original, morphs in zip(texts, results, strict=True)
    ]


@lru_cache(maxsize=4096)
def tokenize_query(text: str) -> tuple[str, ...]:
    """Cached query tokenisation (queries repeat; documents are tokenised once at ingest)."""
    return tuple(tokenize(text))
