"""An article whose own 시행일 (from the 부칙) lies after the as-of date shows the text of the earlier version
in force, when the corpus holds that version; otherwise the amended text with its note (real 국민연금법)."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from ingest.build import IngestOptions, build_index

OLD_MARK = "(종전 조문: 시험용 구판)"


def _front(text: str, key: str, value: str) -> str:
    new, n = re.subn(rf"(?m)^{re.escape(key)}:.*$", f"{key}: {value}", text, count=1)
    assert n == 1
    return new


@pytest.fixture(scope="module")
def pension_engine(law_dir: Path, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from legal_rag.search.engine import Engine

    root = tmp_path_factory.mktemp("pension")
    law = root / "corpus" / "kr" / "국민연금법"
    law.mkdir(parents=True)
    live = (law_dir / "국민연금법" / "법률.md").read_text(encoding="utf-8")
    # 부칙 <제21689호,2026.5.26>: 공포한 날부터 시행, 다만 제100조의5·제100조의6은 2027-01-01부터.
    assert "공포일자: 2026-05-26" in live and "제100조의5 및 제100조의6의 개정규정은 2027년 1월 1일부터" in live
    (law / "법률.md").write_text(live, encoding="utf-8")
    # The version before it (another 법령MST, in force from 2025-01-01), its 제100조의5 marked so it can be told apart.
    old = _front(_front(_front(live, "법령MST", "990101"), "시행일자", "2025-01-01"), "공포일자", "2024-12-31")
    old = old.replace("국가는 가입대상 중 18세 이상", f"{OLD_MARK} 국가는 가입대상 중 18세 이상", 1)
    assert OLD_MARK in old
    (law / "법률-2025.md").write_text(old, encoding="utf-8")
    out = root / "index"
    build_index(IngestOptions(corpus=[root / "corpus"], out=out, embedder="none", progress=False))
    engine = Engine(out)
    yield engine
    engine.close()


def test_before_its_own_date_the_earlier_text_is_shown(pension_engine) -> None:  # type: ignore[no-untyped-def]
    hit = pension_engine.get_article("국민연금법", "제100조의5", as_of=date(2026, 6, 1))
    assert OLD_MARK in hit.text and not hit.pending
    assert hit.article_effective == "2027-01-01"
    assert "2027-01-01 시행" in hit.note and "종전 조문(시행 2025-01-01 판)" in hit.note
    # Any other article of the version is its own text: the version itself is in force since 2026-05-26.
    other = pension_engine.get_article("국민연금법", "제1조", as_of=date(2026, 6, 1))
    assert other.effective == "2026-05-26" and "종전" not in other.note


def test_from_its_own_date_the_amended_text_applies(pension_engine) -> None:  # type: ignore[no-untyped-def]
    hit = pension_engine.get_article("국민연금법", "제100조의5", as_of=date(2027, 1, 1))
    assert OLD_MARK not in hit.text and "국가는 가입대상 중 18세 이상" in hit.text
    assert not hit.pending and "기준일 현재 시행" in hit.note


def test_search_shows_the_text_in_force_too(pension_engine) -> None:  # type: ignore[no-untyped-def]
    hits = pension_engine.search("「국민연금법」 제100조의5", top_k=3, as_of=date(2026, 6, 1)).hits
    assert hits[0].article == "제100조의5" and OLD_MARK in hits[0].text
