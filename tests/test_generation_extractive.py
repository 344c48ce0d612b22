"""The offline extractive generator on real articles: labelled, cites what it quotes, quotes real sentences."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from app.generation.base import Generator, GeneratorConfig, prompt_budget
from app.generation.chain import answer_question, stream_answer
from app.generation.extractive import LABEL, NO_HITS, ExtractiveGenerator, split_sentences
from app.generation.factory import make_generator
from app.generation.prompt import Prompt, build_prompt, clean_article_text
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
    """Article header line -> its quoted sentences."""
    out: dict[str, list[str]] = {}
    current = None
    for line in answer.splitlines():
        m = re.match(r"^\d+\. (「[^」]+」 제\d+조(?:의\d+)?)", line)
        if m:
            current = m.group(1)
            out[current] = []
        elif current and line.strip().startswith('- "'):
            out[current].append(line.strip()[3:-1])
    return out


def test_labelled_cites_and_quotes_real_sentences(hits: list[Hit]) -> None:
    q = "법인의 등기사항은 등기하기 전에도 제삼자에게 대항할 수 있습니까?"
    answer = ExtractiveGenerator().generate(_prompt(q, hits))
    assert answer.startswith(LABEL)
    sections = _sections(answer)
    assert list(sections) == [f"「{h.law}」 {h.article}" for h in hits]  # rank order, every article cited
    for hit in hits:
        quotes = sections[f"「{hit.law}」 {hit.article}"]
        assert quotes, hit.article
        real = clean_article_text(hit.text)
        for quote in quotes:
            assert quote in real, quote  # verbatim sentence of the cited article (notes removed)
            assert quote in {s.text for s in split_sentences(hit.text)}
    # The sentence that answers the question is quoted under 민법 제54조.
    assert "① 설립등기 이외의 본절의 등기사항은 그 등기후가 아니면 제삼자에게 대항하지 못한다." in sections[
        "「민법」 제54조"
    ]


def test_question_of_only_citations_quotes_leads(hits: list[Hit]) -> None:
    q = ("「국민건강보험법」제44조, 「국민건강보험법 시행령」제19조,「약관의 규제에 관한 법률」제5조, "
         "「민법」제54조 참조 판단 해설 답변:")
    answer = ExtractiveGenerator().generate(_prompt(q, hits))
    sections = _sections(answer)
    assert sections["「약관의 규제에 관한 법률」 제5조"] == [
        "① 약관은 신의성실의 원칙에 따라 공정하게 해석되어야 하며 고객에 따라 다르게 해석되어서는 아니 된다.",
        "② 약관의 뜻이 명백하지 아니한 경우에는 고객에게 유리하게 해석되어야 한다.",
    ]
    # 국민건강보험법 is pending on the as-of date: the answer says so under that article.
    block = answer.split("「국민건강보험법」 제44조", 1)[1].split("\n3. ", 1)[0]
    assert "시행 예정 2026-12-24" in block
    assert "<개정" not in answer and "<신설" not in answer


def test_stream_equals_generate_and_more_hits_listed(hits: list[Hit]) -> None:
    g = ExtractiveGenerator(max_articles=2)
    p = _prompt("약관의 해석 원칙", hits)
    text = g.generate(p)
    pieces = list(g.stream(p))
    assert len(pieces) > 3 and "".join(pieces) == text
    assert "그 밖에 검색된 조문: 「국민건강보험법」 제44조, 「국민건강보험법 시행령」 제19조" in text
    assert list(_sections(text)) == ["「민법」 제54조", "「약관의 규제에 관한 법률」 제5조"]


def test_no_hits() -> None:
    g = make_generator(GeneratorConfig(backend="extractive"))
    assert isinstance(g, Generator) and g.name == "extractive"
    answer = g.generate(_prompt("임대차 보증금 반환", []))
    assert answer.startswith(LABEL) and NO_HITS in answer


def test_chain_with_extractive(hits: list[Hit]) -> None:
    seen: list[str] = []

    def resolve(text: str) -> list:
        seen.append(text)
        return []

    answer, citations = answer_question("법인 등기의 효력", hits, ExtractiveGenerator(), resolve)
    assert answer.startswith(LABEL) and "「민법」 제54조" in answer
    assert seen == [answer] and citations == []
    streamed = list(stream_answer("법인 등기의 효력", hits, ExtractiveGenerator(), resolve))
    final = streamed[-1]
    assert "".join(streamed[:-1]).strip() == final.answer == answer
    assert [h.doc_id for h in final.prompt.hits] == [h.doc_id for h in hits]
