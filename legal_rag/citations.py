"""Citation resolver: `민법 제54조`, `「국민건강보험법 시행령」제19조`, `같은 법 제5조`, `상증법 제18조` -> articles.

Used twice: on a question, before any similarity search (every cited article goes into the context as is),
and on a generated answer, where every `법령명 제N조` must be backed by the index (design notes, "Citations
people type" and "Generation").

Parsing (`find_citations`) needs only a `LawCatalog` (titles, 법령IDs, abbreviations). Resolving
(`resolve_citations`) also needs the `ArticleStore` and an as-of date: the version is chosen with
`legal_rag.versions.select_versions`, and when one title has several 법령IDs (근로기준법: a 1997 repeal stub and
the live law) the live statute that holds the article wins; a repeal stub never stands in for the live law.

Rules for the law of an article written without one (`제839조의2`): the law of the previous citation in the
same text (so `「민법」 제54조, 제55조 및 제56조` gives 민법 to all three; a bare law mention such as `근로기준법상`
counts), else `default_law`, else status `law_missing`. Two refinements keep statute text right, where
default_law is the statute being read: `법 제44조` / `영 제19조` (a 시행령 citing its parent) lends its law only to
the articles listed right after it (`법 제41조 및 제42조`); and with `bare_means_default=True` every other cited
law does the same (`「법인세법」 제55조 및 제56조를 적용할 때 제3조` -> 제3조 is the statute's own), as drafted.

Unknown laws (`사립학교법 제30조`, `「근로복지법」`) and unknown articles are returned with a status and
suggestions, never dropped. `구 근로기준법(…) 제18조` resolves to the current text with `former=True` and a note.
"""

from __future__ import annotations

import difflib
import json
import re
import weakref
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from typing import Literal

from legal_rag.articles import ArticleNumber, Statute, law_key
from legal_rag.store import ArticleStore
from legal_rag.versions import VersionChoice, select_versions

__all__ = [
    "CitationRef",
    "LawCatalog",
    "ParentReference",
    "ResolvedCitation",
    "find_citations",
    "find_law_mentions",
    "iter_found",
    "load_abbreviations",
    "parent_law_title",
    "parent_references",
    "resolve_citations",
]

SUBORDINATE_SUFFIXES = ("시행령", "시행규칙")
# Characters people put inside titles that law_key() ignores (spaces, every middle dot in use).
_SEP = r"[ \t\u00a0\u3000·ㆍ・‧•∙]"
_SEP_CHARS = set(" \t\u00a0\u3000·ㆍ・‧•∙")
_H = "가-힣"
_NB = rf"(?<![{_H}])"  # not in the middle of a Hangul word ("보상법" must not yield 상법)
# 3조 원 / 3조원을 / 1조 2천억 is money, not an article; "제750조 원고는" (plaintiff) is an article.
_NOT_MONEY = (
    r"(?![ \t]*원(?![가-힣])|[ \t]*원(?:을|이|의|은|에|으로|가|씩|까지|도|만|과|와|어치|대|에서|짜리)"
    r"|[ \t]*\d+[ \t]*(?:천|백|억|만|원))"
)
# 제N조(의M). A 제 that starts a word is always an article ("제3조 원고"). Inside a word ("경제3조원", "민법제54조")
# no space may follow it and the money check applies; "경제 3조 원" is never an article.
_ART = (
    rf"(?:(?<![{_H}])제[ \t]*\d+[ \t]*조(?:[ \t]*의[ \t]*\d+)?"
    rf"|(?<=[{_H}])제\d+[ \t]*조(?:[ \t]*의[ \t]*\d+)?{_NOT_MONEY})"
)
_ART_AHEAD = r"(?=[ \t]*제?[ \t]*\d+[ \t]*조)"
_REL_AHEAD = r"(?=[ \t]*제[ \t]*\d+[ \t]*조)"

_ART_NUM_RE = re.compile(r"(\d+)[ \t]*조(?:[ \t]*의[ \t]*(\d+))?")
_BARE_NUM_RE = re.compile(rf"[ \t]*(\d+)[ \t]*조(?:[ \t]*의[ \t]*(\d+))?{_NOT_MONEY}")
_BARE_CONT_RE = re.compile(rf"[ \t]*(?:,|및|또는|와|과)[ \t]*(\d+)[ \t]*조(?:[ \t]*의[ \t]*(\d+))?{_NOT_MONEY}")
_MOK_LETTERS = "가나다라마바사아자차카타파하"
_DETAIL_RE = re.compile(
    r"(?:[ \t]*제?[ \t]*(?P<para>\d+)[ \t]*항)?"
    r"(?:[ \t]*제?[ \t]*(?P<item>\d+)[ \t]*호(?:[ \t]*의[ \t]*(?P<item_sub>\d+))?)?"
    rf"(?:[ \t]*(?:\((?P<mok1>[{_MOK_LETTERS}])\)|(?P<mok2>[{_MOK_LETTERS}]))[ \t]*목)?"
)
# ", 제2항", " 및 제6호": more 항/호 of the same article, never another 조.
_DETAIL_CONT_RE = re.compile(r"[ \t]*(?:,|및|또는|·|ㆍ|내지)[ \t]*(?=제[ \t]*\d+[ \t]*(?:항|호))")
# What may stand between a law name and its article: spaces, a closing quote, a parenthetical
# ("구 지방세법(1997. 8. 30. 법률 제5406호로 개정되기 전의 것) 제121조"), "중".
_ATTACH_GAP_RE = re.compile(r"[\s」』\"'”’]*(?:\([^()\n]{0,120}\)[ \t]*)?(?:중[ \t]+)?")
# Gap between two articles of one list: "제41조제3항 및 제42조", "제5조부터 제7조까지".
_LIST_GAP_RE = re.compile(
    r"(?:[\s,·ㆍ、()]|및|또는|내지|부터|까지|와|과|단서|본문|전단|후단|각[ \t]*호[ \t]*외의[ \t]*부분"
    r"|\([^()\n]{0,120}\))*"
)
# An article's own title in parentheses before its 항: "「상법」 제374조(영업양도ㆍ양수ㆍ임대 등)제1항".
_TITLE_BEFORE_DETAIL_RE = re.compile(r"\([^()\n]{1,40}\)(?=[ \t]*제[ \t]*\d+[ \t]*[항호])")
_OLD_RE = re.compile(rf"{_NB}(?:구|舊)[ \t]*$")
_CURRENT_RE = re.compile(rf"{_NB}현행[ \t]*$")
_ADDENDUM_RE = re.compile(r"부칙[ \t]*(?:\([^()\n]*\)|<[^<>\n]*>)?[ \t]*$")
_LAW_WORD_RE = re.compile(r"(?:법률|법|령|규칙|규정|조례)$")
_QUOTED_LAWLIKE_RE = re.compile(r"(?:법률|법|시행령|시행규칙)$")
# Words ending in 법/령/규정 that are not statute names.
_GENERIC_WORDS = frozenset(
    "법 법률 방법 위법 불법 적법 합법 편법 입법 문법 수법 용법 해법 기법 비법 사법 공법 법령 명령 규정 규칙 조례 "
    "시행령 시행규칙 영 대통령령 총리령 부령 같은법 동법 이법 관련법 특별법 특례법 기본법 해당법".split()
)
# Words that end a phrase in running text, so they are not part of a multi-word law name before them.
_STOP_ENDINGS = ("는", "은", "을", "를", "이", "가", "고", "며", "서", "면", "도", "로", "다", "요", "함", "음")
_LEADING_CONNECTORS = ("및", "또는", "그리고", "등", "와", "과")
_MULTIWORD_HEADS = ("법률", "법", "특례법", "특별법", "기본법")
_WORD_BEFORE_RE = re.compile(r"([가-힣A-Za-z0-9·ㆍ]+)[ \t]+$")


def load_abbreviations() -> dict[str, str]:
    """약칭 -> official 제목 from legal_rag/data/law_abbreviations.json (data, not code)."""
    text = resources.files("legal_rag").joinpath("data/law_abbreviations.json").read_text(encoding="utf-8")
    data = json.loads(text)
    return dict(data.get("abbreviations", {}))


def parent_law_title(title: str) -> str | None:
    """The 법률 a 시행령/시행규칙 belongs to (`국민건강보험법 시행령` -> `국민건강보험법`); None for any other title.

    The one place that derives a parent title: retrieval's 위임 links, the embedder's training pairs and the
    citation scanner's `법`/`영`/`같은 법 시행령` all go through it."""
    for suffix in SUBORDINATE_SUFFIXES:
        if title.endswith(suffix) and len(title) > len(suffix):
            return title[: -len(suffix)].rstrip()
    return None


def _base_title(title: str) -> str:
    return parent_law_title(title) or title


def _surface_pattern(surface: str) -> str:
    """Regex for a title as people type it: the title's own spaces/dots optional; in long titles one stray
    space between any two characters tolerated ("근로자 퇴직급여 보장법"). Short keys (민법, 상법) get no stray
    spaces, or "계약 상 법적 효과" would cite 상법."""
    chars: list[tuple[str, bool]] = []
    sep = False
    for ch in surface:
        if ch in _SEP_CHARS or ch.isspace():
            sep = True
            continue
        chars.append((ch, sep))
        sep = False
    parts: list[str] = []
    for i, (ch, sep_before) in enumerate(chars):
        if i:
            if sep_before:
                parts.append(_SEP + "{0,3}")
            elif len(chars) >= 5:
                parts.append(_SEP + "?")
        parts.append(re.escape(ch))
    pattern = "".join(parts)
    if len(chars) <= 2:
        pattern += "(?![인원])"  # 상법인, 소법원
    return pattern


class LawCatalog:
    """The laws the index knows: titles, their 법령IDs and the abbreviations that point at them."""

    def __init__(self, statutes: Iterable[tuple[Statute, bool]], abbreviations: dict[str, str] | None = None,
                 unquoted_names: bool = True):
        """`unquoted_names=False` reads only 「quoted」 law names (plus 같은 법/이 법/법/영): how statutes cite other
        statutes. The scan is then independent of the catalog's size, which mining the citation graph of the
        whole corpus (5,674 titles) needs; questions and answers keep the default."""
        self._statutes = list(statutes)
        # title -> law_id -> (every version a repeal stub, kind)
        ids: dict[str, dict[str, tuple[bool, str]]] = defaultdict(dict)
        for st, stub in self._statutes:
            was_stub = ids[st.title].get(st.law_id, (True, st.kind))[0]
            ids[st.title][st.law_id] = (was_stub and stub, st.kind)
        self._ids: dict[str, list[str]] = {}
        for title, by_id in ids.items():
            order = [(stub, kind == "군정법령", law_id) for law_id, (stub, kind) in by_id.items()]
            self._ids[title] = [law_id for _, _, law_id in sorted(order)]
        self._by_key: dict[str, str] = {}
        for title in sorted(self._ids):
            self._by_key.setdefault(law_key(title), title)
        # Abbreviations: only those whose target is loaded, and never one that shadows a real title.
        self._abbr: dict[str, str] = {}
        surfaces: dict[str, str] = {title: title for title in self._ids}
        for abbr, target in (load_abbreviations() if abbreviations is None else abbreviations).items():
            found = self._by_key.get(law_key(target))
            akey = law_key(abbr)
            if not found or not akey or akey in self._by_key:
                continue
            title = found
            self._abbr[akey] = title
            surfaces.setdefault(abbr, title)
            for suffix in SUBORDINATE_SUFFIXES:
                sub = self._by_key.get(law_key(title) + suffix)
                if sub and law_key(abbr + suffix) not in self._by_key:
                    surfaces.setdefault(f"{abbr} {suffix}", sub)
        self._surface_titles: dict[str, str] = {law_key(s): t for s, t in surfaces.items()}
        self._suggest_cache: dict[tuple[str, int], list[str]] = {}
        # (statute title, article text) -> parent references: retrieval asks again for every question that
        # retrieves the same 시행령 article, and scanning one costs about a millisecond.
        self._parent_cache: dict[tuple[str, str], tuple[ParentReference, ...]] = {}
        # Longest first, so 국민건강보험법 시행령 beats 국민건강보험법 and 민사소송법 never yields 민법.
        ordered = sorted(surfaces, key=lambda s: (-len(law_key(s)), s))
        alternation = ("|".join(_surface_pattern(s) for s in ordered) if unquoted_names else "") or r"(?!x)x"
        self._master = re.compile(
            r"(?P<quoted>「[^」\n]{1,100}」)"
            rf"|(?P<sameart>{_NB}(?:같은[ \t]*조(?=[ \t]*제?[ \t]*\d+[ \t]*[항호]|[\s,.)\]」:;]|$"
            r"|에|의|는|를|가|도|와|과|로)"
            r"|동조(?=[ \t]*제?[ \t]*\d+[ \t]*[항호])))"
            rf"|(?P<same>{_NB}(?:같은|동)[ \t]*(?P<same_kind>법률|법|시행령|영|시행규칙|규칙)"
            rf"(?:[ \t]*(?P<same_suffix>시행령|시행규칙))?{_ART_AHEAD})"
            # `…한다)이 법 제18조`: 이 after a closing parenthesis is the subject particle, and 법 is the parent law
            rf"|(?P<this>(?<![{_H})])이[ \t]*법(?:률)?{_ART_AHEAD})"
            rf"|(?P<rel>{_NB}(?:시행규칙|시행령|법|영|규칙){_REL_AHEAD})"
            rf"|(?P<law>{_NB}(?:{alternation})(?!률))"
            rf"|(?P<art>{_ART})"
        )

    @classmethod
    def from_statutes(cls, statutes: Iterable[tuple[Statute, bool]]) -> LawCatalog:
        """(statute, is_repeal_stub) pairs as ArticleStore.statutes() returns them."""
        return cls(statutes)

    @classmethod
    def from_store(cls, store: ArticleStore) -> LawCatalog:
        return cls(store.statutes())

    @classmethod
    def from_titles(cls, titles: Iterable[tuple[str, str]], unquoted_names: bool = True) -> LawCatalog:
        """(title, 법령ID) pairs, for callers that have parsed articles but no store yet (ingest)."""
        return cls(
            ((Statute(law_id, "", title, "", None, None, "", "", ""), False) for title, law_id in dict.fromkeys(titles)),
            unquoted_names=unquoted_names,
        )

    def titles(self) -> list[str]:
        """Distinct titles as in 제목 (with spaces), sorted."""
        return sorted(self._ids)

    def law_ids(self, title: str) -> list[str]:
        """법령IDs with exactly this title: live statutes first, repeal stubs and 군정법령 last."""
        return list(self._ids.get(title, []))

    def abbreviations(self) -> dict[str, str]:
        """Loaded abbreviations (law_key form) -> title."""
        return dict(self._abbr)

    def match_title(self, text: str) -> str | None:
        """Exact title for a typed name, or None. Spaces and middle dots are ignored; abbreviations and
        `<name or abbreviation> 시행령/시행규칙` are understood; 「」 and a leading `구 ` are dropped."""
        t = text.strip().strip("「」『』\"'“”‘’ \t")
        t = re.sub(r"^(?:구|舊)\s+", "", t)
        key = law_key(t)
        if not key:
            return None
        if key in self._by_key:
            return self._by_key[key]
        if key in self._abbr:
            return self._abbr[key]
        for suffix in SUBORDINATE_SUFFIXES:
            if key.endswith(suffix) and len(key) > len(suffix):
                base = self.match_title(key[: -len(suffix)])
                if base:
                    return self._by_key.get(law_key(base) + suffix)
        return None

    def suggest(self, text: str, n: int = 5) -> list[str]:
        """Titles close to an unknown name: containment first (국민건강보험법률 -> 국민건강보험법), then difflib on
        law_key over titles and abbreviations."""
        key = law_key(re.sub(r"^(?:구|舊)\s+", "", text.strip().strip("「」『』\"'“”‘’ \t")))
        if not key or n <= 0:
            return []
        cached = self._suggest_cache.get((key, n))
        if cached is not None:
            return list(cached)
        out: list[str] = []

        def add(title: str) -> None:
            if title not in out:
                out.append(title)

        contained = [
            (abs(len(k) - len(key)), k)
            for k in self._surface_titles
            if (len(key) >= 3 and key in k) or (len(k) >= 2 and k in key and k != key)
        ]
        for _, k in sorted(contained):
            add(self._surface_titles[k])
        for k in difflib.get_close_matches(key, list(self._surface_titles), n=n * 2, cutoff=0.5):
            add(self._surface_titles[k])
        if len(self._suggest_cache) > 4096:  # the same unknown names recur (헌법, 사립학교법); keep memory bounded
            self._suggest_cache.clear()
        self._suggest_cache[(key, n)] = out[:n]
        return out[:n]

    # -- scanning helpers used by find_citations / find_law_mentions --

    def _title_of_surface(self, matched: str) -> str | None:
        return self._surface_titles.get(law_key(matched))

    def _known_suffix(self, name: str) -> str | None:
        """A known title that a run-together word ends with ("사용자는근로기준법" -> 근로기준법)."""
        key = law_key(name)
        best = None
        for k, title in self._surface_titles.items():
            # 4+ characters only: "보상법" ends with 상법 but is not 상법
            if len(k) >= 4 and key.endswith(k) and (best is None or len(k) > len(best[0])):
                best = (k, title)
        return best[1] if best else None


@dataclass(frozen=True)
class CitationRef:
    """One citation found in a text (no store needed)."""

    raw: str  # exact text span, e.g. "「국민건강보험법 시행령」제19조"
    start: int
    end: int
    law: str | None  # catalog title; None when no law applies or the written law is not in the catalog
    # The law as written: in this span ("같은 법", "상증법"), in the earlier citation a bare article inherits
    # its law from, or default_law.
    law_text: str | None
    article: ArticleNumber | None  # None for a bare law mention
    detail: str  # "제1항제2호" (more 항/호 of one article joined by ", "); "" if none
    known_law: bool  # False when a law name was written but is not in the catalog
    former: bool = False  # 구 근로기준법(…): a former version; the corpus holds only the current text


@dataclass(frozen=True)
class ResolvedCitation:
    ref: CitationRef
    status: Literal["found", "law_not_found", "article_not_found", "law_missing"]
    doc_id: str | None  # Article.doc_id of the applicable version; None unless an article was found
    statute: Statute | None
    pending: bool  # the version used is 시행 예정 on as_of (the text in force then is not in the corpus)
    suggestions: list[str] = field(default_factory=list)
    message: str = ""  # Korean + English


@dataclass
class _LawCtx:
    law: str | None
    law_text: str | None
    known: bool
    former: bool = False
    relative: bool = False  # came from 법/영/규칙 relative to default_law


@dataclass
class _Pending:
    ctx: _LawCtx
    start: int
    end: int
    named: bool  # a law written by name (emit as a bare mention when no article follows)


def _detail_at(text: str, pos: int) -> tuple[str, int]:
    """Normalised 항/호/목 after an article number, and where it ends."""
    parts: list[str] = []
    end = pos
    if t := _TITLE_BEFORE_DETAIL_RE.match(text, pos):
        end = t.end()
    while True:
        m = _DETAIL_RE.match(text, end)
        piece = ""
        if m and m.end() > m.start():
            if m.group("para"):
                piece += f"제{int(m.group('para'))}항"
            if m.group("item"):
                piece += f"제{int(m.group('item'))}호"
                if m.group("item_sub"):
                    piece += f"의{int(m.group('item_sub'))}"
            mok = m.group("mok1") or m.group("mok2")
            if mok:
                piece += f"{mok}목"
        if not piece:
            break
        parts.append(piece)
        end = m.end()  # type: ignore[union-attr]
        cont = _DETAIL_CONT_RE.match(text, end)
        if not cont:
            break
        end = cont.end()
        nxt = _DETAIL_RE.match(text, end)
        if not nxt or nxt.end() == nxt.start():
            # the connector belonged to something else; give it back
            end = m.end()  # type: ignore[union-attr]
            break
    return ", ".join(parts), end


def _article_number(span: str) -> ArticleNumber:
    m = _ART_NUM_RE.search(span)
    assert m is not None  # the span matched _ART or _BARE_NUM_RE
    return ArticleNumber(int(m.group(1)), int(m.group(2) or 0))


class _Scanner:
    def __init__(self, text: str, catalog: LawCatalog, default_law: str | None, bare_means_default: bool) -> None:
        self.text = text
        self.bare_means_default = bare_means_default
        self.cat = catalog
        self.refs: list[CitationRef] = []
        self.default: _LawCtx | None = None
        if default_law:
            title = catalog.match_title(default_law)
            self.default = _LawCtx(title, default_law, title is not None)
        self.context: _LawCtx | None = None
        self.last_ref: CitationRef | None = None
        self.last_end = 0
        self.pending: _Pending | None = None

    # -- emitting --

    def _emit(
        self, ctx: _LawCtx, start: int, end: int, article: ArticleNumber | None, detail: str, keep_context: bool = False
    ) -> None:
        ref = CitationRef(
            raw=self.text[start:end], start=start, end=end, law=ctx.law if ctx.known else None,
            law_text=ctx.law_text, article=article, detail=detail, known_law=ctx.known, former=ctx.former,
        )
        self.refs.append(ref)
        if not keep_context and (ctx.law is not None or not ctx.known):  # law_missing gives no context
            self.context = ctx
        if article is not None:
            self.last_ref = ref
        self.last_end = end

    def _flush_pending(self) -> None:
        p = self.pending
        self.pending = None
        if p and p.named:
            self._emit(p.ctx, p.start, p.end, None, "")

    # -- law contexts --

    def _family(self, source: _LawCtx | None, kind: str) -> _LawCtx | None:
        """법/영/규칙 (or 같은 법 시행령) relative to a known or unknown law."""
        if source is None or (source.law is None and source.known):
            return None
        base = _base_title(source.law if source.law else (source.law_text or ""))
        name = base if kind in ("법", "법률") else f"{base} {kind}"
        title = self.cat.match_title(name)
        return _LawCtx(title, name, title is not None, source.former)

    def _named_law(self, start: int, end: int, title: str | None, law_text: str) -> _LawCtx:
        pre = self.text[max(0, start - 8) : start]
        former = bool(_OLD_RE.search(pre)) or law_text.startswith(("구 ", "舊"))
        return _LawCtx(title, law_text, title is not None, former)

    def _old_prefix_start(self, start: int) -> int:
        pre = self.text[max(0, start - 8) : start]
        m = _OLD_RE.search(pre)
        return start - (len(pre) - m.start()) if m else start

    # -- events --

    def on_law(self, m: re.Match[str]) -> None:
        self._flush_pending()
        start = self._old_prefix_start(m.start())
        title = self.cat._title_of_surface(m.group())
        ctx = self._named_law(m.start(), m.end(), title, self.text[start : m.end()])
        self.pending = _Pending(ctx, start, m.end(), named=True)

    def on_quoted(self, m: re.Match[str]) -> None:
        self._flush_pending()
        inner = m.group()[1:-1].strip()
        stripped = re.sub(r"^(?:구|舊)\s*", "", inner)
        title = self.cat.match_title(stripped) if stripped else None
        start = self._old_prefix_start(m.start())
        ctx = self._named_law(m.start(), m.end(), title, inner)
        ctx.former = ctx.former or stripped != inner
        lawlike = title is not None or bool(_QUOTED_LAWLIKE_RE.search(law_key(inner)))
        self.pending = _Pending(ctx, start, m.end(), named=lawlike)

    def on_same(self, m: re.Match[str]) -> None:
        self._flush_pending()
        kind = m.group("same_kind")
        suffix = m.group("same_suffix")
        src = self.context or self.default
        if kind in ("영", "시행령"):
            ctx = self._family(src, "시행령")
        elif kind in ("규칙", "시행규칙"):
            ctx = self._family(src, "시행규칙")
        elif suffix:
            ctx = self._family(src, suffix)
        else:
            ctx = self._family(src, "법")
        if ctx is None:
            ctx = _LawCtx(None, m.group(), True)  # 같은 법 with nothing before it: law_missing
        elif ctx.known:
            ctx.law_text = m.group()  # an unknown law keeps its derived name ("사립학교법 시행령") for messages
        self.pending = _Pending(ctx, m.start(), m.end(), named=False)

    def on_this(self, m: re.Match[str]) -> None:
        self._flush_pending()
        src = self.default or self.context
        ctx = _LawCtx(src.law, m.group(), src.known, src.former) if src else _LawCtx(None, m.group(), True)
        self.pending = _Pending(ctx, m.start(), m.end(), named=False)

    def on_rel(self, m: re.Match[str]) -> None:
        word = m.group()
        kind = {"법": "법", "영": "시행령", "시행령": "시행령", "규칙": "시행규칙", "시행규칙": "시행규칙"}[word]
        if kind != "법" and word.startswith("시행"):
            # "민법 시행령", "사립학교법 시행령 제3조": the 시행령 of the law named right before it.
            p = self.pending
            if p is not None and p.named and not self.text[p.end : m.start()].strip():
                self.pending = None
                ctx = self._family(p.ctx, kind)
                if ctx is not None:
                    ctx.law_text = self.text[p.start : m.end()]
                    self.pending = _Pending(ctx, p.start, m.end(), named=True)
                    return
            self._flush_pending()
            found = self._unknown_before(self.last_end, m.start(), allow_paren=False)
            if found is not None:
                base, start = found
                name = f"{base.law_text} {word}"
                title = self.cat.match_title(name)
                ctx = _LawCtx(title, self.text[start : m.end()], title is not None, base.former)
                self.pending = _Pending(ctx, start, m.end(), named=True)
                return
        self._flush_pending()
        # 법/영/규칙 name the family of the statute being read (default_law); 시행령/시행규칙 alone more often
        # follow a law just cited ("국민건강보험법 제44조 및 시행령 제19조").
        order = (self.default, self.context) if word in ("법", "영", "규칙") else (self.context, self.default)
        ctx = None
        for src in order:
            ctx = self._family(src, kind)
            if ctx is not None:
                break
        if ctx is None:
            ctx = _LawCtx(None, word, True)
        else:
            ctx.relative = True
            if ctx.known:
                ctx.law_text = word
        self.pending = _Pending(ctx, m.start(), m.end(), named=False)

    def _unknown_before(self, gap_start: int, end: int, allow_paren: bool = True) -> tuple[_LawCtx, int] | None:
        """A law name the catalog does not know, written right before `end` (an article): "사립학교법 제30조",
        "생명윤리 및 안전에 관한 법률 제24조". Returns its context and where the name starts."""
        text = self.text
        tail = r"[ \t]*(?:\([^()\n]{0,120}\)[ \t]*)?(?:중[ \t]+)?$" if allow_paren else r"[ \t]*$"
        m = re.search(r"([가-힣A-Za-z0-9·ㆍ]+)" + tail, text[gap_start:end])
        if not m:
            return None
        word = m.group(1)
        name_end = gap_start + m.end(1)
        start = gap_start + m.start(1)
        prev = _WORD_BEFORE_RE.search(text, gap_start, start)
        # "…에 관한 법률", "…을 위한 특별법": the head word alone is generic; the title runs back over the words
        # before it.
        multiword = word in _MULTIWORD_HEADS and prev is not None and prev.group(1) in ("관한", "위한")
        # "OO법 일부개정법률 제2조" is the amending act's own article, not a statute in force
        if not _LAW_WORD_RE.search(word) or word.startswith(("같은", "동법")) or word.endswith("개정법률"):
            return None
        if word in _GENERIC_WORDS and not multiword:
            return None
        title = None if multiword else self.cat._known_suffix(word)
        if multiword:
            for _ in range(8):
                prev = _WORD_BEFORE_RE.search(text, gap_start, start)
                if not prev:
                    break
                w = prev.group(1)
                if w.endswith(_STOP_ENDINGS) or w in ("구", "舊", "현행"):
                    break
                start = prev.start(1)
            while True:  # "및 생명윤리 및 …": a leading connector belongs to the sentence, not the title
                lead = re.match(r"(\S+)[ \t]+", text[start:name_end])
                if lead and lead.group(1) in _LEADING_CONNECTORS:
                    start += lead.end()
                else:
                    break
        real_start = self._old_prefix_start(start)
        written = text[real_start:name_end]
        ctx = self._named_law(start, name_end, title, written)
        if title is None:
            ctx.law_text = text[start:name_end]  # without 구: suggestions and 시행령 lookups use the name
        return ctx, real_start

    def on_article(self, start: int, end: int, number: ArticleNumber, bare: bool = False) -> int:
        """Emit one article citation; returns where scanning continues."""
        text = self.text
        ctx: _LawCtx | None = None
        cite_start = start
        p = self.pending
        if p is not None and _ATTACH_GAP_RE.fullmatch(text, p.end, start):
            ctx, cite_start = p.ctx, p.start
            self.pending = None
        else:
            self._flush_pending()
            gap_start = self.last_end
            if _ADDENDUM_RE.search(text, max(gap_start, start - 40), start):
                return end  # 부칙 제2조: an addendum article, not the article of that number
            found = self._unknown_before(gap_start, start)
            if found is not None:
                ctx, cite_start = found
            elif self.context is not None and (
                not (self.context.relative or self.bare_means_default)
                or self.default is None
                or _LIST_GAP_RE.fullmatch(text, self.last_end, start)
            ):
                ctx = self.context
            else:
                ctx = self.default
            if ctx is None:
                ctx = _LawCtx(None, None, True)
            elif ctx.former and _CURRENT_RE.search(text, max(0, start - 6), start):
                # "구 근로기준법 제18조(현행 제2조 참조), 제34조": 현행 marks this one only
                current = _LawCtx(ctx.law, ctx.law_text, ctx.known, False, ctx.relative)
                detail, end = _detail_at(text, end)
                self._emit(current, cite_start, end, number, detail, keep_context=True)
                return end
        detail, end = _detail_at(text, end)
        self._emit(ctx, cite_start, end, number, detail)
        if bare:  # 민법 54조, 55조
            while m := _BARE_CONT_RE.match(text, end):
                n = ArticleNumber(int(m.group(1)), int(m.group(2) or 0))
                detail, cont_end = _detail_at(text, m.end())
                self._emit(ctx, m.start(1), cont_end, n, detail)
                end = cont_end
        return end

    def on_same_article(self, m: re.Match[str]) -> int:
        self._flush_pending()
        prev = self.last_ref
        if prev is None or prev.article is None:
            return m.end()  # "같은 조" with no article before it refers to nothing we can check
        detail, end = _detail_at(self.text, m.end())
        ctx = _LawCtx(prev.law, prev.law_text, prev.known_law, prev.former)
        self._emit(ctx, m.start(), end, prev.article, detail)
        return end

    def run(self) -> list[CitationRef]:
        text = self.text
        master = self.cat._master
        pos = 0
        while True:
            m = master.search(text, pos)
            if m is None:
                break
            pos = m.end()
            if m.group("quoted") is not None:
                self.on_quoted(m)
            elif m.group("sameart") is not None:
                pos = self.on_same_article(m)
            elif m.group("same") is not None:
                self.on_same(m)
            elif m.group("this") is not None:
                self.on_this(m)
            elif m.group("rel") is not None:
                self.on_rel(m)
            elif m.group("law") is not None:
                self.on_law(m)
            else:
                pos = self.on_article(m.start(), m.end(), _article_number(m.group()))
                continue
            # A law may be followed by an article number without 제 ("민법 54조").
            if self.pending is not None:
                b = _BARE_NUM_RE.match(text, self.pending.end)
                if b:
                    n = ArticleNumber(int(b.group(1)), int(b.group(2) or 0))
                    pos = self.on_article(b.start(1), b.end(), n, True)
        self._flush_pending()
        return self.refs


def statute_text_catalog(statutes: Iterable[tuple[Statute, bool]]) -> LawCatalog:
    """The catalog for reading statute text (citation graph, 위임 links, embedder pairs): statutes quote the laws
    they cite (「민법」), so unquoted names are not scanned for and the scan does not grow with the catalog
    (5,674 titles of the whole corpus made every article cost ~100x more)."""
    return LawCatalog(statutes, unquoted_names=False)


def find_citations(
    text: str, catalog: LawCatalog, default_law: str | None = None, bare_means_default: bool = False
) -> list[CitationRef]:
    """Every citation in `text`, in order: article citations and bare mentions of a named law (article None).

    A bare `제N조` takes the law of the previous citation, else `default_law`. With `bare_means_default=True`
    (statute text, where default_law is the statute being read) it takes the previous citation's law only
    inside a list (`「법인세법」 제55조 및 제56조`); elsewhere it is default_law's own article, as drafted.
    """
    if not text:
        return []
    return _Scanner(text, catalog, default_law, bare_means_default).run()


@dataclass(frozen=True)
class ParentReference:
    """A 시행령/시행규칙 article's citation of its parent: the 법률, or from a 시행규칙 also its 시행령."""

    law: str  # catalog title of the parent statute
    article: ArticleNumber
    raw: str  # the citation as written ("법 제44조", "영 제19조제1항", "같은 법 제5조")


def parent_references(text: str, law_title: str, catalog: LawCatalog) -> list[ParentReference]:
    """The parent articles that the text of an article of `law_title` (a 시행령/시행규칙) cites, in order,
    without duplicates; [] for any other statute.

    The citation scanner decides what each reference means, as everywhere else: `법 제44조` is the 법률 (the
    statute's own 제1조 defines `(이하 "법"이라 한다)`), `영 제19조` in a 시행규칙 is the 시행령, `같은 법`/`동법`
    is the law cited just before (a parent reference only when that law is the parent), `이 법`/`이 영` is the
    statute itself, and a named law (`「민법」 제3조`) is that law. A former version (`구 법 제5조`) is not the
    parent's text and is left out.
    """
    base = parent_law_title(law_title)
    if base is None or "조" not in text:
        return []
    cached = catalog._parent_cache.get((law_title, text))
    if cached is None:
        cached = tuple(_scan_parent_references(text, law_title, base, catalog))
        if len(catalog._parent_cache) > 4096:
            catalog._parent_cache.clear()
        catalog._parent_cache[(law_title, text)] = cached
    return list(cached)


def _scan_parent_references(text: str, law_title: str, base: str, catalog: LawCatalog) -> list[ParentReference]:
    names = [base, f"{base} 시행령"] if law_title.endswith("시행규칙") else [base]
    parents = {t for t in map(catalog.match_title, names) if t is not None}
    if not parents:
        return []
    out: list[ParentReference] = []
    seen: set[tuple[str, ArticleNumber]] = set()
    for ref in find_citations(text, catalog, default_law=law_title, bare_means_default=True):
        if ref.article is None or ref.former or ref.law is None or ref.law not in parents:
            continue
        key = (ref.law, ref.article)
        if key not in seen:
            seen.add(key)
            out.append(ParentReference(ref.law, ref.article, ref.raw))
    return out


def find_law_mentions(text: str, catalog: LawCatalog) -> list[str]:
    """Catalog titles named anywhere in `text` ("근로기준법상 통상임금" -> ["근로기준법"]), in order of first
    appearance, no duplicates. At each place the longest title wins (국민건강보험법 시행령, not 국민건강보험법)."""
    out: list[str] = []
    for m in catalog._master.finditer(text or ""):
        title = None
        if m.group("quoted") is not None:
            title = catalog.match_title(m.group()[1:-1])
        elif m.group("law") is not None:
            title = catalog._title_of_surface(m.group())
        if title and title not in out:
            out.append(title)
    return out


# -- resolving --


def _has_batchim(word: str) -> bool:
    """Whether the last sound of `word` ends in a consonant (을/를, 은/는). Digits are read in Korean."""
    for ch in reversed(word):
        if "가" <= ch <= "힣":
            return (ord(ch) - 0xAC00) % 28 != 0
        if ch.isdigit():
            return ch in "013678"  # 영 일 삼 육 칠 팔
        if ch.isalpha():
            return False
    return False


def _obj(word: str) -> str:
    return word + ("을" if _has_batchim(word) else "를")


def _label(ref: CitationRef) -> str:
    art = ref.article.label if ref.article else ""
    return art + (f" {ref.detail}" if ref.detail else "")


def _pending_note(choice: VersionChoice, as_of: date) -> str:
    eff = choice.statute.effective.isoformat() if choice.statute.effective else "?"
    return (
        f" [시행 예정 {eff}: 기준일 {as_of.isoformat()} 현재 시행 중인 조문은 이 코퍼스에 없습니다 / "
        f"pending: in force from {eff}; the text in force on {as_of.isoformat()} is not in this corpus]"
    )


_FORMER_NOTE = " [구법 인용: 현행 조문과 다를 수 있습니다 / cites a former version; the current text may differ]"


def _version_preference(c: VersionChoice) -> tuple[bool, bool, bool, int]:
    eff = c.statute.effective.toordinal() if c.statute.effective else 0
    return (c.repeal_stub, c.statute.kind == "군정법령", c.pending, -eff)


def _nearby_articles(store: ArticleStore, statute: Statute, number: ArticleNumber, n: int = 5) -> list[str]:
    numbers = []
    for a in store.articles_of(statute.mst):
        try:
            numbers.append(ArticleNumber.parse(a.number))
        except ValueError:
            continue
    numbers.sort(key=lambda x: (abs(x.main - number.main) * 1000 + abs(x.sub - number.sub), x))
    return [f"「{statute.title}」 {x.label}" for x in numbers[:n]]


def _resolve_one(
    ref: CitationRef,
    by_title: dict[str, list[VersionChoice]],
    catalog: LawCatalog,
    store: ArticleStore,
    as_of: date,
) -> ResolvedCitation:
    former = _FORMER_NOTE if ref.former else ""
    if ref.law is None:
        if not ref.known_law:
            name = re.sub(r"^(?:구|舊)\s*", "", ref.law_text or "")
            return ResolvedCitation(
                ref, "law_not_found", None, None, False, catalog.suggest(name),
                f"「{name}」{'을' if _has_batchim(name) else '를'} 찾을 수 없습니다 / law not found in this corpus",
            )
        return ResolvedCitation(
            ref, "law_missing", None, None, False, [],
            f"{_label(ref)}: 법령명이 없어 어느 법의 조문인지 알 수 없습니다 / law not named",
        )
    choices = by_title.get(ref.law) or by_title.get(law_key(ref.law)) or []
    if not choices:
        return ResolvedCitation(
            ref, "law_not_found", None, None, False, catalog.suggest(ref.law),
            f"「{ref.law}」{'을' if _has_batchim(ref.law) else '를'} 색인에서 찾을 수 없습니다 / law not in the index",
        )
    live = sorted([c for c in choices if not c.repeal_stub] or choices, key=_version_preference)
    best = live[0]
    if ref.article is None:
        note = _pending_note(best, as_of) if best.pending else ""
        return ResolvedCitation(ref, "found", None, best.statute, best.pending, [],
                                f"「{ref.law}」 / law found{note}{former}")
    for c in live:
        art = store.find_article(c.statute.mst, ref.article)
        if art is not None:
            note = _pending_note(c, as_of) if c.pending else ""
            title = f"({art.title})" if art.title else ""
            deleted = " [삭제된 조문 / deleted article]" if art.deleted else ""
            return ResolvedCitation(
                ref, "found", art.doc_id, c.statute, c.pending, [],
                f"「{ref.law}」 {_label(ref)}{title} / found{deleted}{note}{former}",
            )
    label = ref.article.label
    return ResolvedCitation(
        ref, "article_not_found", None, best.statute, best.pending,
        _nearby_articles(store, best.statute, ref.article),
        f"「{ref.law}」 {_obj(label)} 찾을 수 없습니다 / article not found{former}",
    )


# store -> as_of -> title (and law_key) -> version choices. A store is read-only for its lifetime (a new index
# is published as a new store), so the choice for a date never changes; this keeps per-question cost to the
# article look-ups.
_VERSION_CACHE: weakref.WeakKeyDictionary[ArticleStore, dict[date, dict[str, list[VersionChoice]]]] = (
    weakref.WeakKeyDictionary()
)


def _versions_by_title(store: ArticleStore, as_of: date) -> dict[str, list[VersionChoice]]:
    per_store = _VERSION_CACHE.setdefault(store, {})
    cached = per_store.get(as_of)
    if cached is None:
        by_title: dict[str, list[VersionChoice]] = defaultdict(list)
        for choice in select_versions(store.statutes(), as_of).values():
            by_title[choice.statute.title].append(choice)
            if law_key(choice.statute.title) != choice.statute.title:
                by_title[law_key(choice.statute.title)].append(choice)
        if len(per_store) > 64:
            per_store.clear()
        cached = per_store[as_of] = dict(by_title)
    return cached


def resolve_citations(
    text: str,
    catalog: LawCatalog,
    store: ArticleStore,
    as_of: date,
    default_law: str | None = None,
    include_mentions: bool = False,
    bare_means_default: bool = False,
) -> list[ResolvedCitation]:
    """Resolve every citation in `text` against the store as of `as_of`.

    Article citations are always returned, whatever their status; unknown laws are reported even when named
    without an article. A bare mention of a known law (no article, so no doc_id) is returned only with
    `include_mentions=True` (status "found", doc_id None); find_law_mentions() serves that purpose too.
    """
    refs = find_citations(text, catalog, default_law, bare_means_default=bare_means_default)
    if not refs:
        return []
    by_title = _versions_by_title(store, as_of)
    out = []
    for ref in refs:
        if ref.article is None and ref.known_law and not include_mentions:
            continue
        out.append(_resolve_one(ref, by_title, catalog, store, as_of))
    return out


def iter_found(resolved: Iterable[ResolvedCitation]) -> Iterator[ResolvedCitation]:
    """The resolved citations that point at an article (doc_id set), duplicates removed."""
    seen: set[str] = set()
    for r in resolved:
        if r.doc_id and r.doc_id not in seen:
            seen.add(r.doc_id)
            yield r


# -- article numbers as other Korean law tools accept them --

_SECTION_SIGN_RE = re.compile(r"§[ \t]*(\d{1,5})(?:[ \t]*(?:의|-)[ \t]*(\d{1,3}))?(?![\d-])(?:[ \t]*조)?")
# 제839-2 (not 제2020-12호, a numbered notice)
_DASHED_RE = re.compile(r"제[ \t]*(\d{1,5})[ \t]*(?:조[ \t]*)?-[ \t]*(\d{1,3})(?![\d-]|[ \t]*(?:호|항|번|차|년|월|일))")
# After a law name: `민법 839-2`, `민법 750` (not a year, an amount, a date or a list of numbers).
_AFTER_LAW_RE = re.compile(
    r"[ \t]+(\d{1,5})(?:[ \t]*-[ \t]*(\d{1,3}))?(?![\d.,\-]|[ \t]*(?:년|월|일|원|%|조|항|호|세|명|개|번|회))"
)


def _canonical(main: str, sub: str | None) -> str:
    return f"제{int(main)}조" + (f"의{int(sub)}" if sub else "")


def normalize_article_forms(text: str, catalog: LawCatalog) -> str:
    """Rewrite the article-number forms other Korean law tools accept into `제N조의M`, so that the one
    resolver reads them: `§839의2`, `§ 750`, `제839-2`, and a bare number right after a law name
    (`민법 839-2`, `민법 750`). Anything else is left as written."""
    text = _SECTION_SIGN_RE.sub(lambda m: _canonical(m.group(1), m.group(2)), text)
    text = _DASHED_RE.sub(lambda m: _canonical(m.group(1), m.group(2)), text)
    out: list[str] = []
    pos = 0
    for m in catalog._master.finditer(text):
        if m.group("quoted") is None and m.group("law") is None:
            continue
        if m.group("quoted") is not None and catalog.match_title(m.group()[1:-1]) is None:
            continue
        after = _AFTER_LAW_RE.match(text, m.end())
        if after is None:
            continue
        out.append(text[pos:m.end()] + " " + _canonical(after.group(1), after.group(2)))
        pos = after.end()
    return "".join(out) + text[pos:]
