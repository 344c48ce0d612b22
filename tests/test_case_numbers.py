"""Case numbers in the forms people and courts write them (legal_rag.precedents.case_numbers)."""

from __future__ import annotations

from datetime import date

import pytest

from legal_rag.precedents.case_numbers import (
    CaseNumberError,
    case_code_info,
    find_case_numbers,
    parse_case_number,
)


def test_bare_number_parses_to_year_code_serial() -> None:
    n = parse_case_number("2010다12345")
    assert (n.year, n.code, n.serial, n.key) == (2010, "다", 12345, "2010다12345")


def test_two_digit_year_before_2000_and_four_digit_typing_share_a_key() -> None:
    assert parse_case_number("99두9902").year == 1999
    assert parse_case_number("1999두9902").key == "99두9902"


def test_full_citation_gives_court_date_and_type() -> None:
    [m] = find_case_numbers("대법원 2010. 12. 23. 선고 2008다75119 판결")
    assert [n.key for n in m.numbers] == ["2008다75119"]
    assert (m.court, m.decided, m.decision_type, m.en_banc) == ("대법원", date(2010, 12, 23), "판결", False)


def test_joined_cases_repeat_year_and_code() -> None:
    [m] = find_case_numbers("2017다35588, 35595")
    assert [n.key for n in m.numbers] == ["2017다35588", "2017다35595"]


def test_en_banc_decision_and_several_serials() -> None:
    # as published in 2004스42's 참조판례
    [m] = find_case_numbers("대법원 1993. 5. 22. 자 93스14, 15, 16 전원합의체 결정(공1993상, 1402)")
    assert [n.key for n in m.numbers] == ["93스14", "93스15", "93스16"]
    assert m.en_banc and m.decision_type == "결정"


def test_constitutional_court_codes() -> None:
    [m] = find_case_numbers("헌법재판소 2009. 2. 26. 선고 2008헌마370, 2008헌바147 전원재판부 결정")
    assert [n.key for n in m.numbers] == ["2008헌마370", "2008헌바147"]
    assert m.court == "헌법재판소"


def test_old_codes_and_dangi_years() -> None:
    [m] = find_case_numbers("대법원 1984. 5. 29. 선고 83다119, 83다카341 판결")
    assert [n.code for n in m.numbers] == ["다", "다카"]
    assert parse_case_number("4293민상302").year == 1960


def test_court_is_inherited_within_a_list_without_spaces_in_dates() -> None:
    # 90므1067's 참조판례: the second decision does not repeat 대법원
    text = "대법원 1979.2.13. 선고, 78므34 판결(공1979,11808), \n \n1987.7.21. 선고, 87므24 판결(공1987,1393)"
    first, second = find_case_numbers(text)
    assert second.numbers[0].key == "87므24"
    assert second.court == "대법원" and not second.court_written
    assert second.decided == date(1987, 7, 21)


def test_publication_references_and_article_numbers_are_not_case_numbers() -> None:
    assert find_case_numbers("(공1995하, 3544) 제2010조 집12-2, 민225") == []


def test_unknown_code_is_malformed_with_reason() -> None:
    with pytest.raises(CaseNumberError, match="사건부호"):
        parse_case_number("2010가12345")
    with pytest.raises(CaseNumberError):
        parse_case_number("2010다")
    with pytest.raises(CaseNumberError):
        parse_case_number("1234다5")  # no court used year 1234


def test_code_table_cites_names() -> None:
    assert case_code_info("두")["name"] == "행정상고사건"  # type: ignore[index]
    assert case_code_info("가") is None
