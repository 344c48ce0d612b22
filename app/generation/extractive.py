"""The offline default answer, quoted from the retrieved articles with no model at all, and the answer's basis.

`choose_basis` decides what every answer (extractive or generated) rests on: the governing article(s) -- the
articles cited in the question, else the top-ranked articles that cover most of the question's words -- with the
sentences that answer it (the sentences sharing the most question words, weighted by how rare each word is
among the retrieved articles: a BM25-like idf over kiwi tokens of legal_rag.tokenizer), then the other relevant
articles, each with the reason it was included. Articles that match nothing of the question are not part of the
basis (the page lists them one click away).

The extractive generator renders that basis as text, labelled as a quotation, not a generated answer:
governing articles first with their answering sentences quoted, then related articles with why. Quoted
statute text stays in curly quotation marks (“…”: statute text itself uses straight ones) so the citation check
can tell it from the answer's own citations.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from app.generation.prompt import Prompt, clean_article_text, pending_notes, split_note
from app.schemas import AnswerBasis, BasisSentence, Hit
from legal_rag.tokenizer import tokenize_many

LABEL = "[발췌 답변] 검색된 조문에서 발췌한 내용입니다. 생성 모델의 답변이 아닙니다."
# No citation-shaped example here: a help text must never be read back as a cited source.
HOW_TO_ASK = ("법령명과 조문 번호를 함께 적거나, 궁금한 상황을 한국어 문장으로 구체적으로 적어 다시 질문해 보십시오 "
              "(예: 사업자가 폐업하면 부가가치세 확정신고는 언제까지 해야 하나요?).")
NO_HITS = "질문에 맞는 근거 조문을 찾지 못했습니다. " + HOW_TO_ASK
FOOTER = "조문의 전체 내용과 적용 여부는 원문에서 확인하십시오. 구체적인 사안은 전문가와 상담하시기 바랍니다."
GOVERNING_HEADING = "근거 조문"
RELATED_HEADING = "함께 볼 조문"
OTHERS_LABEL = "그 밖에 검색된 조문(근거로 쓰지 않음)"

# Citations in the question (「약관의 규제에 관한 법률」제5조) name articles; their words (법률, 관하, 제, 5) say
# nothing about which sentence answers, and would pick list items that cite other laws.
_QUOTED_RE = re.compile(r"「[^」]*」|『[^』]*』")
_ARTICLE_REF_RE = re.compile(r"제\s*\d+\s*조(?:\s*의\s*\d+)?(?:\s*제?\s*\d+\s*[항호])*")
_WEAK_TAGS = {"SN", "XPN", "XSN", "MM", "NR"}
# Words that frame a question rather than ask it ("… 관련 규정을 알려 주세요").
_FRAME_FORMS = {"참조", "판단", "해설", "답변", "설명", "내용", "관련", "조문", "규정", "근거", "법령", "알리", "경우",
                "어떻", "무엇", "언제", "어디", "얼마", "여부", "질문", "사항", "해당", "다음", "이상", "이하",
                # Verbs that work as postpositions (…을 위하여, …에 대하여, …에 관하여, …에 따라, …에 의하여):
                # grammar, not subject matter, in questions and statute text alike.
                "위하", "대하", "관하", "따르", "의하"}
# A sentence of statute text ends with `다.` (also `함.`/`음.` in tables); `1.`/`가.` item markers do not.
_SENT_RE = re.compile(r"(?<=[다함음임됨것]\.)\s+")
_PARENT_REF_RE = re.compile(r"(?<![가-힣])법\s*(제\d+조(?:의\d+)?)")

MAX_GOVERNING = 3
MAX_RELATED = 4
GOVERNING_SHARE = 0.7  # a retrieved article governs when it covers >= 70% of what the best one covers
RELATED_SHARE = 0.3
SECOND_SENTENCE_SHARE = 0.8


@dataclass(frozen=True)
class Sentence:
    text: str
    position: int


def split_sentences(text: str) -> list[Sentence]:
    """Lines (항/호/목) then sentences within a line, in document order, amendment notes removed. A `다.` inside
    parentheses (`(…를 말한다. 이하 같다)`) does not end the sentence around it."""
    out: list[Sentence] = []
    for line in clean_article_text(text).splitlines():
        pending = ""
        for part in _SENT_RE.split(line.strip()):
            pending = f"{pending} {part}".strip() if pending else part.strip()
            if pending.count("(") > pending.count(")"):
                continue  # inside a parenthesis: the sentence goes on
            if pending:
                out.append(Sentence(pending, len(out)))
            pending = ""
        if pending:
            out.append(Sentence(pending, len(out)))
    return out


def question_terms(tokens: Sequence[str]) -> set[str]:
    """Content morphemes that can tell sentences apart: no numbers, prefixes, one-syllable or framing words."""
    out = set()
    for tok in tokens:
        form, _, tag = tok.rpartition("/")
        if tag and tag not in _WEAK_TAGS and len(form) >= 2 and form not in _FRAME_FORMS:
            out.add(tok)
    return out


def term_groups(terms: set[str]) -> dict[str, str]:
    """Each term -> its group: a compound (`부가가치세/CMP`) and the morphemes it is made of (부가, 가치세) are one
    group, so that the question's one word counts once however kiwi split it."""
    compounds = [t for t in terms if t.endswith("/CMP")]
    out = {}
    for t in terms:
        form = _word(t)
        owner = next((c for c in compounds if c != t and form in _word(c)), None)
        out[t] = owner or t
    return out


def weighted(matched: set[str], groups: dict[str, str], weight: dict[str, float]) -> float:
    """Sum over groups of the best-weighted matched term (a group counts once)."""
    best: dict[str, float] = {}
    for t in matched:
        g = groups.get(t, t)
        best[g] = max(best.get(g, 0.0), weight.get(t, 0.0))
    return sum(best.values())


# "언제까지 / 기한 / 기간" asks for a time limit; "얼마 / 세율 / 금액" for an amount: a sentence stating one
# (25일 이내, 100분의 10) answers better than one that only repeats the question's nouns.
_ASKS_WHEN_RE = re.compile(r"언제|기한|기간|며칠|몇\s*[일달년]|까지")
_STATES_WHEN_RE = re.compile(r"\d+\s*(?:일|개월|년)(?!\s*\d)|까지\s")  # 25일, 3년 이내, 2년을 경과한 때
_ASKS_AMOUNT_RE = re.compile(r"얼마|세율|금액|비율|한도")
_STATES_AMOUNT_RE = re.compile(r"\d+\s*분의\s*\d+|\d+(?:\.\d+)?\s*(?:퍼센트|%|원)")


def question_text(question: str, laws: Sequence[str] = ()) -> str:
    """The question without its citations (whose words name articles, not what is asked) and without the
    names of `laws` (`근로기준법상`: its 기준 would match `해고의 기준`; the law itself is retrieval's concern)."""
    text = _ARTICLE_REF_RE.sub(" ", _QUOTED_RE.sub(" ", question))
    for law in sorted(set(laws), key=len, reverse=True):
        pattern = r"\s*".join(re.escape(ch) for ch in law.replace(" ", ""))
        text = re.sub(pattern + r"(?:상|의|에서|에)?", " ", text)
    return text


def _word(tok: str) -> str:
    return tok.rpartition("/")[0]


@dataclass
class _Scored:
    hit: Hit
    sentences: list[Sentence]
    sentence_terms: list[set[str]]
    matched: set[str]
    coverage: float


def _score(question: str, hits: Sequence[Hit]) -> tuple[list[_Scored], dict[str, float], dict[str, str], str]:
    per_hit = [split_sentences(h.text) if not h.deleted else [] for h in hits]
    heads = [h.title for h in hits]  # the law's name is taken out of the question too
    toks = tokenize_many([question_text(question, [h.law for h in hits]), *heads,
                          *(s.text for ss in per_hit for s in ss)])
    q = question_terms(toks[0])
    head_toks = toks[1 : 1 + len(hits)]
    rest = iter(toks[1 + len(hits) :])
    scored = []
    for h, sentences, head in zip(hits, per_hit, head_toks, strict=True):
        sent_terms = [set(next(rest)) & q for _ in sentences]
        article_terms = set().union(*sent_terms, set(head) & q) if sentences else set(head) & q
        scored.append(_Scored(h, sentences, sent_terms, article_terms, 0.0))
    # idf over the retrieved articles: a word every article shares says little about which one answers.
    n = len(hits)
    idf = {t: math.log(1 + (n + 1) / (sum(t in s.matched for s in scored) + 0.5)) for t in q}
    groups = term_groups(q)
    total = weighted(q, groups, idf)
    for s in scored:
        s.coverage = weighted(s.matched, groups, idf) / total if total else 0.0
    return scored, idf, groups, question


def _cue_bonus(question: str, sentence: str, idf: dict[str, float]) -> float:
    """One more word's worth for a sentence stating the kind of thing the question asks (a time, an amount)."""
    top = max(idf.values(), default=0.0)
    if _ASKS_WHEN_RE.search(question) and _STATES_WHEN_RE.search(sentence):
        return top
    if _ASKS_AMOUNT_RE.search(question) and _STATES_AMOUNT_RE.search(sentence):
        return top
    return 0.0


def _sentence_scores(s: _Scored, ctx: tuple[dict[str, float], dict[str, str], str]) -> list[float]:
    idf, groups, question = ctx
    return [weighted(terms, groups, idf) + (_cue_bonus(question, sent.text, idf) if terms else 0.0)
            for terms, sent in zip(s.sentence_terms, s.sentences, strict=True)]


def _best_sentence(s: _Scored, ctx: tuple[dict[str, float], dict[str, str], str]) -> float:
    return max(_sentence_scores(s, ctx), default=0.0)


def _pick_sentences(s: _Scored, ctx: tuple[dict[str, float], dict[str, str], str], k: int,
                    lead_if_none: bool) -> list[Sentence]:
    scores = _sentence_scores(s, ctx)
    ranked = sorted((i for i, v in enumerate(scores) if v > 0), key=lambda i: (-scores[i], i))[:k]
    # A second sentence answers too only when it matches nearly as much as the best one.
    ranked = [i for i in ranked if scores[i] >= SECOND_SENTENCE_SHARE * scores[ranked[0]]]
    if not ranked:
        return s.sentences[:k] if lead_if_none else []
    return [s.sentences[i] for i in sorted(ranked)]


def _basis_sentences(hit: Hit, sentences: Sequence[Sentence]) -> list[BasisSentence]:
    out = []
    for sent in sentences:
        start = hit.text.find(sent.text)
        out.append(BasisSentence(text=sent.text, start=start if start >= 0 else None,
                                 end=start + len(sent.text) if start >= 0 else None))
    return out


def _words(terms: set[str], idf: dict[str, float], groups: dict[str, str], limit: int = 4) -> list[str]:
    """The question's words an article matched, one per group (the compound, not its parts), rarest first."""
    by_group: dict[str, float] = {}
    for t in terms:
        g = groups.get(t, t)
        by_group[g] = max(by_group.get(g, 0.0), idf.get(t, 0.0))
    ordered = sorted(by_group, key=lambda g: (-by_group[g], g))
    return list(dict.fromkeys(_word(g) for g in ordered))[:limit]


def _quote_words(words: Sequence[str]) -> str:
    return "·".join(f"‘{w}’" for w in words)


def _implements(hit: Hit, governing: Sequence[Hit]) -> Hit | None:
    """The governing 법 article that this 시행령/시행규칙 article implements (`법 제49조제1항에 따라`)."""
    for suffix in (" 시행령", " 시행규칙"):
        if hit.law.endswith(suffix):
            parent = hit.law[: -len(suffix)]
            refs = set(_PARENT_REF_RE.findall(hit.text))
            return next((g for g in governing if g.law == parent and g.article in refs), None)
    return None


def choose_basis(question: str, hits: Sequence[Hit]) -> list[AnswerBasis]:
    """Governing articles (rank order), then related ones; hits that match nothing of the question are left out.

    Governing: every article cited in the question; without citations, the top-5 ranked articles covering at
    least GOVERNING_SHARE of the best coverage among them (at most MAX_GOVERNING). Related: other articles covering at
    least RELATED_SHARE of it, the 법 article a retrieved 시행령 implements, 시행령 articles implementing a
    governing article, and articles the closest decisions cite (at most MAX_RELATED).
    """
    ranked = sorted(hits, key=lambda h: h.rank)
    if not ranked:
        return []
    scored, idf, groups, _ = _score(question, ranked)
    ctx = (idf, groups, question)
    best = max((s.coverage for s in scored), default=0.0)
    cited = [s for s in scored if s.hit.source == "citation"]
    if cited:
        governing = cited
    else:
        # Governing: among the top 5 by retrieval rank, the articles covering most of the question and holding
        # a sentence that answers nearly as well as the best one (the question's words together in one
        # sentence, and the time or amount it asks for, weigh more than words spread over an article).
        # An article only a close decision named is related evidence, never a candidate for the governing text
        # (docs/evaluation.md: few of them are what the court cited for the question itself); leaving it out
        # before the comparison keeps it from setting the bar the statutes' own articles must reach.
        candidates = [s for s in scored if s.hit.source != "precedent"][:5]
        best_top = max((s.coverage for s in candidates), default=0.0)
        answer = {id(s): _best_sentence(s, ctx) for s in candidates}
        best_answer = max(answer.values(), default=0.0)
        top = [s for s in candidates if s.coverage > 0 and s.coverage >= GOVERNING_SHARE * best_top
               and answer[id(s)] >= GOVERNING_SHARE * best_answer]
        # A 시행령 article that implements a governing 법 article is related to it, not a second governing one.
        top = [s for s in top if _implements(s.hit, [t.hit for t in top if t is not s]) is None]
        governing = top[:MAX_GOVERNING]
    gov_ids = {s.hit.doc_id for s in governing}
    gov_hits = [s.hit for s in governing]
    out: list[AnswerBasis] = []
    for s in governing:
        if s.hit.source == "citation":
            reason = "질문에 인용된 조문"
        else:
            reason = f"질문의 {_quote_words(_words(s.matched, idf, groups))}에 답하는 조문"
        out.append(AnswerBasis(role="governing", reason=reason, matched=_words(s.matched, idf, groups, 8),
                               coverage=round(s.coverage, 4), hit=s.hit,
                               sentences=_basis_sentences(s.hit, _pick_sentences(s, ctx, 2, lead_if_none=True))))
    related = 0
    for s in scored:
        if s.hit.doc_id in gov_ids or related >= MAX_RELATED:
            continue
        parent = _implements(s.hit, gov_hits)
        if parent is not None:
            reason = f"「{parent.law}」 {parent.article}를 시행하는 하위 법령 조문(위임)"
        elif s.hit.source == "delegation":
            reason = "검색된 시행령·시행규칙 조문이 근거로 드는 법률 조문(위임)"
        elif s.hit.source == "precedent":
            # Courts cite it for issues like this one even where it shares few words with the question.
            reason = "질문과 가까운 판례가 참조조문으로 든 조문"
        elif s.coverage > 0 and s.coverage >= RELATED_SHARE * best:
            reason = f"질문의 {_quote_words(_words(s.matched, idf, groups))}이(가) 나오는 관련 조문"
        else:
            continue
        related += 1
        out.append(AnswerBasis(role="related", reason=reason, matched=_words(s.matched, idf, groups, 8),
                               coverage=round(s.coverage, 4), hit=s.hit,
                               sentences=_basis_sentences(s.hit, _pick_sentences(s, ctx, 1, lead_if_none=False))))
    return out


def render_basis(basis: Sequence[AnswerBasis], hits: Sequence[Hit]) -> list[str]:
    """The extractive answer's lines: governing articles with quoted sentences, related ones with why."""
    out = [LABEL, ""]
    notes = pending_notes([b.hit for b in basis])  # one note per statute version, above the articles
    if notes:
        out += [f"※ {line}" for line in notes] + [""]
    governing = [b for b in basis if b.role == "governing"]
    related = [b for b in basis if b.role == "related"]
    if not governing:
        return out + [NO_HITS]
    out.append(f"{GOVERNING_HEADING}:")
    for n, b in enumerate(governing, start=1):
        out.append(f"{n}. {b.hit.header} — {b.reason}")
        own = split_note(b.hit.note)[1]
        if own:
            out.append(f"   ※ {own}")  # this article's own 시행일 (부칙)
        if b.hit.deleted:
            out.append("   (삭제된 조문입니다)")
        elif not b.sentences:
            out.append("   (본문이 없습니다)")
        for sent in b.sentences:
            out.append(f"   - “{sent.text}”")
    if related:
        out += ["", f"{RELATED_HEADING}:"]
        for b in related:
            out.append(f"- {b.hit.header} — {b.reason}")
            for sent in b.sentences:
                out.append(f"   “{sent.text}”")
    in_basis = {b.hit.doc_id for b in basis}
    rest = [h for h in sorted(hits, key=lambda h: h.rank) if h.doc_id not in in_basis]
    if rest:
        # Counted, not named: a name here would read as a citation of the answer (the list is in `hits`).
        out += ["", f"{OTHERS_LABEL}: {len(rest)}개 (결과 화면의 목록 참조)"]
    out += ["", FOOTER]
    return out


class ExtractiveGenerator:
    """Generator protocol without a model: reads `prompt.question` and `prompt.hits`."""

    name = "extractive"
    max_new_tokens = 0

    @property
    def context_window(self) -> int:
        return 1_000_000_000  # no model window: every retrieved article is available to quote

    def count_tokens(self, text: str) -> int:
        return len(text)

    def lines(self, prompt: Prompt) -> list[str]:
        if not prompt.hits:
            return [LABEL, "", NO_HITS]
        return render_basis(choose_basis(prompt.question, prompt.hits), prompt.hits)

    def generate(self, prompt: Prompt) -> str:
        return "\n".join(self.lines(prompt))

    def stream(self, prompt: Prompt) -> Iterator[str]:
        lines = self.lines(prompt)
        for k, line in enumerate(lines):
            yield line + ("\n" if k < len(lines) - 1 else "")
