"""HTML markup in statute text -> labelled placeholders, and the links they (and 별표 references) stand for.

legalize-kr keeps law.go.kr's images inline: `<img src="http://www.law.go.kr/flDownload.do?flSeq=151113713"
alt="img151113713" >` before a formula drawn in box characters (`┌──┐ │필요경비 산입한도액 = A － B│ … </img>`),
and `<img id="13277373"></img>` for a table. Read as text, the tags show up literally on the page and put `src`,
`http`, `flDownload` into the index. At parse time every tag becomes one placeholder, `[수식 이미지 #151113713]`:
a Korean label a reader understands (the alt text when it names the image, else what the text just before it
announces: 계산식/산식 -> 수식, 별표 -> 별표, 표 -> 표) and the law.go.kr file number, from which
`figure_refs` gives the link back as data. The box-drawn text between the tags is the formula itself and is
kept. Placeholders are removed from what the indexes read (`strip_placeholders`), and the page renders them as
links (`linkify_statute_text`), as it does `별표 3의3` references (law.go.kr's 별표 page by law name and number).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, urlencode

LAW_GO_KR = "https://www.law.go.kr"

# Tag names that appear (or could appear) in law.go.kr text; a closed list, so that `A<B 이면 C>D` in a formula
# and `<개정 2016.3.22>` notes are never taken for tags.
_HTML_TAGS = "img|br|p|span|div|sup|sub|b|i|u|font|table|tbody|thead|tr|td|th|center|a|strong|em"
# Attributes are `name`, `name=value`, `name="value"`: a `<B 이면 C>` in a formula has none of that shape.
_ATTRS = r"""((?:\s+[a-zA-Z][\w-]*(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'<>]+))?)*)\s*/?>"""
_IMG_RE = re.compile(r"<img" + _ATTRS, re.IGNORECASE)
_OTHER_TAG_RE = re.compile(rf"</?(?:{_HTML_TAGS})" + _ATTRS, re.IGNORECASE)
_BR_RE = re.compile(r"<br\s*/?>", re.IGNORECASE)
_ATTR_RE = re.compile(r"""([a-zA-Z]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""")
_FLSEQ_RE = re.compile(r"flSeq=(\d{1,12})")
_MEANINGLESS_ALT_RE = re.compile(r"^(?:img)?\d*$", re.IGNORECASE)
# What the text just before an image announces ("다음 계산식에 따라", "다음 표의 비율", "별표와 같다").
# 표 alone is also the start of 표준, 표시: only a standalone 표 counts.
_ANNOUNCEMENTS = (
    (re.compile(r"계산식|산식|공식"), "수식"),
    (re.compile(r"별표"), "별표"),
    (re.compile(r"서식"), "서식"),
    (re.compile(r"(?<![가-힣])표(?=[에의와를는]|\s|$)"), "표"),
)

IMAGE_KINDS = ("별표", "수식", "표", "서식", "그림")
PLACEHOLDER_RE = re.compile(r"\[((?:별표|수식|표|서식|그림) )?이미지(?: #(\d{1,12}))?\]")
# `별표 3의3`, `[별표 1]`, `별표1의2` (not 별표서식, not a bare 별표 without a number).
ANNEX_RE = re.compile(r"별표\s*(\d{1,3})(?:\s*의\s*(\d{1,2}))?")
# `「법인세법」 제24조`, `「국세기본법」 제2조제1호`: a named article (linked by name, like law.go.kr's own links).
ARTICLE_CITE_RE = re.compile(r"「([^」\n]{1,60})」\s*(제\s*\d{1,5}\s*조(?:\s*의\s*\d{1,3})?)")


@dataclass(frozen=True)
class FigureRef:
    """One image of statute text, as data: its Korean label and law.go.kr's file link (None without a file)."""

    label: str  # e.g. "수식 이미지"
    file_id: str  # law.go.kr flSeq, "" when unknown
    url: str | None


def _attrs(tag_body: str) -> dict[str, str]:
    return {m.group(1).lower(): next(g for g in m.groups()[1:] if g is not None) for m in _ATTR_RE.finditer(tag_body)}


def image_kind(alt: str, before: str) -> str:
    """What an image shows: the alt text when it says (not law.go.kr's `img123`), else the text before it."""
    alt = alt.strip()
    if alt and not _MEANINGLESS_ALT_RE.match(alt):
        for kind in IMAGE_KINDS:
            if kind in alt:
                return kind
        if any(w in alt for w in ("계산식", "산식", "공식")):
            return "수식"
    tail = before[-120:]
    found = [(m.start(), kind) for rx, kind in _ANNOUNCEMENTS for m in rx.finditer(tail)]
    if found:
        return max(found)[1]  # the nearest announcement wins
    return ""


def placeholder(kind: str, file_id: str = "") -> str:
    label = f"{kind} 이미지" if kind else "이미지"
    return f"[{label} #{file_id}]" if file_id else f"[{label}]"


def clean_markup(text: str, before: str = "") -> str:
    """Statute text without HTML: `<img>` -> `[수식 이미지 #N]` (label from alt or `before` + this text),
    `<br>` -> newline, every other tag (`</img>`, `<sup>` …) removed. Korean notes `<개정 …>` are kept."""
    if "<" not in text:
        return text

    def image(m: re.Match[str]) -> str:
        attrs = _attrs(m.group(1))
        seq = _FLSEQ_RE.search(attrs.get("src", ""))
        kind = image_kind(attrs.get("alt", ""), before + "\n" + text[: m.start()])
        return placeholder(kind, seq.group(1) if seq else "")

    text = _IMG_RE.sub(image, text)
    text = _BR_RE.sub("\n", text)
    return _OTHER_TAG_RE.sub("", text)


_UNLABELLED_RE = re.compile(r"\[이미지( #\d{1,12})?\]")
_FORMULA_CHARS_RE = re.compile(r"[=＝×÷]")


def label_from_following(text: str) -> str:
    """Label the images that nothing before them announced by what follows: law.go.kr draws the image's
    content in box characters right after it (a formula when it has `=`/`×`, else a table), or writes a
    fraction line by line with `=`/`×` alone on a line."""

    def label(m: re.Match[str]) -> str:
        after = text[m.end() : m.end() + 400]
        box = after.lstrip().startswith(("┌", "│", "┏"))
        if not box:  # a fraction written line by line: `작업진행률` / `=` / numerator / denominator
            operators = any(ln.strip() in {"=", "＝", "×", "÷"} for ln in after.split("\n")[:10])
            return f"[수식 이미지{m.group(1) or ''}]" if operators else m.group(0)
        kind = "수식" if _FORMULA_CHARS_RE.search(after[: after.find("┘") + 1 or None]) else "표"
        return f"[{kind} 이미지{m.group(1) or ''}]"

    return _UNLABELLED_RE.sub(label, text)


def file_url(file_id: str) -> str:
    return f"{LAW_GO_KR}/LSW/flDownload.do?flSeq={file_id}"


def figure_refs(text: str) -> list[FigureRef]:
    """Every image placeholder of a (cleaned) text, in order, with its law.go.kr link."""
    out = []
    for m in PLACEHOLDER_RE.finditer(text):
        label = f"{(m.group(1) or '').strip()} 이미지".strip()
        file_id = m.group(2) or ""
        out.append(FigureRef(label, file_id, file_url(file_id) if file_id else None))
    return out


def strip_placeholders(text: str) -> str:
    """The text the indexes read: placeholders are not words of the statute."""
    return PLACEHOLDER_RE.sub(" ", text)


def display_text(text: str) -> str:
    """Placeholders without their file number (`[수식 이미지]`), for a prompt or plain-text answer."""
    return PLACEHOLDER_RE.sub(lambda m: f"[{(m.group(1) or '')}이미지]", text)


def named_article_url(law_title: str, article: str) -> str:
    """law.go.kr's page of an article by law name (the same form as legal_rag.search.retriever.article_url)."""
    law, number = (re.sub(r"\s+", "", x) for x in (law_title, article))
    return f"{LAW_GO_KR}/법령/{quote(law)}/{quote(number)}"


def annex_url(law_title: str, number: int, branch: int = 0) -> str:
    """law.go.kr's page for 별표 `number`의`branch` of a statute, by the statute's name."""
    query = urlencode({"bylCls": "BE", "lsNm": law_title, "bylNo": f"{number:04d}", "bylBrNo": f"{branch:02d}"},
                      quote_via=quote)
    return f"{LAW_GO_KR}/lsBylInfoPLinkR.do?{query}"


@dataclass(frozen=True)
class TextLink:
    """A span of statute text that links to law.go.kr: an image placeholder (`label` is what to show instead
    of the span, without the file number) or a `별표 N` reference. Offsets are in characters of the text."""

    start: int
    end: int
    label: str
    url: str | None
    kind: str  # figure | annex | article


def text_links(text: str, law_title: str) -> list[TextLink]:
    """The links of a statute text in order, non-overlapping: image placeholders -> their file, `「법」 제N조`
    -> that article on law.go.kr, `별표 N` -> the statute's 별표 page (by name; only when `law_title` is known)."""
    spans = [TextLink(m.start(), m.end(), f"[{(m.group(1) or '')}이미지]",
                      file_url(m.group(2)) if m.group(2) else None, "figure") for m in PLACEHOLDER_RE.finditer(text)]
    for m in ARTICLE_CITE_RE.finditer(text):
        if not any(s.start <= m.start() < s.end for s in spans):
            spans.append(TextLink(m.start(), m.end(), m.group(0), named_article_url(m.group(1), m.group(2)),
                                  "article"))
    if law_title:
        for m in ANNEX_RE.finditer(text):
            if not any(s.start <= m.start() < s.end or m.start() <= s.start < m.end() for s in spans):
                url = annex_url(law_title, int(m.group(1)), int(m.group(2) or 0))
                spans.append(TextLink(m.start(), m.end(), m.group(0), url, "annex"))
    return sorted(spans, key=lambda s: s.start)


@dataclass(frozen=True)
class TextPart:
    """A piece of statute text for display: plain text, or a link with its label."""

    text: str
    url: str | None = None
    kind: str = "text"  # text | figure | annex


def linkify_statute_text(text: str, law_title: str) -> list[TextPart]:
    """A statute text as plain parts and links (see `text_links`). The caller escapes each part."""
    parts: list[TextPart] = []
    pos = 0
    for link in text_links(text, law_title):
        if link.start > pos:
            parts.append(TextPart(text[pos : link.start]))
        parts.append(TextPart(link.label, link.url, link.kind))
        pos = link.end
    if pos < len(text):
        parts.append(TextPart(text[pos:]))
    return parts
