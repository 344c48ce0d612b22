"""HTML markup in statute text (law.go.kr's <img> before formulas and tables) on real files of the shared corpus."""

from __future__ import annotations

import re
from pathlib import Path

from app.web import _statute_html
from ingest.markdown_source import parse_markdown_file
from ingest.sources import chunk_index_text
from legal_rag.articles import Chunk
from legal_rag.statute_markup import clean_markup, display_text, figure_refs, linkify_statute_text, text_links
from legal_rag.tokenizer import tokenize

_TAG_RE = re.compile(r"</?img|flDownload|<br|alt=", re.IGNORECASE)


def _article(law_dir: Path, rel: str, number: str):  # type: ignore[no-untyped-def]
    report = parse_markdown_file(law_dir / rel)
    assert report.error is None, report.error
    return next(a for a in report.articles if a.number == number and not a.is_addendum)


def test_no_file_of_the_corpus_keeps_markup_in_article_text(law_dir: Path) -> None:
    files_with_img = [p for p in sorted(law_dir.glob("*/*.md")) if "<img" in p.read_text(encoding="utf-8")]
    assert len(files_with_img) >= 30  # the subset has 704 <img> tags in these files
    placeholders = 0
    for path in files_with_img:
        report = parse_markdown_file(path)
        for a in report.articles:
            assert not _TAG_RE.search(a.text), (path, a.number)
            assert not any(_TAG_RE.search(p.text) for p in a.paragraphs), (path, a.number)
            placeholders += len(figure_refs(a.text))
    assert placeholders == 704  # every tag became exactly one placeholder, none lost


def test_income_tax_article_34_formula_becomes_a_labelled_link_and_keeps_the_formula(law_dir: Path) -> None:
    a = _article(law_dir, "소득세법/법률.md", "제34조")
    assert "[수식 이미지 #151113713]" in a.text  # announced by "다음 계산식에 따라"
    assert "│필요경비 산입한도액 = A － B │" in a.text  # the box-drawn formula itself is the statute's text
    refs = figure_refs(a.text)
    assert refs[0].label == "수식 이미지"
    assert refs[0].url == "https://www.law.go.kr/LSW/flDownload.do?flSeq=151113713"
    # 가목's image is announced by nothing; the `=` of the box drawn after it makes it a formula
    assert "[수식 이미지 #91482927]" in a.text


def test_table_image_announced_by_the_text_before_it(law_dir: Path) -> None:
    report = parse_markdown_file(law_dir / "지방세법/시행령.md")
    texts = "\n".join(a.text for a in report.articles)
    # "… 다음 표에 따른 과세연도별 비율을 곱하여 …" then <img id="65992763"></img> (no file link)
    assert re.search(r"다음 표에 따른[^\n]*\n\[표 이미지\]", texts)


def test_placeholders_and_tag_words_are_not_indexed(law_dir: Path) -> None:
    a = _article(law_dir, "소득세법/법률.md", "제34조")
    chunk = Chunk(a.doc_id, 0, a.header + "\n" + a.text)
    text = chunk_index_text(chunk, a, title_boost=0)
    assert "이미지" not in text.body and "151113713" not in text.body
    tokens = {t.split("/")[0] for t in tokenize(text.body)}
    assert not tokens & {"이미지", "img", "src", "http", "www", "flDownload", "alt"}
    assert "필요경비" in tokens


def test_annex_references_link_to_law_go_kr(law_dir: Path) -> None:
    report = parse_markdown_file(law_dir / "소득세법/시행령.md")
    a = next(a for a in report.articles if "별표 3의3" in a.text and not a.is_addendum)
    links = [x for x in text_links(a.text, a.law_title) if x.kind == "annex"]
    annex = next(x for x in links if x.label == "별표 3의3")
    assert a.text[annex.start : annex.end] == "별표 3의3"
    assert annex.url is not None and annex.url.startswith("https://www.law.go.kr/lsBylInfoPLinkR.do?")
    assert "bylNo=0003" in annex.url and "bylBrNo=03" in annex.url and "bylCls=BE" in annex.url
    parts = linkify_statute_text(a.text, a.law_title)
    assert "".join(p.text for p in parts) == display_text(a.text)  # nothing lost or reordered
    assert any(p.kind == "annex" and p.text == "별표 3의3" for p in parts)


def test_notes_and_comparisons_are_not_taken_for_tags() -> None:
    assert clean_markup("A<B 이면 C>D <개정 2020.12.29>") == "A<B 이면 C>D <개정 2020.12.29>"
    assert clean_markup("<img src=\"x\" alt=\"[별표 2] 세율표\">", "") == "[별표 이미지]"
    assert clean_markup("첫째 줄<br>둘째 줄</img>") == "첫째 줄\n둘째 줄"


def test_page_renders_placeholders_as_links_and_escapes_the_rest(law_dir: Path) -> None:
    a = _article(law_dir, "소득세법/법률.md", "제34조")
    html = str(_statute_html(a.text + "\n<script>alert(1)</script>", a.law_title))
    assert '<a class="statute-link link-figure" href="https://www.law.go.kr/LSW/flDownload.do?flSeq=151113713"' in html
    assert ">[수식 이미지]</a>" in html and "#151113713]" not in html
    assert "<script>" not in html and "&lt;script&gt;" in html
