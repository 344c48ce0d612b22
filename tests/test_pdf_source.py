"""law.go.kr-style PDFs of real statutes parse to the same articles as their legalize-kr Markdown.

The PDFs are drawn by tests/pdf_render.py from the shared corpus (no PDF is stored in the repo) and read
back with pypdf through `parse_pdf_file`, the path a user's upload takes.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
from pdf_render import layout_page_texts, render_statute_pdf
from pypdf import PdfReader

from ingest.markdown_source import parse_markdown_file
from ingest.pdf_source import parse_pdf_file, parse_statute_pdf_text
from legal_rag.articles import Article, ArticleNumber, law_key

# 민법: 삭제 articles, 제N조의M, 편/장/절/관, nested titles, 1958 addenda; 국민건강보험법: items and
# sub-items (가.), a boxed formula in 제71조, a 시행일자 in the future.
PDF_LAWS = ["민법/법률.md", "국민건강보험법/법률.md"]
MAIN_FIELDS = ("number", "title", "text", "paragraphs", "chapter_path", "deleted", "amendments", "ordinal", "effective",
               "effective_note")


@pytest.fixture(scope="module")
def rendered(law_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    out = tmp_path_factory.mktemp("pdf")
    result = {}
    for rel in PDF_LAWS:
        md = parse_markdown_file(law_dir / rel)
        assert md.error is None, md.error
        pdf_path = out / (rel.replace("/", "_").removesuffix(".md") + ".pdf")
        layout = render_statute_pdf(md.statute, md.articles, pdf_path)
        result[rel] = {"md": md, "pdf": parse_pdf_file(pdf_path), "path": pdf_path, "layout": layout}
    return result


def _main(articles: list[Article]) -> list[Article]:
    return [a for a in articles if not a.is_addendum]


def _addenda(articles: list[Article]) -> list[Article]:
    return [a for a in articles if a.is_addendum]


@pytest.mark.parametrize("rel", PDF_LAWS)
def test_pdf_articles_equal_markdown_articles(rendered: dict, rel: str) -> None:
    md, pdf = rendered[rel]["md"], rendered[rel]["pdf"]
    assert pdf.error is None, pdf.error
    assert len(_main(pdf.articles)) == len(_main(md.articles))
    for want, got in zip(_main(md.articles), _main(pdf.articles), strict=True):
        for name in MAIN_FIELDS:
            assert getattr(got, name) == getattr(want, name), (want.number, name)
    # 부칙: same blocks, same labels, the same words in the same order. Amendment instructions for other
    # laws (`제14조제1항 중 "…"을 …로 한다.`) carry no line marker, and where one follows a line that filled
    # the print width the PDF cannot show that a new line began: those join the line above.
    want_add, got_add = _addenda(md.articles), _addenda(pdf.articles)
    assert [a.number for a in got_add] == [a.number for a in want_add]
    assert [a.text.split() for a in got_add] == [a.text.split() for a in want_add]
    exact = sum(g.text == w.text for g, w in zip(got_add, want_add, strict=True))
    assert exact >= 0.9 * len(want_add), (exact, len(want_add))
    assert all(a.is_addendum for a in pdf.articles[len(_main(pdf.articles)) :])


def test_pdf_covers_deleted_and_branch_articles(rendered: dict) -> None:
    articles = {a.number: a for a in rendered["민법/법률.md"]["pdf"].articles}
    assert articles["제436조"].deleted and articles["제436조"].text == "삭제 <2015.2.3>"
    assert articles["제436조의2"].title == "채권자의 정보제공의무와 통지의무 등"
    assert [p.marker for p in articles["제436조의2"].paragraphs] == ["①", "②", "③", "④"]
    assert articles["제50조"].title == "분사무소(分事務所) 설치의 등기"  # parentheses inside the title
    assert articles["제54조"].chapter_path == ("제1편 총칙", "제3장 법인", "제2절 설립")
    assert articles["제54조"].title == "설립등기 이외의 등기의 효력과 등기사항의 공고"
    assert sum(a.deleted for a in articles.values()) >= 50
    nhi = {a.number: a for a in rendered["국민건강보험법/법률.md"]["pdf"].articles}
    # 목 keep the Markdown source's indent (PDF text has none; it comes back from the marker)
    assert sum(line.startswith("  가. ") for a in nhi.values() for line in a.text.split("\n")) >= 5
    assert "│(연간 보수 외 소득 - 대통령령으로 정하는 금액) × 1/12│" in nhi["제71조"].text.split("\n")


@pytest.mark.parametrize("rel", PDF_LAWS)
def test_pdf_statute_metadata(rendered: dict, rel: str) -> None:
    want, got = rendered[rel]["md"].statute, rendered[rel]["pdf"].statute
    key = law_key(want.title)
    assert got.title == want.title
    assert got.kind == want.kind == "법률"
    assert got.effective == want.effective
    assert got.promulgated == want.promulgated
    assert got.promulgation_no == want.promulgation_no
    assert got.ministries == want.ministries
    assert got.law_id == f"pdf-{key}"
    assert got.mst == f"pdf-{key}-{want.effective:%Y%m%d}"
    assert ":" not in got.mst  # a doc_id is `법령MST:제N조`
    assert got.from_pdf and not want.from_pdf
    assert got.source_url == f"https://www.law.go.kr/법령/{key}" == want.source_url
    assert got.path == str(rendered[rel]["path"])
    for a in rendered[rel]["pdf"].articles:
        assert (a.mst, a.law_id, a.law_title) == (got.mst, got.law_id, got.title)


def test_page_furniture_never_reaches_article_text(rendered: dict) -> None:
    reader = PdfReader(rendered["민법/법률.md"]["path"])
    total = len(reader.pages)
    assert total > 50
    # every page really carries the header and footer that must be removed
    for number, page in enumerate(reader.pages[:3], start=1):
        lines = [ln.strip() for ln in page.extract_text().splitlines() if ln.strip()]
        assert lines[0] == "민법"
        assert lines[-3:] == ["법제처", f"{number} / {total}", "국가법령정보센터"]
    for rel in PDF_LAWS:
        for a in rendered[rel]["pdf"].articles:
            assert "법제처" not in a.text and "국가법령정보센터" not in a.text, a.number
            assert not re.search(r"(?m)^\d+ / \d+$", a.text), a.number


def test_articles_split_across_page_breaks_are_joined(rendered: dict) -> None:
    data = rendered["민법/법률.md"]
    splits = data["layout"].splits
    assert len(splits) >= 5  # the layout really cuts lines of articles at page ends
    reader = PdfReader(data["path"])
    md = {a.number: a for a in data["md"].articles}
    pdf = {a.number: a for a in data["pdf"].articles}
    for split in splits:
        before = [ln.strip() for ln in reader.pages[split.page - 1].extract_text().splitlines()]
        after = [ln.strip() for ln in reader.pages[split.page].extract_text().splitlines()]
        assert split.before in before and split.after in after  # one sentence, two pages
        assert f"{split.before_text} {split.after}" in pdf[split.article].text
        assert pdf[split.article].text == md[split.article].text


def test_page_break_and_wrapped_citations_in_page_text(law_dir: Path) -> None:
    """Hand-laid page texts from real 민법 text: a line wrapped before `제817조 및 …` (a citation, not an
    article) and an article whose sentence runs on from page 1 to page 2 under a repeated header."""
    md = {a.number: a for a in parse_markdown_file(law_dir / "민법/법률.md").articles}
    art816 = md["제816조"].text.split("\n")
    head, _, tail = art816[1].partition("이하 ")  # item 1 wraps right before "제817조 및 제820조에서 같다)"
    assert tail.startswith("제817조 및")
    art817 = md["제817조"].text
    cut = art817.index("있고 ") + len("있고")
    pages = [
        "\n".join(
            [
                "민법",
                "민법",
                "[시행 2026. 3. 17.] [법률 제21454호, 2026. 3. 17., 일부개정]",
                "법무부",
                "제1편 총칙",
                "제1장 통칙",
                "제1조(법원) 민사에 관하여 법률에 규정이 없으면 관습법에 의하고 관습법이 없으면 조리에",
                "의한다.",
                f"제816조(혼인취소의 사유) {art816[0]}",
                head + "이하",
                tail,
                *art816[2:],
                f"제817조(나이위반 혼인 등의 취소청구권자) {art817[:cut]}",
                "법제처",
                "1 / 2",
                "국가법령정보센터",
            ]
        ),
        "\n".join(["민법", art817[cut + 1 :], "법제처", "2 / 2", "국가법령정보센터"]),
    ]
    statute, articles = parse_statute_pdf_text(pages, "hand.pdf")
    assert statute.title == "민법" and statute.ministries == ("법무부",)
    got = {a.number: a for a in articles}
    assert list(got) == ["제1조", "제816조", "제817조"]
    assert got["제1조"].text == md["제1조"].text
    assert got["제816조"].text == md["제816조"].text
    assert got["제817조"].text == art817  # joined across the page break, header and footer gone
    assert got["제817조"].chapter_path == ("제1편 총칙", "제1장 통칙")


@pytest.mark.parametrize("rel", ["형법/법률.md", "근로기준법/법률(법률).md", "상가건물임대차보호법/법률.md"])
def test_layout_text_of_more_statutes_parses_back(law_dir: Path, rel: str) -> None:
    """The same layout as page text (what pypdf extracts, no PDF written): more statutes, quickly."""
    md = parse_markdown_file(law_dir / rel)
    statute, articles = parse_statute_pdf_text(layout_page_texts(md.statute, md.articles), rel)
    assert statute.title == md.statute.title
    assert [a.number for a in articles] == [a.number for a in md.articles]
    for want, got in zip(_main(md.articles), _main(articles), strict=True):
        assert [getattr(got, n) for n in MAIN_FIELDS] == [getattr(want, n) for n in MAIN_FIELDS], want.number
    assert [a.text.split() for a in _addenda(articles)] == [a.text.split() for a in _addenda(md.articles)]


def test_article_numbers_strictly_increase(rendered: dict) -> None:
    numbers = [ArticleNumber.parse(a.number) for a in _main(rendered["민법/법률.md"]["pdf"].articles)]
    assert numbers == sorted(set(numbers))


# --- damaged input: reported, never raised ----------------------------------------------------------


def _assert_reported(path: Path, *words: str) -> None:
    report = parse_pdf_file(path)
    assert report.statute is None and report.articles == []
    assert report.error, path
    assert re.search(r"[가-힣]", report.error) and re.search(r"[A-Za-z]", report.error), report.error
    for word in words:
        assert word in report.error, report.error


def test_truncated_pdf_is_reported(rendered: dict, tmp_path: Path) -> None:
    data = rendered["국민건강보험법/법률.md"]["path"].read_bytes()
    for fraction in (0.5, 0.9):
        cut = tmp_path / f"cut{fraction}.pdf"
        cut.write_bytes(data[: int(len(data) * fraction)])
        _assert_reported(cut, "잘린")


def test_random_and_empty_files_are_reported(tmp_path: Path) -> None:
    rng = random.Random(7)
    noise = tmp_path / "noise.pdf"
    noise.write_bytes(bytes(rng.randrange(256) for _ in range(20_000)))
    _assert_reported(noise, "PDF")
    fake = tmp_path / "fake.pdf"  # a PDF header over garbage, with an end marker
    fake.write_bytes(b"%PDF-1.7\n" + bytes(rng.randrange(256) for _ in range(5_000)) + b"\n%%EOF\n")
    _assert_reported(fake)
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    _assert_reported(empty, "빈 파일")
    _assert_reported(tmp_path / "missing.pdf", "읽을 수 없음")


def test_pdf_that_is_not_a_statute_is_reported(rendered: dict, tmp_path: Path) -> None:
    from pdf_render import REGULAR, register_fonts
    from reportlab.pdfgen import canvas

    register_fonts()
    path = tmp_path / "letter.pdf"
    c = canvas.Canvas(str(path))
    c.setFont(REGULAR, 11)
    c.drawString(72, 760, "회의록: 다음 주 일정 안내")  # a Korean PDF, not a statute export
    c.showPage()
    c.save()
    _assert_reported(path, "[시행")
    blank = tmp_path / "blank.pdf"
    c = canvas.Canvas(str(blank))
    c.showPage()
    c.save()
    _assert_reported(blank, "텍스트")


def test_encrypted_pdfs(law_dir: Path, tmp_path: Path) -> None:
    md = parse_markdown_file(law_dir / "이자제한법/법률(법률).md")
    locked = tmp_path / "locked.pdf"
    render_statute_pdf(md.statute, md.articles, locked, user_password="secret")
    _assert_reported(locked, "암호")
    # encrypted with an owner password only: opens without one, so it parses
    owner = tmp_path / "owner.pdf"
    render_statute_pdf(md.statute, md.articles, owner, owner_password="owner-only")
    report = parse_pdf_file(owner)
    assert report.error is None
    assert [(a.number, a.text) for a in _main(report.articles)] == [(a.number, a.text) for a in _main(md.articles)]
    assert [a.number for a in _addenda(report.articles)] == [a.number for a in _addenda(md.articles)]
