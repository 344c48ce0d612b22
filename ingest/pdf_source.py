"""law.go.kr statute PDF exports -> Statute and Articles, through the Markdown source's body parser.

A law.go.kr PDF ("법령 → 저장 → PDF") carries the statute as visual lines: the title and a bracket line
`[시행 2026. 3. 17.] [법률 제21454호, 2026. 3. 17., 일부개정]` on page 1, a repeated header (the title) and
footer (`법제처`, `1 / 120`, `국가법령정보센터`) on every page, article headings `제54조(제목) ① …`,
chapter lines `제1편 총칙` / `제1장 통칙` / `제1절 …` / `제1관 …`, and from `부칙 <…>` on the addenda.

The work here is only to undo the page layout: drop the page furniture, join lines the PDF wrapped (also
across page breaks) back into the logical lines of the statute, and write them in the legalize-kr Markdown
shape. `parse_statute_body` then builds the articles, so a PDF and a Markdown file of the same law yield the
same Article objects (number, title, chapter_path, paragraphs, text, deleted, 부칙 blocks).

Joining rests on what starts a logical line in Korean statutes: an article heading, a chapter heading, a
paragraph mark (①), an item (`1.`, `1의2.`), a sub-item (`가.`), deeper items (`1)`, `가)`, `(1)`, `(가)`),
a 부칙 label, a table border. A wrapped line can begin with a citation that looks like one of these
(`제432조(무효판결과 주주에의 환급)의`, `제1장 및 제2장의`, `2. …`), so numbers must fit: article headings
are the longest strictly increasing run of candidates, chapters and enumerations follow their sequence
(1, 2, 2의2, 3 / 가, 나 …). Any other line continues the one above, joined with one space (statute text
wraps at spaces), unless the line above ended well short of the margin with room for this line's first
word: then it was a line of its own (`1. 종합소득` followed by its definition, a formula, a table row).
Line widths are estimated from the characters (Hangul full width, digits and Latin narrower); a full line
is what most wrapped lines reach. PDF text has no indentation, so the sub-item indent that the Markdown
source keeps (`  가.`) is restored from the marker.
"""

from __future__ import annotations

import bisect
import io
import re
from datetime import date
from pathlib import Path

from ingest.markdown_source import (
    CIRCLED,
    StatuteFormatError,
    fill_report,
    parse_statute_body,
)
from legal_rag.articles import Article, ArticleNumber, ParseReport, Statute, law_key

# --- page furniture -------------------------------------------------------------------------------------
_FOOTER_RES = (
    re.compile(r"^법제처$"),
    re.compile(r"^국가법령정보센터$"),
    re.compile(r"^-?\s*\d{1,5}\s*(?:/\s*\d{1,5})?\s*-?$"),  # "12", "12 / 120", "- 12 -"
    re.compile(r"^법제처\s+.*\s*국가법령정보센터$"),  # one line: "법제처 12 / 120 국가법령정보센터"
    re.compile(r"^법제처\s+\d{1,5}(?:\s*/\s*\d{1,5})?$"),
    re.compile(r"^\d{1,5}(?:\s*/\s*\d{1,5})?\s+국가법령정보센터$"),
)
_PAGE_TOTAL_RE = re.compile(r"^(?:법제처\s+)?\d{1,5}\s*/\s*(\d{1,5})(?:\s+국가법령정보센터)?$")
# header/footer lines sit within this many lines of a page's top or bottom (footer 3 + a wrapped header and
# its date when the header is drawn last)
_EDGE = 6
_HANGUL_RE = re.compile(r"[가-힣]")

# --- front matter ---------------------------------------------------------------------------------------
_DATE = r"(\d{4})\s*\.\s*(\d{1,2})\s*\.\s*(\d{1,2})\s*\.?"
_EFFECTIVE_RE = re.compile(rf"\[\s*시행\s*{_DATE}\s*\]")
_PROMULGATION_RE = re.compile(
    rf"\[\s*(?P<kind>[가-힣ㆍ·]+)\s*제\s*(?P<no>[0-9][0-9\-]*)\s*호\s*,\s*{_DATE}\s*(?:,\s*(?P<rev>[^\]]*))?\]"
)
_MINISTRY_RE = re.compile(r"^([가-힣ㆍ·]+?(?:부|처|청|원|위원회|실|본부))(?=\s|\(|$)")

# --- logical line starts --------------------------------------------------------------------------------
CHAPTER_RE = re.compile(r"^제\s*(\d+)\s*(편|장|절|관)(?:\s*의\s*(\d+))?(?=\s|$)")
# `제1장 및 제2장의 규정에`: a citation wrapped to a line start, never a chapter title
_CHAPTER_CITATION_RE = re.compile(r"^\S+\s+(?:및|또는|부터|내지|와|과|중|에서|ㆍ)(?:\s|$)")
# a 부칙 label, possibly wrapped before its `<제N호,…>` part: `부칙(… 일부개정령) <제117호,2014.12.31>`
_ADDENDUM_LABEL_RE = re.compile(r"^부칙\s*(?:\(|<)")
_CHAPTER_LEVEL = {"편": 1, "장": 2, "절": 3, "관": 4}  # the heading depth legalize-kr gives each unit
# A division below 관 (민법's `제1항 협의상 파양`, `제1속 …` in 산업안전보건기준에관한규칙): short, no sentence end,
# and directly followed by an article heading, which a wrapped `제1항 각 호의 …` line never is.
_DIVISION_RE = re.compile(r"^제\s*(\d+)\s*(?:항|속)\s+[^.]{1,40}$")
_ARTICLE_RE = re.compile(r"^제(\d+)조(?:의(\d+))?")
_ADDENDUM_ARTICLE_RE = re.compile(r"^제(\d+)조(?:의(\d+))?\s?(?=\()")
_ENUM_RES = (  # (kind, regex) from shallow to deep; group 1 the number or syllable, group 2 the 의M part
    ("item", re.compile(r"^(\d+)(?:의(\d+))?\.(?=\s|$)")),
    ("sub", re.compile(r"^([가-힣])(?:의(\d+))?\.(?=\s|$)")),
    ("item)", re.compile(r"^(\d+)(?:의(\d+))?\)(?=\s|$)")),
    ("sub)", re.compile(r"^([가-힣])(?:의(\d+))?\)(?=\s|$)")),
    ("(item)", re.compile(r"^\((\d+)\)()(?=\s|$)")),
    ("(sub)", re.compile(r"^\(([가-힣])\)()(?=\s|$)")),
)
_ENUM_KINDS = [k for k, _ in _ENUM_RES]
_ADDENDUM_CITATION_START_RE = re.compile(r"^제\d+조(?:의\d+)?")
# Lines that always begin a logical line: table borders, image tags and bracketed notes kept in the text.
_OTHER_START_RE = re.compile(
    r"^(?:[\u2500-\u257f]|<img\b|</img>|<\d+>|\[\d{4}\.|\*\*|※|\[(?:시행일|본조|전문개정|제목개정|종전|한시|유효기간|별표|별지)"
    r")"
)
# 가, 나, 다 … 하, then 거, 너 … 허, 고 …: the order sub-items (목) take.
_SYLLABLE_ORDER = {
    chr(0xAC00 + (lead * 21 + vowel) * 28): i
    for i, (vowel, lead) in enumerate(
        (v, c) for v in (0, 4, 8, 13, 18, 20) for c in (0, 2, 3, 5, 6, 7, 9, 11, 12, 14, 15, 16, 17, 18)
    )
}


# Width of a character in units of a Hangul syllable, close for the Gothic/Myeongjo faces statutes use.
_NARROW = {
    " ": 0.3,
    ".": 0.32,
    ",": 0.32,
    ":": 0.32,
    ";": 0.32,
    "(": 0.38,
    ")": 0.38,
    "[": 0.38,
    "]": 0.38,
    "「": 0.6,
    "」": 0.6,
    "<": 0.58,
    ">": 0.58,
    "-": 0.5,
    '"': 0.4,
    "'": 0.3,
    "/": 0.4,
    "~": 0.6,
}
_HARD_BREAK_SLACK = 6.0  # units a line must fall short by, beyond the next word, to count as ended


def _units(text: str) -> float:
    total = 0.0
    for ch in text:
        if ch in _NARROW:
            total += _NARROW[ch]
        elif ch.isascii():
            total += 0.62 if ch.isdigit() else 0.75 if ch.isupper() else 0.55
        else:
            total += 1.0
    return total


def _line_width(lines: list[str]) -> float | None:
    """The width a full line reaches, in units: the 90th percentile of lines that wrapped (those followed
    by a line that cannot open a new one). None when too few lines wrap to tell."""
    wrapped = sorted(_units(a) for a, b in zip(lines, lines[1:], strict=False) if not _looks_like_start(b))
    if len(wrapped) < 20:
        return None
    return wrapped[int(len(wrapped) * 0.9)]


def pdf_law_id(title: str) -> str:
    """법령ID of a statute known only from PDFs: `pdf-` + the title's key (ingest makes a PDF of a law the corpus
    holds a version of that law instead, see ingest/sources.py)."""
    return "pdf-" + re.sub(r"[^\w]", "-", law_key(title))


def pdf_mst(title: str, effective: date) -> str:
    """법령MST of a PDF version: no ':' (a doc_id is `법령MST:제N조`), one per law and 시행일자."""
    return f"{pdf_law_id(title)}-{effective:%Y%m%d}"


def _date(y: str, m: str, d: str) -> date | None:
    try:
        return date(int(y), int(m), int(d))
    except ValueError:
        return None


def _edge_key(line: str) -> str:
    """What a furniture line keeps from page to page: its text without spaces; for a line without Hangul (a
    page number `12 / 120`, a print date `2026. 3. 17.`) its shape, digits made alike."""
    key = re.sub(r"\s+", "", line)
    return key if _HANGUL_RE.search(key) else re.sub(r"\d+", "#", key)


def _edges(lines: list[str]) -> list[str]:
    return lines[:_EDGE] + lines[max(_EDGE, len(lines) - _EDGE) :]


def repeated_edge_lines(pages: list[list[str]]) -> set[str]:
    """Keys (`_edge_key`) of the lines that sit near the top or bottom edge of at least half the pages (and two):
    the running header and footer, wherever the print draws them, whatever they say."""
    if len(pages) < 2:
        return set()
    counts: dict[str, int] = {}
    for lines in pages:
        for key in {_edge_key(x) for x in _edges(lines)}:
            counts[key] = counts.get(key, 0) + 1
    need = max(2, -(-len(pages) // 2))
    return {k for k, n in counts.items() if n >= need}


def _strip_furniture(pages: list[list[str]], title_key: str, repeated: set[str]) -> list[list[str]]:
    """Drop headers, footers and page numbers: the runs of furniture lines at each page's top and bottom edge.

    A furniture line is a footer (`법제처`, `12 / 120`, `국가법령정보센터`), the title (also wrapped over two
    lines), or a line repeated at the edges of most pages. pypdf returns text in drawing order, so a header
    drawn after the body comes out at the bottom: both edges are looked at alike. Only runs from the edge are
    dropped, so a body line that happens to look like furniture is kept.
    """

    def furniture(lines: list[str], i: int, step: int) -> int:
        """How many lines from i (walking by step) form one furniture item: 0, 1 or 2 (a wrapped title)."""
        line = lines[i]
        if any(r.match(line) for r in _FOOTER_RES) or _edge_key(line) in repeated or law_key(line) == title_key:
            return 1
        j = i + step
        if 0 <= j < len(lines):
            pair = (line, lines[j]) if step > 0 else (lines[j], line)
            if law_key("".join(pair)) == title_key:
                return 2
        return 0

    out = []
    for lines in pages:
        top = 0
        while top < min(_EDGE, len(lines)) and (n := furniture(lines, top, 1)):
            top += n
        bottom = len(lines)
        while bottom > max(top, len(lines) - _EDGE) and (n := furniture(lines, bottom - 1, -1)):
            bottom -= n
        out.append(lines[top:max(top, bottom)])
    return out


def _balanced_close(text: str, start: int) -> int:
    """Index of the ')' closing the '(' at `start`, or -1 (article titles nest: `분사무소(分事務所) 설치`)."""
    depth = 0
    for i in range(start, len(text)):
        if text[i] == "(":
            depth += 1
        elif text[i] == ")":
            depth -= 1
            if depth == 0:
                return i
    return -1


def _split_article_line(line: str) -> tuple[ArticleNumber, str, str, bool] | None:
    """`제54조(제목) ① …` -> (number, title, rest, has_title); None when it is not a heading's shape."""
    m = _ARTICLE_RE.match(line)
    if not m:
        return None
    number = ArticleNumber(int(m.group(1)), int(m.group(2) or 0))
    rest = line[m.end() :]
    if rest.startswith("("):
        close = _balanced_close(rest, 0)
        # a citation reads `제5조(정의)에 따른`: the heading's ')' is followed by a space or the line's end
        if close < 0 or (close + 1 < len(rest) and not rest[close + 1].isspace()):
            return None
        return number, rest[1:close].strip(), rest[close + 1 :].strip(), True
    if rest and not rest[0].isspace():
        return None  # `제5조에`, `제5조제1항`
    return number, "", rest.strip(), False


def _is_heading_shape(line: str) -> ArticleNumber | None:
    """The number when a line could open an article: `제N조(제목) …`, `제N조 삭제 <…>` or a bare `제N조`.

    A bare `제N조 ` followed by other text is always a wrapped citation (`제817조 및 제820조에서 같다`):
    statutes give every live article a title, and title-less ones are deleted or empty.
    """
    art = _split_article_line(line)
    if art is None:
        return None
    number, _, rest, has_title = art
    # 제0조 is how legalize-kr numbers the lone unnumbered provision of a repeal act
    return number if has_title or not rest or rest.startswith("삭제") or number.main == 0 else None


def _is_addenda_start(line: str) -> bool:
    return line.replace(" ", "") == "부칙" or bool(_ADDENDUM_LABEL_RE.match(line))


def _heading_chain(lines: list[str]) -> set[int]:
    """Indices of the lines that really open articles.

    Article numbers in a statute strictly increase (each is the previous 제N조's N+1 or a later 제N조의M), while
    a wrapped citation such as `제432조(무효판결과 주주에의 환급)의 규정은` can start a line anywhere. The longest
    strictly increasing run of candidates keeps the headings and drops stray citations: a forward citation
    would cost every heading between. Equal numbers resolve to the later line, since a citation of the next
    article comes before the article itself.
    """
    cands: list[tuple[int, ArticleNumber]] = []
    for i, line in enumerate(lines):
        if _is_addenda_start(line):
            break
        number = _is_heading_shape(line)
        if number is not None:
            cands.append((i, number))
    tails: list[ArticleNumber] = []  # smallest last number of an increasing run of each length
    tail_at: list[int] = []  # index into cands of that run's last candidate
    parent: list[int] = []
    for k, (_, number) in enumerate(cands):
        pos = bisect.bisect_left(tails, number)
        parent.append(tail_at[pos - 1] if pos else -1)
        if pos == len(tails):
            tails.append(number)
            tail_at.append(k)
        else:
            tails[pos] = number
            tail_at[pos] = k
    chain: set[int] = set()
    k = tail_at[-1] if tail_at else -1
    while k >= 0:
        chain.add(cands[k][0])
        k = parent[k]
    return chain


def _enum_value(kind: str, token: str) -> int:
    return int(token) if token.isdigit() else _SYLLABLE_ORDER.get(token, -1)


def _looks_like_start(line: str) -> bool:
    """Stateless test: could this line open a logical line (where the front matter ends)."""
    return bool(
        CHAPTER_RE.match(line)
        or _split_article_line(line)
        or line[:1] in CIRCLED
        or any(r.match(line) for _, r in _ENUM_RES)
        or _OTHER_START_RE.match(line)
        or _is_addenda_start(line)
    )


class _Joiner:
    """Turns visual lines into logical lines tagged with their kind."""

    def __init__(self, headings: set[int], full_width: float | None) -> None:
        self.headings = headings  # indices of the lines that open articles (see _heading_chain)
        self.full_width = full_width
        self.prev = ""  # the previous visual line
        self.out: list[list[str]] = []  # [kind, text]
        self.in_addenda = False
        self.last_addendum_article = 0
        self.enum: dict[str, tuple[int, int]] = {}  # kind -> (value, 의M part) last seen
        self.chapters: dict[int, tuple[int, int]] = {}  # level (편 1 … 관 4) -> last (N, 의M)
        self.division: int | None = None  # last 제N항/제N속 division number under the current chapter

    def _start(self, kind: str, text: str) -> None:
        self.out.append([kind, text])

    def _reset_enum(self, deeper_than: int = -1) -> None:
        for k in _ENUM_KINDS[deeper_than + 1 :]:
            self.enum.pop(k, None)

    def _enum_kind(self, line: str) -> str | None:
        for depth, (kind, regex) in enumerate(_ENUM_RES):
            m = regex.match(line)
            if not m:
                continue
            value = _enum_value(kind, m.group(1))
            sub = int(m.group(2) or 0)
            last = self.enum.get(kind)
            first = 1 if kind in ("item", "item)", "(item)") else 0
            ok = (
                (value == first and not sub)
                if last is None
                else (
                    (value == last[0] + 1 and not sub)
                    or (sub and value == last[0] and sub > last[1])
                    or (value == first and not sub)
                )
            )
            if not ok:
                return None
            self.enum[kind] = (value, sub)
            self._reset_enum(depth)
            return kind
        return None

    def feed(self, index: int, line: str) -> None:
        if (
            self.out
            and self.out[-1][0] == "article"
            and self.out[-1][1] == self.prev
            and not _split_article_line(self.prev)[2]  # type: ignore[index]
            and not _looks_like_start(line)
        ):
            # a bold `제N조(제목)` drawn apart from its text comes out of some PDFs as a line of its own:
            # what follows is the rest of the same printed line
            self.out[-1][1] += " " + line
            self.prev += " " + line
            return
        self._feed(index, line)
        self.prev = line

    def _feed(self, index: int, line: str) -> None:
        if not self.in_addenda and _is_addenda_start(line):
            self.in_addenda = True
            if line.replace(" ", "") == "부칙":
                self._start("addenda", line)
                return
        if self.in_addenda:
            self._feed_addenda(line)
            return
        if self._chapter(line):
            self._reset_enum()
            self._start("chapter", line)
            return
        if self._division(index, line):
            self._reset_enum()
            self._start("division", line)
            return
        if index in self.headings:
            self._reset_enum()
            self._start("article", line)
            return
        if self._paragraph_or_enumeration(line):
            return
        self._other(line)

    def _other(self, line: str) -> None:
        """A line without a marker: the rest of a wrapped line, unless the line above ended short of the
        margin with room for this line's first word (a formula, a table cell, `1. 종합소득` then its text)."""
        if _OTHER_START_RE.match(line) or not self.out or self._ended(line):
            self._start("other", line)
        else:
            self.out[-1][1] = self.out[-1][1].rstrip() + " " + line

    def _ended(self, line: str) -> bool:
        if self.prev.startswith("<img") and self.prev.endswith(">"):
            return True  # an image tag kept in the text is a line of its own
        if self.full_width is None:
            return False
        word = line.split(" ", 1)[0]
        return _units(self.prev) + _units(" " + word) <= self.full_width - _HARD_BREAK_SLACK

    def _chapter(self, line: str) -> bool:
        """A chapter line continues its unit's numbering: the first under its parent is 제1X, then each one is
        the previous N+1 or a later N의M (true of every statute in the corpus)."""
        m = CHAPTER_RE.match(line)
        if not m or _CHAPTER_CITATION_RE.match(line):
            return False
        level = _CHAPTER_LEVEL[m.group(2)]
        n, sub = int(m.group(1)), int(m.group(3) or 0)
        last = self.chapters.get(level)
        if last is None:
            ok = n == 1 and sub == 0
        else:
            ok = (n == last[0] + 1 and sub == 0) or (n == last[0] and sub > last[1])
        if ok:
            self.chapters[level] = (n, sub)
            self.division = None
            for deeper in [k for k in self.chapters if k > level]:
                del self.chapters[deeper]
        return ok

    def _paragraph_or_enumeration(self, line: str) -> bool:
        """Start a 항 (①) or a 호/목 line (1., 가.) when `line` opens one, in articles and 부칙 alike."""
        if line[:1] in CIRCLED:
            self._reset_enum()
            self._start("paragraph", line)
            return True
        kind = self._enum_kind(line)
        if kind is not None:
            self._start(kind, line)
            return True
        return False

    def _division(self, index: int, line: str) -> bool:
        m = _DIVISION_RE.match(line)
        if not m or index + 1 not in self.headings:
            return False
        n = int(m.group(1))
        if n != (1 if self.division is None else self.division + 1):
            return False
        self.division = n
        return True

    def _feed_addenda(self, line: str) -> None:
        if _ADDENDUM_LABEL_RE.match(line):
            self.last_addendum_article = 0
            self._reset_enum()
            self._start("addendum", line)
            return
        m = _ADDENDUM_ARTICLE_RE.match(line)
        if m and int(m.group(1)) >= self.last_addendum_article:
            close = _balanced_close(line, m.end())
            if close > 0 and (close + 1 == len(line) or line[close + 1].isspace()):
                self.last_addendum_article = int(m.group(1))
                self._reset_enum()
                self._start("addendum-article", line)
                return
        if self._paragraph_or_enumeration(line):
            return
        if _ADDENDUM_CITATION_START_RE.match(line) and self.prev.endswith("다."):
            # amendments of other laws go one instruction a line: `… 개정한다.` / `제14조제1항 중 "…"을 …`
            self._start("other", line)
            return
        self._other(line)


def _md_escape(line: str) -> str:
    """Protect text from the Markdown reader: it unescapes backslashes and treats '#' lines as headings."""
    line = line.replace("\\", "\\\\")
    return "\\" + line if line.startswith("#") else line


def _to_markdown(logical: list[list[str]]) -> str:
    out: list[str] = []
    started = False  # text before the first chapter or article (ministries, a preamble) is not an article
    addenda = False
    for kind, text in logical:
        if kind in ("addenda", "addendum") and not addenda:
            addenda = started = True
            out.append("## 부칙")
            if kind == "addenda":
                continue
        if not started:
            if kind not in ("chapter", "division", "article"):
                continue
            started = True
        if kind == "chapter":
            unit = CHAPTER_RE.match(text).group(2)  # type: ignore[union-attr]
            out.append("#" * _CHAPTER_LEVEL[unit] + " " + _md_escape(text))
        elif kind == "division":
            out.append(f"**{_md_escape(text)}**")  # the Markdown parser's bold division line
        elif kind == "article":
            number, title, rest, _ = _split_article_line(text)  # type: ignore[misc]
            out.append(f"##### {number.label}" + (f" ({_md_escape(title)})" if title else ""))
            if rest:
                out.append(_md_escape(rest))
        elif kind == "sub" and not addenda:
            # the Markdown source indents 목 under 호; parse_statute_body keeps that as two spaces
            out.append("    " + _md_escape(text))
        else:
            out.append(_md_escape(text))
    return "\n".join(out) + "\n"


def _title_from_head(head: list[str]) -> str:
    """The title from the lines above the `[시행 …]` line: the big title (possibly wrapped) right above it, and
    maybe a running header drawn before it (the title again, wrapped otherwise, beside a date or page number).
    The title is the fewest lines next to the bracket such that every other line is copies of it and text
    without Hangul."""
    lines = [x for x in head if not any(r.match(x) for r in _FOOTER_RES) and _HANGUL_RE.search(x)]
    for k in range(1, len(lines) + 1):
        title = law_key("".join(lines[-k:]))
        rest = law_key("".join(lines[:-k]))
        if title and not _HANGUL_RE.search(rest.replace(title, "")):
            return " ".join(lines[-k:]).strip()
    return " ".join(lines).strip()


def _front_matter(first_page: list[str]) -> tuple[str, int, str]:
    """Title, index of the bracket line, and its full text (the 공포 bracket may wrap onto the next line)."""
    for i, line in enumerate(first_page[:16]):
        if _EFFECTIVE_RE.search(line):
            bracket = line
            if not _PROMULGATION_RE.search(bracket) and i + 1 < len(first_page):
                bracket = bracket + " " + first_page[i + 1]
            title = _title_from_head(first_page[:i])
            if not title:
                raise StatuteFormatError("no title before the [시행 …] line / [시행 …] 줄 앞에 법령 제목이 없습니다")
            return title, i, bracket
    raise StatuteFormatError(
        "no '[시행 YYYY. M. D.]' line on page 1: not a law.go.kr statute PDF / "
        "첫 쪽에 '[시행 …]' 줄이 없습니다: 국가법령정보센터 법령 PDF가 아닙니다"
    )


def parse_statute_pdf_text(pages: list[str], path: str) -> tuple[Statute, list[Article]]:
    """Parse the extracted text of a law.go.kr statute PDF, one string per page.

    Raises StatuteFormatError when the text is not a statute export (no title or `[시행 …]` line, no articles).
    """
    page_lines = [[ln.strip() for ln in (p or "").splitlines() if ln.strip()] for p in pages]
    first = next((i for i, p in enumerate(page_lines) if p), None)
    if first is None:
        raise StatuteFormatError("PDF has no text / PDF에 텍스트가 없습니다 (스캔 이미지?)")
    title, bracket_at, bracket = _front_matter(page_lines[first])
    effective_m = _EFFECTIVE_RE.search(bracket)
    effective = _date(*effective_m.groups()) if effective_m else None
    prom = _PROMULGATION_RE.search(bracket)
    kind, promulgated, promulgation_no = "", None, ""
    if prom:
        kind = prom.group("kind")
        promulgation_no = prom.group("no")
        promulgated = _date(*prom.groups()[2:5])
    if effective is None:
        raise StatuteFormatError(f"bad 시행일자 in {bracket!r} / 시행일자를 읽을 수 없습니다")

    bracket_span = 2 if bracket != page_lines[first][bracket_at] else 1
    page_lines[first] = page_lines[first][bracket_at + bracket_span :]
    key = law_key(title)
    cleaned = _strip_furniture(page_lines, key, repeated_edge_lines(page_lines))
    lines = [ln for page in cleaned for ln in page]

    ministries: list[str] = []
    for ln in lines:
        if _looks_like_start(ln):
            break
        m = _MINISTRY_RE.match(ln)
        if m and len(ln) <= 60:
            ministries.append(m.group(1))

    joiner = _Joiner(_heading_chain(lines), _line_width(lines))
    for i, ln in enumerate(lines):
        joiner.feed(i, ln)

    statute = Statute(
        law_id=pdf_law_id(title),
        mst=pdf_mst(title, effective),
        title=title,
        kind=kind,
        promulgated=promulgated,
        effective=effective,
        status="시행",
        source_url="https://www.law.go.kr/법령/" + re.sub(r"\s+", "", title),
        path=path,
        ministries=tuple(dict.fromkeys(ministries)),
        promulgation_no=promulgation_no,
    )
    articles = parse_statute_body(_to_markdown(joiner.out), statute)
    if not articles:
        raise StatuteFormatError("no articles found / 조문을 찾지 못했습니다")
    return statute, articles


def parse_pdf_file(path: Path) -> ParseReport:
    """Read a PDF with pypdf and parse it; every failure becomes `report.error`, never an exception."""
    report = ParseReport(path=str(path))
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        report.error = f"unreadable / 읽을 수 없음: {exc}"
        return report
    if not data.strip():
        report.error = "empty file / 빈 파일입니다"
        return report
    if b"%PDF-" not in data[:1024]:
        report.error = "not a PDF (no %PDF- header) / PDF 파일이 아닙니다 (%PDF- 머리글 없음)"
        return report
    if b"%%EOF" not in data[-2048:]:
        # pypdf can rebuild a damaged cross-reference table and return the first pages of a cut download;
        # ingesting half a statute silently would be worse than skipping it
        report.error = "truncated PDF (no %%EOF at the end) / 잘린 PDF 파일입니다 (끝에 %%EOF 없음): 다시 받으세요"
        return report
    try:
        from pypdf import PdfReader

        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")  # law.go.kr exports carry no password; others may be owner-locked only
            except Exception as exc:  # missing crypto backend, unsupported algorithm
                report.error = f"encrypted PDF cannot be opened / 암호화된 PDF를 열 수 없습니다: {exc}"
                return report
            if not opened:
                report.error = "encrypted PDF needs a password / 암호가 걸린 PDF입니다"
                return report
        pages = [page.extract_text() or "" for page in reader.pages]
    except Exception as exc:  # pypdf raises many types on damaged files (PdfReadError, KeyError, ValueError …)
        report.error = f"corrupt PDF / 손상된 PDF: {type(exc).__name__}: {exc}"
        return report
    if not pages:
        report.error = "PDF has no pages / 쪽이 없는 PDF입니다"
        return report
    # the footer's "12 / 120" tells how many pages the export had: fewer pages means a cut file
    totals = {
        int(m.group(1))
        for p in pages
        for ln in _edges([x.strip() for x in p.splitlines() if x.strip()])
        if (m := _PAGE_TOTAL_RE.match(ln))
    }
    if len(totals) == 1 and (total := totals.pop()) > len(pages):
        report.error = f"PDF has {len(pages)} of {total} pages / 전체 {total}쪽 중 {len(pages)}쪽만 있습니다"
        return report
    return fill_report(report, lambda: parse_statute_pdf_text(pages, str(path)))
