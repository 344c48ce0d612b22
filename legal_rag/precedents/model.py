"""The decision model: one definition of a court decision (판례), its numbered issues and what it cites.

Korean terms kept as in the published decisions: 판시사항 (the questions decided, one per numbered issue),
판결요지 (the holdings, numbered like 판시사항), 참조조문 (statutes cited, grouped per issue), 참조판례 (earlier
decisions cited), 사건번호 (case number), 선고일자 (date of decision), 사건종류 (category: 민사, 형사, 세무 …).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any


@dataclass(frozen=True)
class Issue:
    """One numbered issue: 판시사항 [n] and, when the file has it, 판결요지 [n]."""

    number: int  # 1-based; 가. = 1, 나. = 2
    marker: str  # as written: "[1]", "［1］", "가.", "" for an unnumbered single issue
    holding: str  # 판시사항 text
    summary: str = ""  # 판결요지 text ("" when the file has none)

    @property
    def text(self) -> str:
        return f"{self.holding}\n{self.summary}".strip()


@dataclass(frozen=True)
class ReferenceGroup:
    """One group of 참조조문 or 참조판례 (groups are separated by ` / `): the issues it belongs to and its text."""

    issues: tuple[int, ...]  # () = every issue (the group had no label)
    label: str  # as written: "[3][4]", "가.다.", ""
    text: str  # whitespace-normalised


@dataclass(frozen=True)
class StatuteCitation:
    """One article cited in 참조조문, resolved against the statute corpus at ingest.

    A former version (`구 국세기본법(2007. 12. 31. 법률 제8830호로 개정되기 전의 것) 제14조`) is kept with
    `former_version=True` and no `doc_id`: the corpus holds the current text, which may say something else, so it
    is never linked as if current. `current_pointer` marks the article named in `(현행 … 참조)` after a former
    one: the current counterpart, linked normally.
    """

    issues: tuple[int, ...]
    raw: str
    law: str | None  # catalog title when the law is in the corpus
    law_text: str  # the law as written ("구 지방세법", "헌법")
    law_id: str | None
    article: str | None  # 제N조의M
    main: int
    sub: int
    detail: str  # 제1항 제2호 …
    status: str  # found | law_not_found | article_not_found | law_missing (legal_rag.citations)
    former_version: bool = False
    former_note: str = ""  # "2007. 12. 31. 법률 제8830호로 개정되기 전의 것"
    current_pointer: bool = False
    current_note: str = ""  # what `(현행 …)` said when it named no article ("삭제")
    doc_id: str | None = None  # only for a current citation that resolved

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["issues"] = list(self.issues)
        return d


@dataclass(frozen=True)
class CaseReference:
    """One earlier decision cited in 참조판례."""

    issues: tuple[int, ...]
    case_number: str  # canonical key (legal_rag.precedents.case_numbers.CaseNumber.key)
    court: str | None
    decided: str | None  # ISO date
    decision_type: str | None  # 판결 / 결정
    en_banc: bool
    raw: str


@dataclass
class Decision:
    """One decision file, parsed (statute citations are resolved separately, against a statute store)."""

    serial: str  # 판례일련번호
    case_number: str  # canonical key of the first number in 사건번호
    case_numbers: tuple[str, ...]  # every number of 사건번호 (joined cases)
    case_name: str  # 사건명
    court: str  # 법원명
    court_level: str  # 법원등급
    category: str  # 사건종류
    decided: date
    title: str
    source: str  # path relative to the collection root: 민사/대법원/대법원_2001-05-08_99다38699.md
    url: str
    issues: tuple[Issue, ...]
    statute_groups: tuple[ReferenceGroup, ...]
    case_groups: tuple[ReferenceGroup, ...]
    case_references: tuple[CaseReference, ...]
    has_summary: bool  # the file has 판결요지
    en_banc: bool = False
    citations: tuple[StatuteCitation, ...] = field(default=())

    def issue_text(self, numbers: tuple[int, ...]) -> list[Issue]:
        """The issues of a group (every issue for an unlabelled group)."""
        if not numbers:
            return list(self.issues)
        return [i for i in self.issues if i.number in numbers]

    def to_json(self) -> dict[str, Any]:
        return {
            "serial": self.serial, "case_number": self.case_number, "case_numbers": list(self.case_numbers),
            "case_name": self.case_name, "court": self.court, "court_level": self.court_level,
            "category": self.category, "decided": self.decided.isoformat(), "title": self.title,
            "source": self.source, "url": self.url,
            "issues": [asdict(i) for i in self.issues],
            "statute_groups": [[list(g.issues), g.label, g.text] for g in self.statute_groups],
            "case_groups": [[list(g.issues), g.label, g.text] for g in self.case_groups],
            "case_references": [{**asdict(r), "issues": list(r.issues)} for r in self.case_references],
            "has_summary": self.has_summary, "en_banc": self.en_banc,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Decision:
        return cls(
            serial=d["serial"], case_number=d["case_number"], case_numbers=tuple(d["case_numbers"]),
            case_name=d["case_name"], court=d["court"], court_level=d["court_level"], category=d["category"],
            decided=date.fromisoformat(d["decided"]), title=d["title"], source=d["source"], url=d["url"],
            issues=tuple(Issue(**i) for i in d["issues"]),
            statute_groups=tuple(ReferenceGroup(tuple(g[0]), g[1], g[2]) for g in d["statute_groups"]),
            case_groups=tuple(ReferenceGroup(tuple(g[0]), g[1], g[2]) for g in d["case_groups"]),
            case_references=tuple(CaseReference(**{**r, "issues": tuple(r["issues"])}) for r in d["case_references"]),
            has_summary=bool(d["has_summary"]), en_banc=bool(d.get("en_banc", False)),
        )
