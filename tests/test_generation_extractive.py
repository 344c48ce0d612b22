"""The offline extractive generator on real articles: labelled, cites what it quotes, quotes real sentences."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from app.generation.base import Generator, GeneratorConfig, prompt_budget
from app.generation.chain import answer_question, stream_answer
from app.generation.extractive import (
    GOVERNING_HEADING,
    LABEL,
    NO_HITS,
    OTHERS_LABEL,
    ExtractiveGenerator,
    choose_basis,
    split_sentences,
)
from app.generation.factory import make_generator
from app.generation.prompt import Prompt, build_prompt
from app.schemas import Hit
from ingest.markdown_source import parse_markdown_file
from legal_rag.versions import select_versions

AS_OF = date(2026, 11, 25)  # before 국민건강보험법's 시행일자 2026-12-24: its version is pending


def real_hits(law_dir: Path, specs: list[tuple[str, str]], as_of: date = AS_OF) -> list[Hit]:
    """Hits built the way retrieval builds them, from real statute files (rank = position in specs)."""
    hits = []
    for rank, (rel, number) in enumerate(specs, start=1):
        report = parse_markdown_file(law_dir / rel)
        assert report.statute is not None, report.error
        st = report.statute
        art = next(a for a in report.articles if a.number == number and not a.is_addendum)
        vc = select_versions([(st, False)], as_of)[st.law_id]
        hits.append(Hit(
            doc_id=art.doc_id, law=art.law_title, law_id=art.law_id, article=art.number, title=art.title,
            text=art.text, score=1.0 / rank, rank=rank, url=st.source_url,
            effective=st.effective.isoformat() if st.effective else None, pending=vc.pending,
            note=vc.note, chapter=" > ".join(art.chapter_path), deleted=art.deleted,
        ))
    return hits


SPECS = [
    ("민법/법률.md", "제54조"),
    ("약관의규제에관한법률/법률.md", "제5조"),
    ("국민건강보험법/법률.md", "제44조"),
    ("국민건강보험법/시행령.md", "제19조"),
]


@pytest.fixture(scope="module")
def hits(law_dir: Path) -> list[Hit]:
    return real_hits(law_dir, SPECS)


def _prompt(question: str, hits: list[Hit]) -> Prompt:
    g = ExtractiveGenerator()
    return build_prompt(question, hits, g.count_tokens, prompt_budget(g))


def _sections(answer: str) -> dict[str, list[str]]:
    """Governing article header line -> its quoted sentences."""
    out: dict[str, list[str]] = {}
    current = None
    for line in answer.splitlines():
        m = re.match(r"^\d+\. (「[^」]+」 제\d+조(?:의\d+)?)", line)
        if m:
            current = m.group(1)
            out[current] = []
        elif current and line.strip().startswith('- “'):
            out[current].append(line.strip()[3:-1])
    return out


def _related(answer: str) -> dict[str, str]:
    """Related article header -> the reason given for it."""
    out = {}
    for line in answer.splitlines():
        m = re.match(r"^- (「[^」]+」 제\d+조(?:의\d+)?)(?:\([^)]*\))? — (.+)$", line)
        if m:
            out[m.group(1)] = m.group(2)
    return out


def test_governing_article_first_with_the_answering_sentence(hits: list[Hit]) -> None:
    q = "법인의 등기사항은 등기하기 전에도 제삼자에게 대항할 수 있습니까?"
    answer = ExtractiveGenerator().generate(_prompt(q, hits))
    assert answer.startswith(LABEL)
    body = answer.split("\n", 2)[2]
    assert body.startswith(f"{GOVERNING_HEADING}:\n1. 「민법」 제54조(")  # the answer opens with it
    sections = _sections(answer)
    assert list(sections) == ["「민법」 제54조"]  # the other articles share none of the question's words
    assert sections["「민법」 제54조"] == [
        "① 설립등기 이외의 본절의 등기사항은 그 등기후가 아니면 제삼자에게 대항하지 못한다."]
    basis = choose_basis(q, hits)
    assert [(b.role, b.hit.article) for b in basis] == [("governing", "제54조")]
    gov = basis[0]
    assert "‘등기사항’" in gov.reason or "‘제삼자’" in gov.reason
    s = gov.sentences[0]
    assert s.start is not None and s.end is not None and hits[0].text[s.start : s.end] == s.text  # markable
    # the rest is counted, not named (a name would read as a citation); the page lists them one click away
    assert f"{OTHERS_LABEL}: 3개" in answer and "국민건강보험법" not in answer


@pytest.fixture(scope="module")
def vat_hits(law_dir: Path) -> list[Hit]:
    return real_hits(law_dir, [
        ("부가가치세법/법률.md", "제49조"),  # 확정신고와 납부: "폐업하는 경우 … 다음 달 25일 이내에"
        ("부가가치세법/시행령.md", "제91조"),  # 확정신고 (법 제49조제1항에 따라 …)
        ("부가가치세법/법률.md", "제8조"),  # 사업자등록 (폐업 신고)
        ("민법/법률.md", "제54조"),  # unrelated
    ])


def test_vat_closure_question_governing_sentence_and_related_reasons(vat_hits: list[Hit]) -> None:
    q = "사업자가 폐업한 경우 부가가치세 확정신고는 언제까지 해야 하나요?"
    answer = ExtractiveGenerator().generate(_prompt(q, vat_hits))
    sections = _sections(answer)
    assert list(sections)[0] == "「부가가치세법」 제49조"
    quoted = sections["「부가가치세법」 제49조"]
    assert any("폐업하는 경우" in x and "25일" in x for x in quoted), quoted
    related = _related(answer)
    assert "「민법」 제54조" not in related and "「민법」 제54조" not in sections
    assert related.get("「부가가치세법 시행령」 제91조", "").startswith("「부가가치세법」 제49조를 시행하는") or \
        "「부가가치세법 시행령」 제91조" in sections
    for reason in related.values():
        assert reason  # every related article says why it is there


def test_question_of_only_citations_quotes_leads(hits: list[Hit]) -> None:
    q = ("「국민건강보험법」제44조, 「국민건강보험법 시행령」제19조,「약관의 규제에 관한 법률」제5조, "
         "「민법」제54조 참조 판단 해설 답변:")
    cited = [h.model_copy(update={"source": "citation"}) for h in hits]
    answer = ExtractiveGenerator().generate(_prompt(q, cited))
    sections = _sections(answer)
    assert list(sections) == [f"「{h.law}」 {h.article}" for h in hits]  # every cited article governs
    assert sections["「약관의 규제에 관한 법률」 제5조"] == [
        "① 약관은 신의성실의 원칙에 따라 공정하게 해석되어야 하며 고객에 따라 다르게 해석되어서는 아니 된다.",
        "② 약관의 뜻이 명백하지 아니한 경우에는 고객에게 유리하게 해석되어야 한다.",
    ]
    for hit in hits:
        for quote in sections[f"「{hit.law}」 {hit.article}"]:
            assert quote in {s.text for s in split_sentences(hit.text)}  # verbatim sentences (notes removed)
    # 국민건강보험법 is pending on the as-of date: the answer says so once for that version (its 법 and 시행령
    # are two versions, each noted once), above the articles.
    assert answer.count("「국민건강보험법」 시행 예정 2026-12-24") == 1
    assert answer.index("「국민건강보험법」 시행 예정") < answer.index("1. 「")
    assert "<개정" not in answer and "<신설" not in answer


def test_stream_equals_generate(hits: list[Hit]) -> None:
    g = ExtractiveGenerator()
    p = _prompt("약관의 해석 원칙", hits)
    text = g.generate(p)
    pieces = list(g.stream(p))
    assert len(pieces) > 3 and "".join(pieces) == text
    assert list(_sections(text)) == ["「약관의 규제에 관한 법률」 제5조"]


def test_no_hits() -> None:
    g = make_generator(GeneratorConfig(backend="extractive"))
    assert isinstance(g, Generator) and g.name == "extractive"
    answer = g.generate(_prompt("임대차 보증금 반환", []))
    assert answer.startswith(LABEL) and NO_HITS in answer
    assert "「" not in answer  # no citation-shaped example a checker could read back as a source


def test_chain_with_extractive(hits: list[Hit]) -> None:
    seen: list[str] = []

    def resolve(text: str) -> list:
        seen.append(text)
        return []

    answer, citations = answer_question("법인 등기의 효력", hits, ExtractiveGenerator(), resolve)
    assert answer.startswith(LABEL) and "「민법」 제54조" in answer
    assert len(seen) == 1 and citations == []
    # what the checker reads: the answer with quoted statute text blanked
    assert "「민법」 제54조" in seen[0] and "대항하지 못한다" not in seen[0]
    streamed = list(stream_answer("법인 등기의 효력", hits, ExtractiveGenerator(), resolve))
    final = streamed[-1]
    assert "".join(streamed[:-1]).strip() == final.answer == answer
    assert [h.doc_id for h in final.prompt.hits] == [h.doc_id for h in hits]


def test_prompt_puts_the_strongest_article_nearest_the_answer_marker(hits: list[Hit]) -> None:
    text = build_prompt("법인 등기의 효력", hits, len, 10**6).text
    assert text.endswith(" 답변:")
    positions = [text.index(f"[{i}] {h.header}") for i, h in enumerate(hits, start=1)]
    assert positions == sorted(positions, reverse=True)  # [4] first ... [1] (rank 1) last, before the question
    assert text.index("[1] 「민법」 제54조") > text.index("[2] 「약관의 규제에 관한 법률」 제5조")
    # a tight budget drops the weakest article, not the one nearest the question
    full = len(text)
    tight = build_prompt("법인 등기의 효력", hits, len, full - 1)
    assert [h.article for h in tight.hits] == ["제54조", "제5조", "제44조"] and tight.dropped[0].article == "제19조"
    # a pending version's note is written once per version, on its first article
    versions = {(h.law_id, h.effective) for h in hits if h.pending}
    assert versions and text.count("※ 시행 예정") == len(versions)


def test_a_sentence_goes_on_through_a_parenthesis(law_dir: Path) -> None:
    (hit,) = real_hits(law_dir, [("근로기준법/법률(법률).md", "제24조")])
    sentences = [s.text for s in split_sentences(hit.text)]
    third = next(s for s in sentences if s.startswith("③"))
    # `(… 대표하는 자를 말한다. 이하 "근로자대표"라 한다)` is inside the sentence, not the end of one
    assert "말한다. 이하 \"근로자대표\"라 한다)에 해고를 하려는 날의 50일 전까지 통보하고" in third
    assert not any(s.startswith("이하 \"근로자대표\"") for s in sentences)


def test_law_name_in_the_question_does_not_pick_sentences(law_dir: Path) -> None:
    """`근로기준법상`: its 기준 must not make `해고의 기준` outweigh 제23조's `정당한 이유 없이 해고`."""
    hits = real_hits(law_dir, [("근로기준법/법률(법률).md", "제24조"), ("근로기준법/법률(법률).md", "제23조"),
                               ("근로기준법/법률(법률).md", "제26조")])
    basis = choose_basis("근로기준법상 해고의 제한은?", hits)
    governing = [b.hit.article for b in basis if b.role == "governing"]
    assert governing == ["제24조", "제23조"]  # both titles say 해고의 제한; rank order
    assert all("기준" not in b.matched for b in basis)


def test_postposition_verbs_are_not_question_terms() -> None:
    from app.generation.extractive import question_terms
    from legal_rag.tokenizer import tokenize

    terms = {t.rpartition("/")[0] for t in question_terms(tokenize(
        "제3자에 의한 채권침해가 불법행위가 되기 위한 요건과 이에 대하여 법에 따라 정한 기준에 관하여"))}
    assert {"채권침해", "불법행위", "요건", "기준"} <= terms
    assert not terms & {"위하", "대하", "관하", "따르", "의하"}
