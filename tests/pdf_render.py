"""Test helper: draw a parsed legalize-kr statute as a law.go.kr-style PDF (reportlab, embedded Nanum TTF).

The layout follows a law.go.kr export: page 1 opens with the title, the `[시행 …] [법률 제N호, …]` line and
the ministry; every page repeats the title as a header and ends with `법제처`, `N / M`, `국가법령정보센터`;
chapter lines in bold; each article starts `제54조(제목)` in bold with its first text on the same line;
items and sub-items are indented by position (no leading spaces in the text, as in a real export); long
lines wrap at spaces with a hanging indent and run on across page breaks; 부칙 blocks follow the articles.

Only what a reader of the PDF could see is drawn, so parsing the PDF back tests the PDF parser for real.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from reportlab.lib import pdfencrypt
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from ingest.markdown_source import CIRCLED
from legal_rag.articles import Article, Statute

FONT_DIR = Path("/usr/share/fonts/truetype/nanum")
REGULAR = "NanumGothic"
BOLD = "NanumGothicBold"

PAGE_W, PAGE_H = A4
LEFT, RIGHT = 56.0, 56.0
TOP_BODY = PAGE_H - 64.0
BOTTOM_BODY = 58.0
TEXT_W = PAGE_W - LEFT - RIGHT
SIZE = 9.5
LEADING = 1.55

_ITEM_RE = re.compile(r"^\d+(?:의\d+)?\.(?:\s|$)")
_ADDENDUM_SUFFIX_RE = re.compile(r" \(\d+\)$")  # the Markdown parser numbers repeated 부칙 labels " (2)"


def register_fonts() -> None:
    """Register the Nanum TTFs once; reportlab embeds a subset with a ToUnicode map, so text extracts."""
    if REGULAR in pdfmetrics.getRegisteredFontNames():
        return
    regular = FONT_DIR / "NanumGothic.ttf"
    bold = FONT_DIR / "NanumGothicBold.ttf"
    if not regular.exists():
        regular = FONT_DIR / "NanumMyeongjo.ttf"
        bold = FONT_DIR / "NanumMyeongjoBold.ttf"
    pdfmetrics.registerFont(TTFont(REGULAR, str(regular)))
    pdfmetrics.registerFont(TTFont(BOLD, str(bold if bold.exists() else regular)))


_CHAR_WIDTHS: dict[tuple[str, str], float] = {}


def _char_width(ch: str, font: str) -> float:
    """Width of one character at 1pt; TTF widths add up without kerning in reportlab, so sums are exact."""
    w = _CHAR_WIDTHS.get((font, ch))
    if w is None:
        w = _CHAR_WIDTHS[(font, ch)] = pdfmetrics.stringWidth(ch, font, 1.0)
    return w


def _width(text: str, font: str, size: float) -> float:
    return sum(_char_width(ch, font) for ch in text) * size


def kr_date(d: date | None) -> str:
    return f"{d.year}. {d.month}. {d.day}." if d else ""


def bracket_line(statute: Statute) -> str:
    """`[시행 2026. 3. 17.] [법률 제21454호, 2026. 3. 17., 일부개정]` as law.go.kr prints it."""
    return (
        f"[시행 {kr_date(statute.effective)}] "
        f"[{statute.kind} 제{statute.promulgation_no}호, {kr_date(statute.promulgated)}, 일부개정]"
    )


@dataclass
class VisualLine:
    """One drawn line: runs of (font, text) placed left to right from x, `size` points high."""

    x: float
    runs: list[tuple[str, str]]
    size: float = SIZE
    gap_before: float = 0.0
    align: str = "left"  # left / center / right
    article: str | None = None  # the article (or 부칙 label) this line belongs to
    continuation: bool = False  # True when it continues the logical line drawn above (a wrap)

    @property
    def text(self) -> str:
        return " ".join(t for _, t in self.runs if t)


@dataclass
class Split:
    """A logical line cut by a page break: `before` ends page `page - 1`, `after` starts page `page`."""

    article: str
    page: int  # 0-based page holding the continuation
    before: str  # the printed line ending page `page - 1` (with the bold article heading, if any)
    after: str  # the printed line starting page `page`
    before_text: str  # `before` without the heading: the article text that goes on in `after`


@dataclass
class Layout:
    pages: list[list[tuple[float, VisualLine]]] = field(default_factory=list)  # (baseline y, line)
    splits: list[Split] = field(default_factory=list)


def _break_points(text: str) -> list[int]:
    """Single spaces: breaking there and joining with one space gives the text back exactly."""
    return [
        i
        for i, ch in enumerate(text)
        if ch == " " and 0 < i < len(text) - 1 and text[i - 1] != " " and text[i + 1] != " "
    ]


def wrap(text: str, first_width: float, width: float, font: str, size: float) -> list[str]:
    """Greedy wrap at single spaces; " ".join(result) == text (the first piece may be "" when nothing fits)."""
    cum = [0.0]
    for ch in text:
        cum.append(cum[-1] + _char_width(ch, font) * size)
    breaks = _break_points(text)
    pieces: list[str] = []
    start, avail, b = 0, first_width, 0
    while cum[-1] - cum[start] > avail:
        while b < len(breaks) and breaks[b] <= start:
            b += 1
        cut = -1
        while b < len(breaks) and cum[breaks[b]] - cum[start] <= avail:
            cut = breaks[b]
            b += 1
        if cut < 0:
            if avail < width and not pieces:
                pieces.append("")  # nothing fits beside the heading: start the text on the next line
                avail = width
                continue
            break  # an unbreakable run: draw it long (callers shrink the font so this does not happen)
        pieces.append(text[start:cut])
        start, avail = cut + 1, width
    pieces.append(text[start:])
    return pieces


def _fit_size(text: str, width: float, font: str, size: float) -> float:
    """Shrink the font for a line holding a run wider than the page (table borders, long formulas)."""
    chunks = re.split(r"(?<! ) (?! )", text)
    widest = max((_width(c, font, size) for c in chunks), default=0.0)
    return size if widest <= width else max(3.0, size * width / widest * 0.98)


def _logical(
    lines: list[VisualLine],
    text: str,
    *,
    x: float,
    hang: float,
    article: str | None,
    gap: float = 0.0,
    heading: str = "",
    font: str = REGULAR,
) -> None:
    """Lay out one logical line (optionally after a bold article heading) as wrapped visual lines."""
    width = PAGE_W - RIGHT - x
    size = _fit_size(text, width - hang, font, SIZE)
    first_width = width
    if heading:
        first_width = width - _width(heading + " ", BOLD, size)
    pieces = wrap(text, first_width, width - hang, font, size) if text else [""]
    for n, piece in enumerate(pieces):
        runs: list[tuple[str, str]] = []
        if n == 0 and heading:
            runs.append((BOLD, heading))
        if piece:
            runs.append((font, piece))
        if not runs:
            continue
        lines.append(
            VisualLine(
                x=x if n == 0 else x + hang,
                runs=runs,
                size=size,
                gap_before=gap if n == 0 else 0.0,
                article=article,
                continuation=n > 0,
            )
        )


def _body_line_style(line: str) -> tuple[float, float, str]:
    """(x, hanging indent, text) for one article text line: 항 flush, 호 and 목 indented by position."""
    if line.startswith("  "):
        return LEFT + 22, 12, line.strip()
    stripped = line.strip()
    if _ITEM_RE.match(stripped):
        return LEFT + 11, 12, stripped
    if stripped[:1] in CIRCLED:
        return LEFT, 11, stripped
    return LEFT, 11, stripped


def layout_statute(statute: Statute, articles: list[Article]) -> Layout:
    """Place every line of the statute on A4 pages."""
    register_fonts()
    lines: list[VisualLine] = []
    # page 1 front matter
    for piece in wrap(statute.title, TEXT_W, TEXT_W, BOLD, 16):
        lines.append(VisualLine(PAGE_W / 2, [(BOLD, piece)], size=16, align="center"))
    lines.append(VisualLine(PAGE_W / 2, [(REGULAR, bracket_line(statute))], size=9, gap_before=6, align="center"))
    for ministry in statute.ministries:
        lines.append(VisualLine(PAGE_W - RIGHT, [(REGULAR, ministry)], size=9, gap_before=4, align="right"))

    chapters: tuple[str, ...] = ()
    addenda_started = False
    for article in articles:
        if article.is_addendum:
            label = _ADDENDUM_SUFFIX_RE.sub("", article.number)
            if not addenda_started:
                addenda_started = True
                if label == "부칙":
                    lines.append(VisualLine(PAGE_W / 2, [(BOLD, "부칙")], size=11, gap_before=14, align="center"))
            if label != "부칙":
                _logical(lines, label, x=LEFT, hang=11, article=article.number, gap=10, font=BOLD)
            for body in article.text.split("\n"):
                if body.strip():
                    x, hang, text = _body_line_style(body)
                    _logical(lines, text, x=LEFT, hang=hang, article=article.number)
            continue
        # chapter lines that open here (the path differs from the previous article's)
        common = 0
        while (
            common < min(len(chapters), len(article.chapter_path)) and chapters[common] == article.chapter_path[common]
        ):
            common += 1
        for heading in article.chapter_path[common:]:
            _logical(lines, heading, x=LEFT + 40, hang=0, article=None, gap=10, font=BOLD)
        chapters = article.chapter_path
        heading = article.number + (f"({article.title})" if article.title else "")
        body = [b for b in article.text.split("\n") if b.strip()]
        first = body[0].strip() if body else ""
        _logical(lines, first, x=LEFT, hang=11, article=article.number, gap=5, heading=heading)
        for b in body[1:]:
            x, hang, text = _body_line_style(b)
            _logical(lines, text, x=x, hang=hang, article=article.number)

    layout = Layout()
    page: list[tuple[float, VisualLine]] = []
    y = TOP_BODY
    prev: VisualLine | None = None
    for line in lines:
        step = line.size * LEADING + line.gap_before
        if page and y - step < BOTTOM_BODY:
            layout.pages.append(page)
            page, y = [], TOP_BODY
            if line.continuation and prev is not None and line.article:
                layout.splits.append(Split(line.article, len(layout.pages), prev.text, line.text, prev.runs[-1][1]))
        y -= step if page else line.size * LEADING
        page.append((y, line))
        prev = line
    if page:
        layout.pages.append(page)
    return layout


HEADER_SIZE = 8.0


def header_lines(statute: Statute, width: float | None = None) -> list[str]:
    """The running header's title as drawn: one line, or wrapped at spaces to `width` points."""
    if width is None:
        return [statute.title]
    return [p for p in wrap(statute.title, width, width, REGULAR, HEADER_SIZE) if p]


def _draw_header(c: canvas.Canvas, statute: Statute, width: float | None, right: str) -> None:
    """The title on every page, as law.go.kr repeats it, optionally wrapped into a narrow left column with
    `right` (a date) in a second column on the first line's baseline."""
    c.setFont(REGULAR, HEADER_SIZE)
    c.setFillGray(0.35)
    lines = header_lines(statute, width)
    y = PAGE_H - 36 + (len(lines) - 1) * HEADER_SIZE * 1.3
    for i, text in enumerate(lines):
        c.drawString(LEFT, y - i * HEADER_SIZE * 1.3, text)
    if right:
        c.drawRightString(PAGE_W - RIGHT, y, right)
    c.setLineWidth(0.4)
    c.line(LEFT, PAGE_H - 41, PAGE_W - RIGHT, PAGE_H - 41)
    c.setFillGray(0)


def render_statute_pdf(
    statute: Statute,
    articles: list[Article],
    out: Path,
    *,
    user_password: str | None = None,
    owner_password: str | None = None,
    header: str = "first",
    header_width: float | None = None,
    header_right: str = "",
) -> Layout:
    """Write the PDF to `out` and return the layout (pages, lines cut across page breaks).

    A password makes an encrypted PDF (RC4-128, as reportlab writes it): `owner_password` alone gives one
    that opens without a password but is encrypted all the same, as some exports are.
    `header` says where the content stream draws the running header: "first" (before the body, so text
    extraction returns it at the top of the page), "last" (after the footer: extraction returns it at the
    bottom, as some law.go.kr prints do) or "none". `header_width` wraps its title into a column that narrow,
    `header_right` adds a second column (e.g. the print date) on its first line.
    """
    if header not in ("first", "last", "none"):
        raise ValueError(f"header must be first, last or none, not {header!r}")
    layout = layout_statute(statute, articles)
    total = len(layout.pages)
    encrypt = None
    if user_password is not None or owner_password is not None:
        encrypt = pdfencrypt.StandardEncryption(user_password or "", ownerPassword=owner_password or "owner")
    c = canvas.Canvas(str(out), pagesize=A4, encrypt=encrypt)
    c.setTitle(statute.title)
    for number, page in enumerate(layout.pages, start=1):
        if header == "first":
            _draw_header(c, statute, header_width, header_right)
        for y, line in page:
            x = line.x
            if line.align != "left":
                w = sum(_width(t, f, line.size) for f, t in line.runs) + _width(" ", REGULAR, line.size) * (
                    len(line.runs) - 1
                )
                x = x - w / 2 if line.align == "center" else x - w
            # one text object per line, switching fonts inside it, as a typesetter writes a line
            obj = c.beginText(x, y)
            for i, (font, text) in enumerate(line.runs):
                obj.setFont(font, line.size)
                obj.textOut(text + (" " if i + 1 < len(line.runs) else ""))
            c.drawText(obj)
        # footer
        c.setFillGray(0.35)
        c.setFont(REGULAR, 8)
        c.line(LEFT, 44, PAGE_W - RIGHT, 44)
        c.drawString(LEFT, 32, "법제처")
        c.drawCentredString(PAGE_W / 2, 32, f"{number} / {total}")
        c.drawRightString(PAGE_W - RIGHT, 32, "국가법령정보센터")
        c.setFillGray(0)
        if header == "last":
            _draw_header(c, statute, header_width, header_right)
        c.showPage()
    c.save()
    return layout


def layout_page_texts(statute: Statute, articles: list[Article], header: str = "first",
                      header_width: float | None = None) -> list[str]:
    """Page texts shaped like pypdf's extraction of `render_statute_pdf` (one line per drawn string),
    without writing a PDF: a fast way to run the text parser over many statutes."""
    layout = layout_statute(statute, articles)
    total = len(layout.pages)
    head = header_lines(statute, header_width)
    texts = []
    for number, page in enumerate(layout.pages, start=1):
        lines = list(head) if header == "first" else []
        for _, line in page:
            lines.append(line.text)
        lines.extend(["법제처", f"{number} / {total}", "국가법령정보센터"])
        if header == "last":
            lines.extend(head)
        texts.append("\n".join(lines))
    return texts
