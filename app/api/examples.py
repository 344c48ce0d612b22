"""Request and response examples for the OpenAPI schema (/docs, /openapi.json) and the README.

Real output of the service on the shared corpus (legalize-kr 7460e2a0, as-of 2026-11-25), shortened where a
list repeats; one place, so /docs and the README show the same thing. Nothing here is imported at run time
except by the models that carry it.
"""

from __future__ import annotations

from typing import Any

CIVIL_54_TEXT = ("① 설립등기 이외의 본절의 등기사항은 그 등기후가 아니면 제삼자에게 대항하지 못한다.\n"
                 "② 등기한 사항은 법원이 지체없이 공고하여야 한다.")
CIVIL_54_URL = "https://www.law.go.kr/법령/%EB%AF%BC%EB%B2%95/%EC%A0%9C54%EC%A1%B0"

HIT: dict[str, Any] = {
    "doc_id": "284415:제54조", "law": "민법", "law_id": "001706", "article": "제54조",
    "title": "설립등기 이외의 등기의 효력과 등기사항의 공고", "text": CIVIL_54_TEXT, "score": 1.0, "rank": 1,
    "url": CIVIL_54_URL, "effective": "2026-03-17", "pending": False, "note": "", "source": "citation",
    "chapter": "제1편 총칙 > 제3장 법인 > 제2절 설립", "deleted": False, "links": [],
}

CITATION: dict[str, Any] = {
    "raw": "「민법」 제54조", "law": "민법", "article": "제54조", "detail": "", "status": "verified",
    "doc_id": "284415:제54조", "message": "검색된 근거 조문과 일치합니다 / matches a retrieved article",
    "suggestions": [], "hit": HIT,
}

ASK_REQUEST: dict[str, Any] = {"question": "「민법」 제54조", "top_k": 8, "as_of": "2026-11-25", "laws": []}
ASK_REQUEST_SENTENCE: dict[str, Any] = {"question": "사업자가 폐업한 경우 부가가치세 신고는 언제까지 해야 하나요?",
                                        "laws": ["부가가치세법"]}

ASK_RESPONSE: dict[str, Any] = {
    "schema_version": 1, "question": "「민법」 제54조", "as_of": "2026-11-25",
    "answer": ("[발췌 답변] 검색된 조문에서 발췌한 내용입니다. 생성 모델의 답변이 아닙니다.\n\n근거 조문:\n"
               "1. 「민법」 제54조(설립등기 이외의 등기의 효력과 등기사항의 공고) — 질문에 인용된 조문\n"
               "   - “① 설립등기 이외의 본절의 등기사항은 그 등기후가 아니면 제삼자에게 대항하지 못한다.”\n"
               "   - “② 등기한 사항은 법원이 지체없이 공고하여야 한다.”\n\n"
               "조문의 전체 내용과 적용 여부는 원문에서 확인하십시오. 구체적인 사안은 전문가와 상담하시기 바랍니다."),
    "generator": "extractive", "citations": [CITATION], "hits": [HIT], "found": True, "notice": "",
    "basis": [{"role": "governing", "reason": "질문에 인용된 조문", "matched": [], "coverage": 0.0,
               "sentences": [{"text": "① 설립등기 이외의 본절의 등기사항은 그 등기후가 아니면 제삼자에게 대항하지 못한다.",
                              "start": 0, "end": 47},
                             {"text": "② 등기한 사항은 법원이 지체없이 공고하여야 한다.", "start": 48, "end": 76}],
               "hit": HIT}],
    "relevance": 0.0, "notes": [],
    "timings_ms": {"search_ms": 3.1, "generation_ms": 31.3, "citations_ms": 0.01, "total_ms": 36.2},
    "answer_links": [{"start": 56, "end": 65, "label": "「민법」 제54조", "url": CIVIL_54_URL, "kind": "article"}],
}

ASK_RESPONSE_NO_FIT: dict[str, Any] = {
    "schema_version": 1, "question": "「근로기준볍」 제23조", "as_of": "2026-11-25",
    "answer": ("질문에 맞는 근거 조문을 이 코퍼스에서 찾지 못했습니다.\n「근로기준볍」 제23조: 「근로기준볍」을 찾을 수 없습니다 "
               "혹시 「근로기준법」을(를) 찾으셨나요?\n법령명과 조문 번호를 함께 적거나, 궁금한 상황을 한국어 문장으로 "
               "구체적으로 적어 다시 질문해 보십시오 (예: 사업자가 폐업하면 부가가치세 확정신고는 언제까지 해야 하나요?)."),
    "generator": "none",
    "citations": [{"raw": "「근로기준볍」 제23조", "law": None, "article": "제23조", "detail": "", "status": "not_found",
                   "doc_id": None, "message": "「근로기준볍」을 찾을 수 없습니다 / law not found in this corpus",
                   "suggestions": ["근로기준법", "근로기준법 시행령", "근로기준법 시행규칙"], "hit": None}],
    "hits": [], "found": False, "notice": "(the same text as `answer`)", "basis": [], "relevance": 0.0,
    "notes": [], "timings_ms": {"search_ms": 1.2, "total_ms": 1.2}, "answer_links": [],
}

SEARCH_RESPONSE: dict[str, Any] = {
    "schema_version": 1, "query": "「민법」 제54조", "as_of": "2026-11-25", "hits": [HIT],
    "citations": [{**CITATION, "status": "resolved", "message": ""}],
    "timings_ms": {"citations_ms": 1.4, "total_ms": 1.5},
}

LAW_INFO: dict[str, Any] = {
    "law": "국민건강보험법", "law_id": "001971", "kind": "법률", "effective": "2026-12-24", "pending": True,
    "status": "시행 예정", "source_status": "시행",
    "note": "시행 예정 2026-12-24: 기준일 현재 시행 중인 조문은 이 코퍼스에 없습니다",
    "url": "https://www.law.go.kr/법령/국민건강보험법",
}
LAW_INFO_IN_FORCE: dict[str, Any] = {
    "law": "민법", "law_id": "001706", "kind": "법률", "effective": "2026-03-17", "pending": False, "status": "시행",
    "source_status": "시행", "note": "", "url": "https://www.law.go.kr/법령/민법",
}
LAWS_RESPONSE: dict[str, Any] = {"schema_version": 1, "as_of": "2026-11-25", "laws": [LAW_INFO, LAW_INFO_IN_FORCE]}
ARTICLE_RESPONSE: dict[str, Any] = {"schema_version": 1, "as_of": "2026-11-25", "article": {**HIT, "source": "citation"}}
HEALTH_RESPONSE: dict[str, Any] = {"status": "ok"}
READY_RESPONSE: dict[str, Any] = {
    "schema_version": 1, "status": "ready", "reason": None, "generator": "extractive", "generator_error": None,
    "index": {"index_dir": "index/default", "build_id": "20261130T060625-gjo1lrxn",
              "corpus_snapshot": "7460e2a014b50e82a85c4b46276eee674e9857c3", "articles": 11892, "chunks": 12244,
              "embedder": "kiwi-static", "dense_device": "cpu"},
}
RELOAD_RESPONSE: dict[str, Any] = {"schema_version": 1, "status": "reloaded", "build_id": "20261130T061500-ab12cd34",
                                   "previous_build_id": "20261130T060625-gjo1lrxn", "reason": None}
ERROR_RESPONSE: dict[str, Any] = {
    "schema_version": 1, "error": "unknown_law",
    "message": "색인에 없는 법령입니다: 민볍 / unknown law: 민볍. 비슷한 법령: 민법 / did you mean: 민법",
    "detail": [], "suggestions": ["민법"], "law": "민볍", "request_id": "5f0c2a9e4b7d4e1f",
}


def examples(*items: dict[str, Any]) -> dict[str, Any]:
    """A pydantic `model_config` fragment: these examples in the model's JSON schema."""
    return {"json_schema_extra": {"examples": list(items)}}
