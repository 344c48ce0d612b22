"""precedent-kr Markdown -> Decision: frontmatter, numbered issues, 참조조문 and 참조판례 per issue.

The published text varies (see ../shared/corpus/precedent-kr-sample/README.md): issue markers `[1]`, `［1］`,
`가.`; groups separated by ` / `, `/`, `／`; group labels `[3][4]`, `가.다.`; stray line breaks and spaces
inside groups; `구 …법(… 개정되기 전의 것)`; `(현행 … 참조)` / `{현행 …}` pointers; `［별표 2］` and tags such as
`제1조[행정처분일반]`; escaped brackets `\\[별표 4]`.

Parsing (`parse_decision_markdown`) needs nothing but the text. Resolving 참조조문 into articles
(`resolve_statute_citations`) uses the project's one citation resolver (legal_rag.citations) against a statute
store. Either raises `DecisionFormatError` with the reason (Korean / English) for a file that cannot be used.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from legal_rag.citations import LawCatalog, resolve_citations
from legal_rag.frontmatter import FrontmatterError
from legal_rag.frontmatter import split_frontmatter as read_frontmatter
from legal_rag.precedents.case_numbers import CaseNumberError, find_case_numbers, parse_case_number
from legal_rag.precedents.model import CaseReference, Decision, Issue, ReferenceGroup, StatuteCitation
from legal_rag.store import ArticleStore

__all__ = ["DecisionFormatError", "parse_decision_markdown", "resolve_statute_citations", "split_groups"]

_KOREAN_ORDINALS = "가나다라마바사아자차카타파하"
_SECTION_RE = re.compile(r"^##[ \t]+(.+?)[ \t]*$", re.M)
# An issue marker: [1] / ［1］ anywhere after a line start or whitespace; 가. only at a line start.
_BRACKET_MARK_RE = re.compile(r"(?:^|(?<=\s))[\[［][ \t]*(\d{1,2})[ \t]*[\]］]")
_LETTER_MARK_RE = re.compile(rf"^[ \t]*([{_KOREAN_ORDINALS}])\.(?=\s)", re.M)
# A group label at the start of a group: [3][4], ［1］［2］, 가.다., 나.
_LABEL_RE = re.compile(rf"^\s*((?:[\[［]\s*\d{{1,2}}\s*[\]］]\s*)+|(?:[{_KOREAN_ORDINALS}]\.\s*)+)")
_POINTER_RE = re.compile(r"[({][ \t]*현행[ \t]*((?:[^(){}]|\([가-힣]\))*)[)}]")
_NOTE_RE = re.compile(r"\(([^()]*(?:전의 것|폐지)[^()]*)\)")


class DecisionFormatError(ValueError):
    """A decision file that cannot be ingested; the message says why (Korean / English)."""


# ---------------------------------------------------------------------------------------------- text helpers


def _clean(text: str) -> str:
    """Collapse the stray line breaks and spaces of the published text; unescape Markdown brackets."""
    text = text.replace("\\[", "[").replace("\\]", "]")
    return re.sub(r"\s+", " ", text).strip()


def split_frontmatter(text: str) -> tuple[dict[str, Any], str]:
    try:
        return read_frontmatter(text)
    except FrontmatterError as exc:
        raise DecisionFormatError(str(exc)) from exc


def _sections(body: str) -> dict[str, str]:
    heads = list(_SECTION_RE.finditer(body))
    out: dict[str, str] = {}
    for i, m in enumerate(heads):
        end = heads[i + 1].start() if i + 1 < len(heads) else len(body)
        out.setdefault(m.group(1).strip(), body[m.end() : end].strip())
    return out


def _title(body: str, fallback: str) -> str:
    m = re.search(r"^#[ \t]+(.+?)[ \t]*$", body, re.M)
    return m.group(1).strip() if m else fallback


def _numbered(text: str) -> list[tuple[int, str, str]]:
    """(number, marker, text) of each numbered part; one unnumbered part when there are no markers. Markers
    must count up from 1 (a stray `[3]` inside a sentence is text)."""
    bracket = [m for m in _BRACKET_MARK_RE.finditer(text)]
    marks: list[tuple[int, int, int, str]] = []  # (start, end, number, marker)
    expected = 1
    for m in bracket:
        if int(m.group(1)) == expected:
            marks.append((m.start(), m.end(), expected, m.group(0).strip()))
            expected += 1
    if not marks:
        expected = 1
        for m in _LETTER_MARK_RE.finditer(text):
            n = _KOREAN_ORDINALS.index(m.group(1)) + 1
            if n == expected:
                marks.append((m.start(), m.end(), n, f"{m.group(1)}."))
                expected += 1
    if not marks:
        cleaned = _clean(text)
        return [(1, "", cleaned)] if cleaned else []
    out = []
    for i, (_s, e, n, marker) in enumerate(marks):
        end = marks[i + 1][0] if i + 1 < len(marks) else len(text)
        out.append((n, marker, _clean(text[e:end])))
    return out


def _label_issues(label: str) -> tuple[int, ...]:
    nums = [int(x) for x in re.findall(r"\d{1,2}", label)]
    nums += [_KOREAN_ORDINALS.index(ch) + 1 for ch in re.findall(rf"([{_KOREAN_ORDINALS}])\.", label)]
    return tuple(sorted(set(nums)))


def split_groups(text: str) -> list[ReferenceGroup]:
    """참조조문 / 참조판례 text -> its groups: split at `/` or `／` outside parentheses; each group's leading label
    (`[3][4]`, `가.다.`) gives its issues."""
    parts: list[str] = []
    depth = 0
    cur: list[str] = []
    for ch in text:
        if ch in "({[（［":
            depth += 1
        elif ch in ")}]）］":
            depth = max(0, depth - 1)
        if ch in "/／" and depth == 0:
            parts.append("".join(cur))
            cur = []
            continue
        cur.append(ch)
    parts.append("".join(cur))
    groups = []
    for part in parts:
        if not part.strip():
            continue
        m = _LABEL_RE.match(part)
        label = re.sub(r"\s+", "", m.group(1)) if m else ""
        body = part[m.end() :] if m else part
        groups.append(ReferenceGroup(_label_issues(label), label, _clean(body)))
    return groups


# ---------------------------------------------------------------------------------------------- parsing


def _meta_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        return None


def parse_decision_markdown(text: str, source: str) -> Decision:
    """Parse one precedent-kr file. `source` is its path relative to the collection root."""
    meta, body = split_frontmatter(text)
    raw_number = str(meta.get("사건번호") or "").strip()
    if not raw_number:
        raise DecisionFormatError("frontmatter lacks 사건번호 / 사건번호가 없습니다")
    try:
        first = parse_case_number(raw_number)
    except CaseNumberError as exc:
        raise DecisionFormatError(f"malformed 사건번호 {raw_number!r}: {exc}") from None
    numbers = [n.key for m in find_case_numbers(raw_number) for n in m.numbers] or [first.key]
    decided = _meta_date(meta.get("선고일자"))
    if decided is None:
        raise DecisionFormatError(f"frontmatter lacks a valid 선고일자 ({meta.get('선고일자')!r}) / 선고일자가 없습니다")
    court = str(meta.get("법원명") or "").strip()
    if not court:
        raise DecisionFormatError("frontmatter lacks 법원명 / 법원명이 없습니다")
    sections = _sections(body)
    holdings = sections.get("판시사항", "")
    summaries = sections.get("판결요지", "")
    if not holdings.strip() and not summaries.strip():
        raise DecisionFormatError("no 판시사항 or 판결요지 section / 판시사항·판결요지 절이 없습니다")
    held = _numbered(holdings)
    summed = {n: t for n, _m, t in _numbered(summaries)}
    if not held:  # only 판결요지: its parts are the issues
        held = [(n, m, "") for n, m, _t in _numbered(summaries)]
    issues = tuple(Issue(n, marker, text_, summed.get(n, "")) for n, marker, text_ in held)
    n_issues = len(issues)
    statute_groups = tuple(split_groups(sections.get("참조조문", "")))
    case_groups = tuple(split_groups(sections.get("참조판례", "")))
    for kind, groups in (("참조조문", statute_groups), ("참조판례", case_groups)):
        for g in groups:
            beyond = [i for i in g.issues if i > n_issues]
            if beyond:
                raise DecisionFormatError(
                    f"{kind} label {g.label} names issue {beyond[0]} but 판시사항 has {n_issues} / "
                    f"{kind}의 {g.label}에 해당하는 판시사항이 없습니다")
    refs: list[CaseReference] = []
    court_default = court if meta.get("법원등급") == "대법원" or court == "대법원" else None
    for g in case_groups:
        for m in find_case_numbers(g.text, default_court=court_default):
            for n in m.numbers:
                refs.append(CaseReference(g.issues, n.key, m.court, m.decided.isoformat() if m.decided else None,
                                          m.decision_type, m.en_banc, m.raw))
    en_banc = "전원합의체" in (sections.get("판례내용", "")[:400] + str(meta.get("사건명", "")))
    return Decision(
        serial=str(meta.get("판례일련번호") or "").strip(), case_number=first.key, case_numbers=tuple(numbers),
        case_name=str(meta.get("사건명") or "").strip(), court=court,
        court_level=str(meta.get("법원등급") or "").strip(), category=str(meta.get("사건종류") or "").strip(),
        decided=decided, title=_title(body, str(meta.get("사건명") or "")), source=source,
        url=str(meta.get("출처") or "").strip(), issues=issues, statute_groups=statute_groups,
        case_groups=case_groups, case_references=tuple(refs), has_summary=bool(summaries.strip()),
        en_banc=en_banc,
    )


# ---------------------------------------------------------------------------------------------- 참조조문


def _mask(text: str, spans: list[tuple[int, int]]) -> str:
    chars = list(text)
    for s, e in spans:
        for i in range(s, e):
            chars[i] = " "
    return "".join(chars)


def _citation(rc: Any, issues: tuple[int, ...], former_note: str = "", pointer: bool = False) -> StatuteCitation:
    ref = rc.ref
    statute = rc.statute
    former = bool(ref.former) and not pointer
    article = ref.article
    return StatuteCitation(
        issues=issues, raw=ref.raw, law=ref.law, law_text=(ref.law_text or ref.law or "").strip(),
        law_id=statute.law_id if statute is not None else None,
        article=article.label if article is not None else None,
        main=article.main if article is not None else 0, sub=article.sub if article is not None else 0,
        detail=ref.detail, status=rc.status, former_version=former, former_note=former_note if former else "",
        current_pointer=pointer,
        doc_id=None if former else (rc.doc_id if rc.status == "found" else None),
    )


def resolve_statute_citations(
    decision: Decision, catalog: LawCatalog, store: ArticleStore, as_of: date,
    memo: dict[str, tuple[StatuteCitation, ...]] | None = None,
) -> tuple[StatuteCitation, ...]:
    """Every article of 참조조문, per group, resolved with legal_rag.citations. `(현행 … 참조)` pointers are resolved
    apart, in the law of the former citation they follow, so that they neither take that citation's place nor
    change the law of the articles after them (`구 지방세법 제22조(현행 지방세기본법 제47조 참조), 제82조`: 제82조 is
    구 지방세법's). Raises DecisionFormatError for a group in which no article or law can be found.

    `memo` (group text -> citations), shared across the decisions of one build, resolves each distinct group text
    once: the same groups recur within a decision ([1] and [2] alike) and across decisions ("민법 제750조")."""
    out: list[StatuteCitation] = []
    for g in decision.statute_groups:
        if memo is not None and g.text in memo:
            out.extend(StatuteCitation(**{**c.__dict__, "issues": g.issues}) for c in memo[g.text])
            continue
        group_start = len(out)
        text = g.text
        pointers = list(_POINTER_RE.finditer(text))
        main_text = _mask(text, [(p.start(), p.end()) for p in pointers])
        resolved = [rc for rc in resolve_citations(main_text, catalog, store, as_of, include_mentions=True)
                    if rc.ref.article is not None or rc.status != "found"]
        if not resolved:
            raise DecisionFormatError(f"참조조문 group {g.label or '(all)'} names no article: {text[:80]!r} / "
                                      "참조조문에서 조문을 찾을 수 없습니다")
        notes: dict[str, str] = {}
        group_out: list[tuple[int, StatuteCitation]] = []
        for rc in resolved:
            if rc.ref.article is None:
                continue  # a law named without an article (unknown law): reported by the status of its articles
            law_key_ = (rc.ref.law_text or rc.ref.law or "").removeprefix("구").strip()
            note = _NOTE_RE.search(rc.ref.raw)
            if note:
                notes[law_key_] = _clean(note.group(1))
            group_out.append((rc.ref.start, _citation(rc, g.issues, notes.get(law_key_, ""))))
        for p in pointers:
            inner = re.sub(r"\s*참조\s*$", "", p.group(1)).strip()
            before = [c for start, c in group_out if start < p.start() and not c.current_pointer]
            prev = before[-1] if before else None
            if prev is None:
                continue
            law = prev.law or prev.law_text.removeprefix("구").strip() or None
            found = [rc for rc in resolve_citations(inner, catalog, store, as_of, default_law=law)
                     if rc.ref.article is not None]
            if not found:
                # "(현행 삭제)", "(현행 329조 제1항 참조)": kept as a note on the former citation
                idx = next(i for i, (_s, c) in enumerate(group_out) if c is prev)
                start, c = group_out[idx]
                group_out[idx] = (start, StatuteCitation(**{**c.__dict__, "current_note": inner}))
                continue
            for rc in found:
                group_out.append((p.start(), _citation(rc, g.issues, pointer=True)))
        group_out.sort(key=lambda x: x[0])
        out.extend(c for _s, c in group_out)
        if memo is not None:
            memo[g.text] = tuple(out[group_start:])
    return tuple(out)
