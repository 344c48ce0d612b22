"""The request models check and normalise their own input (app.api.fields): questions, top_k within the
configured limit, real as_of dates, law filters, article numbers as typed for real statute articles."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from app.api.fields import ArticleLabel, failed_check, request_limits
from app.api.models import AsOfQuery, SearchQuery
from app.api.routes.precedents import ArticlePrecedentsQuery, PrecedentSearchQuery
from app.errors import jsonable_errors, validation_message
from app.schemas import AskForm, AskRequest
from app.settings import Settings
from ingest.markdown_source import parse_markdown_file
from legal_rag.versions import today_kst

LIMITED = Settings(max_question_chars=100, max_top_k=10, csrf_secret="test-secret-" + "x" * 20)
ARTICLE = TypeAdapter(ArticleLabel)


def errors_of(exc: pytest.ExceptionInfo[ValidationError]) -> list[dict[str, Any]]:
    return exc.value.errors()  # type: ignore[return-value]


def only_check(exc: pytest.ExceptionInfo[ValidationError]) -> tuple[str, str]:
    """(field, bilingual message) of the one failed check in a ValidationError."""
    [error] = errors_of(exc)
    check = failed_check(error)
    assert check is not None, error
    return check


# ---------------------------------------------------------------------------------------------- questions


def test_question_is_stripped_and_blank_is_refused() -> None:
    req = AskRequest(question="  「민법」 제54조의 뜻은?\n")
    assert req.question == "「민법」 제54조의 뜻은?"
    with pytest.raises(ValidationError) as exc:
        AskRequest(question=" \n\t ")
    assert only_check(exc) == ("question", "질문을 입력하십시오 / the question must not be empty")
    with pytest.raises(ValidationError) as exc:
        AskRequest(question="")
    assert errors_of(exc)[0]["type"] == "string_too_short"  # the schema's own constraint, as documented
    # The search query names its own field in the error.
    with pytest.raises(ValidationError) as exc:
        SearchQuery(q="   ")
    assert only_check(exc)[0] == "q"
    assert PrecedentSearchQuery(q="  성전환자의 성별정정  ").q == "성전환자의 성별정정"


def test_configured_limits_come_from_the_validation_context() -> None:
    question = "근로기준법 제26조 해고의 예고 " * 8  # 152 characters: within the schema's 2000
    assert len(question) > LIMITED.max_question_chars
    assert AskRequest.model_validate({"question": question}).question == question.strip()  # defaults: 2000
    with pytest.raises(ValidationError) as exc:
        AskRequest.model_validate({"question": question}, context={"settings": LIMITED})
    assert only_check(exc) == ("question",
                               "질문이 너무 깁니다 (최대 100자) / the question is too long (at most 100 characters)")
    assert AskRequest.model_validate({"question": "민법 제54조", "top_k": 11}).top_k == 11
    with pytest.raises(ValidationError) as exc:
        AskRequest.model_validate({"question": "민법 제54조", "top_k": 11}, context={"settings": LIMITED})
    assert only_check(exc) == ("top_k", "top_k는 1에서 10 사이여야 합니다 / top_k must be 1..10")
    with pytest.raises(ValidationError) as exc:
        SearchQuery.model_validate({"q": "민법", "top_k": 51})
    assert errors_of(exc)[0]["type"] == "less_than_equal"  # the schema's cap, whatever the settings


def test_configured_limits_of_the_serving_app_apply_without_a_context() -> None:
    """What the middleware does per request: the app's own settings hold while its request is validated."""
    token = request_limits.set(LIMITED)
    try:
        with pytest.raises(ValidationError) as exc:
            SearchQuery.model_validate({"q": "민법", "top_k": 11})
        assert only_check(exc)[0] == "top_k"
    finally:
        request_limits.reset(token)
    assert SearchQuery.model_validate({"q": "민법", "top_k": 11}).top_k == 11


# ---------------------------------------------------------------------------------------------- as_of


def test_as_of_is_a_real_date_and_defaults_to_today() -> None:
    assert AskRequest(question="민법").as_of == today_kst()
    assert AskRequest.model_validate({"question": "민법", "as_of": None}).as_of == today_kst()
    assert AsOfQuery.model_validate({"as_of": "2024-02-29"}).as_of == date(2024, 2, 29)  # a leap day
    for bad in ("2023-02-29", "2024-13-45", "0000-01-01"):
        with pytest.raises(ValidationError) as exc:
            AsOfQuery.model_validate({"as_of": bad})
        assert only_check(exc) == ("as_of", f"기준일(as_of)은 YYYY-MM-DD 형식의 실제 날짜여야 합니다: {bad!r} / "
                                            f"as_of must be a real date YYYY-MM-DD")
    # Not the documented pattern: pydantic's own error, as the OpenAPI schema states it.
    for bad, kind in (("2024/01/01", "string_pattern_mismatch"), ("", "string_pattern_mismatch"),
                      (20240101, "string_type")):
        with pytest.raises(ValidationError) as exc:
            ArticlePrecedentsQuery.model_validate({"as_of": bad})
        [error] = errors_of(exc)
        assert error["type"] == kind and failed_check(error) is None


def test_the_form_takes_a_blank_date_as_today_and_checks_the_rest() -> None:
    form = AskForm.model_validate({"question": "해고 예고", "as_of": "", "laws": [""]})
    assert form.as_of == today_kst() and form.laws == []
    assert AskForm.model_validate({"question": "해고 예고", "as_of": " 2026-06-01 "}).as_of == date(2026, 6, 1)
    with pytest.raises(ValidationError) as exc:
        AskForm.model_validate({"question": "해고 예고", "as_of": "2024/01/01"})
    assert only_check(exc)[0] == "as_of"  # the form has no pattern step: the date check says what is wrong


# ---------------------------------------------------------------------------------------------- law filters


def test_law_filters_drop_blanks_and_are_bounded() -> None:
    assert AskRequest(question="해고", laws=["근로기준법", " ", "", "근기법"]).laws == ["근로기준법", "근기법"]
    assert SearchQuery.model_validate({"q": "해고", "law": ["근로기준법", "  "]}).laws == ["근로기준법"]
    message = "법령 필터는 20개, 각 100자까지입니다 / at most 20 law filters of 100 characters"
    with pytest.raises(ValidationError) as exc:
        SearchQuery.model_validate({"q": "해고", "law": ["근로기준법"] * 21})
    assert only_check(exc) == ("laws", message)
    with pytest.raises(ValidationError) as exc:
        AskForm.model_validate({"question": "해고", "laws": ["가" * 101]})
    assert only_check(exc) == ("laws", message)
    # The JSON body documents at most 20 entries, blank ones included (pydantic's error).
    with pytest.raises(ValidationError) as exc:
        AskRequest(question="해고", laws=["근로기준법"] * 20 + [" "])
    assert errors_of(exc)[0]["type"] == "too_long"


# ---------------------------------------------------------------------------------------------- article numbers


def test_every_article_of_the_civil_code_normalises_from_the_ways_it_is_typed(law_dir: Path) -> None:
    report = parse_markdown_file(law_dir / "민법" / "법률.md")
    labels = [a.number for a in report.articles if not a.is_addendum]
    assert len(labels) > 1000 and "제54조" in labels and "제839조의2" in labels
    for label in labels:
        main, _, sub = label.removeprefix("제").partition("조")
        sub = sub.removeprefix("의")
        typed = [label, main + (f"의{sub}" if sub else ""), f"제 {main} 조" + (f"의 {sub}" if sub else "")]
        assert {ARTICLE.validate_python(t) for t in typed} == {label}, typed
    assert ARTICLE.validate_python("54") == "제54조"


@pytest.mark.parametrize("typed", ["오십사", "제100001조", "제99999999999999999999조", "조문"])
def test_not_an_article_number_is_refused(typed: str) -> None:
    with pytest.raises(ValidationError) as exc:
        ARTICLE.validate_python(typed)
    assert only_check(exc) == ("article", f"조문 번호 형식이 아닙니다: {typed!r} (예: 제54조, 제839조의2) / "
                                          "not an article number")


# ---------------------------------------------------------------------------------------------- rendering


def test_a_models_errors_render_as_the_api_renders_them() -> None:
    """The web form renders a model's own ValidationError with the message function of the JSON routes."""
    with pytest.raises(ValidationError) as exc:
        AskForm.model_validate({"question": "   ", "as_of": "2026-02-30"}, context={"settings": LIMITED})
    errors = errors_of(exc)
    assert validation_message(errors, LIMITED) == (
        "질문을 입력하십시오 / the question must not be empty; 기준일(as_of)은 YYYY-MM-DD 형식의 실제 날짜여야 "
        "합니다: '2026-02-30' / as_of must be a real date YYYY-MM-DD")
    assert jsonable_errors(errors) == [{"loc": ["question"], "msg": "empty", "type": "value_error"},
                                       {"loc": ["as_of"], "msg": "invalid date", "type": "value_error"}]
