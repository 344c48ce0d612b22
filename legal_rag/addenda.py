"""Article-level 시행일 from a statute version's 부칙.

A version takes effect on its 시행일자, but its 부칙 often gives single articles another date:
`이 법은 공포한 날부터 시행한다. 다만, 제100조의5 및 제100조의6의 개정규정은 2027년 1월 1일부터 시행한다.`
(국민연금법), `제75조부터 제77조까지의 개정규정은 공포 후 6개월이 경과한 날부터 시행하며` (고용보험법), or an item
list `다음 각 호의 개정규정은 해당 호에서 정하는 날부터 시행한다.` / `1. 제12조의 개정규정: 2026년 1월 1일`.

Only the 부칙 block of the amendment that made this version can change its articles' dates: the block whose
label carries the version's 공포번호 (and 공포일자). Older blocks speak of older amendments whose dates have
passed, and a block labelled with another law (`부칙(정부조직법) <…>`) speaks of that law's articles. When the
block's own main date does not give the version's 시행일자, the block is not trusted for dates at all.

What comes out, per named article of this statute:
- a whole article with a date this module can compute (a calendar date, `공포한 날`, `공포 후 N년/개월/일이 경과한
  날`): `Article.effective` and a note `제5조: 2027-01-01 시행 (부칙 <…>)`; versions.py uses the date for as-of;
- part of an article (`제18조제1항 단서`), a date it cannot compute (`대통령령으로 정하는 날`), or a clause about
  another act's amendment (`법률 제20991호 상법 일부개정법률 제542조의14의 개정규정은 …`): only a note, with the
  date when known, pointing to the 부칙 — no guessing which text is in force.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

from legal_rag.articles import Article, ArticleNumber, Statute

# `부칙 <제21235호,2025.12.23>`, `부칙(정부조직법) <제21065호,2025.10.1>` (the Markdown parser numbers repeats ` (2)`)
_LABEL_RE = re.compile(
    r"^부칙\s*(?P<other>\([^)]*\))?\s*<\s*제\s*0*(?P<no>\d+)\s*호\s*,?\s*(?:(?P<y>\d{4})\.\s*(?P<m>\d{1,2})\.\s*(?P<d>\d{1,2}))?"
)
# the block's own articles after its 시행일 article: `제2조(적용례) …`, `제2조 부터 제6조까지 생략`
_NEXT_PROVISION_RE = re.compile(r"^제\s*\d+\s*조(?:의\s*\d+)?\s*(?:\(|부터)")
_MAIN_RE = re.compile(r"이\s*(?:법|영|규칙|령)은\s*(?P<when>[^.\n]*?)부터\s*시행(?:한다|하되|하고|하며)")
_CLAUSE_RE = re.compile(r"(?P<refs>[^.\n:]*?)의\s*개정\s*규정(?:은|는)\s*(?P<when>[^.\n]*?)부터\s*시행(?:한다|하고|하며)")
_ITEM_RE = re.compile(r"^\s*(?:\d+(?:의\d+)?|[가-힣])\.\s*(?P<refs>.*?)의\s*개정\s*규정\s*:\s*(?P<when>[^\n]+?)\s*$")
_SUBITEM_RE = re.compile(r"^\s*[가-힣]\.\s*(?P<refs>.*?)의\s*개정\s*규정")
_REF_RE = re.compile(r"제\s*(\d+)\s*조(?:\s*의\s*(\d+))?")
_RANGE_RE = re.compile(r"^\s*부터\s*제\s*(\d+)\s*조(?:\s*의\s*(\d+))?\s*까지")
# what follows an article number when the clause names only part of it
_DETAIL_RE = re.compile(r"^\s*(?:제\s*\d+\s*[항호](?:의\s*\d+)?|[가-하]목|본문|단서|전단|후단|각\s*호\s*외의\s*부분)")
# a clause about another act's articles (`법률 제20991호 상법 일부개정법률 제542조의14`, `「…법」 제5조`)
_OTHER_ACT_RE = re.compile(r"법률\s*제\s*\d+\s*호|일부\s*개정\s*법률|「|같은\s*법|다른\s*법률")
_ADDENDUM_REF_RE = re.compile(r"부칙\s*$")
_QUOTED_RE = re.compile(r'"[^"]*"|“[^”]*”|‘[^’]*’')
_TRAILING_JOIN_RE = re.compile(r"(?:[\s,ㆍ]|및|와|과)+$")


@dataclass(frozen=True)
class ArticleDate:
    """One article named in the 시행일 provision of a version's latest 부칙."""

    number: ArticleNumber
    effective: date | None  # None: the date is not computable here (see the 부칙)
    part: str  # "" for the whole article, else the part named (`제1항 단서`)
    other_act: bool  # the clause is about another act's amendment of this article


def after_promulgation(promulgated: date, n: int, unit: str) -> date:
    """`공포 후 N{년,개월,일}이 경과한 날`: 민법 제157조·제160조 (first day not counted; a period in months ends the
    day before the corresponding day, or at the month's end when it has none), the day after the period ends."""
    start = promulgated + timedelta(days=1)
    if unit == "일":
        return start + timedelta(days=n)
    months = n * 12 if unit == "년" else n
    y, m = divmod(start.month - 1 + months, 12)
    y, m = start.year + y, m + 1
    if start.day <= calendar.monthrange(y, m)[1]:
        return date(y, m, start.day)
    return date(y + m // 12, m % 12 + 1, 1)  # no corresponding day: the period ends with the month


def when_date(expr: str, statute: Statute) -> date | None:
    """A 시행일 expression as a date, or None when it depends on anything but the text and 공포일자."""
    expr = re.sub(r"\s+", " ", expr).strip().removesuffix("부터").strip()
    m = re.fullmatch(r"(\d{4})\s*년\s*(\d{1,2})\s*월\s*(\d{1,2})\s*일", expr)
    if m:
        try:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            return None
    if statute.promulgated is None:
        return None
    if re.fullmatch(r"공포\s*(?:한\s*날|일)", expr):
        return statute.promulgated
    m = re.fullmatch(r"공포\s*후\s*(\d+)\s*(년|개월|일)이?\s*경과한\s*날", expr)
    if m:
        return after_promulgation(statute.promulgated, int(m.group(1)), m.group(2))
    return None


def latest_block(statute: Statute, articles: Sequence[Article]) -> Article | None:
    """The 부칙 block of the amendment that made this version, or None (unknown, or another law's 부칙)."""
    no = statute.promulgation_no.strip().lstrip("0")
    if not no:
        return None
    found = None
    for a in articles:
        m = _LABEL_RE.match(a.number) if a.is_addendum else None
        if not m or m.group("no") != no:
            continue
        if m.group("y") and statute.promulgated:
            try:
                if date(int(m.group("y")), int(m.group("m")), int(m.group("d"))) != statute.promulgated:
                    continue
            except ValueError:
                continue
        found = (a, bool(m.group("other")))
    if found is None or found[1]:
        return None
    return found[0]


def _provision(block: Article) -> list[str]:
    """The lines of the block's 시행일 provision: its first article (or the whole unnumbered block)."""
    lines = [ln for ln in block.text.split("\n") if ln.strip()]
    out = lines[:1]
    for ln in lines[1:]:
        if _NEXT_PROVISION_RE.match(ln.strip()):
            break
        out.append(ln)
    return out


def _refs(text: str) -> list[tuple[ArticleNumber, ArticleNumber, str]]:
    """(first, last, part) for each article or range named in `text`; part "" for a whole article."""
    text = _QUOTED_RE.sub(" ", text)  # `제32조의 개정규정 중 "제20조의5제1항 …" 부분`: quoted words are not names
    out: list[tuple[ArticleNumber, ArticleNumber, str]] = []
    matches = list(_REF_RE.finditer(text))
    for i, m in enumerate(matches):
        if _ADDENDUM_REF_RE.search(text[: m.start()]):
            continue  # `부칙 제7조`: the 부칙's own article
        if i > 0 and _RANGE_RE.match(text[matches[i - 1].end() :]):
            continue  # the end of a range, taken with its start
        first = ArticleNumber(int(m.group(1)), int(m.group(2) or 0))
        r = _RANGE_RE.match(text[m.end() :])
        if r:
            out.append((first, ArticleNumber(int(r.group(1)), int(r.group(2) or 0)), ""))
            continue
        rest = text[m.end() : matches[i + 1].start() if i + 1 < len(matches) else len(text)]
        part = ""
        if _DETAIL_RE.match(rest):
            part = re.split(r"의\s*개정|,\s*(?:별지|별표)|\s+중\s", rest)[0]
            part = _TRAILING_JOIN_RE.sub("", part).strip()
        out.append((first, first, part))
    return out


def _clauses(lines: list[str]) -> list[tuple[str, str]]:
    """(refs text, 시행일 expression) of each clause that gives named provisions their own date."""
    out: list[tuple[str, str]] = []
    list_when = ""  # `다음 각 목의 개정규정은 D부터 시행한다`: the 목 lines below name what takes effect on D
    for ln in lines:
        item = _ITEM_RE.match(ln)
        if item:
            out.append((item.group("refs"), item.group("when")))
            continue
        sub = _SUBITEM_RE.match(ln)
        if sub and list_when and not _CLAUSE_RE.search(ln):
            out.append((sub.group("refs"), list_when))
            continue
        list_when = ""
        for m in _CLAUSE_RE.finditer(ln):
            refs = m.group("refs")
            if re.search(r"각\s*목", refs):
                list_when = m.group("when")
            out.append((refs, m.group("when")))
    return out


def article_dates(statute: Statute, articles: Sequence[Article]) -> tuple[str, list[ArticleDate]]:
    """(the 부칙 label, every article the latest 부칙's 시행일 provision names); ("", []) when none applies."""
    block = latest_block(statute, articles)
    if block is None:
        return "", []
    lines = _provision(block)
    text = " ".join(lines)
    main = _MAIN_RE.search(text)
    trusted = True
    if main is not None:
        main_date = when_date(main.group("when"), statute)
        # the block must give this version's 시행일자; otherwise its dates belong to something else
        trusted = main_date is None or statute.effective is None or main_date == statute.effective
    numbers = sorted({ArticleNumber.parse(a.number) for a in articles if not a.is_addendum and _REF_RE.match(a.number)})
    label = re.sub(r"\s*\(\d+\)$", "", block.number)
    found: list[ArticleDate] = []
    for refs, when in _clauses(lines):
        other = bool(_OTHER_ACT_RE.search(refs))
        effective = when_date(when, statute) if trusted and not other else None
        for first, last, part in _refs(refs):
            for n in numbers if first != last else [first]:
                if first <= n <= last:
                    found.append(ArticleDate(n, effective, part, other))
    return label, found


def apply_article_dates(statute: Statute, articles: list[Article]) -> list[Article]:
    """The articles with `effective`/`effective_note` set from the version's latest 부칙 (the rest unchanged)."""
    label, dates = article_dates(statute, articles)
    if not dates:
        return articles
    by_number: dict[ArticleNumber, list[ArticleDate]] = {}
    for d in dates:
        by_number.setdefault(d.number, []).append(d)
    out = []
    for a in articles:
        named = None if a.is_addendum or not _REF_RE.match(a.number) else by_number.get(ArticleNumber.parse(a.number))
        if not named:
            out.append(a)
            continue
        notes = []
        for d in named:
            what = a.number + (d.part if d.part.startswith("제") else f" {d.part}" if d.part else "")
            if d.effective is not None:
                notes.append(f"{what}: {d.effective.isoformat()} 시행 ({label})")
            else:
                notes.append(f"{what}: 시행일은 {label} 참조")
        whole = {d.effective for d in named if not d.part and not d.other_act}
        effective = whole.pop() if len(whole) == 1 and len(named) == 1 else None
        out.append(replace(a, effective=effective, effective_note="; ".join(dict.fromkeys(notes))))
    return out
