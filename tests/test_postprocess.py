"""After generation: echo removal, stop at a new turn, and citation statuses against a real article store."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.generation.chain import answer_question
from app.generation.extractive import ExtractiveGenerator
from app.generation.postprocess import (
    STOP_TEXTS,
    CitationChecker,
    LeadingTrim,
    StopFilter,
    check_citations,
    citations_from_resolved,
    clean_answer,
    cut_at_stop,
    filter_stream,
)
from app.generation.prompt import build_prompt
from app.schemas import Hit
from ingest.markdown_source import parse_markdown_file
from legal_rag.articles import ArticleNumber
from legal_rag.store import ArticleStore, write_store
from legal_rag.versions import select_versions

AS_OF = date(2026, 11, 25)
FILES = ["민법/법률.md", "약관의규제에관한법률/법률.md", "국민건강보험법/법률.md", "국민건강보험법/시행령.md",
         "소득세법/법률.md", "법인세법/법률.md"]


# --- clean_answer ------------------------------------------------------------------------------------


PROMPT = (
    "다음은 질문과 관련하여 검색된 법령 조문입니다.\n\n"
    "[1] 「민법」 제54조(설립등기 이외의 등기의 효력과 등기사항의 공고)\n"
    "① 설립등기 이외의 본절의 등기사항은 그 등기후가 아니면 제삼자에게 대항하지 못한다.\n\n"
    "질문: 법인 등기의 효력은? 답변:"
)
ANSWER = "「민법」 제54조 제1항에 따라 설립등기 이외의 등기사항은 등기 후가 아니면 제삼자에게 대항하지 못합니다."


def test_echo_removed() -> None:
    assert clean_answer(PROMPT + " " + ANSWER, PROMPT) == ANSWER


def test_echo_with_changed_whitespace_removed() -> None:
    echoed = PROMPT.replace("\n\n", "\n").replace("  ", " ") + "  " + ANSWER
    assert clean_answer(echoed, PROMPT) == ANSWER


def test_altered_echo_tail_removed() -> None:
    # A decoder that lost a character early in the prompt: the 질문 … 답변: tail still marks the start.
    echoed = PROMPT.replace("검색된", "검색됨", 1) + " " + ANSWER
    assert clean_answer(echoed, PROMPT) == ANSWER


def test_stops_at_new_question_turn() -> None:
    raw = " " + ANSWER + "\n\n질문: 그러면 공고는 누가 합니까? 답변: 법원이 합니다."
    assert clean_answer(raw, PROMPT) == ANSWER


def test_stops_at_new_answer_turn_and_eos_text() -> None:
    assert clean_answer(" " + ANSWER + "\n답변: 다시 답합니다.", PROMPT) == ANSWER
    assert clean_answer(ANSWER + "</s>잡음", PROMPT) == ANSWER
    assert clean_answer(ANSWER + "<|end_of_turn|>GPT4 Correct User:", PROMPT) == ANSWER


def test_repeated_marker_and_no_echo() -> None:
    assert clean_answer("답변: " + ANSWER, PROMPT) == ANSWER
    assert clean_answer("\n  " + ANSWER + "  \n", PROMPT) == ANSWER
    assert clean_answer(ANSWER, "") == ANSWER


@given(st.text(alphabet="답변질문: \n가나</s>다", max_size=40), st.lists(st.integers(0, 40), max_size=6))
def test_stop_filter_any_split_equals_whole(text: str, cuts: list[int]) -> None:
    points = sorted({min(c, len(text)) for c in cuts})
    pieces = [text[a:b] for a, b in zip([0, *points], [*points, len(text)], strict=True)]
    f = StopFilter()
    streamed = "".join(f.feed(p) for p in pieces) + f.flush()
    assert streamed == cut_at_stop(text)
    assert not any(s in streamed for s in STOP_TEXTS)


@given(st.text(alphabet="답변: \n가", max_size=12), st.lists(st.integers(0, 12), max_size=4))
def test_leading_trim_matches_clean_answer(text: str, cuts: list[int]) -> None:
    points = sorted({min(c, len(text)) for c in cuts})
    pieces = [text[a:b] for a, b in zip([0, *points], [*points, len(text)], strict=True)]
    lt = LeadingTrim()
    # as in the chain: the stop filter runs first, the leading trim on what it lets through
    streamed = "".join(lt.feed(p) for p in filter_stream(pieces)) + lt.flush()
    expected = clean_answer(text, "")
    assert streamed.strip() == expected


# --- citations ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def store(law_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ArticleStore]:
    """A real article store written by legal_rag.store from parsed shared-corpus files."""
    path = tmp_path_factory.mktemp("store") / "articles.sqlite"
    statutes = []
    for rel in FILES:
        report = parse_markdown_file(law_dir / rel)
        assert report.statute is not None, report.error
        statutes.append((report.statute, report.articles))
    write_store(path, statutes)
    s = ArticleStore(path)
    yield s
    s.close()


@pytest.fixture(scope="module")
def checker(store: ArticleStore) -> CitationChecker:
    return CitationChecker.from_store(store, AS_OF)


def _hit(store: ArticleStore, law: str, number: str, rank: int) -> Hit:
    """A context hit as retrieval builds it: the version that applies on AS_OF."""
    vc = next(v for v in select_versions(store.statutes(), AS_OF).values() if v.statute.title == law)
    a = store.find_article(vc.statute.mst, ArticleNumber.parse(number))
    assert a is not None
    return Hit(doc_id=a.doc_id, law=a.law_title, law_id=a.law_id, article=a.number, title=a.title, text=a.text,
               score=1.0, rank=rank, url=vc.statute.source_url, effective=str(vc.statute.effective),
               pending=vc.pending, note=vc.note)


ANSWER_WITH_CITATIONS = (
    "「민법」 제54조제1항에 따라 설립등기 이외의 등기사항은 등기 후가 아니면 제삼자에게 대항하지 못합니다. "
    "「약관의 규제에 관한 법률」 제6조는 공정성을 잃은 약관 조항을 무효로 합니다. "
    "「민법」 제9999조도 참고하십시오. 「가상법률」 제1조는 해당이 없습니다. "
    "다시 말해 「민법」 제54조가 근거이고, 약관규제법 제5조에 따라 약관은 고객에게 유리하게 해석됩니다."
)


def test_citation_statuses_on_real_store(store: ArticleStore, checker: CitationChecker) -> None:
    """legal_rag.citations on a store written from the shared corpus: verified / not_in_context / not_found."""
    context = [_hit(store, "민법", "제54조", 1), _hit(store, "약관의 규제에 관한 법률", "제5조", 2)]
    cites = check_citations(ANSWER_WITH_CITATIONS, context, checker)
    got = [(c.law, c.article, c.detail, c.status) for c in cites]
    assert got == [
        ("민법", "제54조", "제1항", "verified"),
        ("약관의 규제에 관한 법률", "제6조", "", "not_in_context"),  # real article, not retrieved
        ("민법", "제9999조", "", "not_found"),  # no such article
        (None, "제1조", "", "not_found"),  # no such law
        ("민법", "제54조", "", "verified"),
        ("약관의 규제에 관한 법률", "제5조", "", "verified"),  # abbreviation 약관규제법 resolved
    ]
    assert cites[0].doc_id == context[0].doc_id and cites[0].hit == context[0]
    assert cites[1].doc_id == store.find_article(context[1].doc_id.split(":")[0], ArticleNumber(6)).doc_id
    assert cites[1].hit is None and "not among the retrieved" in cites[1].message
    assert cites[2].doc_id is None and cites[2].suggestions  # nearby articles of 민법 suggested
    assert "가상법률" in cites[3].message


def test_callable_checker_and_pending_note(store: ArticleStore, checker: CitationChecker) -> None:
    context = [_hit(store, "국민건강보험법", "제44조", 1)]
    cites = check_citations("국건법 제44조 제2항에 따라 공단이 초과 금액을 부담합니다.", context, checker.resolve)
    got = [(c.law, c.article, c.detail, c.status) for c in cites]
    assert got == [("국민건강보험법", "제44조", "제2항", "verified")]
    assert "시행 예정 2026-12-24" in cites[0].message  # pending version stays flagged


def test_verified_by_article_when_context_has_another_version(store: ArticleStore, checker: CitationChecker) -> None:
    hit = _hit(store, "민법", "제54조", 1).model_copy(update={"doc_id": "999999:제54조"})
    cites = citations_from_resolved(checker.resolve("「민법」 제54조"), [hit])
    assert [c.status for c in cites] == ["verified"]


def test_citations_checked_against_prompt_hits_after_budget_drop(store: ArticleStore, checker: CitationChecker) -> None:
    """An article dropped from the prompt for lack of room is not_in_context when the answer cites it."""
    hits = [_hit(store, "민법", "제54조", 1), _hit(store, "약관의 규제에 관한 법률", "제5조", 2)]
    one = build_prompt("질문", hits[:1], len, 10_000)
    prompt = build_prompt("질문", hits, len, len(one.text))
    assert [h.article for h in prompt.hits] == ["제54조"]
    cites = check_citations("「민법」 제54조, 「약관의 규제에 관한 법률」 제5조", prompt.hits, checker)
    assert [c.status for c in cites] == ["verified", "not_in_context"]


def test_extractive_answer_citations_all_verified(store: ArticleStore, checker: CitationChecker) -> None:
    """The offline answer to the seed question cites exactly the four retrieved articles, all verified."""
    hits = [_hit(store, "국민건강보험법", "제44조", 1), _hit(store, "국민건강보험법 시행령", "제19조", 2),
            _hit(store, "약관의 규제에 관한 법률", "제5조", 3), _hit(store, "민법", "제54조", 4)]
    hits = [h.model_copy(update={"source": "citation"}) for h in hits]
    q = ("「국민건강보험법」제44조, 「국민건강보험법 시행령」제19조,「약관의 규제에 관한 법률」제5조, "
         "「민법」제54조 참조 판단 해설 답변:")
    answer, cites = answer_question(q, hits, ExtractiveGenerator(), checker)
    assert [(c.law, c.article) for c in cites] == [(h.law, h.article) for h in hits]
    assert all(c.status == "verified" for c in cites), [(c.raw, c.status) for c in cites]
    # 시행령 제19조 ① quotes `법 제44조제1항`: quoted statute text is not a citation the answer makes.
    assert "법 제44조제1항" in answer and ("국민건강보험법", "제44조", "제1항") not in [
        (c.law, c.article, c.detail) for c in cites]
    assert "시행 예정 2026-12-24" in answer


def test_articles_mentioned_in_quoted_text_are_not_checked(store: ArticleStore, checker: CitationChecker) -> None:
    """소득세법 제34조 ② quotes `「법인세법」 제24조제2항제1호`; 「관세법」 is not in the corpus at all. Neither, inside
    a quotation, is a citation of the answer (no 'not_in_context' card, no '확인 불가' with unrelated suggestions)."""
    quoted = '"가. 「법인세법」 제24조제2항제1호에 따른 기부금과 「관세법」 제2조에 따른 물품의 가액"'
    answer = f"「소득세법」 제34조에 따르면 {quoted} 이 포함됩니다."
    hits = [_hit(store, "소득세법", "제34조", 1)]
    cites = check_citations(answer, hits, checker)
    assert [(c.law, c.article, c.status) for c in cites] == [("소득세법", "제34조", "verified")]
    # outside quotation marks the same mentions are checked
    bare = check_citations("「법인세법」 제24조와 「관세법」 제2조", hits, checker)
    assert [(c.law, c.status) for c in bare] == [("법인세법", "not_in_context"), (None, "not_found")]
