"""Which version of a statute applies on a date (design notes, "Versions and dates").

Rule for an as-of date D: the newest version whose 시행일자 <= D; when the corpus holds none, the earliest
pending version, flagged (its text is not yet in force on D). A statute is identified by its 법령ID: two
statutes with the same title (근로기준법 `법률.md`, a 1997 repeal stub, and `법률(법률).md`, the live law)
are two statutes, not two versions.

Versions with the same 시행일자 are ordered by 공포일자, then by 법령MST, so the choice never depends on the
order the store returns rows in. A version whose 상태 is 폐지 ends the statute: once it is in force the statute
is repealed on D (chosen, flagged `repealed`, and kept out of retrieval like a repeal stub); a repeal that is
only pending never stands in for text to come.

"Today" is the date in Korea (`today_kst`): statutes take effect at 0시 Korean time, and a server running on
UTC would otherwise serve yesterday's law for the first nine hours of every Korean day.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from legal_rag.articles import Article, Statute

REPEALED = "폐지"

try:
    from zoneinfo import ZoneInfo

    KST: timezone | ZoneInfo = ZoneInfo("Asia/Seoul")
except Exception:  # no tz database on the host: Korea has kept UTC+9 without daylight saving since 1988
    KST = timezone(timedelta(hours=9), "KST")


def today_kst(now: datetime | None = None) -> date:
    """Today's date in Asia/Seoul (of `now`, an aware datetime, when given)."""
    return (now or datetime.now(tz=KST)).astimezone(KST).date()


@dataclass(frozen=True)
class VersionChoice:
    statute: Statute
    pending: bool  # True: 시행 예정 — the text in force on the date is not in this corpus
    repeal_stub: bool = False  # never served as live law: a repeal stub file, or a statute repealed (폐지) on the date
    repealed: bool = False  # the version in force on the date has 상태 폐지
    as_of: date | None = None  # the date it was chosen for

    @property
    def note(self) -> str:
        if self.repealed:
            when = f" ({self.statute.effective.isoformat()})" if self.statute.effective else ""
            return f"폐지된 법령입니다{when}: 기준일 현재 시행 중이 아닙니다"
        if self.pending and self.statute.effective:
            return f"시행 예정 {self.statute.effective.isoformat()}: 기준일 현재 시행 중인 조문은 이 코퍼스에 없습니다"
        return ""


def _mst_order(mst: str) -> tuple[int, int, str]:
    """법령MST order: numeric MSTs by value (9 < 10), others (PDF versions) after them by text."""
    return (0, int(mst), "") if mst.isdigit() else (1, 0, mst)


def _order(v: tuple[Statute, bool]) -> tuple[date, date, tuple[int, int, str]]:
    st = v[0]
    return (st.effective or date.min, st.promulgated or date.min, _mst_order(st.mst))


def is_repealed(statute: Statute) -> bool:
    return statute.status.replace(" ", "") == REPEALED


def select_versions(statutes: Iterable[tuple[Statute, bool]], as_of: date) -> dict[str, VersionChoice]:
    """law_id -> the version that applies on `as_of`."""
    by_id: dict[str, list[tuple[Statute, bool]]] = defaultdict(list)
    for statute, stub in statutes:
        by_id[statute.law_id].append((statute, stub))
    out: dict[str, VersionChoice] = {}
    for law_id, versions in by_id.items():
        in_force = [v for v in versions if v[0].effective is None or v[0].effective <= as_of]
        if in_force:
            st, stub = max(in_force, key=_order)
            repealed = is_repealed(st)
            out[law_id] = VersionChoice(st, False, stub or repealed, repealed, as_of)
        else:
            texts = [v for v in versions if not is_repealed(v[0])] or versions
            st, stub = min(texts, key=_order)
            repealed = is_repealed(st)
            out[law_id] = VersionChoice(st, True, stub or repealed, repealed, as_of)
    return out


def earlier_versions(statute_rows: Iterable[tuple[Statute, bool]], choice: VersionChoice) -> list[Statute]:
    """Versions of the chosen statute (same 법령ID) older than the chosen one and in force by then, newest first:
    where the text of an article whose own 시행일 has not come yet is still found."""
    chosen = (choice.statute, False)
    older = [v for v in statute_rows if v[0].law_id == choice.statute.law_id and not v[1]
             and not is_repealed(v[0]) and _order(v) < _order(chosen)]
    return [st for st, _ in sorted(older, key=_order, reverse=True)]


@dataclass(frozen=True)
class ArticleState:
    """How one article of a chosen version stands on the as-of date."""

    pending: bool  # its text is not in force on the date
    note: str  # what to tell the reader ("" when nothing)
    effective: str  # the article's own 시행일 (YYYY-MM-DD) when the 부칙 sets one, else ""


def article_state(choice: VersionChoice | None, article: Article) -> ArticleState:
    """The version's pending flag and note, refined by the article's own 시행일 from the 부칙.

    An article whose 시행일 the latest 부칙 sets for the whole article is in force from that date whatever the
    version's 시행일자 (`공포한 날부터 시행한다. 다만, 제100조의5의 개정규정은 2027년 1월 1일부터`); one whose
    date is partial (a 항 or 단서) or not computable keeps the version's flag and carries the 부칙's note.
    """
    own = choice is not None and choice.statute.mst == article.mst
    pending = bool(own and choice and choice.pending)
    version_note = choice.note if own and choice and (pending or choice.repealed) else ""
    if article.effective is None:
        notes = [n for n in (version_note, article.effective_note) if n]
        return ArticleState(pending, " / ".join(notes), "")
    if own and choice and not choice.repealed and choice.as_of is not None:
        pending = article.effective > choice.as_of
        when = "시행 예정" if pending else "시행"
        note = f"{article.effective_note} — 기준일 현재 {when}" if article.effective_note else ""
        return ArticleState(pending, note, article.effective.isoformat())
    notes = [n for n in (version_note, article.effective_note) if n]
    return ArticleState(pending, " / ".join(notes), article.effective.isoformat())
