"""The article model: one definition of a statute, an article and a chunk, shared by ingest and app.

Korean terms kept as in the statutes: 조 (article), 항 (paragraph ①), 호 (item 1.), 목 (sub-item 가.),
편/장/절/관 (part/chapter/section/subsection), 부칙 (addenda), 시행일자 (date in force).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

# 제N조 or 제N조의M, with optional spaces people type ("제 839 조의 2").
ARTICLE_NUMBER_RE = re.compile(r"제\s*(\d{1,5})\s*조(?:\s*의\s*(\d{1,3}))?")
# An amendment note in statute text as the 국가법령정보센터 writes it: `<개정 2016. 3. 22.>`, `<신설 …>`,
# `<전문개정 …>`, `<본조신설 …>`, `<종전 제5조는 제6조로 이동 …>`. Ingest records them as Article.amendments,
# the tokenizer and the prompt leave them out (they say when a rule changed, not what it says).
NOTE_RE = re.compile(r"<(?:개정|신설|전문개정|제목개정|본조신설|종전|이동|시행일|삭제)[^<>]*>")


@dataclass(frozen=True, order=True)
class ArticleNumber:
    """제N조의M as two integers, ordered the way statutes are ordered (제2조 < 제2조의2 < 제3조)."""

    main: int
    sub: int = 0

    @classmethod
    def parse(cls, text: str) -> ArticleNumber:
        """Parse `제839조의2`, `제 839 조의 2`, `839조의2`, `839의2` or `839`."""
        m = ARTICLE_NUMBER_RE.search(text)
        if m:
            return cls(int(m.group(1)), int(m.group(2) or 0))
        m = re.fullmatch(r"\s*(\d{1,5})\s*조?\s*(?:의\s*(\d{1,3}))?\s*", text)
        if not m:
            raise ValueError(f"not an article number / 조문 번호가 아닙니다: {text!r}")
        return cls(int(m.group(1)), int(m.group(2) or 0))

    @property
    def label(self) -> str:
        return f"제{self.main}조" + (f"의{self.sub}" if self.sub else "")

    def __str__(self) -> str:
        return self.label


def law_key(title: str) -> str:
    """Normalise a statute title for matching: no spaces, no middle dots of any kind.

    legalize-kr writes the middle dot as U+318D; people type U+00B7, U+318D, U+30FB or nothing, with or
    without the spaces of 제목.
    """
    return re.sub(r"[\s·ㆍ・‧•∙]", "", title)


@dataclass(frozen=True)
class Statute:
    """One statute file: one 법령 at one version (identified by 법령MST; the statute itself by 법령ID)."""

    law_id: str
    mst: str
    title: str
    kind: str  # 법령구분: 법률, 대통령령, 총리령, 부령, 군정법령 ...
    promulgated: date | None
    effective: date | None  # 시행일자
    status: str  # 상태: 시행 / 폐지
    source_url: str
    path: str
    ministries: tuple[str, ...] = ()
    promulgation_no: str = ""

    @property
    def key(self) -> str:
        return law_key(self.title)

    @property
    def from_pdf(self) -> bool:
        """Read from a law.go.kr PDF print rather than a legalize-kr file (its 법령MST was made up here)."""
        return self.path.lower().endswith(".pdf")

    def to_row(self) -> dict[str, Any]:
        row = asdict(self)
        row["promulgated"] = self.promulgated.isoformat() if self.promulgated else None
        row["effective"] = self.effective.isoformat() if self.effective else None
        row["ministries"] = list(self.ministries)
        return row

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Statute:
        d = dict(row)
        d["promulgated"] = date.fromisoformat(d["promulgated"]) if d.get("promulgated") else None
        d["effective"] = date.fromisoformat(d["effective"]) if d.get("effective") else None
        d["ministries"] = tuple(d.get("ministries") or ())
        return cls(**d)


@dataclass(frozen=True)
class Paragraph:
    """항: `marker` is ① … or "" for an article without numbered paragraphs. Items (호/목) stay in text."""

    marker: str
    text: str


@dataclass(frozen=True)
class Article:
    """One 조 of one statute version, or one 부칙 block when `is_addendum`."""

    mst: str
    law_id: str
    law_title: str
    number: str  # 제N조 / 제N조의M; for 부칙 the block's label, e.g. "부칙 <제471호,1958.2.22>"
    title: str  # 조문 제목, "" when absent
    text: str  # full body text, markdown escapes removed
    chapter_path: tuple[str, ...] = ()
    paragraphs: tuple[Paragraph, ...] = ()
    amendments: tuple[str, ...] = ()  # <개정 …>, <신설 …> notes
    deleted: bool = False  # 삭제 article
    is_addendum: bool = False  # 부칙
    ordinal: int = 0  # position in the file
    # The article's own 시행일 where the version's latest 부칙 sets one for the whole article
    # (`다만, 제5조의 개정규정은 2027년 1월 1일부터 시행한다`), else None: the version's 시행일자 applies.
    effective: date | None = None
    effective_note: str = ""  # `제5조: 2027-01-01 시행 (부칙 <…> 제1조)`, or where the 부칙 must be read

    @property
    def doc_id(self) -> str:
        """Unique across versions: 법령MST + article label."""
        return f"{self.mst}:{self.number}"

    @property
    def header(self) -> str:
        t = f"({self.title})" if self.title else ""
        return f"「{self.law_title}」 {self.number}{t}"


_DOC_ID_RE = re.compile(r"^(.+?):(?=제\d|부칙)(.*)$", re.S)


def split_doc_id(doc_id: str) -> tuple[str, str]:
    """`법령MST:제N조의M` -> (법령MST, article label). Splits at the ':' that opens the label, so an MST holding
    a ':' (PDF versions of older indexes) cannot shift the split; a string without a label is all MST."""
    m = _DOC_ID_RE.match(doc_id)
    if m:
        return m.group(1), m.group(2)
    mst, _, number = doc_id.rpartition(":")
    return (mst, number) if mst else (doc_id, "")


@dataclass(frozen=True)
class Chunk:
    """What gets indexed: an article, or a piece of a long article cut at 항 boundaries.

    Every piece starts with the article header so a piece alone still names its source.
    """

    doc_id: str  # Article.doc_id
    piece: int
    text: str  # header + body (of this piece)


@dataclass
class ParseReport:
    """What happened to one source file: the statute and articles, or why it was skipped."""

    path: str
    statute: Statute | None = None
    articles: list[Article] = field(default_factory=list)
    error: str | None = None
