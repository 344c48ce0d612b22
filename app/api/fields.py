"""Checked request fields: one definition of each request check (question, top_k, as_of, law filters, article
number), as Annotated types whose validators the request models use: app.schemas.AskRequest and AskForm (the
JSON answer routes and the web form), app.api.models.SearchQuery and AsOfQuery, and the precedent routes' query
models.

Constraints the OpenAPI document states (lengths, ranges, the YYYY-MM-DD pattern) are pydantic's own errors,
worded by app.errors.validation_message. A check beyond them raises `check_failed(...)`: a PydanticCustomError
of type value_error whose context carries the bilingual message and the field its `detail` names; app.errors
renders it as the 422 validation_error it has always been (and the web form shows the same message).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Protocol

from pydantic import AfterValidator, BeforeValidator, Field, ValidationInfo, WithJsonSchema
from pydantic_core import PydanticCustomError, PydanticKnownError

from legal_rag.articles import ArticleNumber
from legal_rag.versions import today_kst

MAX_QUESTION_CHARS = 2000  # the schema's cap; settings.max_question_chars may lower it (never raise it)
MAX_TOP_K = 50  # likewise settings.max_top_k
MAX_LAW_FILTERS = 20
MAX_LAW_NAME = 100
MAX_ARTICLE_MAIN = 100_000  # no statute has more; larger numbers would overflow SQLite integers
MAX_ARTICLE_CHARS = 40
DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}$"
_DATE_RE = re.compile(DATE_PATTERN)

# Context keys of a failed check (read back by `failed_check`).
_FIELD = "field"
_MESSAGE = "message"


def check_failed(field: str, msg: str, message: str) -> PydanticCustomError:
    """A failed request check: `msg` is the short text of its `detail` entry, `message` the bilingual sentence
    the client sees; `detail` names `field` as these checks always have (no body/query/path prefix)."""
    return PydanticCustomError("value_error", msg, {_FIELD: field, _MESSAGE: message})


def failed_check(error: Mapping[str, Any]) -> tuple[str, str] | None:
    """(field, bilingual message) of an error raised by `check_failed`; None for any other error."""
    ctx = error.get("ctx") or {}
    field, message = ctx.get(_FIELD), ctx.get(_MESSAGE)
    if error.get("type") == "value_error" and isinstance(field, str) and isinstance(message, str):
        return field, message
    return None


# ---------------------------------------------------------------------------------------------- configured limits


class Limits(Protocol):
    """The configurable limits the checks apply: app.settings.Settings has them (a protocol, not Settings: the
    settings module imports the generation package, which imports app.schemas, which uses these types)."""

    @property
    def max_question_chars(self) -> int: ...

    @property
    def max_top_k(self) -> int: ...


@dataclass(frozen=True)
class DefaultLimits:
    max_question_chars: int = MAX_QUESTION_CHARS
    max_top_k: int = MAX_TOP_K


# The settings of the app serving the current request, set by app.middleware for every request (see
# `configured`).
request_limits: ContextVar[Limits | None] = ContextVar("legal_rag_request_limits", default=None)


def configured(info: ValidationInfo) -> Limits:
    """The limits that apply (max_question_chars, max_top_k).

    A caller that validates a model itself passes its settings as the validation context, `model_validate(data,
    context={"settings": settings})` (the web form, tests). FastAPI validates request models without a context,
    so for the JSON routes they are the settings of the app serving the request, which app.middleware puts in
    `request_limits` for every request: each app's own Settings, so an app a test creates with overridden
    limits validates with those. (The alternative, a dependency that validates the raw body again with a
    context, validates twice and loses the models' place in the OpenAPI document.) Outside both: the defaults
    (the schema's caps)."""
    given = (info.context or {}).get("settings")
    return given or request_limits.get() or DefaultLimits()


# ---------------------------------------------------------------------------------------------- checks


def _question(value: str, info: ValidationInfo) -> str:
    """The question stripped; blank, or longer than the configured limit, is refused."""
    field = info.field_name or "question"
    text = value.strip()
    if not text:
        raise check_failed(field, "empty", "질문을 입력하십시오 / the question must not be empty")
    n = configured(info).max_question_chars
    if len(value) > n:
        raise check_failed(field, "too long",
                           f"질문이 너무 깁니다 (최대 {n}자) / the question is too long (at most {n} characters)")
    return text


def _top_k(value: int, info: ValidationInfo) -> int:
    n = configured(info).max_top_k
    if not 1 <= value <= n:
        raise check_failed("top_k", "out of range", f"top_k는 1에서 {n} 사이여야 합니다 / top_k must be 1..{n}")
    return value


def real_date(text: str) -> date:
    """`text` as a date: YYYY-MM-DD naming a real day (2024-02-30 and 0000-01-01 are refused)."""
    try:
        if not _DATE_RE.fullmatch(text):
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise check_failed("as_of", "invalid date",
                           f"기준일(as_of)은 YYYY-MM-DD 형식의 실제 날짜여야 합니다: {text!r} / "
                           f"as_of must be a real date YYYY-MM-DD") from None


def _as_of(value: object) -> date:
    """The API's as_of: absent or null is today (KST); otherwise a string of the documented pattern (pydantic's
    own string_type / string_pattern_mismatch errors, as the schema states) naming a real day."""
    if value is None:
        return today_kst()
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        raise PydanticKnownError("string_type")
    if not _DATE_RE.fullmatch(value):
        raise PydanticKnownError("string_pattern_mismatch", {"pattern": DATE_PATTERN})
    return real_date(value)


def _form_date(value: object) -> date:
    """The web form's as_of: a blank field is today; surrounding spaces are ignored."""
    if isinstance(value, date):
        return value
    if value is not None and not isinstance(value, str):
        raise PydanticKnownError("string_type")
    text = (value or "").strip()
    return real_date(text) if text else today_kst()


def _laws(value: list[str]) -> list[str]:
    """Law filters without blank entries, at most MAX_LAW_FILTERS of at most MAX_LAW_NAME characters."""
    laws = [x for x in value if x.strip()]
    if len(laws) > MAX_LAW_FILTERS or any(len(x) > MAX_LAW_NAME for x in laws):
        raise check_failed("laws", "too many or too long",
                           f"법령 필터는 {MAX_LAW_FILTERS}개, 각 {MAX_LAW_NAME}자까지입니다 / "
                           f"at most {MAX_LAW_FILTERS} law filters of {MAX_LAW_NAME} characters")
    return laws


def _article(value: str) -> str:
    """The canonical label (제839조의2) of an article given as 제54조, 54, 제839조의2, …"""
    try:
        number = ArticleNumber.parse(value)
    except ValueError:
        number = None
    if number is None or number.main > MAX_ARTICLE_MAIN or number.sub > MAX_ARTICLE_MAIN:
        raise check_failed("article", "not an article number",
                           f"조문 번호 형식이 아닙니다: {value!r} (예: 제54조, 제839조의2) / not an article number")
    return number.label


# ---------------------------------------------------------------------------------------------- field types

# A question or search query: 1..2000 characters (schema), not blank, within settings.max_question_chars;
# validated to the stripped text.
Question = Annotated[str, Field(min_length=1, max_length=MAX_QUESTION_CHARS), AfterValidator(_question)]
# Results wanted: 1..50 (schema), within settings.max_top_k.
TopK = Annotated[int, Field(ge=1, le=MAX_TOP_K), AfterValidator(_top_k)]
# The day whose statute versions apply, YYYY-MM-DD; absent or null: today (KST). Give the field
# `Field(default_factory=today_kst)`. The schema is the string pattern the API has always documented.
AsOf = Annotated[date, BeforeValidator(_as_of),
                 WithJsonSchema({"anyOf": [{"type": "string", "pattern": DATE_PATTERN}, {"type": "null"}]})]
# The web form's as_of (blank: today).
FormDate = Annotated[date, BeforeValidator(_form_date)]
# Law titles or abbreviations to search within; blank entries dropped.
LawFilters = Annotated[list[str], AfterValidator(_laws)]
# An article number as typed (제54조, 54, 제839조의2), validated to its canonical label.
ArticleLabel = Annotated[str, Field(min_length=1, max_length=MAX_ARTICLE_CHARS), AfterValidator(_article)]
