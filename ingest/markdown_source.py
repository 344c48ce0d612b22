"""legalize-kr Markdown (YAML frontmatter + headings) -> Statute and Articles."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from legal_rag.addenda import apply_article_dates
from legal_rag.articles import NOTE_RE, Article, Paragraph, ParseReport, Statute
from legal_rag.frontmatter import FrontmatterError
from legal_rag.frontmatter import split_frontmatter as read_frontmatter
from legal_rag.statute_markup import clean_markup, label_from_following

CIRCLED = "".join(chr(c) for c in range(0x2460, 0x2474)) + "".join(chr(c) for c in range(0x3251, 0x3260)) + "".join(
    chr(c) for c in range(0x32B1, 0x32C0)
)
_HEADING_RE = re.compile(r"^(#{1,6})\s+(.*?)\s*$")
_ARTICLE_HEADING_RE = re.compile(r"^(제\s*\d+\s*조(?:\s*의\s*\d+)?)(.*)$")
_PARAGRAPH_RE = re.compile(rf"^\*\*([{CIRCLED}])\*\*\s*(.*)$")
_DELETED_RE = re.compile(r"^삭제\s*(?:<[^<>]*>\s*)*$")
_MD_ESCAPE_RE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|<>~])")
# A division below 관 written as a bold line rather than a heading: 민법 제4편 제3관's `**제1항 협의상 파양**`,
# 산업안전보건기준에관한규칙's `**제1속 굴착면의 기울기 등**`. A bold sentence such as `**제1항의 매수원을 …**`
# is body text: the number must be followed by a space and a title.
_BOLD_DIVISION_RE = re.compile(r"^\*\*(제\s*\d+\s*[항속](?:의\d+)?\s+[^*]+?)\*\*\s*$")
_BOLD_DIVISION_LEVEL = 4.5  # between #### 관 and ##### articles
_ADDENDUM_START_RE = re.compile(r"^부칙\s*(?:\([^)]*\))?\s*<[^<>]*>")


class StatuteFormatError(ValueError):
    """A file that is not a legalize-kr statute (no frontmatter, missing 제목/법령ID, …)."""


def _as_date(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    for fmt in ("%Y-%m-%d", "%Y%m%d", "%Y.%m.%d"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise StatuteFormatError(f"bad date / 날짜 형식 오류: {text!r}")


def split_frontmatter(text: str) -> tuple[dict[str, Any], str]:
    """Return (frontmatter mapping, body). Raises StatuteFormatError when there is none."""
    try:
        return read_frontmatter(text)
    except FrontmatterError as exc:
        raise StatuteFormatError(str(exc)) from exc


def statute_from_frontmatter(meta: dict[str, Any], path: str) -> Statute:
    title = str(meta.get("제목") or "").strip()
    law_id = str(meta.get("법령ID") or "").strip()
    if not title or not law_id:
        raise StatuteFormatError("frontmatter lacks 제목 or 법령ID / 제목 또는 법령ID가 없습니다")
    ministries = meta.get("소관부처") or ()
    if isinstance(ministries, str):
        ministries = (ministries,)
    return Statute(
        law_id=law_id,
        mst=str(meta.get("법령MST") or law_id).strip(),
        title=title,
        kind=str(meta.get("법령구분") or "").strip(),
        promulgated=_as_date(meta.get("공포일자")),
        effective=_as_date(meta.get("시행일자")),
        status=str(meta.get("상태") or "").strip(),
        source_url=str(meta.get("출처") or "").strip(),
        path=path,
        ministries=tuple(str(m) for m in ministries),
        promulgation_no=str(meta.get("공포번호") or "").strip(),
    )


def unescape_markdown(line: str) -> str:
    return _MD_ESCAPE_RE.sub(r"\1", line)


def _clean_chapter(heading: str) -> str:
    return NOTE_RE.sub("", unescape_markdown(heading)).strip()


class _ArticleBuilder:
    def __init__(self, number: str, title: str, chapter_path: tuple[str, ...], heading_notes: list[str]) -> None:
        self.number = re.sub(r"\s+", "", number)
        self.title = title
        self.chapter_path = chapter_path
        self.lines: list[str] = []
        self.notes = list(heading_notes)

    def add(self, raw: str) -> None:
        # Markup (`<img …>` before a formula, `</img>` after it) becomes a labelled placeholder or nothing;
        # the label reads what the lines just before the image announce (다음 계산식에 따라 …).
        line = clean_markup(unescape_markdown(raw.rstrip()), before="\n".join(self.lines[-2:]))
        if not line.strip():
            return
        m = _PARAGRAPH_RE.match(line.strip())
        if m:
            line = f"{m.group(1)} {m.group(2)}".rstrip()
        else:
            stripped = line.strip()
            depth = (len(line) - len(line.lstrip(" "))) // 2
            line = ("  " * max(depth - 1, 0) + stripped) if depth else stripped
        self.notes.extend(NOTE_RE.findall(line))
        self.lines.append(line)

    def build(self, statute: Statute, ordinal: int) -> Article:
        if any("[이미지" in line for line in self.lines):
            self.lines = label_from_following("\n".join(self.lines)).split("\n")
        paragraphs: list[Paragraph] = []
        for line in self.lines:
            first = line[:1]
            if first and first in CIRCLED:
                paragraphs.append(Paragraph(first, line[1:].strip()))
            elif paragraphs:
                paragraphs[-1] = Paragraph(paragraphs[-1].marker, paragraphs[-1].text + "\n" + line)
            else:
                paragraphs.append(Paragraph("", line))
        text = "\n".join(self.lines)
        deleted = bool(_DELETED_RE.match(text.strip())) or (not text.strip() and "삭제" in self.title)
        return Article(
            mst=statute.mst,
            law_id=statute.law_id,
            law_title=statute.title,
            number=self.number,
            title=self.title,
            text=text,
            chapter_path=self.chapter_path,
            paragraphs=tuple(paragraphs),
            amendments=tuple(dict.fromkeys(self.notes)),
            deleted=deleted,
            ordinal=ordinal,
        )


def _split_article_heading(heading: str) -> tuple[str, str, list[str]] | None:
    m = _ARTICLE_HEADING_RE.match(unescape_markdown(heading))
    if not m:
        return None
    rest = m.group(2).strip()
    notes = NOTE_RE.findall(rest)
    rest = NOTE_RE.sub("", rest).strip()
    title = rest[1:-1].strip() if rest.startswith("(") and rest.endswith(")") else rest
    return m.group(1), title, notes


def _parse_addenda(lines: list[str], statute: Statute, start_ordinal: int) -> list[Article]:
    blocks: list[tuple[str, list[str]]] = []
    for raw in lines:
        line = clean_markup(unescape_markdown(raw.strip()), before="\n".join(blocks[-1][1][-2:]) if blocks else "")
        line = line.strip()
        if not line:
            continue
        m = _ADDENDUM_START_RE.match(line)
        if m or not blocks:
            blocks.append((m.group(0) if m else "부칙", []))
            rest = line[m.end() :].strip() if m else line
            if rest:
                blocks[-1][1].append(rest)
        else:
            blocks[-1][1].append(line)
    articles = []
    seen: dict[str, int] = {}
    for i, (label, body) in enumerate(blocks):
        n = seen.get(label, 0)
        seen[label] = n + 1
        number = label if n == 0 else f"{label} ({n + 1})"
        articles.append(
            Article(
                mst=statute.mst,
                law_id=statute.law_id,
                law_title=statute.title,
                number=number,
                title="",
                text="\n".join(body),
                paragraphs=tuple(Paragraph("", b) for b in body),
                is_addendum=True,
                ordinal=start_ordinal + i,
            )
        )
    return articles


def parse_statute_body(body: str, statute: Statute) -> list[Article]:
    """Parse the Markdown body of one statute into main articles followed by 부칙 blocks."""
    articles: list[Article] = []
    chapters: dict[float, str] = {}
    current: _ArticleBuilder | None = None
    lines = body.splitlines()
    addenda_from: int | None = None
    preamble: list[str] = []

    def flush() -> None:
        nonlocal current
        if current is not None:
            articles.append(current.build(statute, len(articles)))
            current = None

    for idx, raw in enumerate(lines):
        division = _BOLD_DIVISION_RE.match(raw.strip())
        if division:
            flush()
            for k in [k for k in chapters if k >= _BOLD_DIVISION_LEVEL]:
                del chapters[k]
            chapters[_BOLD_DIVISION_LEVEL] = _clean_chapter(division.group(1))
            continue
        h = _HEADING_RE.match(raw)
        if h:
            level, text = len(h.group(1)), h.group(2)
            if text.replace(" ", "") == "부칙" or text.startswith("부칙 "):
                flush()
                addenda_from = idx + 1
                break
            art = _split_article_heading(text)
            if art is not None and (level >= 4 or re.match(r"^제\s*\d+\s*조", text)):
                flush()
                number, title, notes = art
                path = tuple(chapters[k] for k in sorted(chapters))
                current = _ArticleBuilder(number, title, path, notes)
                continue
            flush()
            if level == 1 and not re.match(r"^제\s*\d+\s*[편장절관]", text):
                continue  # the statute's own title
            for k in [k for k in chapters if k >= level]:
                del chapters[k]
            chapters[level] = _clean_chapter(text)
            continue
        if current is not None:
            current.add(raw)
        elif raw.strip():
            preamble.append(raw)
    flush()
    if addenda_from is not None:
        articles.extend(_parse_addenda(lines[addenda_from:], statute, len(articles)))
    return apply_article_dates(statute, articles)  # 제N조: its own 시행일 where the latest 부칙 sets one


def parse_statute_markdown(text: str, path: str = "<memory>") -> tuple[Statute, list[Article]]:
    """Parse one legalize-kr file. Raises StatuteFormatError for a file that is not a statute."""
    meta, body = split_frontmatter(text)
    statute = statute_from_frontmatter(meta, path)
    articles = parse_statute_body(body, statute)
    if not any(not a.is_addendum for a in articles) and not articles:
        raise StatuteFormatError("no articles found / 조문을 찾지 못했습니다")
    return statute, articles


def fill_report(report: ParseReport, parse: Callable[[], tuple[Statute, list[Article]]]) -> ParseReport:
    """Run a source parser into `report`: any failure becomes a reported skip, never an exception."""
    try:
        report.statute, report.articles = parse()
    except StatuteFormatError as exc:
        report.error = str(exc)
    except Exception as exc:  # a parser bug must not stop a 5,674-file ingest; report it instead
        report.error = f"parser error / 파서 오류: {type(exc).__name__}: {exc}"
    return report


def parse_markdown_file(path: Path) -> ParseReport:
    """Parse a file and turn every failure into a reported skip, never an exception."""
    report = ParseReport(path=str(path))
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        report.error = f"unreadable / 읽을 수 없음: {exc}"
        return report
    return fill_report(report, lambda: parse_statute_markdown(text, str(path)))
