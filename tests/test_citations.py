"""Citation resolver on real statutes: every form people type, abbreviations, context, versions, failures."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from ingest.markdown_source import parse_statute_markdown
from legal_rag.articles import ArticleNumber, Statute
from legal_rag.citations import (
    LawCatalog,
    find_citations,
    find_law_mentions,
    load_abbreviations,
    resolve_citations,
)
from legal_rag.store import ArticleStore, write_store

AS_OF = date(2026, 11, 25)
SEED = (
    "「국민건강보험법」제44조, 「국민건강보험법 시행령」제19조,「약관의 규제에 관한 법률」제5조, "
    "「민법」제54조 참조 판단 해설 답변:"
)


def cites(text: str, corpus_catalog: LawCatalog, **kw) -> list[tuple[str | None, str | None, str]]:
    return [
        (r.law, r.article.label if r.article else None, r.detail) for r in find_citations(text, corpus_catalog, **kw)
    ]


# -- the seed question --


def test_seed_question_resolves_to_its_four_articles(corpus_catalog: LawCatalog, corpus_store: ArticleStore) -> None:
    resolved = resolve_citations(SEED, corpus_catalog, corpus_store, AS_OF)
    assert [(r.ref.raw, r.status) for r in resolved] == [
        ("「국민건강보험법」제44조", "found"),
        ("「국민건강보험법 시행령」제19조", "found"),
        ("「약관의 규제에 관한 법률」제5조", "found"),
        ("「민법」제54조", "found"),
    ]
    for r in resolved:
        assert SEED[r.ref.start : r.ref.end] == r.ref.raw
    articles = [corpus_store.article(r.doc_id) for r in resolved]  # type: ignore[arg-type]
    assert [(a.law_title, a.number) for a in articles] == [
        ("국민건강보험법", "제44조"),
        ("국민건강보험법 시행령", "제19조"),
        ("약관의 규제에 관한 법률", "제5조"),
        ("민법", "제54조"),
    ]
    assert "본인일부부담금" in articles[0].text
    assert "부담률 및 부담액은 별표 2와 같다" in articles[1].text
    assert "고객에게 유리하게 해석되어야 한다" in articles[2].text
    assert "그 등기후가 아니면 제삼자에게 대항하지 못한다" in articles[3].text
    # 국민건강보험법's only version takes effect 2026-12-24: used, but flagged
    assert [r.pending for r in resolved] == [True, False, False, False]
    assert "시행 예정 2026-12-24" in resolved[0].message


# -- forms --


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("민법 제54조", [("민법", "제54조", "")]),
        ("「민법」 제54조", [("민법", "제54조", "")]),
        ("「민법」제54조를 보면", [("민법", "제54조", "")]),
        ("민법 54조", [("민법", "제54조", "")]),
        ("민법 54조, 55조의 차이", [("민법", "제54조", ""), ("민법", "제55조", "")]),
        ("민법 제 839 조의 2", [("민법", "제839조의2", "")]),
        ("민법제54조", [("민법", "제54조", "")]),
        ("국민건강보험법 제44조제1항제2호", [("국민건강보험법", "제44조", "제1항제2호")]),
        ("국민건강보험법 제44조 제1항 제2호", [("국민건강보험법", "제44조", "제1항제2호")]),
        ("소득세법 제20조 제1항 제2호 (나)목", [("소득세법", "제20조", "제1항제2호나목")]),
        ("근로기준법 제2조 제1항 제5호, 제6호, 제2항, 제3조", [
            ("근로기준법", "제2조", "제1항제5호, 제6호, 제2항"), ("근로기준법", "제3조", "")]),
        ("「민법」 제54조, 제55조 및 제56조", [("민법", "제54조", ""), ("민법", "제55조", ""), ("민법", "제56조", "")]),
        ("주택임대차보호법 제3조의2 및 제8조", [
            ("주택임대차보호법", "제3조의2", ""), ("주택임대차보호법", "제8조", "")]),
        ("국민건강보험법 시행령 제19조", [("국민건강보험법 시행령", "제19조", "")]),
        ("「국민건강보험법 시행령」제19조", [("국민건강보험법 시행령", "제19조", "")]),
        ("국민건강보험법시행령 제19조", [("국민건강보험법 시행령", "제19조", "")]),
        ("약관의규제에관한법률 제5조", [("약관의 규제에 관한 법률", "제5조", "")]),
        ("약관의 규제에 관한 법률 제5조", [("약관의 규제에 관한 법률", "제5조", "")]),
        ("상속세및증여세법 제18조", [("상속세 및 증여세법", "제18조", "")]),
        ("근로자 퇴직급여 보장법 제8조", [("근로자퇴직급여 보장법", "제8조", "")]),
        ("민사소송법 제150조", [("민사소송법", "제150조", "")]),  # never 민법
        ("「상법」 제374조(영업양도ㆍ양수ㆍ임대 등)제2항 및 제374조의2", [
            ("상법", "제374조", "제2항"), ("상법", "제374조의2", "")]),
        ("민법 제5조부터 제7조까지", [("민법", "제5조", ""), ("민법", "제7조", "")]),
    ],
)
def test_forms(text: str, expected: list, corpus_catalog: LawCatalog) -> None:
    assert cites(text, corpus_catalog) == expected


def test_raw_spans_are_exact(corpus_catalog: LawCatalog) -> None:
    text = "질문: 「민법」 제54조, 제55조 및 국민건강보험법 제44조 제1항 제2호에 따라"
    refs = find_citations(text, corpus_catalog)
    assert [r.raw for r in refs] == ["「민법」 제54조", "제55조", "국민건강보험법 제44조 제1항 제2호"]
    assert all(text[r.start : r.end] == r.raw for r in refs)
    assert [r.law_text for r in refs] == ["민법", "민법", "국민건강보험법"]


def test_longer_title_wins(corpus_catalog: LawCatalog) -> None:
    assert cites("국민건강보험법 시행령 제19조와 국민건강보험법 제44조", corpus_catalog) == [
        ("국민건강보험법 시행령", "제19조", ""),
        ("국민건강보험법", "제44조", ""),
    ]
    assert find_law_mentions("민사소송법과 민사집행법 시행령", corpus_catalog) == ["민사소송법", "민사집행법 시행령"]


def test_same_law_and_same_article(corpus_catalog: LawCatalog) -> None:
    text = (
        "법인세법 제9조, 같은 법 시행령 제12조 제1항, 동법 제15조, 같은법시행령 제11조, 같은 조 제2항, "
        "민법 제750조 및 같은 조, 동법 제751조"
    )
    assert cites(text, corpus_catalog) == [
        ("법인세법", "제9조", ""),
        ("법인세법 시행령", "제12조", "제1항"),
        ("법인세법", "제15조", ""),
        ("법인세법 시행령", "제11조", ""),
        ("법인세법 시행령", "제11조", "제2항"),
        ("민법", "제750조", ""),
        ("민법", "제750조", ""),
        ("민법", "제751조", ""),
    ]
    refs = find_citations(text, corpus_catalog)
    assert refs[1].law_text == "같은 법 시행령"
    assert refs[2].law_text == "동법"


def test_same_law_after_a_decree_means_its_law(corpus_catalog: LawCatalog) -> None:
    # 같은 법 after a 시행령 citation is the 법률 it belongs to; 같은 영 is the 시행령 itself
    assert cites("국민건강보험법 시행령 제19조, 같은 법 제44조, 같은 영 제20조", corpus_catalog) == [
        ("국민건강보험법 시행령", "제19조", ""),
        ("국민건강보험법", "제44조", ""),
        ("국민건강보험법 시행령", "제20조", ""),
    ]


def test_law_from_context_default_or_missing(corpus_catalog: LawCatalog, corpus_store: ArticleStore) -> None:
    assert cites("민법 제839조 및 제839조의2", corpus_catalog) == [("민법", "제839조", ""), ("민법", "제839조의2", "")]
    assert cites("제839조의2", corpus_catalog, default_law="민법") == [("민법", "제839조의2", "")]
    # the previous citation beats default_law
    assert cites("상법 제1조 그리고 제2조", corpus_catalog, default_law="민법") == [
        ("상법", "제1조", ""),
        ("상법", "제2조", ""),
    ]
    (missing,) = resolve_citations("재산분할은 제839조의2에 따른다", corpus_catalog, corpus_store, AS_OF)
    assert missing.status == "law_missing"
    assert missing.ref.law is None and missing.ref.known_law
    assert missing.doc_id is None
    assert "법령명" in missing.message and "law not named" in missing.message
    (found,) = resolve_citations("재산분할은 제839조의2에 따른다", corpus_catalog, corpus_store, AS_OF, default_law="민법")
    assert found.status == "found"
    assert "재산분할을 청구할 수 있다" in corpus_store.article(found.doc_id).text  # type: ignore[arg-type, union-attr]


def test_same_law_with_nothing_before_is_missing(corpus_catalog: LawCatalog, corpus_store: ArticleStore) -> None:
    (r,) = resolve_citations("같은 법 제5조", corpus_catalog, corpus_store, AS_OF)
    assert r.status == "law_missing"


def test_bare_law_mention_gives_context(corpus_catalog: LawCatalog) -> None:
    refs = find_citations("근로기준법상 통상임금의 정의는 제2조에 있다", corpus_catalog)
    assert [(r.law, r.article) for r in refs] == [("근로기준법", None), ("근로기준법", ArticleNumber(2))]


def test_statute_text_relative_citations(corpus_catalog: LawCatalog, corpus_store: ArticleStore) -> None:
    """A 시행령 article cites its parent as `법 제44조제1항`; bare 제N조 there is the 시행령's own article."""
    decree = next(s for s, _ in corpus_store.statutes() if s.title == "국민건강보험법 시행령")
    art19 = corpus_store.find_article(decree.mst, ArticleNumber(19))
    assert art19 is not None
    refs = find_citations(art19.text, corpus_catalog, default_law=decree.title, bare_means_default=True)
    assert (refs[0].law, refs[0].article, refs[0].detail) == ("국민건강보험법", ArticleNumber(44), "제1항")
    assert refs[0].raw == "법 제44조제1항"
    text = "법 제41조제3항 및 제42조에 따른 것은 제5조에 따른다"
    assert cites(text, corpus_catalog, default_law=decree.title, bare_means_default=True) == [
        ("국민건강보험법", "제41조", "제3항"),
        ("국민건강보험법", "제42조", ""),  # same list: still 법
        ("국민건강보험법 시행령", "제5조", ""),  # outside the list: the decree's own article
    ]
    text = "「법인세법」 제55조 및 제56조를 적용할 때 제3조에 따른다"
    assert cites(text, corpus_catalog, default_law="조세특례제한법", bare_means_default=True) == [
        ("법인세법", "제55조", ""),
        ("법인세법", "제56조", ""),
        ("조세특례제한법", "제3조", ""),
    ]


# -- middle dots and spaces --


def test_middle_dots_typed_any_way() -> None:
    st = Statute(
        law_id="000001", mst="1", title="초ㆍ중등교육법", kind="법률", promulgated=None,
        effective=date(2020, 1, 1), status="시행", source_url="", path="",
    )
    cat = LawCatalog.from_statutes([(st, False)])
    for typed in ("초ㆍ중등교육법", "초·중등교육법", "초중등교육법", "초・중등교육법", "「초·중등 교육법」"):
        assert cat.match_title(typed) == "초ㆍ중등교육법", typed
        assert cites(f"{typed} 제2조", cat) == [("초ㆍ중등교육법", "제2조", "")], typed


def test_match_title(corpus_catalog: LawCatalog) -> None:
    assert corpus_catalog.match_title("약관의규제에관한법률") == "약관의 규제에 관한 법률"
    assert corpus_catalog.match_title(" 「국민건강보험법 시행령」 ") == "국민건강보험법 시행령"
    assert corpus_catalog.match_title("국민건강보험법시행령") == "국민건강보험법 시행령"
    assert corpus_catalog.match_title("상증법 시행령") == "상속세 및 증여세법 시행령"
    assert corpus_catalog.match_title("조특법시행규칙") == "조세특례제한법 시행규칙"
    assert corpus_catalog.match_title("소득세법 시행령") == "소득세법 시행령"
    assert corpus_catalog.match_title("구 근로기준법") == "근로기준법"
    assert corpus_catalog.match_title("민법 시행령") is None  # there is no such decree
    assert corpus_catalog.match_title("사립학교법") is None
    assert corpus_catalog.match_title("") is None


def test_titles_and_law_ids(corpus_catalog: LawCatalog) -> None:
    titles = corpus_catalog.titles()
    assert len(titles) == len(set(titles)) == 70  # 74 files; 4 titles have two 법령IDs
    assert "개인정보 보호법" in titles and "국민건강보험법 시행령" in titles
    assert corpus_catalog.law_ids("근로기준법") == ["001872", "001769"]  # live law first, the 1997 stub last
    assert corpus_catalog.law_ids("국세징수법") == ["001585", "113522"]
    assert corpus_catalog.law_ids("민법") == ["001706"]
    assert corpus_catalog.law_ids("없는법") == []


# -- abbreviations --

BRIEF_ABBREVIATIONS = {
    "약관규제법": "약관의 규제에 관한 법률",
    "상증법": "상속세 및 증여세법",
    "조특법": "조세특례제한법",
    "부가세법": "부가가치세법",
    "근기법": "근로기준법",
    "국건법": "국민건강보험법",
    "개인정보법": "개인정보 보호법",
    "국기법": "국세기본법",
    "법인세법": "법인세법",
    "소법": "소득세법",
    "주임법": "주택임대차보호법",
    "상임법": "상가건물 임대차보호법",
    "채무자회생법": "채무자 회생 및 파산에 관한 법률",
    "전자상거래법": "전자상거래 등에서의 소비자보호에 관한 법률",
    "퇴직급여법": "근로자퇴직급여 보장법",
    "가족관계등록법": "가족관계의 등록 등에 관한 법률",
}


@pytest.mark.parametrize(("abbr", "title"), sorted(BRIEF_ABBREVIATIONS.items()))
def test_abbreviations(abbr: str, title: str, corpus_catalog: LawCatalog) -> None:
    assert corpus_catalog.match_title(abbr) == title
    refs = find_citations(f"{abbr} 제2조에 관한 질문", corpus_catalog)
    assert [(r.law, r.law_text, r.article) for r in refs] == [(title, abbr, ArticleNumber(2))]


def test_abbreviation_data_is_consistent(corpus_catalog: LawCatalog) -> None:
    data = load_abbreviations()
    titles = set(corpus_catalog.titles())
    for abbr, target in data.items():
        if target in titles:
            assert corpus_catalog.match_title(abbr) == target, abbr
        else:  # an official 약칭 of a law not in this corpus: ignored, reported as unknown
            assert corpus_catalog.match_title(abbr) is None, abbr
    raw = json.loads(Path(__file__).resolve().parents[1].joinpath("legal_rag/data/law_abbreviations.json").read_text())
    assert set(raw["abbreviations"]) == set(data)


def test_abbreviation_never_shadows_a_title() -> None:
    st = Statute("1", "1", "근기법", "법률", None, date(2020, 1, 1), "시행", "", "")
    live = Statute("2", "2", "근로기준법", "법률", None, date(2020, 1, 1), "시행", "", "")
    cat = LawCatalog.from_statutes([(st, False), (live, False)])
    assert cat.match_title("근기법") == "근기법"


def test_abbreviation_with_decree_in_text(corpus_catalog: LawCatalog) -> None:
    assert cites("조특법 시행령 제2조 및 상증법 제18조", corpus_catalog) == [
        ("조세특례제한법 시행령", "제2조", ""),
        ("상속세 및 증여세법", "제18조", ""),
    ]


# -- unknown laws and articles --


def test_unknown_article_reported_with_suggestions(corpus_catalog: LawCatalog, corpus_store: ArticleStore) -> None:
    (r,) = resolve_citations("민법 제9999조는?", corpus_catalog, corpus_store, AS_OF)
    assert r.status == "article_not_found"
    assert r.doc_id is None
    assert r.statute is not None and r.statute.title == "민법"
    assert r.suggestions and all(s.startswith("「민법」 제") for s in r.suggestions)
    assert "「민법」 제9999조를 찾을 수 없습니다" in r.message and "article not found" in r.message
    (r,) = resolve_citations("민법 제55조의2", corpus_catalog, corpus_store, AS_OF)
    assert r.status == "article_not_found"
    assert r.suggestions[:1] == ["「민법」 제55조"]


def test_unknown_law_reported_with_suggestions(corpus_catalog: LawCatalog, corpus_store: ArticleStore) -> None:
    (r,) = resolve_citations("「근로복지법」 제5조", corpus_catalog, corpus_store, AS_OF)
    assert r.status == "law_not_found"
    assert r.ref.law is None and r.ref.known_law is False and r.ref.law_text == "근로복지법"
    assert "근로기준법" in r.suggestions
    assert "「근로복지법」을 찾을 수 없습니다" in r.message and "law not found" in r.message
    (r,) = resolve_citations("국민건강보험법률 제44조", corpus_catalog, corpus_store, AS_OF)
    assert r.status == "law_not_found"
    assert r.suggestions[0] == "국민건강보험법"
    assert corpus_catalog.suggest("국민건강보험볍")[0] == "국민건강보험법"


def test_unknown_law_keeps_its_articles(corpus_catalog: LawCatalog, corpus_store: ArticleStore) -> None:
    """Articles listed after an unknown law belong to it, not to the law cited before it."""
    text = "근로기준법 제94조 제1항, 사립학교법 제30조, 제31조 제1항, 헌법 제10조"
    resolved = resolve_citations(text, corpus_catalog, corpus_store, AS_OF)
    assert [(r.ref.raw, r.status, r.ref.law_text) for r in resolved] == [
        ("근로기준법 제94조 제1항", "found", "근로기준법"),
        ("사립학교법 제30조", "law_not_found", "사립학교법"),
        ("제31조 제1항", "law_not_found", "사립학교법"),
        ("헌법 제10조", "law_not_found", "헌법"),
    ]


def test_unknown_multiword_law_name(corpus_catalog: LawCatalog) -> None:
    text = "민법 제844조, 생명윤리 및 안전에 관한 법률 제24조 제1항, 생명윤리 및 안전에 관한 법률 시행규칙 제20조"
    refs = find_citations(text, corpus_catalog)
    assert [(r.law, r.law_text, r.known_law) for r in refs] == [
        ("민법", "민법", True),
        (None, "생명윤리 및 안전에 관한 법률", False),
        (None, "생명윤리 및 안전에 관한 법률 시행규칙", False),
    ]


def test_unknown_quoted_law_mention_is_reported(corpus_catalog: LawCatalog, corpus_store: ArticleStore) -> None:
    resolved = resolve_citations("「사립학교법」에 따르면 「취업규칙」과 민법이", corpus_catalog, corpus_store, AS_OF)
    assert [(r.ref.law_text, r.status) for r in resolved] == [("사립학교법", "law_not_found")]
    with_mentions = resolve_citations("「사립학교법」과 민법", corpus_catalog, corpus_store, AS_OF, include_mentions=True)
    assert [(r.status, r.doc_id) for r in with_mentions] == [("law_not_found", None), ("found", None)]
    assert with_mentions[1].statute is not None and with_mentions[1].statute.law_id == "001706"


# -- versions and 법령IDs --


def test_labor_standards_act_is_the_live_law(corpus_catalog: LawCatalog, corpus_store: ArticleStore) -> None:
    (r,) = resolve_citations("근로기준법 제23조", corpus_catalog, corpus_store, date(2026, 12, 31))
    assert r.status == "found"
    assert r.statute is not None and r.statute.law_id == "001872"
    assert "정당한 이유 없이 해고" in corpus_store.article(r.doc_id).text  # type: ignore[arg-type, union-attr]
    assert r.pending and "시행 예정 2027-01-01" in r.message
    (r,) = resolve_citations("근기법 제23조", corpus_catalog, corpus_store, date(2027, 1, 1))
    assert r.statute is not None and r.statute.law_id == "001872" and not r.pending
    # even long before the live law's 시행일자 the 1997 stub never stands in
    (r,) = resolve_citations("근로기준법 제23조", corpus_catalog, corpus_store, date(1999, 1, 1))
    assert r.statute is not None and r.statute.law_id == "001872" and r.pending


def test_health_insurance_act_pending_until_2026_12_24(corpus_catalog: LawCatalog, corpus_store: ArticleStore) -> None:
    for day, pending in [(date(2026, 12, 23), True), (date(2026, 12, 24), False), (date(2027, 6, 1), False)]:
        (r,) = resolve_citations("「국민건강보험법」제44조", corpus_catalog, corpus_store, day)
        assert r.status == "found"
        assert r.pending is pending, day
        assert ("시행 예정" in r.message) is pending


def test_two_versions_of_one_law(law_dir: Path, tmp_path: Path) -> None:
    """A copy of 약관의 규제에 관한 법률 with a later 시행일자 and changed 제5조: the date picks the version."""
    original = (law_dir / "약관의규제에관한법률" / "법률.md").read_text(encoding="utf-8")
    old_statute, old_articles = parse_statute_markdown(original, "old.md")
    newer = re.sub(r"^법령MST: .*$", "법령MST: 999999", original, count=1, flags=re.M)
    newer = re.sub(r"^시행일자: .*$", "시행일자: 2030-01-01", newer, count=1, flags=re.M)
    newer = newer.replace("고객에게 유리하게 해석되어야 한다", "고객에게 더욱 유리하게 해석되어야 한다")
    new_statute, new_articles = parse_statute_markdown(newer, "new.md")
    assert new_statute.law_id == old_statute.law_id and new_statute.mst == "999999"
    path = tmp_path / "two.sqlite"
    write_store(path, [(old_statute, old_articles), (new_statute, new_articles)])
    st = ArticleStore(path)
    try:
        cat = LawCatalog.from_statutes(st.statutes())
        (before,) = resolve_citations("약관규제법 제5조", cat, st, date(2029, 12, 31))
        (after,) = resolve_citations("약관규제법 제5조", cat, st, date(2030, 1, 1))
        assert (before.doc_id, before.pending) == (f"{old_statute.mst}:제5조", False)
        assert (after.doc_id, after.pending) == ("999999:제5조", False)
        assert "더욱 유리하게" in st.article(after.doc_id).text  # type: ignore[arg-type, union-attr]
        assert "더욱" not in st.article(before.doc_id).text  # type: ignore[arg-type, union-attr]
    finally:
        st.close()


def test_former_law_is_flagged(corpus_catalog: LawCatalog, corpus_store: ArticleStore) -> None:
    text = "구 근로기준법(2005. 1. 27. 법률 제7379호로 개정되기 전의 것) 제18조(현행 제2조 제1항 제5호 참조), 제34조"
    refs = find_citations(text, corpus_catalog)
    assert [(r.law, r.article.label if r.article else None, r.former) for r in refs] == [
        ("근로기준법", "제18조", True),
        ("근로기준법", "제2조", False),  # 현행
        ("근로기준법", "제34조", True),
    ]
    assert refs[0].raw.startswith("구 근로기준법(")
    resolved = resolve_citations(text, corpus_catalog, corpus_store, date(2027, 1, 1))
    assert "구법" in resolved[0].message and "구법" not in resolved[1].message


# -- things that are not citations --


@pytest.mark.parametrize(
    "text",
    [
        "경제 3조 원 규모",
        "근로기준법 위반 과징금 3조원",
        "손해배상 법리와 보상법 제3조",  # 보상법 is not 상법 (it is an unknown law)
        "계약 상 법적 효과",
        "같은 법원에서 같은 법인이",
        "부칙 제2조에 따른 경과조치",
    ],
)
def test_not_catalog_citations(text: str, corpus_catalog: LawCatalog) -> None:
    refs = find_citations(text, corpus_catalog)
    assert all(r.article is None or not r.known_law for r in refs), refs
    assert "상법" not in find_law_mentions(text, corpus_catalog)


def test_find_law_mentions(corpus_catalog: LawCatalog) -> None:
    assert find_law_mentions("근로기준법상 통상임금", corpus_catalog) == ["근로기준법"]
    text = "국민건강보험법 시행령과 「민법」, 근기법, 다시 민법, 약관의규제에관한법률상 해석"
    assert find_law_mentions(text, corpus_catalog) == [
        "국민건강보험법 시행령", "민법", "근로기준법", "약관의 규제에 관한 법률"
    ]
    assert find_law_mentions("", corpus_catalog) == []


# -- the dev set's own citation strings --


def test_dev_set_gold_citations_resolve(dev_set: Path, corpus_catalog: LawCatalog, corpus_store: ArticleStore) -> None:
    """Every gold (law, article) of the dev set is found when its raw citation string is resolved."""
    lines = [json.loads(line) for line in dev_set.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(lines) >= 50
    for item in lines:
        resolved = resolve_citations(item["raw_citations"], corpus_catalog, corpus_store, AS_OF)
        found = {(r.ref.law, r.ref.article.label) for r in resolved if r.status == "found" and r.ref.article}
        gold = {(g["law"], g["article"]) for g in item["gold"]}
        assert gold <= found, (item["id"], gold - found)
        # nothing that was written is silently dropped: each 제N조 of the string is accounted for
        written = len(re.findall(r"제\s*\d+\s*조", item["raw_citations"]))
        assert len(resolved) >= written - item["raw_citations"].count("부칙"), item["id"]


def test_empty_and_plain_text(corpus_catalog: LawCatalog, corpus_store: ArticleStore) -> None:
    assert find_citations("", corpus_catalog) == []
    assert resolve_citations("조문 인용이 없는 질문입니다", corpus_catalog, corpus_store, AS_OF) == []


def test_resolved_is_immutable(corpus_catalog: LawCatalog) -> None:
    (ref,) = find_citations("민법 제1조", corpus_catalog)
    with pytest.raises(AttributeError):
        ref.law = "형법"  # type: ignore[misc]
    assert replace(ref, law="형법").law == "형법"


def test_checking_a_generated_answer(corpus_catalog: LawCatalog, corpus_store: ArticleStore) -> None:
    """The answer check: every `법령명 제N조` is parsed; what the index lacks is flagged, not shown as a source."""
    answer = (
        "근로기준법 제23조제1항에 따르면 사용자는 정당한 이유 없이 해고하지 못합니다. 또한 같은 법 제26조는 "
        "해고 예고를 규정합니다. 민법 제750조(불법행위의 내용)도 참고하세요. 근로기준법 제999조와 "
        "「근로자보호법」 제3조는 존재하지 않습니다."
    )
    resolved = resolve_citations(answer, corpus_catalog, corpus_store, date(2027, 1, 1))
    assert [(r.ref.raw, r.status) for r in resolved] == [
        ("근로기준법 제23조제1항", "found"),
        ("같은 법 제26조", "found"),
        ("민법 제750조", "found"),
        ("근로기준법 제999조", "article_not_found"),
        ("「근로자보호법」 제3조", "law_not_found"),
    ]
    assert corpus_store.article(resolved[1].doc_id).title == "해고의 예고"  # type: ignore[arg-type, union-attr]
    assert all(r.message for r in resolved)
