"""The offline default: an answer quoted from the retrieved articles, with no model at all.

It is labelled as a quotation, not a generated answer. For each article (rank order) it cites
`「법령명」 제N조(제목)` and quotes the sentences that share the most content morphemes with the question
(legal_rag.tokenizer); with no overlap (a question that only lists citations) the article's first sentences.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from app.generation.prompt import Prompt, clean_article_text, pending_notes
from legal_rag.tokenizer import tokenize_many

LABEL = "[발췌 답변] 검색된 조문에서 발췌한 내용입니다. 생성 모델의 답변이 아닙니다."
NO_HITS = "질문과 관련된 조문을 찾지 못했습니다. 법령명과 조문 번호(예: 「민법」 제54조)를 넣어 다시 질문해 보십시오."
FOOTER = "조문의 전체 내용과 적용 여부는 원문에서 확인하십시오. 구체적인 사안은 전문가와 상담하시기 바랍니다."

# Citations in the question (「약관의 규제에 관한 법률」제5조) name articles; their words (법률, 관하, 제, 5) say
# nothing about which sentence answers, and would pick list items that cite other laws.
_QUOTED_RE = re.compile(r"「[^」]*」|『[^』]*』")
_ARTICLE_REF_RE = re.compile(r"제\s*\d+\s*조(?:\s*의\s*\d+)?(?:\s*제?\s*\d+\s*[항호])*")
_WEAK_TAGS = {"SN", "XPN", "XSN", "MM", "NR"}
# A sentence of statute text ends with `다.` (also `함.`/`음.` in tables); `1.`/`가.` item markers do not.
_SENT_RE = re.compile(r"(?<=[다함음임됨것]\.)\s+")


@dataclass(frozen=True)
class Sentence:
    text: str
    position: int


def split_sentences(text: str) -> list[Sentence]:
    """Lines (항/호/목) then sentences within a line, in document order, amendment notes removed."""
    out: list[Sentence] = []
    for line in clean_article_text(text).splitlines():
        for part in _SENT_RE.split(line.strip()):
            if part.strip():
                out.append(Sentence(part.strip(), len(out)))
    return out


def question_terms(tokens: list[str]) -> set[str]:
    """Content morphemes that can tell sentences apart: no numbers, prefixes or one-syllable words."""
    out = set()
    for tok in tokens:
        form, _, tag = tok.rpartition("/")
        if tag and tag not in _WEAK_TAGS and len(form) >= 2:
            out.add(tok)
    return out


class ExtractiveGenerator:
    """Generator protocol without a model: reads `prompt.question` and `prompt.hits`."""

    name = "extractive"
    max_new_tokens = 0

    def __init__(self, max_articles: int = 5, sentences_per_article: int = 2) -> None:
        self.max_articles = max_articles
        self.sentences_per_article = sentences_per_article

    @property
    def context_window(self) -> int:
        return 1_000_000_000  # no model window: every retrieved article is available to quote

    def count_tokens(self, text: str) -> int:
        return len(text)

    def select(self, q_tokens: set[str], sent_tokens: list[list[str]], sentences: list[Sentence]) -> list[Sentence]:
        """The sentences sharing most content morphemes with the question, in document order."""
        scored = [(len(q_tokens & set(toks)), s) for s, toks in zip(sentences, sent_tokens, strict=True)]
        if not any(score for score, _ in scored):
            chosen = sentences[: self.sentences_per_article]  # no overlap: the article's lead
        else:
            ranked = sorted((x for x in scored if x[0] > 0), key=lambda x: (-x[0], x[1].position))
            chosen = [s for _, s in ranked[: self.sentences_per_article]]
        return sorted(chosen, key=lambda s: s.position)

    def lines(self, prompt: Prompt) -> list[str]:
        hits = sorted(prompt.hits, key=lambda h: h.rank)
        if not hits:
            return [LABEL, "", NO_HITS]
        quoted, rest = hits[: self.max_articles], hits[self.max_articles :]
        per_hit = [split_sentences(h.text) if not h.deleted else [] for h in quoted]
        flat = [s.text for ss in per_hit for s in ss]
        question = _ARTICLE_REF_RE.sub(" ", _QUOTED_RE.sub(" ", prompt.question))
        toks = tokenize_many([question, *flat])
        q_tokens, sent_toks = question_terms(toks[0]), toks[1:]
        out = [LABEL, ""]
        notes = pending_notes(quoted)  # one note per statute version, above the articles, not one per article
        if notes:
            out += [f"※ {line}" for line in notes] + [""]
        i = 0
        for n, (hit, sentences) in enumerate(zip(quoted, per_hit, strict=True), start=1):
            these = sent_toks[i : i + len(sentences)]
            i += len(sentences)
            out.append(f"{n}. {hit.header}")
            if hit.deleted or not sentences:
                out.append("   (삭제된 조문입니다)" if hit.deleted else "   (본문이 없습니다)")
                continue
            for s in self.select(q_tokens, these, sentences):
                out.append(f"   - \"{s.text}\"")
        if rest:
            out.append("")
            out.append("그 밖에 검색된 조문: " + ", ".join(f"「{h.law}」 {h.article}" for h in rest))
        out += ["", FOOTER]
        return out

    def generate(self, prompt: Prompt) -> str:
        return "\n".join(self.lines(prompt))

    def stream(self, prompt: Prompt) -> Iterator[str]:
        lines = self.lines(prompt)
        for k, line in enumerate(lines):
            yield line + ("\n" if k < len(lines) - 1 else "")
