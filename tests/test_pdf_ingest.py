"""The PDF path end to end: a corpus folder holding law.go.kr-style PDFs -> ingest -> load -> search -> article view.

The corpus is a temporary folder with real statute text from the shared corpus:
- `주택임대차보호법/법률.md` (legalize-kr) and `상가건물임대차보호법/법률.md`;
- `주택임대차보호법-2023.pdf`: the same law printed as an older version (its `[시행 …]` line says 2023-07-19;
  its 제1조 carries OLD_MARK to tell the texts apart): a version of the Markdown law, not a second law;
- `주택임대차보호법-same.pdf`: a print of exactly the version the Markdown file holds: left out as a copy;
- `이자제한법.pdf`: a law the corpus does not hold: a statute of its own, marked as coming from a PDF.
"""

from __future__ import annotations

import html
import re
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from pdf_render import render_statute_pdf

pytest.register_assert_rewrite("index_fixture")

from index_fixture import make_settings, wait_ready  # noqa: E402

from app.web import CSRF_FIELD  # noqa: E402
from ingest.build import IngestOptions, build_index  # noqa: E402
from ingest.markdown_source import parse_markdown_file  # noqa: E402
from legal_rag.articles import split_doc_id  # noqa: E402
from legal_rag.index_format import read_source_table, resolve_index  # noqa: E402
from legal_rag.search.engine import Engine  # noqa: E402

HOUSING = "주택임대차보호법/법률.md"
SHOP = "상가건물임대차보호법/법률.md"
INTEREST = "이자제한법/법률(법률).md"
OLD_EFFECTIVE = date(2023, 7, 19)
OLD_MARK = "(PDF 구판 조문)"
AS_OF = "2026-06-01"  # after the Markdown version of 주택임대차보호법 (2026-01-02)


def _render(law_dir: Path, rel: str, out: Path, **statute_changes: object) -> None:
    md = parse_markdown_file(law_dir / rel)
    assert md.error is None and md.statute is not None
    statute, articles = md.statute, md.articles
    if statute_changes:
        statute = replace(statute, **statute_changes)  # type: ignore[arg-type]
        articles = [replace(a, text=f"{OLD_MARK} {a.text}") if a.number == "제1조" else a for a in articles]
    render_statute_pdf(statute, articles, out, header="last")


def _ingest(corpus: Path, out: Path) -> object:
    return build_index(IngestOptions(corpus=[corpus], out=out, embedder="none", progress=False,
                                     cache_dir=out.parent / ".cache"))


@pytest.fixture(scope="module")
def pdf_index(law_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("pdfcorpus")
    corpus = root / "corpus"
    for rel in (HOUSING, SHOP):
        (corpus / rel).parent.mkdir(parents=True, exist_ok=True)
        (corpus / rel).symlink_to(law_dir / rel)
    _render(law_dir, HOUSING, corpus / "주택임대차보호법-2023.pdf", effective=OLD_EFFECTIVE,
            promulgated=date(2023, 7, 11), promulgation_no="19520")
    _render(law_dir, HOUSING, corpus / "주택임대차보호법-same.pdf")
    _render(law_dir, INTEREST, corpus / "이자제한법.pdf")
    out = root / "index" / "pdf"
    summary = _ingest(corpus, out)
    return {"corpus": corpus, "index": out, "summary": summary,
            "md": {rel: parse_markdown_file(law_dir / rel) for rel in (HOUSING, SHOP, INTEREST)}}


@pytest.fixture(scope="module")
def engine(pdf_index: dict):  # type: ignore[no-untyped-def]
    e = Engine(pdf_index["index"])  # failed with KeyError: 'pdf' while PDF 법령MSTs held a ':'
    yield e
    e.close()


def test_ingest_links_pdfs_to_their_law(pdf_index: dict) -> None:
    summary = pdf_index["summary"]
    assert summary.statutes == 4  # 2 Markdown laws, the older 주택임대차보호법 print, 이자제한법
    records = {Path(r.path).name: r for r in read_source_table(resolve_index(pdf_index["index"]))}
    assert records["주택임대차보호법-same.pdf"].status == "duplicate"
    assert "same version as" in records["주택임대차보호법-same.pdf"].reason
    assert records["주택임대차보호법-2023.pdf"].status == "indexed"
    assert records["이자제한법.pdf"].status == "indexed"
    for r in records.values():
        assert ":" not in r.mst


def test_pdf_statutes_load_and_are_versions(engine: Engine, pdf_index: dict) -> None:
    housing_md = pdf_index["md"][HOUSING].statute
    versions = {st.mst: st for st, _ in engine.bundle.statute_rows}
    old = [st for st in versions.values() if st.from_pdf and st.key == housing_md.key]
    assert len(old) == 1
    assert old[0].law_id == housing_md.law_id  # a version of the Markdown law
    assert old[0].effective == OLD_EFFECTIVE and old[0].promulgation_no == "19520"
    interest = [st for st in versions.values() if st.title == "이자제한법"]
    assert len(interest) == 1 and interest[0].from_pdf and interest[0].law_id == "pdf-이자제한법"
    for as_of in (date(2024, 1, 1), date.fromisoformat(AS_OF)):
        titles = [row["law"] for row in engine.laws(as_of)]
        assert titles.count("주택임대차보호법") == 1 and titles.count("이자제한법") == 1


def test_search_and_article_view_of_a_pdf_only_law(engine: Engine, pdf_index: dict) -> None:
    want = {a.number: a for a in pdf_index["md"][INTEREST].articles}
    resp = engine.search("이자제한법상 최고이자율", top_k=5, as_of=date.fromisoformat(AS_OF))
    interest_hits = [h for h in resp.hits if h.law == "이자제한법"]
    assert interest_hits, [h.doc_id for h in resp.hits]
    for h in interest_hits:
        mst, number = split_doc_id(h.doc_id)
        assert mst.startswith("pdf-이자제한법-") and number == h.article
        assert h.text == want[h.article].text  # the print's text is the statute's text
    hit = engine.get_article("이자제한법", "제2조", date.fromisoformat(AS_OF))
    assert hit is not None and hit.text == want["제2조"].text and "최고이자율" in hit.text


def test_as_of_chooses_between_the_pdf_and_the_markdown_version(engine: Engine, pdf_index: dict) -> None:
    housing_md = pdf_index["md"][HOUSING].statute
    old = engine.get_article("주택임대차보호법", "제1조", date(2024, 1, 1))
    new = engine.get_article("주택임대차보호법", "제1조", date.fromisoformat(AS_OF))
    assert old is not None and new is not None
    assert old.doc_id.startswith("pdf-주택임대차보호법-20230719:") and OLD_MARK in old.text
    assert old.effective == OLD_EFFECTIVE.isoformat()
    assert new.doc_id == f"{housing_md.mst}:제1조" and OLD_MARK not in new.text
    for as_of in (date(2024, 1, 1), date.fromisoformat(AS_OF)):
        hits = engine.search("주택 임대차 대항력 주민등록", top_k=10, as_of=as_of).hits
        pairs = [(h.law, h.article) for h in hits]
        assert len(pairs) == len(set(pairs)), pairs  # never the same article twice
        housing = [h for h in hits if h.law == "주택임대차보호법"]
        assert housing and len({split_doc_id(h.doc_id)[0] for h in housing}) == 1


def test_http_article_route_and_web_card_serve_pdf_statutes(pdf_index: dict) -> None:
    from fastapi.testclient import TestClient

    from app.service import create_app

    want = {a.number: a for a in pdf_index["md"][INTEREST].articles}
    app = create_app(make_settings(pdf_index["index"]))  # type: ignore[arg-type]
    with TestClient(app, client=("127.0.0.1", 50000)) as client:
        wait_ready(client)
        r = client.get("/api/laws/이자제한법/articles/제2조", params={"as_of": AS_OF})
        assert r.status_code == 200, r.text
        art = r.json()["article"]
        assert art["doc_id"].startswith("pdf-이자제한법-") and art["text"] == want["제2조"].text
        r = client.get("/api/laws/주택임대차보호법/articles/제1조", params={"as_of": "2024-01-01"})
        assert r.status_code == 200 and OLD_MARK in r.json()["article"]["text"]
        laws = client.get("/api/laws", params={"as_of": AS_OF}).json()["laws"]
        assert [x["law"] for x in laws].count("주택임대차보호법") == 1
        page = client.get("/").text
        token = html.unescape(re.search(rf'name="{CSRF_FIELD}" value="([^"]+)"', page).group(1))  # type: ignore[union-attr]
        r = client.post("/ask", data={"question": "「이자제한법」 제2조", "law": "", "as_of": AS_OF,
                                      CSRF_FIELD: token})
        assert r.status_code == 200
        assert 'data-doc-id="pdf-이자제한법-' in r.text and "최고이자율" in html.unescape(r.text)


def test_incremental_update_relinks_a_pdf_when_its_law_arrives(law_dir: Path, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    (corpus / "상가").mkdir(parents=True)
    (corpus / "상가" / "법률.md").write_bytes((law_dir / SHOP).read_bytes())
    _render(law_dir, INTEREST, corpus / "이자제한법.pdf")
    out = tmp_path / "index" / "x"
    _ingest(corpus, out)
    # an unrelated change keeps the update incremental and the PDF statute as it was
    shop = corpus / "상가" / "법률.md"
    shop.write_text(shop.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    update = _ingest(corpus, out)
    assert update.mode == "incremental", update.fallback_reason  # type: ignore[attr-defined]
    e = Engine(out)
    try:
        assert [st.law_id for st, _ in e.bundle.statute_rows if st.title == "이자제한법"] == ["pdf-이자제한법"]
    finally:
        e.close()
    # the Markdown file of the same version arrives: the PDF is now a copy of it (a full build decides)
    (corpus / "이자제한법").mkdir()
    (corpus / "이자제한법" / "법률(법률).md").write_bytes((law_dir / INTEREST).read_bytes())
    again = _ingest(corpus, out)
    assert again.mode == "full" and "PDF" in again.fallback_reason  # type: ignore[attr-defined]
    e = Engine(out)
    try:
        rows = [st for st, _ in e.bundle.statute_rows if st.title == "이자제한법"]
        md_statute = parse_markdown_file(law_dir / INTEREST).statute
        assert md_statute is not None
        assert [(st.law_id, st.from_pdf) for st in rows] == [(md_statute.law_id, False)]
    finally:
        e.close()


def test_doc_id_split_does_not_depend_on_the_mst_shape() -> None:
    assert split_doc_id("280447:제839조의2") == ("280447", "제839조의2")
    assert split_doc_id("280447:부칙 <제21235호,2025.12.23>") == ("280447", "부칙 <제21235호,2025.12.23>")
    assert split_doc_id("pdf-민법-20260317:제1조") == ("pdf-민법-20260317", "제1조")
    assert split_doc_id("pdf:민법:2026-03-17:제1조") == ("pdf:민법:2026-03-17", "제1조")  # an older index's PDF MST
