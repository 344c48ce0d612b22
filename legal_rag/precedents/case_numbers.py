"""Korean case numbers (사건번호): `2010다12345`, `99두9902`, `4293민상302`, and the forms people write them in.

A case number is <year><사건부호><serial>: the year of filing (two digits before 2000, four from 2000; the old
단기 years 42xx in the 1950s-60s), the case-type code from the courts' published table
(legal_rag/data/case_codes.json, from 「사건별 부호문자의 부여에 관한 예규」), and a serial. Forms handled:

- bare: `2010다12345`, `99두9902`;
- full citation: `대법원 2010. 12. 23. 선고 2008다75119 판결`, `대법원 2006. 6. 22. 자 2004스42 전원합의체 결정`,
  `대법원 1979.2.13. 선고, 78므34 판결`, `82누21판결`;
- joined cases (병합): `2017다35588, 35595` (the serial alone repeats year and code), `83다119, 83다카341`,
  `2008헌마370, 2008헌바147`.

A number whose code is in no court's table (`2010가12345`, `2010다`) is malformed: `parse_case_number` raises
`CaseNumberError` with the reason, and `find_case_numbers` does not see it as a case number at all.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from importlib import resources
from typing import Any

__all__ = [
    "CaseMention",
    "CaseNumber",
    "CaseNumberError",
    "case_code_info",
    "case_codes",
    "find_case_numbers",
    "parse_case_number",
    "parse_korean_date",
]


class CaseNumberError(ValueError):
    """Text that is not a case number in any court's format (reason in Korean and English)."""


@lru_cache(maxsize=1)
def _code_table() -> dict[str, dict[str, Any]]:
    text = resources.files("legal_rag").joinpath("data/case_codes.json").read_text(encoding="utf-8")
    return dict(json.loads(text)["codes"])


def case_codes() -> list[str]:
    """Every known 사건부호, longest first (so 다카 is tried before 다)."""
    return sorted(_code_table(), key=lambda c: (-len(c), c))


def case_code_info(code: str) -> dict[str, Any] | None:
    """Name, kind and level of a 사건부호 (None when unknown)."""
    info = _code_table().get(code)
    return dict(info) if info else None


@dataclass(frozen=True, order=True)
class CaseNumber:
    """One case number. `year` is the calendar year of filing; `year_text` the year as written."""

    year: int
    code: str
    serial: int
    year_text: str

    @property
    def key(self) -> str:
        """The canonical form, as the courts publish it: two-digit years before 2000 (`99두9902`), four from
        2000 (`2008다75119`), 단기 years as written (`4293민상302`). Equal numbers have equal keys whatever way
        they were typed (`1999두9902` -> `99두9902`)."""
        if self.year_text.startswith("42") and len(self.year_text) == 4:
            year = self.year_text
        elif self.year < 2000:
            year = f"{self.year % 100:02d}"
        else:
            year = str(self.year)
        return f"{year}{self.code}{self.serial}"

    def __str__(self) -> str:
        return self.key


def _year(text: str) -> int:
    """Calendar year of a case number's year part; raises CaseNumberError when it cannot be one."""
    n = int(text)
    if len(text) == 2:
        return 1900 + n  # two-digit years were used until 1999
    if len(text) == 4:
        if 4278 <= n <= 4294:  # 단기 (Dangun era) years, 1945-1961
            return n - 2333
        if 1945 <= n <= 2100:
            return n
    raise CaseNumberError(f"사건번호의 연도가 올바르지 않습니다: {text} / not a case-number year: {text}")


def _codes_alternation() -> str:
    return "|".join(re.escape(c) for c in case_codes())


@lru_cache(maxsize=1)
def _number_re() -> re.Pattern[str]:
    # Not preceded by a digit (part of a longer number) or 제 (제2010조 is never a case).
    return re.compile(rf"(?<![\d제])(?P<year>\d{{4}}|\d{{2}})(?P<code>{_codes_alternation()})(?P<serial>\d{{1,7}})(?!\d)")


def parse_case_number(text: str) -> CaseNumber:
    """A single case number typed in any common form (`2010다12345`, `2010 다 12345`, `대법원 2010. 12. 23. 선고
    2008다75119 판결`: the first number). Raises CaseNumberError, with the reason, when it is not one."""
    raw = (text or "").strip()
    if not raw:
        raise CaseNumberError("사건번호가 비어 있습니다 / empty case number")
    if len(raw) > 200:
        raise CaseNumberError("사건번호가 너무 깁니다 / case number too long")
    compact = re.sub(r"(?<=\d)\s+(?=[가-힣])|(?<=[가-힣])\s+(?=\d)", "", raw)
    mentions = find_case_numbers(compact)
    if mentions:
        return mentions[0].numbers[0]
    m = re.search(r"(\d{2,4})\s*([가-힣]{1,4})\s*(\d{1,7})", compact)
    if m:
        _year(m.group(1))
        raise CaseNumberError(
            f"'{m.group(2)}'은(는) 법원 사건부호가 아닙니다: {raw} / '{m.group(2)}' is not a court case-type code"
        )
    raise CaseNumberError(
        f"사건번호 형식이 아닙니다 (예: 2010다12345): {raw} / not a case number (e.g. 2010다12345)"
    )


def parse_korean_date(text: str) -> date | None:
    """`2010. 12. 23.`, `1979.2.13.`, `2010-12-23` -> date (None when not a real date)."""
    m = re.search(r"(\d{4})\s*[.\-]\s*(\d{1,2})\s*[.\-]\s*(\d{1,2})", text or "")
    if not m:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


@dataclass(frozen=True)
class CaseMention:
    """Case numbers written together in a text, with what was written around them."""

    raw: str  # the span as written
    start: int
    end: int
    numbers: tuple[CaseNumber, ...]  # joined cases (병합) give several
    court: str | None  # 대법원, 서울고법, 헌법재판소 …; inherited from the previous mention when not repeated
    decided: date | None  # 선고일/결정일 when written
    decision_type: str | None  # 판결 / 결정
    en_banc: bool  # 전원합의체 (or 헌법재판소 전원재판부)
    court_written: bool = False  # the court was written at this mention (not inherited)


_COURT = (
    r"대법원|헌법재판소|특허법원|[가-힣]{2,8}(?:고등법원|지방법원|가정법원|행정법원|회생법원)(?:[ \t]*[가-힣]{1,8}지원)?"
    r"|[가-힣]{2,4}(?:고법|지법|가법|행법)(?:[ \t]*[가-힣]{1,8}지원)?"
)
_DATE = r"\d{4}[ \t]*\.[ \t]*\d{1,2}[ \t]*\.[ \t]*\d{1,2}[ \t]*\.?"
_BEFORE_RE = re.compile(
    rf"(?:(?P<court>{_COURT})[ \t,]*)?(?:(?P<date>{_DATE})[ \t]*(?:선고|자)?[ \t]*,?[ \t]*)?$"
)
_AFTER_RE = re.compile(r"[ \t]*(?P<enbanc>전원합의체|전원재판부)?[ \t]*(?P<type>판결|결정)?")
_MORE_RE = re.compile(r"[ \t]*,[ \t]*(?:(?P<full>\d{2,4}[가-힣]{1,3}\d{1,7})|(?P<serial>\d{1,7}))(?![\d.])")


def find_case_numbers(text: str, default_court: str | None = None) -> list[CaseMention]:
    """Every case-number mention in `text`, in order. A mention without a court takes the court of the previous
    mention in the same text (lists of 참조판례 name 대법원 once), else `default_court`."""
    out: list[CaseMention] = []
    if not text:
        return out
    number_re = _number_re()
    court = default_court
    pos = 0
    while (m := number_re.search(text, pos)) is not None:
        try:
            first = CaseNumber(_year(m.group("year")), m.group("code"), int(m.group("serial")), m.group("year"))
        except CaseNumberError:
            pos = m.end()
            continue
        numbers = [first]
        end = m.end()
        while (more := _MORE_RE.match(text, end)) is not None:
            if more.group("serial"):
                numbers.append(CaseNumber(first.year, first.code, int(more.group("serial")), first.year_text))
            else:
                nm = number_re.fullmatch(more.group("full"))
                if nm is None:
                    break
                try:
                    numbers.append(CaseNumber(_year(nm.group("year")), nm.group("code"), int(nm.group("serial")),
                                              nm.group("year")))
                except CaseNumberError:
                    break
            end = more.end()
        before = _BEFORE_RE.search(text, max(0, m.start() - 60), m.start())
        start = m.start()
        written_court = None
        decided = None
        if before is not None and before.group(0).strip():
            written_court = before.group("court")
            decided = parse_korean_date(before.group("date") or "")
            start = before.start() if before.group(0).strip() else m.start()
        after = _AFTER_RE.match(text, end)
        en_banc = False
        kind = None
        if after is not None:
            en_banc = bool(after.group("enbanc"))
            kind = after.group("type")
            if en_banc or kind:
                end = after.end()
        if written_court:
            court = re.sub(r"\s+", " ", written_court)
        out.append(CaseMention(text[start:end], start, end, tuple(numbers), court, decided, kind, en_banc,
                               bool(written_court)))
        pos = end
    return out
