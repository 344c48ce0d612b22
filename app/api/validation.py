"""Checks beyond the pydantic schema (whitespace-only questions, configured limits, real dates, article
numbers), shared by the JSON routes and the web form; each failure is a 422 ApiError with a bilingual message."""

from __future__ import annotations

import re
from datetime import date

from app.errors import ApiError
from app.schemas import AskRequest
from app.settings import Settings
from legal_rag.articles import ArticleNumber
from legal_rag.versions import today_kst

MAX_LAW_FILTERS = 20
MAX_LAW_NAME = 100
MAX_ARTICLE_MAIN = 100_000  # no statute has more; larger numbers would overflow SQLite integers


def parse_as_of(value: str | None) -> date:
    if value is None or value == "":
        return today_kst()
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise ApiError(422, "validation_error",
                       f"기준일(as_of)은 YYYY-MM-DD 형식의 실제 날짜여야 합니다: {value!r} / "
                       f"as_of must be a real date YYYY-MM-DD", detail=[{"loc": ["as_of"], "msg": "invalid date",
                                                                        "type": "value_error"}]) from None


def check_question(question: str, settings: Settings, field_name: str = "question") -> str:
    q = question.strip()
    if not q:
        raise ApiError(422, "validation_error", "질문을 입력하십시오 / the question must not be empty",
                       detail=[{"loc": [field_name], "msg": "empty", "type": "value_error"}])
    if len(question) > settings.max_question_chars:
        n = settings.max_question_chars
        raise ApiError(422, "validation_error",
                       f"질문이 너무 깁니다 (최대 {n}자) / the question is too long (at most {n} characters)",
                       detail=[{"loc": [field_name], "msg": "too long", "type": "value_error"}])
    return q


def check_top_k(top_k: int, settings: Settings) -> int:
    if not 1 <= top_k <= settings.max_top_k:
        raise ApiError(422, "validation_error",
                       f"top_k는 1에서 {settings.max_top_k} 사이여야 합니다 / top_k must be 1..{settings.max_top_k}",
                       detail=[{"loc": ["top_k"], "msg": "out of range", "type": "value_error"}])
    return top_k


def check_laws(laws: list[str]) -> list[str]:
    laws = [x for x in laws if x.strip()]
    if len(laws) > MAX_LAW_FILTERS or any(len(x) > MAX_LAW_NAME for x in laws):
        raise ApiError(422, "validation_error",
                       f"법령 필터는 {MAX_LAW_FILTERS}개, 각 {MAX_LAW_NAME}자까지입니다 / "
                       f"at most {MAX_LAW_FILTERS} law filters of {MAX_LAW_NAME} characters",
                       detail=[{"loc": ["laws"], "msg": "too many or too long", "type": "value_error"}])
    return laws


def validate_ask(req: AskRequest, settings: Settings) -> tuple[str, date, list[str]]:
    question = check_question(req.question, settings)
    check_top_k(req.top_k, settings)
    return question, parse_as_of(req.as_of), check_laws(req.laws)


def article_number(article: str) -> str:
    """The canonical label (제839조의2) of an article given as 제54조, 54, 제839조의2, …; 422 otherwise."""
    try:
        number = ArticleNumber.parse(article)
    except ValueError:
        number = None
    if number is None or number.main > MAX_ARTICLE_MAIN or number.sub > MAX_ARTICLE_MAIN:
        raise ApiError(422, "validation_error",
                       f"조문 번호 형식이 아닙니다: {article!r} (예: 제54조, 제839조의2) / not an article number",
                       detail=[{"loc": ["article"], "msg": "not an article number", "type": "value_error"}])
    return number.label
