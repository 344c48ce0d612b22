"""Checking case numbers in a text (an answer, a question) against the ingested decisions.

Statuses (legal_rag.precedents.results.CaseCitation.status), next to the article statuses of an answer:
- `verified`: a decision with this number is in the corpus, the court and date match where the text gives them,
  and the decision was in the answer's context (or no context was given);
- `wrong_court_or_date`: the number is real (in the corpus) but the court or date written with it differ;
- `not_in_context`: in the corpus, court/date fine, but not among the decisions the answer was given;
- `not_found`: no decision with this number in the corpus: unverifiable, never shown as a source. When a corpus
  decision cites the number in its 참조판례, `referenced_by` says which (the number is real, its text is absent).
"""

from __future__ import annotations

import re
from collections.abc import Collection

from legal_rag.precedents.case_numbers import find_case_numbers
from legal_rag.precedents.results import CaseCitation, CaseCitationStatus, summary_out
from legal_rag.precedents.search import PrecedentIndex

MSG_VERIFIED = "코퍼스의 판례와 일치합니다 / matches a decision in the corpus"
MSG_NOT_IN_CONTEXT = ("코퍼스에 있는 판례이지만 답변의 근거로 주어진 판례가 아닙니다 / in the corpus but not among the "
                      "decisions the answer was given")
MSG_NOT_FOUND = ("코퍼스에서 이 사건번호의 판례를 찾을 수 없어 확인할 수 없습니다 / no decision with this number in the "
                 "corpus: unverifiable")
MSG_REFERENCED = "; 코퍼스 판례의 참조판례로만 인용됩니다 / cited only in the 참조판례 of corpus decisions"

_COURT_ABBREV = (("고법", "고등법원"), ("지법", "지방법원"), ("가법", "가정법원"), ("행법", "행정법원"))


def _court_key(court: str) -> str:
    c = re.sub(r"\s+", "", court)
    for short, full in _COURT_ABBREV:
        c = c.replace(short, full)  # 서울고법 = 서울고등법원 ("고등법원" does not contain "고법")
    return c


def check_case_numbers(
    text: str, index: PrecedentIndex | None, context: Collection[str] | None = None
) -> list[CaseCitation]:
    """Every case number in `text`, checked. `context` holds the canonical numbers of the decisions the answer
    was given (None: no context, so a number in the corpus with matching court/date is `verified`)."""
    out: list[CaseCitation] = []
    seen: set[tuple[str, str | None, str | None]] = set()
    for m in find_case_numbers(text):
        written_date = m.decided.isoformat() if m.decided else None
        for n in m.numbers:
            key = (n.key, m.court, written_date)
            if key in seen:
                continue
            seen.add(key)
            records = index.find(n.key) if index is not None else []
            status: CaseCitationStatus
            if not records:
                refs = index.store.referenced(n.key) if index is not None else []
                out.append(CaseCitation(
                    raw=m.raw, case_number=n.key, court=m.court, decided=written_date, status="not_found",
                    message=MSG_NOT_FOUND + (MSG_REFERENCED if refs else ""), decision=None,
                    referenced_by=list(dict.fromkeys(r[0] for r in refs)),
                ))
                continue
            match = [r for r in records
                     if (m.court is None or _court_key(m.court) == _court_key(r.court))
                     and (m.decided is None or m.decided == r.decided)]
            rec = match[0] if match else records[0]
            if not match:
                status = "wrong_court_or_date"
                message = (f"사건번호는 코퍼스에 있으나 법원·선고일이 다릅니다 (코퍼스: {rec.court} {rec.decided.isoformat()}) / "
                           f"the number exists but the court or date differ (corpus: {rec.court} "
                           f"{rec.decided.isoformat()})")
            elif context is None or n.key in context:
                status, message = "verified", MSG_VERIFIED
            else:
                status, message = "not_in_context", MSG_NOT_IN_CONTEXT
            out.append(CaseCitation(raw=m.raw, case_number=n.key, court=m.court, decided=written_date, status=status,
                                    message=message, decision=summary_out(rec)))
    return out
