"""Decision files of the real sample -> issues, 참조조문 citations, 참조판례 (legal_rag.precedents.parse)."""

from __future__ import annotations

from datetime import date

import pytest
from precedent_fixtures import sample, sample_dir, sample_files

from legal_rag.precedents.parse import (
    DecisionFormatError,
    parse_decision_markdown,
    resolve_statute_citations,
    split_groups,
)

AS_OF = date(2026, 11, 30)


def _parse(rel: str):  # type: ignore[no-untyped-def]
    return parse_decision_markdown(sample(rel).read_text(encoding="utf-8"), rel)


def test_every_sample_file_parses_and_resolves(corpus_store, corpus_catalog) -> None:  # type: ignore[no-untyped-def]
    files = sample_files()
    assert len(files) == 55
    for path in files:
        d = parse_decision_markdown(path.read_text(encoding="utf-8"), path.relative_to(sample_dir()).as_posix())
        assert d.issues, path
        assert resolve_statute_citations(d, corpus_catalog, corpus_store, AS_OF), path


def test_frontmatter_fields() -> None:
    d = _parse("민사/대법원/대법원_2001-05-08_99다38699.md")
    assert (d.serial, d.case_number, d.court, d.category, d.decided) == (
        "191403", "99다38699", "대법원", "민사", date(2001, 5, 8))
    assert d.case_name == "건물명도등" and d.source == "민사/대법원/대법원_2001-05-08_99다38699.md"


def test_issues_pair_holding_and_summary() -> None:
    d = _parse("민사/대법원/대법원_2001-05-08_99다38699.md")
    assert [i.marker for i in d.issues] == ["[1]", "[2]", "[3]", "[4]"]
    assert d.has_summary
    assert d.issues[2].holding.startswith("독립한 경제주체간의 경쟁적 계약관계")
    assert d.issues[2].summary.startswith("제3자에 의한 채권침해가 불법행위를 구성할 수는 있으나")


def test_full_width_and_letter_markers() -> None:
    assert [i.marker for i in _parse("가사/대법원/대법원_2006-06-22_2004스42.md").issues] == ["［1］", "［2］", "［3］", "［4］"]
    d = _parse("가사/대법원/대법원_1991-07-09_90므1067.md")
    assert [i.marker for i in d.issues] == ["가.", "나."]
    assert d.issues[0].holding.startswith("민법 제840조 제6호 소정의 이혼사유")  # stray line breaks removed


def test_group_labels_map_to_issues() -> None:
    d = _parse("민사/대법원/대법원_2001-05-08_99다38699.md")
    assert [(g.label, g.issues) for g in d.statute_groups] == [("[1]", (1,)), ("[2]", (2,)), ("[3][4]", (3, 4))]
    letters = _parse("세무/대법원/대법원_1992-05-26_91누9596.md")
    assert [g.issues for g in letters.statute_groups] == [(1, 3), (1,), (2, 3), (3,)]


def test_slash_separators_with_and_without_spaces() -> None:
    groups = split_groups("[1] 민법 제840조/ [2] 민법 제842조 ／ [3] 민법 제839조의2")
    assert [g.text for g in groups] == ["민법 제840조", "민법 제842조", "민법 제839조의2"]


def test_citations_resolve_per_issue(corpus_store, corpus_catalog) -> None:  # type: ignore[no-untyped-def]
    d = _parse("민사/대법원/대법원_2001-05-08_99다38699.md")
    cits = resolve_statute_citations(d, corpus_catalog, corpus_store, AS_OF)
    by_article = {(c.law, c.article): c for c in cits}
    c750 = by_article[("민법", "제750조")]
    assert c750.issues == (3, 4) and c750.status == "found" and c750.doc_id and c750.doc_id.endswith(":제750조")


def test_former_version_is_kept_but_never_linked(corpus_store, corpus_catalog) -> None:  # type: ignore[no-untyped-def]
    d = _parse("형사/대법원/대법원_2013-06-20_2010도14328.md")
    cits = resolve_statute_citations(d, corpus_catalog, corpus_store, AS_OF)
    former = [c for c in cits if c.former_version and c.article == "제289조"]
    assert former and all(c.doc_id is None for c in former)
    assert former[0].former_note == "2013. 4. 5. 법률 제11731호로 개정되기 전의 것"
    # the current 형법 제287조 cited in the same group is linked
    assert any(c.article == "제287조" and not c.former_version and c.doc_id for c in cits)


def test_current_pointer_links_the_current_article_and_keeps_the_former_law(corpus_store, corpus_catalog) -> None:  # type: ignore[no-untyped-def]
    d = _parse("세무/대법원/대법원_2012-01-19_2008두8499.md")
    cits = [c for c in resolve_statute_citations(d, corpus_catalog, corpus_store, AS_OF) if c.issues == (1,)]
    # 구 지방세법 제105조 제6항(현행 제7조 제5항 참조): the pointer is 지방세법 제7조, current and linked
    pointer = next(c for c in cits if c.current_pointer and c.article == "제7조")
    assert pointer.law == "지방세법" and pointer.doc_id and not pointer.former_version
    # 제82조 after "(현행 지방세기본법 제147조 참조)" still belongs to 구 지방세법
    c82 = next(c for c in cits if c.article == "제82조" and not c.current_pointer)
    assert c82.law == "지방세법" and c82.former_version and c82.doc_id is None


def test_current_deleted_is_a_note(corpus_store, corpus_catalog) -> None:  # type: ignore[no-untyped-def]
    d = _parse("세무/대법원/대법원_2002-11-13_2001두1543.md")
    cits = resolve_statute_citations(d, corpus_catalog, corpus_store, AS_OF)
    c = next(c for c in cits if c.article == "제59조의5")
    assert c.former_version and c.current_note == "삭제"


def test_case_references_per_issue() -> None:
    d = _parse("가사/대법원/대법원_2006-06-22_2004스42.md")
    refs = {(r.case_number, r.issues) for r in d.case_references}
    assert ("96도791", (1, 2)) in refs and ("93스16", (3,)) in refs
    en_banc = next(r for r in d.case_references if r.case_number == "81스15")
    assert en_banc.en_banc and en_banc.court == "대법원" and en_banc.decided == "1981-10-10"


@pytest.mark.parametrize("text,reason", [
    ("# 제목\n\n## 판시사항\n\n[1] 무엇\n", "frontmatter"),
    ("---\n사건번호: 2010가12345\n선고일자: 2010-01-01\n법원명: 대법원\n---\n## 판시사항\n\n무엇\n", "사건번호"),
    ("---\n사건번호: 2010다12345\n선고일자: 2010-01-01\n법원명: 대법원\n---\n# 제목\n\n본문뿐\n", "판시사항"),
    ("---\n사건번호: 2010다12345\n선고일자: 2010-01-01\n법원명: 대법원\n---\n## 판시사항\n\n[1] 가\n\n"
     "## 참조조문\n\n[3] 민법 제1조\n", "label"),
])
def test_bad_files_raise_with_reason(text: str, reason: str) -> None:
    with pytest.raises(DecisionFormatError, match=reason):
        parse_decision_markdown(text, "bad.md")


def test_unparseable_reference_group(corpus_store, corpus_catalog) -> None:  # type: ignore[no-untyped-def]
    text = ("---\n사건번호: 2010다12345\n선고일자: 2010-01-01\n법원명: 대법원\n---\n## 판시사항\n\n[1] 가\n\n"
            "## 참조조문\n\n[1] 이것은 조문이 아니다\n")
    d = parse_decision_markdown(text, "bad.md")
    with pytest.raises(DecisionFormatError, match="참조조문"):
        resolve_statute_citations(d, corpus_catalog, corpus_store, AS_OF)
