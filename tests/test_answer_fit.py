"""What an answer rests on and when the service says nothing fits, on the real shared-corpus index."""

from __future__ import annotations

from datetime import date

import pytest

from app.answering import Answerer
from app.generation.extractive import ExtractiveGenerator
from app.relevance import DEFAULT_THRESHOLD, LANGUAGE_NOTICE, NOT_A_QUESTION_NOTICE, language_notice
from bench.relevance import OFF_TOPIC, choose_threshold, cross_validate, decision_of, fold_of

pytest_plugins = ("index_fixture",)

AS_OF = date(2026, 11, 25)


def ask(engine, question: str):  # type: ignore[no-untyped-def]
    return Answerer(ExtractiveGenerator()).ask(engine, question, 8, AS_OF)


def test_vat_closure_answer_opens_with_the_governing_article_and_its_sentence(engine) -> None:  # type: ignore[no-untyped-def]
    resp = ask(engine, "사업자가 폐업한 경우 부가가치세 신고는 언제까지 해야 하나요?")
    assert resp.found and resp.relevance is not None and resp.relevance >= DEFAULT_THRESHOLD
    governing = [b for b in resp.basis if b.role == "governing"]
    assert (governing[0].hit.law, governing[0].hit.article) == ("부가가치세법", "제49조")
    sentence = governing[0].sentences[0]
    assert "폐업하는 경우" in sentence.text and "25일" in sentence.text
    assert sentence.start is not None and governing[0].hit.text[sentence.start : sentence.end] == sentence.text
    assert resp.answer.split("\n")[2].startswith("근거 조문:")
    assert "1. 「부가가치세법」 제49조(" in resp.answer.split("\n")[3]
    assert len(resp.basis) <= 7 and all(b.reason for b in resp.basis)
    # articles mentioned only inside quoted sentences are neither cards nor checked citations
    cited = {(c.law, c.article) for c in resp.citations}
    assert cited <= {(b.hit.law, b.hit.article) for b in resp.basis}
    assert not [c for c in resp.citations if c.status == "not_found"]


def test_misspelt_law_gets_did_you_mean_and_never_the_help_example(engine) -> None:  # type: ignore[no-untyped-def]
    resp = ask(engine, "「근로기준볍」 제23조")
    assert not resp.found and resp.generator == "none"
    assert "혹시 「근로기준법」을(를) 찾으셨나요?" in resp.notice
    assert "민법" not in resp.answer and "제54조" not in resp.answer
    assert [(c.raw, c.status) for c in resp.citations] == [("「근로기준볍」 제23조", "not_found")]
    assert not resp.basis


@pytest.mark.parametrize("question", [
    "What is the notice period for dismissing an employee in Korea?", "<script>alert(1)</script>",
])
def test_another_language_gets_a_korean_only_notice(engine, question: str) -> None:  # type: ignore[no-untyped-def]
    resp = ask(engine, question)
    assert not resp.found and resp.notice == LANGUAGE_NOTICE and resp.answer == LANGUAGE_NOTICE
    assert not resp.basis and not resp.citations
    assert all(not ("a" <= ch.lower() <= "z") for ch in LANGUAGE_NOTICE.split("(")[0])  # Korean only


@pytest.mark.parametrize("question", ["김치찌개를 맛있게 끓이는 방법 알려줘", "손흥민은 이번 시즌 몇 골을 넣었나요?",
                                      "🙂🙂🙂", "?!?!"])
def test_off_topic_korean_emoji_punctuation_say_nothing_fits(engine, question: str) -> None:  # type: ignore[no-untyped-def]
    resp = ask(engine, question)
    assert not resp.found and not resp.basis and resp.notice
    assert "찾지 못했습니다" in resp.notice or resp.notice == NOT_A_QUESTION_NOTICE
    assert "「" not in resp.notice  # no citation-shaped example in the help


def test_a_long_question_is_answered_or_refused_clearly(engine) -> None:  # type: ignore[no-untyped-def]
    question = ("근로자를 해고하려면 적어도 30일 전에 예고를 하여야 하는지, 예고하지 아니한 경우 통상임금을 지급해야 "
                "하는지 궁금합니다. ") * 20
    resp = ask(engine, question[:2000])
    assert resp.found
    assert ("근로기준법", "제26조") in [(b.hit.law, b.hit.article) for b in resp.basis if b.role == "governing"]


def test_mixed_korean_and_english_is_korean() -> None:
    assert language_notice("근로기준법 Article 23 해고 제한") == ""
    assert language_notice("What about 해고?") == LANGUAGE_NOTICE
    assert language_notice("...") == NOT_A_QUESTION_NOTICE


def test_folds_keep_a_decision_together_and_threshold_separates() -> None:
    ids = ["2018다1-1", "2018다1-2", "2019두2-1", "2020다3-1", "2020다3-2", "2021누4-1"]
    folds = fold_of([decision_of(i) for i in ids], 3)
    assert folds["2018다1"] == 0 and folds["2019두2"] == 1 and folds["2020다3"] == 2 and folds["2021누4"] == 0
    t = choose_threshold([0.6, 0.7, 0.9], [0.1, 0.2, None])
    assert 0.2 < t <= 0.6
    results = cross_validate(ids, [0.6, 0.7, 0.8, 0.9, 0.65, 0.75], [0.1, 0.2, None, 0.3], 3)
    assert [r.n_dev for r in results] == [3, 1, 2] and all(r.dev_answered == 1.0 for r in results)
    assert len(OFF_TOPIC) >= 40

