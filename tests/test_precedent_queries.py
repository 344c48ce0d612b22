"""Library queries over ingested decisions: cited-by, search, lookup by case number, case-number checks,
and the article signal for statute retrieval (legal_rag.precedents.service / search / verify)."""

from __future__ import annotations

from typing import Any

import pytest

from legal_rag.precedents import service as ps
from legal_rag.precedents.case_numbers import CaseNumberError
from legal_rag.precedents.search import UnknownCaseError
from legal_rag.precedents.verify import check_case_numbers
from legal_rag.search.engine import UnknownLawError

pytest_plugins = ("precedent_fixtures",)

OWN = "민사/대법원/대법원_2001-05-08_99다38699.md"


def test_cited_by_gives_the_citing_issue(precedent_engine: Any) -> None:
    r = ps.cited_by(precedent_engine, "민법", "제750조")
    assert r is not None and r.law == "민법" and r.article == "제750조"
    [d] = r.decisions
    assert d.decision.case_number == "99다38699"
    assert [i.marker for i in d.issues] == ["[3]", "[4]"]
    assert d.issues[0].holding.startswith("독립한 경제주체간의 경쟁적 계약관계")


def test_cited_by_is_newest_first_and_typed_forms_work(precedent_engine: Any) -> None:
    r = ps.cited_by(precedent_engine, "형법", "288조")
    assert r is not None
    dates = [d.decision.decided for d in r.decisions]
    assert dates == sorted(dates, reverse=True) and len(dates) >= 2
    assert r.decisions[0].decision.case_number == "2010도14328"  # 2013, via 형법 제288조 제3항


def test_former_versions_are_not_cited_by_the_current_article(precedent_engine: Any) -> None:
    current = {d.decision.case_number for d in ps.cited_by(precedent_engine, "국세기본법", "제45조의2").decisions}
    assert "2012두27183" in current  # 국세기본법 제45조의2 제1항 (current)
    assert "2010두11733" not in current  # only 구 국세기본법(2007. 12. 31. …) 제45조의2
    index = ps.precedents_for(precedent_engine)
    law_id = ps.cited_by(precedent_engine, "국세기본법", "제45조의2").law_id
    with_former = {c.case_number for c in index.cited_by(law_id, 45, 2, include_former=True)}
    assert "2010두11733" in with_former


def test_cited_by_unknown_law_and_missing_article(precedent_engine: Any) -> None:
    with pytest.raises(UnknownLawError):
        ps.cited_by(precedent_engine, "없는법", "제1조")
    assert ps.cited_by(precedent_engine, "민법", "제9999조") is None


def test_search_finds_the_decision_by_its_issue(precedent_engine: Any) -> None:
    hits = ps.search_decisions(precedent_engine, "성전환자의 성별정정 허가 요건", 3)
    assert hits[0].decision.case_number == "2009스117"
    assert "성별정정" in hits[0].issues[0].holding


def test_search_by_typed_case_number_is_exact(precedent_engine: Any) -> None:
    hits = ps.search_decisions(precedent_engine, "대법원 2001. 5. 8. 선고 99다38699 판결", 5)
    assert [h.decision.case_number for h in hits] == ["99다38699"]


@pytest.mark.parametrize("typed", ["99다38699", "1999다38699", "대법원 2001. 5. 8. 선고 99다38699 판결", "99 다 38699"])
def test_lookup_in_any_common_form(precedent_engine: Any, typed: str) -> None:
    [rec] = ps.precedents_for(precedent_engine).lookup(typed)
    assert rec.case_number == "99다38699" and rec.source == OWN


def test_lookup_unknown_and_malformed(precedent_engine: Any) -> None:
    index = ps.precedents_for(precedent_engine)
    with pytest.raises(UnknownCaseError) as err:
        index.lookup("99다38698")
    assert "99다38699" in err.value.suggestions
    with pytest.raises(CaseNumberError):
        index.lookup("2099가99999")


def test_case_number_statuses(precedent_engine: Any) -> None:
    index = ps.precedents_for(precedent_engine)
    text = ("대법원 2001. 5. 8. 선고 99다38699 판결, 대법원 2002. 5. 8. 선고 2009스117 판결, "
            "대법원 2010. 5. 13. 선고 2009도1373 판결, 대법원 2099다99999, 대법원 1964. 12. 29. 선고 64다804 판결")
    got = {c.case_number: c for c in check_case_numbers(text, index, {"99다38699", "2009스117"})}
    assert got["99다38699"].status == "verified"
    assert got["2009스117"].status == "wrong_court_or_date"  # decided 2011-09-02, not 2002-05-08
    assert got["2009도1373"].status == "not_in_context"
    assert got["2099다99999"].status == "not_found" and got["2099다99999"].decision is None
    # cited in 99다38699's 참조판례, but its text is not in the corpus: still unverifiable
    assert got["64다804"].status == "not_found" and got["64다804"].referenced_by == ["99다38699"]


def test_article_scores_point_at_the_cited_articles_and_respect_exclusion(precedent_engine: Any) -> None:
    q = "독립한 경제주체간의 경쟁적 계약관계에서 제3자에 의한 채권침해가 불법행위가 되기 위한 요건"
    scores = ps.precedent_article_scores(precedent_engine, q)
    best = max(scores, key=scores.__getitem__)
    assert best.endswith(":제750조")
    without = ps.precedent_article_scores(precedent_engine, q, exclude_sources=[OWN])
    assert not any(k.endswith(":제750조") for k in without)  # only 99다38699 cites 민법 제750조
