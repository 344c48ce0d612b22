"""Article-level 시행일 from the latest 부칙, on real statute text from the shared corpus, and its use on a date."""

from __future__ import annotations

import html
import re
from datetime import date
from pathlib import Path

import pytest

pytest.register_assert_rewrite("index_fixture")

from index_fixture import make_settings, wait_ready  # noqa: E402

from app.web import CSRF_FIELD  # noqa: E402
from ingest.build import IngestOptions, build_index  # noqa: E402
from ingest.markdown_source import parse_markdown_file  # noqa: E402
from legal_rag.addenda import _MAIN_RE, _provision, after_promulgation, latest_block, when_date  # noqa: E402
from legal_rag.articles import Article, ParseReport  # noqa: E402
from legal_rag.search.engine import Engine  # noqa: E402
from legal_rag.versions import article_state, select_versions  # noqa: E402


def _parse(law_dir: Path, rel: str) -> tuple[ParseReport, dict[str, Article]]:
    report = parse_markdown_file(law_dir / rel)
    assert report.error is None and report.statute is not None
    return report, {a.number: a for a in report.articles}


def test_named_articles_get_their_own_date(law_dir: Path) -> None:
    """국민연금법 부칙 <제21689호,2026.5.26>: `이 법은 공포한 날부터 시행한다. 다만, 제100조의5 및 제100조의6의
    개정규정은 2027년 1월 1일부터 시행한다.`"""
    report, arts = _parse(law_dir, "국민연금법/법률.md")
    assert report.statute.effective == date(2026, 5, 26)  # type: ignore[union-attr]
    for n in ("제100조의5", "제100조의6"):
        assert arts[n].effective == date(2027, 1, 1)
        assert arts[n].effective_note == f"{n}: 2027-01-01 시행 (부칙 <제21689호,2026.5.26>)"
    assert arts["제1조"].effective is None and arts["제1조"].effective_note == ""
    assert sum(a.effective is not None for a in arts.values()) == 2


def test_ranges_parts_and_computed_dates(law_dir: Path) -> None:
    """고용보험법 부칙 <제21473호,2026.3.17>: 제11조제2항ㆍ제3항 … 공포한 날부터, 제75조부터 제77조까지 … 공포 후
    6개월이 경과한 날부터, 제10조 및 제18조제1항 단서 … 2027년 1월 1일부터."""
    _, arts = _parse(law_dir, "고용보험법/법률.md")
    for n in ("제75조", "제75조의2", "제76조", "제76조의2", "제77조"):
        assert arts[n].effective == date(2026, 9, 18), n  # 2026-03-17 + 6개월, the day after the period
    assert arts["제77조의2"].effective is None and not arts["제77조의2"].effective_note  # after 제77조: outside
    assert arts["제74조"].effective is None
    assert arts["제10조"].effective == date(2027, 1, 1)
    # part of an article: shown, not used for the whole article's date
    assert arts["제18조"].effective is None
    assert arts["제18조"].effective_note == "제18조제1항 단서: 2027-01-01 시행 (부칙 <제21473호,2026.3.17>)"
    assert arts["제11조"].effective is None
    assert arts["제11조"].effective_note == "제11조제2항ㆍ제3항: 2026-03-17 시행 (부칙 <제21473호,2026.3.17>)"


def test_dates_that_cannot_be_computed_point_to_the_addenda(law_dir: Path) -> None:
    _, local = _parse(law_dir, "지방세법/법률.md")  # `… 대통령령으로 정하는 날부터 시행한다`
    assert local["제52조"].effective is None
    assert local["제52조"].effective_note == "제52조제1항: 시행일은 부칙 <제21308호,2025.12.31> 참조"
    assert [local[n].effective for n in ("제142조", "제143조", "제144조")] == [date(2026, 7, 1)] * 3
    # 상법: `다만, 법률 제20991호 상법 일부개정법률 제542조의14 … 의 개정규정은 2027년 1월 1일부터` is about
    # another act's amendment: a note, no date
    _, commercial = _parse(law_dir, "상법/법률.md")
    for n in ("제542조의14", "제542조의16"):
        assert commercial[n].effective is None
        assert commercial[n].effective_note == f"{n}: 시행일은 부칙 <제21448호,2026.3.6> 참조"
    # quoted text inside a clause names nothing: 전자상거래법 item 2 quotes "제20조의5제1항부터 …" in 제32조
    _, ecommerce = _parse(law_dir, "전자상거래등에서의소비자보호에관한법률/법률.md")
    assert ecommerce["제20조의5"].effective == date(2027, 1, 21)
    assert ecommerce["제6조"].effective_note.startswith("제6조제2항: 2026-01-20 시행")  # item `공포한 날`


def test_only_the_latest_block_counts(law_dir: Path) -> None:
    """국민건강보험법: the 2024 block's `다만, 제72조제1항의 개정규정은 공포 후 3개월이 경과한 날부터` is history;
    the version's own block (부칙 <제21235호,2025.12.23>) names no article. 국민건강보험법's version comes from
    an amendment of its own; 근로기준법's from another act (`부칙(고용보험 및 …) <제21472호,…>`): nothing."""
    report, arts = _parse(law_dir, "국민건강보험법/법률.md")
    assert any("제72조제1항의 개정규정은 공포 후 3개월" in a.text for a in report.articles if a.is_addendum)
    assert not any(a.effective or a.effective_note for a in arts.values())
    block = latest_block(report.statute, report.articles)  # type: ignore[arg-type]
    assert block is not None and block.number == "부칙 <제21235호,2025.12.23>"
    labor, labor_arts = _parse(law_dir, "근로기준법/법률(법률).md")
    assert latest_block(labor.statute, labor.articles) is None  # type: ignore[arg-type]
    assert not any(a.effective_note for a in labor_arts.values())


def test_every_computable_main_date_is_the_versions_date(law_dir: Path) -> None:
    """The block chosen and the period arithmetic agree with the corpus: where the block's `이 법은 …부터
    시행한다` can be computed, it gives the 시행일자 legalize-kr records (e.g. 국민건강보험법 2025-12-23 + 1년 ->
    2026-12-24)."""
    checked = 0
    for path in sorted(law_dir.glob("*/*.md")):
        report = parse_markdown_file(path)
        block = latest_block(report.statute, report.articles)  # type: ignore[arg-type]
        if block is None:
            continue
        m = _MAIN_RE.search(" ".join(_provision(block)))
        when = when_date(m.group("when"), report.statute) if m else None  # type: ignore[arg-type]
        if when is not None:
            assert when == report.statute.effective, path  # type: ignore[union-attr]
            checked += 1
    assert checked >= 50


def test_period_arithmetic() -> None:
    assert after_promulgation(date(2025, 12, 23), 1, "년") == date(2026, 12, 24)
    assert after_promulgation(date(2024, 2, 20), 3, "개월") == date(2024, 5, 21)
    assert after_promulgation(date(2024, 1, 30), 1, "개월") == date(2024, 3, 1)  # no 31 Feb: ends with February
    assert after_promulgation(date(2024, 2, 29), 1, "개월") == date(2024, 4, 1)
    assert after_promulgation(date(2025, 11, 30), 1, "개월") == date(2026, 1, 1)
    assert after_promulgation(date(2026, 3, 12), 30, "일") == date(2026, 4, 12)


def test_article_state_on_a_date(law_dir: Path) -> None:
    pension, p_arts = _parse(law_dir, "국민연금법/법률.md")
    rows = [(pension.statute, False)]
    law_id = pension.statute.law_id  # type: ignore[union-attr]
    before = article_state(select_versions(rows, date(2026, 6, 1))[law_id], p_arts["제100조의5"])
    assert before.pending and before.effective == "2027-01-01" and "기준일 현재 시행 예정" in before.note
    after = article_state(select_versions(rows, date(2027, 1, 1))[law_id], p_arts["제100조의5"])
    assert not after.pending and "기준일 현재 시행" in after.note
    assert article_state(select_versions(rows, date(2026, 6, 1))[law_id], p_arts["제1조"]).pending is False
    # 고용보험법's version is pending until 2028, but 제75조 is in force from 2026-09-18
    emp, e_arts = _parse(law_dir, "고용보험법/법률.md")
    choice = select_versions([(emp.statute, False)], date(2026, 10, 1))[emp.statute.law_id]  # type: ignore[union-attr]
    assert choice.pending
    assert article_state(choice, e_arts["제75조"]).pending is False
    assert article_state(choice, e_arts["제74조"]).pending is True
    part = article_state(choice, e_arts["제18조"])  # a part's date does not decide the whole article
    assert part.pending is True and "제18조제1항 단서: 2027-01-01" in part.note and part.effective == ""


@pytest.fixture(scope="module")
def dated_index(law_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("dated")
    corpus = root / "corpus"
    for rel in ("국민연금법/법률.md", "고용보험법/법률.md"):
        (corpus / rel).parent.mkdir(parents=True, exist_ok=True)
        (corpus / rel).symlink_to(law_dir / rel)
    out = root / "index" / "dated"
    build_index(IngestOptions(corpus=[corpus], out=out, embedder="none", progress=False))
    return out


def test_search_hits_carry_the_article_date(dated_index: Path) -> None:
    engine = Engine(dated_index)
    try:
        hit = engine.get_article("국민연금법", "제100조의5", date(2026, 6, 1))
        assert hit is not None and hit.pending and hit.article_effective == "2027-01-01"
        assert "제100조의5: 2027-01-01 시행" in hit.note
        hit = engine.get_article("국민연금법", "제100조의5", date(2027, 1, 1))
        assert hit is not None and not hit.pending and hit.article_effective == "2027-01-01"
        plain = engine.get_article("국민연금법", "제1조", date(2026, 6, 1))
        assert plain is not None and plain.article_effective == "" and not plain.pending
        resp = engine.search("「고용보험법」 제75조, 「고용보험법」 제74조", as_of=date(2026, 10, 1))
        by_article = {h.article: h for h in resp.hits}
        assert by_article["제75조"].pending is False and by_article["제75조"].article_effective == "2026-09-18"
        assert by_article["제74조"].pending is True and by_article["제74조"].article_effective == ""
        assert "article_effective" in resp.model_dump_json()
    finally:
        engine.close()


def test_web_card_shows_the_article_date(dated_index: Path) -> None:
    from fastapi.testclient import TestClient

    from app.service import create_app

    app = create_app(make_settings(dated_index))  # type: ignore[arg-type]
    with TestClient(app, client=("127.0.0.1", 50000)) as client:
        wait_ready(client)
        page = client.get("/").text
        token = html.unescape(re.search(rf'name="{CSRF_FIELD}" value="([^"]+)"', page).group(1))  # type: ignore[union-attr]
        r = client.post("/ask", data={"question": "「국민연금법」 제100조의5", "law": "", "as_of": "2026-06-01",
                                      CSRF_FIELD: token})
        assert r.status_code == 200
        text = html.unescape(r.text)
        card = re.search(r'<article class="article[^"]*" data-doc-id="[^"]*:제100조의5">(.*?)</article>', text, re.S)
        assert card is not None
        assert "시행 예정 2027-01-01" in card.group(1)
        assert "이 조문 2027-01-01" in card.group(1) and "제100조의5: 2027-01-01 시행" in card.group(1)
