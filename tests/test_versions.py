"""Version choice on real statutes: 폐지, ties ordered by 공포일자 then 법령MST, and "today" in Korea."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from ingest.markdown_source import parse_markdown_file
from legal_rag.articles import Statute
from legal_rag.versions import select_versions, today_kst

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def labor(law_dir: Path) -> tuple[Statute, Statute]:
    """근로기준법: the live law (법령ID 001872) and the 1997 repeal stub of the same title."""
    live = parse_markdown_file(law_dir / "근로기준법/법률(법률).md").statute
    stub = parse_markdown_file(law_dir / "근로기준법/법률.md").statute
    assert live is not None and stub is not None and live.law_id != stub.law_id
    return live, stub


def test_repealed_version_ends_the_statute(labor: tuple[Statute, Statute]) -> None:
    live, _ = labor
    assert live.status == "시행" and live.effective == date(2027, 1, 1)
    repeal = replace(live, mst="990100", status="폐지", effective=date(2030, 1, 1), promulgated=date(2029, 6, 1))
    rows = [(live, False), (repeal, False)]
    before = select_versions(rows, date(2029, 12, 31))[live.law_id]
    assert before.statute.mst == live.mst and not before.repealed and not before.repeal_stub
    after = select_versions(rows, date(2030, 1, 1))[live.law_id]
    assert after.statute.mst == "990100" and after.repealed
    assert after.repeal_stub  # kept out of retrieval, as the retriever and the law list skip stubs
    assert "폐지" in after.note and "2030-01-01" in after.note
    # a pending repeal never stands in for the text to come: the earliest pending text is chosen
    early = select_versions(rows, date(2026, 1, 1))[live.law_id]
    assert early.pending and early.statute.mst == live.mst and not early.repealed


def test_ties_on_effective_date_are_ordered_by_promulgation_then_mst(labor: tuple[Statute, Statute]) -> None:
    live, _ = labor
    a = replace(live, mst="284443", promulgated=date(2026, 3, 17))
    b = replace(live, mst="284444", promulgated=date(2026, 3, 10))  # same 시행일자, promulgated earlier
    c = replace(live, mst="1000000", promulgated=date(2026, 3, 17))  # same dates, larger MST (by value)
    for order in ([a, b, c], [c, b, a], [b, c, a]):
        got = select_versions([(s, False) for s in order], date(2027, 6, 1))[live.law_id]
        assert got.statute.mst == "1000000"
        pending = select_versions([(s, False) for s in order], date(2026, 6, 1))[live.law_id]
        assert pending.pending and pending.statute.mst == "284444"  # earliest by 공포일자
    got = select_versions([(a, False), (b, False)], date(2027, 6, 1))[live.law_id]
    assert got.statute.mst == "284443"  # later 공포일자 wins over the larger MST


def test_two_statutes_of_one_title_stay_two(labor: tuple[Statute, Statute]) -> None:
    live, stub = labor
    chosen = select_versions([(live, False), (stub, True)], date(2027, 6, 1))
    assert set(chosen) == {live.law_id, stub.law_id} and chosen[stub.law_id].repeal_stub


def test_today_is_the_date_in_seoul() -> None:
    # 20:00 UTC on 16 March is 05:00 on 17 March in Seoul: a statute in force from the 17th applies
    assert today_kst(datetime(2026, 3, 16, 20, 0, tzinfo=UTC)) == date(2026, 3, 17)
    assert today_kst(datetime(2026, 3, 16, 14, 59, tzinfo=UTC)) == date(2026, 3, 16)
    assert today_kst(datetime(2026, 3, 16, 23, 30, tzinfo=timezone(timedelta(hours=-5)))) == date(2026, 3, 17)
    assert today_kst() == datetime.now(UTC).astimezone(timezone(timedelta(hours=9))).date()


def test_no_server_local_today_left() -> None:
    """Every "today" for statutes goes through today_kst (date.today() is the server's date)."""
    offenders = []
    for package in ("legal_rag", "app", "ingest", "bench"):
        for path in (REPO / package).rglob("*.py"):
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if re.search(r"\bdate\.today\(\)", line):
                    offenders.append(f"{path.relative_to(REPO)}:{n}")
    assert offenders == []
