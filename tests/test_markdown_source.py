"""The legalize-kr Markdown parser on real statute text."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from ingest.markdown_source import parse_markdown_file, parse_statute_markdown
from legal_rag.articles import ArticleNumber
from legal_rag.store import is_repeal_stub


def _article(law_dir: Path, rel: str, number: str):
    report = parse_markdown_file(law_dir / rel)
    assert report.error is None, report.error
    return report.statute, next(a for a in report.articles if a.number == number and not a.is_addendum)


def test_civil_code_article_54_title_and_paragraphs(law_dir: Path) -> None:
    statute, a = _article(law_dir, "민법/법률.md", "제54조")
    assert statute.title == "민법" and statute.law_id == "001706" and statute.kind == "법률"
    assert a.title == "설립등기 이외의 등기의 효력과 등기사항의 공고"
    assert [p.marker for p in a.paragraphs] == ["①", "②"]
    assert a.paragraphs[0].text.startswith("설립등기 이외의 본절의 등기사항은")
    assert a.chapter_path == ("제1편 총칙", "제3장 법인", "제2절 설립")
    assert a.header == "「민법」 제54조(설립등기 이외의 등기의 효력과 등기사항의 공고)"


def test_health_insurance_article_44_items_and_amendment_notes(law_dir: Path) -> None:
    statute, a = _article(law_dir, "국민건강보험법/법률.md", "제44조")
    assert statute.effective == date(2026, 12, 24)  # a pending version in the shared snapshot
    assert a.title == "비용의 일부부담"
    assert [p.marker for p in a.paragraphs] == ["①", "②", "③", "④"]
    assert "1. 본인일부부담금의 총액" in a.paragraphs[1].text  # 호 kept inside its 항, markdown escape removed
    assert "<개정 2016.3.22>" in a.amendments
    assert "\\." not in a.text


def test_bold_division_lines_are_chapters_not_article_text(law_dir: Path) -> None:
    """민법 제4편 제3관 divides into `**제1항 협의상 파양**` / `**제2항 재판상 파양**` (bold lines, not headings)."""
    report = parse_markdown_file(law_dir / "민법/법률.md")
    by_number = {a.number: a for a in report.articles if not a.is_addendum}
    base = ("제4편 친족", "제4장 부모와 자", "제2절 양자(養子)", "제3관 파양(罷養)")
    assert by_number["제898조"].chapter_path == (*base, "제1항 협의상 파양")
    assert by_number["제904조"].chapter_path == (*base, "제1항 협의상 파양")
    assert "재판상 파양" not in by_number["제904조"].text  # the next division's line is not glued to the article
    assert by_number["제904조"].text.endswith("제878조를 준용한다.")
    assert by_number["제905조"].chapter_path == (*base, "제2항 재판상 파양")
    # the next 관 closes the division
    assert by_number["제908조의2"].chapter_path == base[:3] + ("제4관 친양자",)


def test_article_with_branch_number(law_dir: Path) -> None:
    _, a = _article(law_dir, "민법/법률.md", "제839조의2")
    assert a.title == "재산분할청구권"
    assert ArticleNumber.parse(a.number) == ArticleNumber(839, 2)
    assert "재산분할을 청구할 수 있다" in a.text


def test_deleted_article_is_flagged(law_dir: Path) -> None:
    _, a = _article(law_dir, "민법/법률.md", "제436조")
    assert a.deleted and a.text == "삭제 <2015.2.3>"
    _, live = _article(law_dir, "민법/법률.md", "제436조의2")
    assert not live.deleted


def test_addenda_are_kept_apart_from_articles(law_dir: Path) -> None:
    report = parse_markdown_file(law_dir / "부가가치세법/법률.md")
    main = [a for a in report.articles if not a.is_addendum]
    addenda = [a for a in report.articles if a.is_addendum]
    assert addenda and all(a.number.startswith("부칙") for a in addenda)
    assert addenda[0].number == "부칙 <제11873호,2013.6.7>"
    assert "제1조(시행일) 이 법은 2013년 7월 1일부터 시행한다." in addenda[0].text
    # 부칙 articles (their own 제1조…) never appear as main articles
    assert not any("2013년 7월 1일부터 시행한다" in a.text for a in main)
    assert max(a.ordinal for a in main) < min(a.ordinal for a in addenda)


def test_two_labour_standards_acts_are_distinct_statutes(law_dir: Path) -> None:
    old = parse_markdown_file(law_dir / "근로기준법/법률.md")
    live = parse_markdown_file(law_dir / "근로기준법/법률(법률).md")
    assert old.statute and live.statute
    assert old.statute.title == live.statute.title == "근로기준법"
    assert old.statute.law_id != live.statute.law_id
    assert old.statute.effective == date(1997, 3, 13)
    assert live.statute.effective == date(2027, 1, 1)
    assert is_repeal_stub(old.articles) and not is_repeal_stub(live.articles)
    dismissal = next(a for a in live.articles if a.number == "제23조")
    assert dismissal.title == "해고 등의 제한"


def test_malformed_markdown_is_reported_not_raised(tmp_path: Path) -> None:
    bad = tmp_path / "bad.md"
    bad.write_text("# 제목만 있고 머리말이 없는 파일\n\n##### 제1조 (목적)\n본문", encoding="utf-8")
    report = parse_markdown_file(bad)
    assert report.statute is None and "frontmatter" in (report.error or "")
    broken_yaml = tmp_path / "yaml.md"
    broken_yaml.write_text("---\n제목: [닫히지 않은\n---\n", encoding="utf-8")
    assert "YAML" in (parse_markdown_file(broken_yaml).error or "")
    binary = tmp_path / "binary.md"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    assert parse_markdown_file(binary).error


def test_heading_variants_parse(law_dir: Path) -> None:
    text = (law_dir / "민법/법률.md").read_text(encoding="utf-8")
    statute, articles = parse_statute_markdown(text)
    travel = next(a for a in articles if a.number == "제674조의2")
    assert travel.chapter_path[-1] == "제9절의2 여행계약"  # the <신설 …> note is stripped from the heading
    assert statute.source_url == "https://www.law.go.kr/법령/민법"
