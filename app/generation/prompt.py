"""The prompt sent to the SFT model: numbered articles, an instruction, the question, then ` 답변:`.

The model (`SEOKDONG/openchat3.5_korean_v1.0_sft`) was tuned on "text followed by ` 답변:`", so the prompt ends
with exactly that marker and nothing after it. The articles and the question must fit the context window
together with the tokens the model may generate: the lowest-ranked articles are dropped first, and a top
article that alone does not fit is cut at a paragraph or sentence boundary and marked `…(이하 생략)`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from app.schemas import Hit
from legal_rag.articles import NOTE_RE
from legal_rag.statute_markup import display_text

ANSWER_MARKER = " 답변:"
QUESTION_LABEL = "질문:"
OMITTED_MARK = "…(이하 생략)"

CONTEXT_INTRO = "다음은 질문과 관련하여 검색된 법령 조문입니다."
INSTRUCTION = (
    "위 조문만을 근거로 아래 질문에 한국어로 답하십시오. 답변에 사용한 조문은 「민법」 제54조처럼 "
    "「법령명」과 조문 번호로 밝혀 인용하고, 위 조문에서 확인할 수 없는 내용은 추측하지 말고 "
    "확인할 수 없다고 답하십시오."
)
NO_CONTEXT_INSTRUCTION = (
    "질문과 관련된 조문을 찾지 못했습니다. 아래 질문에 한국어로 답하되, 특정 조문을 근거로 제시하지 말고 "
    "확인이 필요한 부분은 확인할 수 없다고 답하십시오."
)

# Amendment notes (<개정 2016.3.22>) cost many tokens on a Mistral tokenizer and tell the model nothing
# about the rule itself; the version's 시행일자 is stated separately when it matters (pending versions).
_NOTE_RE = re.compile(r"\s*" + NOTE_RE.pattern)  # with the space before it
# Cut points inside an article: end of a line (항/호/목) and end of a sentence (Korean statutes end
# sentences with `다.`; `1.`/`가.` item markers are not sentence ends).
_SENTENCE_END_RE = re.compile(r"(?:다|함|음|것|임|됨)\.(?=\s|$)|[.?!](?=\n|$)")


class PromptBudgetError(ValueError):
    """Even the question with no article does not fit the context window."""


@dataclass(frozen=True)
class Prompt:
    """A rendered prompt and what went into it.

    `hits` are the articles in the prompt (rank order), `dropped` the ones left out for lack of room.
    Generators that need no model (the extractive one) read `question` and `hits` instead of `text`.
    """

    text: str
    question: str = ""
    hits: list[Hit] = field(default_factory=list)
    dropped: list[Hit] = field(default_factory=list)
    truncated: bool = False
    prompt_tokens: int | None = None
    budget_tokens: int | None = None

    @classmethod
    def from_text(cls, text: str) -> Prompt:
        """A prompt with no structured context (raw text given to an LLM wrapper)."""
        question = text
        if QUESTION_LABEL in text:
            question = text.rsplit(QUESTION_LABEL, 1)[1]
        return cls(text=text, question=strip_answer_marker(question).strip())


def strip_answer_marker(question: str) -> str:
    """People paste the model's format (`… 참조 판단 해설 답변:`); the prompt adds the marker itself."""
    q = question.strip()
    while q.endswith("답변:"):
        q = q[: -len("답변:")].rstrip()
    return q


def clean_article_text(text: str) -> str:
    """Article text for a prompt or a quotation: no amendment notes, images as `[수식 이미지]` (no file number)."""
    text = display_text(text)
    return "\n".join(line for line in (_NOTE_RE.sub("", ln).rstrip() for ln in text.splitlines()) if line.strip())


# The version-level part of a Hit's note (legal_rag.versions.VersionChoice.note); the rest, joined by " / ",
# is the article's own (its 시행일 from the 부칙).
_VERSION_NOTE_RE = re.compile(r"^(?:시행 예정 \d{4}-\d{2}-\d{2}|폐지된 법령입니다)[^/]*: 기준일 현재")


def split_note(note: str) -> tuple[str, str]:
    """(the statute version's note, the article's own note) of a Hit's `note`."""
    parts = [p.strip() for p in note.split(" / ") if p.strip()]
    version = [p for p in parts if _VERSION_NOTE_RE.match(p)]
    return " / ".join(version), " / ".join(p for p in parts if p not in version)


def pending_note(hit: Hit) -> str:
    """`「근로기준법」 시행 예정 2027-01-01: …`: what a pending version's articles have in common."""
    version, _ = split_note(hit.note)
    return f"「{hit.law}」 " + (version or f"시행 예정 {hit.effective or ''}".rstrip())


def pending_notes(hits: Sequence[Hit]) -> list[str]:
    """One note per pending statute version among `hits` (by 법령ID and 시행일자), in rank order."""
    seen: dict[tuple[str, str | None], str] = {}
    for h in sorted(hits, key=lambda h: h.rank):
        if h.pending:
            seen.setdefault((h.law_id, h.effective), pending_note(h))
    return list(seen.values())


def article_block(index: int, hit: Hit, text: str | None = None, note: bool = True) -> str:
    """`[1] 「민법」 제54조(제목)` + pending note (when `note`: the first article of its version) + deleted
    note + body."""
    lines = [f"[{index}] {hit.header}"]
    version, own = split_note(hit.note)
    if hit.pending and note:
        lines.append(f"※ {version}" if version else f"※ 시행 예정 {hit.effective or ''}".rstrip())
    if own:
        lines.append(f"※ {own}")  # the article's own 시행일 (부칙): said on every article it concerns
    if hit.deleted:
        lines.append("※ 삭제된 조문")
    body = clean_article_text(hit.text) if text is None else text
    if body:
        lines.append(body)
    return "\n".join(lines)


def render_prompt(question: str, blocks: Sequence[str]) -> str:
    """`blocks` in rank order ([1] strongest) are written weakest first, so that the strongest article stands
    nearest the question and ` 답변:`: a 7B model attends most to what it read last, and reads the rest less
    well the farther back it is."""
    q = strip_answer_marker(question)
    if blocks:
        head = CONTEXT_INTRO + "\n\n" + "\n\n".join(reversed(blocks)) + "\n\n" + INSTRUCTION
    else:
        head = NO_CONTEXT_INSTRUCTION
    return f"{head}\n\n{QUESTION_LABEL} {q}{ANSWER_MARKER}"


def _cut_points(text: str) -> list[int]:
    """Offsets where an article may be cut: after a line, after a sentence; ascending, unique."""
    points = {m.end() for m in re.finditer(r"\n", text)}
    points |= {m.end() for m in _SENTENCE_END_RE.finditer(text)}
    points.discard(len(text))
    return sorted(p for p in points if text[:p].strip())


def _word_points(text: str) -> list[int]:
    return [m.start() for m in re.finditer(r"\s+", text) if text[: m.start()].strip()]


def _largest_fitting(points: list[int], fits: Callable[[int], bool]) -> int | None:
    """Largest cut point p with fits(p) (fits is monotone: a shorter cut always fits if a longer one does)."""
    lo, hi, best = 0, len(points) - 1, None
    while lo <= hi:
        mid = (lo + hi) // 2
        if fits(points[mid]):
            best = points[mid]
            lo = mid + 1
        else:
            hi = mid - 1
    return best


def build_prompt(
    question: str,
    hits: Sequence[Hit],
    token_counter: Callable[[str], int],
    budget_tokens: int,
) -> Prompt:
    """Render the prompt with as many top-ranked articles as fit into `budget_tokens`.

    `budget_tokens` is the room for the prompt itself: context window minus the tokens reserved for the
    answer. `token_counter` must count the way the model's tokenizer does (special tokens included).
    Raises PromptBudgetError when the question alone does not fit.
    """
    q = strip_answer_marker(question)
    ranked = sorted(hits, key=lambda h: h.rank)
    first_of_version: dict[tuple[str, str | None], int] = {}
    for i, h in enumerate(ranked):
        first_of_version.setdefault((h.law_id, h.effective), i)
    blocks = [article_block(i + 1, h, note=first_of_version[(h.law_id, h.effective)] == i)
              for i, h in enumerate(ranked)]

    def count(bs: Sequence[str]) -> int:
        return token_counter(render_prompt(q, bs))

    # Largest k such that the top-k articles fit; counts grow with k, so search the prefix length.
    lo, hi, k, k_tokens = 1, len(blocks), 0, None
    while lo <= hi:
        mid = (lo + hi) // 2
        n = count(blocks[:mid])
        if n <= budget_tokens:
            k, k_tokens = mid, n
            lo = mid + 1
        else:
            hi = mid - 1
    if k:
        text = render_prompt(q, blocks[:k])
        return Prompt(text, q, list(ranked[:k]), list(ranked[k:]), False, k_tokens, budget_tokens)

    bare_tokens = count([])
    if bare_tokens > budget_tokens:
        raise PromptBudgetError(
            f"question too long for the model's context window ({bare_tokens} > {budget_tokens} tokens) / "
            f"질문이 모델의 입력 한도를 넘습니다 ({bare_tokens} > {budget_tokens} 토큰)"
        )
    if not ranked:
        return Prompt(render_prompt(q, []), q, [], [], False, bare_tokens, budget_tokens)

    # Not even the top article fits whole: cut it at the last paragraph/sentence boundary that fits.
    top = ranked[0]
    body = clean_article_text(top.text)

    def block_at(p: int) -> str:
        return article_block(1, top, body[:p].rstrip() + "\n" + OMITTED_MARK)

    def fits(p: int) -> bool:
        return count([block_at(p)]) <= budget_tokens

    cut = _largest_fitting(_cut_points(body), fits)
    if cut is None:  # first sentence alone too long: fall back to a word boundary
        cut = _largest_fitting(_word_points(body), fits)
    block = block_at(cut) if cut is not None else article_block(1, top, OMITTED_MARK)
    if count([block]) > budget_tokens:  # header alone does not fit: answer without context
        text = render_prompt(q, [])
        return Prompt(text, q, [], list(ranked), True, bare_tokens, budget_tokens)
    text = render_prompt(q, [block])
    return Prompt(text, q, [top], list(ranked[1:]), True, token_counter(text), budget_tokens)
