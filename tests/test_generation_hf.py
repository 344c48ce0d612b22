"""The transformers backend, end to end through its real loader, on a tiny random-weight Mistral model.

No hub access: the tokenizer is a byte-level BPE trained here on real statute text (so any Korean text
round-trips exactly), the model a 2-layer MistralForCausalLM; both are saved to tmp_path and loaded by path.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
from transformers import MistralConfig, MistralForCausalLM, PreTrainedTokenizerFast

from app.generation.base import Generator, GeneratorConfig, prompt_budget
from app.generation.chain import AnswerResult, answer_question, stream_answer
from app.generation.factory import make_generator
from app.generation.hf_backend import HFGenerator
from app.generation.prompt import OMITTED_MARK, build_prompt, clean_article_text, render_prompt
from app.schemas import Hit
from ingest.markdown_source import parse_markdown_file
from legal_rag.versions import select_versions

SPECS = [
    ("민법/법률.md", "제54조"),
    ("약관의규제에관한법률/법률.md", "제5조"),
    ("국민건강보험법/법률.md", "제44조"),
    ("국민건강보험법/시행령.md", "제19조"),
]
QUESTION = "법인의 등기사항은 등기 전에 제삼자에게 대항할 수 있습니까?"


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(scope="module")
def hits(law_dir: Path) -> list[Hit]:
    out = []
    for rank, (rel, number) in enumerate(SPECS, start=1):
        r = parse_markdown_file(law_dir / rel)
        assert r.statute is not None
        st = r.statute
        a = next(a for a in r.articles if a.number == number and not a.is_addendum)
        vc = select_versions([(st, False)], date(2026, 11, 25))[st.law_id]
        out.append(Hit(doc_id=a.doc_id, law=a.law_title, law_id=a.law_id, article=a.number, title=a.title,
                       text=a.text, score=1.0 / rank, rank=rank, url=st.source_url,
                       effective=str(st.effective), pending=vc.pending, note=vc.note))
    return out


@pytest.fixture(scope="module")
def tokenizer_dir(law_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A byte-level BPE tokenizer trained on a few hundred lines of real statute text."""
    lines: list[str] = []
    for rel in ["민법/법률.md", "국민건강보험법/법률.md", "약관의규제에관한법률/법률.md"]:
        text = (law_dir / rel).read_text(encoding="utf-8")
        lines += [ln for ln in text.splitlines() if ln.strip() and not ln.startswith(("---", "제목:"))][:150]
    assert len(lines) >= 300
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=1200, special_tokens=["<unk>", "<s>", "</s>", "<pad>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(lines + ["질문: 답변: 「민법」 제54조"], trainer)
    tok.post_processor = processors.TemplateProcessing(single="<s> $A", special_tokens=[("<s>", 1)])
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", pad_token="<pad>",
                                   unk_token="<unk>")
    out = tmp_path_factory.mktemp("tokenizer")
    fast.save_pretrained(out)
    return out


@pytest.fixture(scope="module")
def make_model_dir(tokenizer_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Callable[[int], Path]:
    """A tiny random-weight Mistral with the given max_position_embeddings, saved with the tokenizer."""
    made: dict[int, Path] = {}

    def make(max_positions: int) -> Path:
        if max_positions in made:
            return made[max_positions]
        tok = PreTrainedTokenizerFast.from_pretrained(tokenizer_dir)
        cfg = MistralConfig(
            vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
            num_key_value_heads=2, max_position_embeddings=max_positions, sliding_window=None,
            bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id,
        )
        torch.manual_seed(0)
        out = tmp_path_factory.mktemp(f"mistral{max_positions}")
        MistralForCausalLM(cfg).save_pretrained(out)
        tok.save_pretrained(out)
        made[max_positions] = out
        return out

    return make


def _generator(path: Path, **kw: Any) -> HFGenerator:
    cfg = GeneratorConfig(backend="hf", model=str(path), device="cpu", **{"max_new_tokens": 24, **kw})
    g = make_generator(cfg)
    assert isinstance(g, HFGenerator) and isinstance(g, Generator)
    return g


def _spy(g: HFGenerator) -> list[Any]:
    """Record what reaches model.generate (the real call still runs)."""
    calls: list[Any] = []
    real = g.model.generate

    def generate(*args: Any, **kwargs: Any) -> Any:
        calls.append(kwargs)
        return real(*args, **kwargs)

    g.model.generate = generate  # type: ignore[method-assign]
    return calls


def test_loads_by_path_on_cpu_in_float32(make_model_dir: Callable[[int], Path]) -> None:
    g = _generator(make_model_dir(2048))
    assert g.model.dtype == torch.float32 and g.model.device.type == "cpu"
    assert g.context_window == 2048  # from the model config
    assert _generator(make_model_dir(2048), context_window=1024).context_window == 1024
    # Mistral configs say 32768; the prompt budget stays within OpenChat 3.5's trained 8192 window
    assert _generator(make_model_dir(32768)).context_window == 8192
    assert g.name.startswith("hf:") and g.tokenizer.pad_token == "<pad>"
    eos = g.tokenizer.convert_tokens_to_ids("</s>")
    assert g.eos_token_ids == [eos]
    g.model.generation_config.eos_token_id = [eos, 7]  # OpenChat style: another end-of-turn id
    assert g.eos_token_ids == [eos, 7]
    text = "「민법」 제54조 ① 설립등기 이외의 본절의 등기사항은"
    assert g.count_tokens(text) == len(g.tokenizer(text)["input_ids"])
    assert g.tokenizer.decode(g.tokenizer(text)["input_ids"], skip_special_tokens=True) == text


def test_prompt_sent_and_continuation_only(make_model_dir: Callable[[int], Path], hits: list[Hit]) -> None:
    g = _generator(make_model_dir(2048), temperature=0.0)
    prompt = build_prompt(QUESTION, hits[:2], g.count_tokens, prompt_budget(g))
    assert prompt.text.endswith(" 답변:") and not prompt.dropped
    calls = _spy(g)
    out = g.generate(prompt)
    (kw,) = calls
    sent = g.tokenizer.decode(kw["input_ids"][0], skip_special_tokens=True)
    assert sent == prompt.text and sent.endswith(" 답변:")
    assert kw["input_ids"][0, 0].item() == g.tokenizer.bos_token_id
    assert kw["do_sample"] is False and kw["repetition_penalty"] == 1.15
    # The same greedy run by hand: the backend returns exactly the decoded new tokens, no prompt echo.
    enc = g.tokenizer(prompt.text, return_tensors="pt")
    ids = g.model.generate(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"], max_new_tokens=24,
                           do_sample=False, repetition_penalty=1.15, pad_token_id=g.tokenizer.pad_token_id)
    expected = g.tokenizer.decode(ids[0, enc["input_ids"].shape[1]:], skip_special_tokens=True)
    assert out and expected.startswith(out)
    assert "답변:" not in out and "다음은 질문과" not in out


def test_stream_equals_generate_greedy(make_model_dir: Callable[[int], Path], hits: list[Hit]) -> None:
    g = _generator(make_model_dir(2048), temperature=0.0, max_new_tokens=40)
    prompt = build_prompt(QUESTION, hits[:2], g.count_tokens, prompt_budget(g))
    whole = g.generate(prompt)
    pieces = list(g.stream(prompt))
    assert len(pieces) > 1 and "".join(pieces) == whole and whole


def test_stream_equals_generate_sampling_with_seed(make_model_dir: Callable[[int], Path], hits: list[Hit]) -> None:
    g = _generator(make_model_dir(2048), seed=1234, max_new_tokens=40)
    assert (g.config.temperature, g.config.repetition_penalty) == (0.5, 1.15)  # the card's sampling
    prompt = build_prompt(QUESTION, hits[:1], g.count_tokens, prompt_budget(g))
    calls = _spy(g)
    first = g.generate(prompt)
    assert g.generate(prompt) == first
    assert "".join(g.stream(prompt)) == first
    assert calls[0]["do_sample"] is True and calls[0]["temperature"] == 0.5


def test_budget_drops_lowest_ranked_first(make_model_dir: Callable[[int], Path], hits: list[Hit]) -> None:
    probe = _generator(make_model_dir(2048))
    count = probe.count_tokens
    ranked = sorted(hits, key=lambda h: h.rank)
    with_two = count(build_prompt(QUESTION, ranked[:2], count, 10**6).text)
    with_three = count(build_prompt(QUESTION, ranked[:3], count, 10**6).text)
    assert with_two < with_three
    new_tokens = 16
    window = with_two + new_tokens + (with_three - with_two) // 2  # room for two articles, not three
    g = _generator(make_model_dir(window), temperature=0.0, max_new_tokens=new_tokens)
    assert g.context_window == window
    shuffled = [ranked[2], ranked[0], ranked[3], ranked[1]]  # order in the list must not matter, rank does
    prompt = build_prompt(QUESTION, shuffled, g.count_tokens, prompt_budget(g))
    assert [h.rank for h in prompt.hits] == [1, 2] and [h.rank for h in prompt.dropped] == [3, 4]
    assert not prompt.truncated and prompt.text.endswith(" 답변:")
    assert g.count_tokens(prompt.text) + new_tokens <= window
    calls = _spy(g)
    g.generate(prompt)
    assert calls[0]["input_ids"].shape[1] + calls[0]["max_new_tokens"] <= window


def test_top_article_cut_when_alone_too_long(make_model_dir: Callable[[int], Path], hits: list[Hit]) -> None:
    probe = _generator(make_model_dir(2048))
    count = probe.count_tokens
    top = next(h for h in hits if h.law == "국민건강보험법 시행령")  # the longest article, ranked first here
    top = top.model_copy(update={"rank": 0})
    bare = count(render_prompt(QUESTION, []))
    whole = count(build_prompt(QUESTION, [top], count, 10**6).text)
    window = bare + (whole - bare) // 3 + 16
    g = _generator(make_model_dir(window), temperature=0.0, max_new_tokens=16)
    prompt = build_prompt(QUESTION, [top, *hits], g.count_tokens, prompt_budget(g))
    assert prompt.truncated and [h.rank for h in prompt.hits] == [0] and len(prompt.dropped) == len(hits)
    assert OMITTED_MARK in prompt.text and prompt.text.endswith(" 답변:")
    assert g.count_tokens(prompt.text) <= window - 16
    block = prompt.text.split("[1] ", 1)[1].split("\n" + OMITTED_MARK, 1)[0]
    header, kept = block.split("\n", 1)
    assert header == top.header
    clean = clean_article_text(top.text)
    assert clean.startswith(kept) and len(kept) < len(clean)
    assert clean[len(kept)] == "\n" or kept.endswith("다.")  # cut at a paragraph or sentence boundary
    assert isinstance(g.generate(prompt), str)


def test_chain_with_hf(make_model_dir: Callable[[int], Path], hits: list[Hit]) -> None:
    g = _generator(make_model_dir(2048), temperature=0.0, max_new_tokens=30)
    answer, citations = answer_question(QUESTION, hits[:2], g, lambda text: [])
    assert citations == [] and answer == answer.strip()
    out = list(stream_answer(QUESTION, hits[:2], g, lambda text: []))
    final = out[-1]
    assert isinstance(final, AnswerResult) and final.answer == answer
    assert "".join(x for x in out[:-1] if isinstance(x, str)).strip() == answer
    assert final.prompt.text.endswith(" 답변:") and final.generator == g.name


def test_request_stop_ends_generation_early(make_model_dir: Callable[[int], Path], hits: list[Hit]) -> None:
    import threading

    from app.generation.cancel import cancel_scope

    g = _generator(make_model_dir(2048), temperature=0.0, max_new_tokens=40)
    prompt = build_prompt(QUESTION, hits[:2], g.count_tokens, prompt_budget(g))
    whole = g.generate(prompt)

    def n_tokens(text: str) -> int:
        return len(g.tokenizer(text, add_special_tokens=False)["input_ids"])

    assert n_tokens(whole) > 5
    stop = threading.Event()
    stop.set()  # the request already timed out: one step at most
    with cancel_scope(stop):
        cut = g.generate(prompt)
    shown = cut.rstrip("\ufffd")  # one new token may end inside a UTF-8 sequence
    assert len(shown) <= 4 < len(whole) and whole.startswith(shown)
    stop = threading.Event()
    pieces = []
    with cancel_scope(stop):
        for piece in g.stream(prompt):
            pieces.append(piece)
            stop.set()  # the client left after the first piece
    text = "".join(pieces).rstrip("\ufffd")
    assert len(pieces) <= 3 and whole.startswith(text) and len(text) < len(whole) / 2
