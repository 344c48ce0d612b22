"""The OpenAI-compatible completions backend against a local server speaking the protocol (127.0.0.1 only)."""

from __future__ import annotations

import json
import os
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from app.generation.base import GenerationError, Generator, GeneratorConfig, prompt_budget
from app.generation.chain import AnswerResult, answer_question, stream_answer
from app.generation.factory import make_generator
from app.generation.openai_backend import OpenAIGenerator, estimate_tokens, retry_after_seconds
from app.generation.prompt import build_prompt
from app.schemas import Hit
from ingest.markdown_source import parse_markdown_file

MODEL = "SEOKDONG/openchat3.5_korean_v1.0_sft"
ANSWER = "「민법」 제54조제1항에 따라 설립등기 이외의 등기사항은 등기 후가 아니면 제삼자에게 대항하지 못합니다."


class FakeCompletions:
    """A completions server: each POST takes the next planned reply (status or 'ok'); the last one repeats."""

    def __init__(self) -> None:
        self.plan: list[int | str] = ["ok"]
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.pieces = ["「민법」 제54조", "제1항에 따라 설립등기 이외의", " 등기사항은 등기 후가 아니면",
                       " 제삼자에게 대항하지 못합니다."]
        self.tail = ""  # text a server that ignores `stop` would add
        self.max_model_len: int | None = 4096
        self.retry_after: str | None = None  # Retry-After sent with planned error statuses
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _json(self, status: int, body: Any) -> None:
                data = json.dumps(body, ensure_ascii=False).encode()
                self.send_response(status)
                if status >= 400 and fake.retry_after is not None:
                    self.send_header("Retry-After", fake.retry_after)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                if self.path == "/v1/models" and fake.max_model_len:
                    self._json(200, {"object": "list", "data": [
                        {"id": "other-model", "max_model_len": 1},
                        {"id": MODEL, "object": "model", "max_model_len": fake.max_model_len},
                    ]})
                else:
                    self._json(404, {"error": "not found"})

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if self.path == "/tokenize":
                    self._json(200, {"count": len(body["prompt"]) + 1, "max_model_len": 4096})
                    return
                assert self.path == "/v1/completions", self.path
                fake.requests.append(body)
                fake.headers.append(dict(self.headers))
                step = fake.plan.pop(0) if len(fake.plan) > 1 else fake.plan[0]
                if step != "ok":
                    self._json(int(step), {"error": {"message": f"planned {step}"}})
                    return
                if not body.get("stream"):
                    text = "".join(fake.pieces) + fake.tail
                    self._json(200, {"id": "cmpl-1", "object": "text_completion", "model": body["model"],
                                     "choices": [{"index": 0, "text": text, "finish_reason": "stop"}]})
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                self.wfile.write(b": keep-alive\n\n")
                for piece in [*fake.pieces, fake.tail] if fake.tail else fake.pieces:
                    event = {"id": "cmpl-1", "object": "text_completion",
                             "choices": [{"index": 0, "text": piece, "finish_reason": None}]}
                    self.wfile.write(f"data: {json.dumps(event, ensure_ascii=False)}\n\n".encode())
                    self.wfile.flush()
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()
                self.close_connection = True

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def server() -> Iterator[FakeCompletions]:
    s = FakeCompletions()
    yield s
    s.close()


def _gen(server: FakeCompletions, **kw: Any) -> OpenAIGenerator:
    cfg = GeneratorConfig(backend="openai", openai_base_url=server.base_url + "/", openai_backoff=0.01, **kw)
    g = make_generator(cfg)
    assert isinstance(g, OpenAIGenerator) and isinstance(g, Generator)
    return g


@pytest.fixture(scope="module")
def hits(law_dir: Path) -> list[Hit]:
    out = []
    for rank, (rel, number) in enumerate([("민법/법률.md", "제54조"), ("약관의규제에관한법률/법률.md", "제5조")], 1):
        r = parse_markdown_file(law_dir / rel)
        assert r.statute is not None
        a = next(a for a in r.articles if a.number == number and not a.is_addendum)
        out.append(Hit(doc_id=a.doc_id, law=a.law_title, law_id=a.law_id, article=a.number, title=a.title,
                       text=a.text, score=1.0, rank=rank, url=r.statute.source_url,
                       effective=str(r.statute.effective)))
    return out


def test_plain_json_completion(server: FakeCompletions, hits: list[Hit]) -> None:
    g = _gen(server, openai_api_key="sk-local")
    prompt = build_prompt("법인 등기의 효력은?", hits, g.count_tokens, prompt_budget(g))
    assert g.generate(prompt) == ANSWER
    (req,) = server.requests
    assert req["model"] == MODEL and req["stream"] is False
    assert req["prompt"] == prompt.text and req["prompt"].endswith(" 답변:")
    assert req["temperature"] == 0.5 and req["repetition_penalty"] == 1.15 and req["max_tokens"] == 512
    assert "질문:" in req["stop"] and "\n답변:" in req["stop"]
    assert server.headers[0]["Authorization"] == "Bearer sk-local"


def test_server_that_ignores_stop_is_cut(server: FakeCompletions, hits: list[Hit]) -> None:
    server.tail = "\n\n질문: 다음 질문입니다. 답변: 또 다른 답"
    g = _gen(server, temperature=0.0, seed=7)
    prompt = build_prompt("법인 등기의 효력은?", hits, g.count_tokens, prompt_budget(g))
    assert g.generate(prompt).strip() == ANSWER
    assert "".join(g.stream(prompt)).strip() == ANSWER
    assert server.requests[0]["seed"] == 7 and server.requests[0]["temperature"] == 0.0


def test_sse_streaming(server: FakeCompletions, hits: list[Hit]) -> None:
    g = _gen(server)
    prompt = build_prompt("법인 등기의 효력은?", hits, g.count_tokens, prompt_budget(g))
    pieces = list(g.stream(prompt))
    assert "".join(pieces) == ANSWER
    assert len(pieces) >= 3  # arrives in pieces, not as one block
    assert server.requests[0]["stream"] is True and server.requests[0]["prompt"].endswith(" 답변:")


def test_retry_after_500(server: FakeCompletions, hits: list[Hit]) -> None:
    server.plan = [500, "ok"]
    g = _gen(server)
    prompt = build_prompt("법인 등기의 효력은?", hits, g.count_tokens, prompt_budget(g))
    assert g.generate(prompt) == ANSWER
    assert len(server.requests) == 2
    server.plan = [503, 502, "ok"]
    assert "".join(g.stream(prompt)) == ANSWER
    assert len(server.requests) == 5


def test_gives_up_after_retries_and_does_not_retry_4xx(server: FakeCompletions, hits: list[Hit]) -> None:
    server.plan = [500]
    g = _gen(server, openai_retries=2)
    prompt = build_prompt("법인 등기의 효력은?", hits, g.count_tokens, prompt_budget(g))
    with pytest.raises(GenerationError, match="3 attempts"):
        g.generate(prompt)
    assert len(server.requests) == 3
    server.plan = [400]
    with pytest.raises(GenerationError, match="HTTP 400"):
        list(g.stream(prompt))
    assert len(server.requests) == 4


def test_connection_refused_is_retried_then_reported() -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cfg = GeneratorConfig(backend="openai", openai_base_url=f"http://127.0.0.1:{port}/v1", openai_retries=1,
                          openai_backoff=0.01, context_window=2048)
    g = OpenAIGenerator(cfg)
    with pytest.raises(GenerationError, match="2 attempts"):
        g.generate(build_prompt("질문", [], len, 1000))
    assert g.count_tokens("민법 54") == estimate_tokens("민법 54") == 2 + 6 + 3  # no /tokenize: upper estimate


def test_window_and_token_count_from_server(server: FakeCompletions) -> None:
    g = _gen(server)
    assert g.context_window == 4096  # vLLM's max_model_len for the served model
    assert g.count_tokens("민법 제54조") == len("민법 제54조") + 1  # vLLM's /tokenize count
    server.max_model_len = None
    assert _gen(server).context_window == 8192
    assert _gen(server, context_window=1024).context_window == 1024
    server.max_model_len = 32768  # a Mistral config's max_position_embeddings, as vLLM reports it
    assert _gen(server).context_window == 8192  # the window the model was trained with, no more


def test_chain_over_openai(server: FakeCompletions, hits: list[Hit]) -> None:
    g = _gen(server)
    answer, citations = answer_question("법인 등기의 효력은?", hits, g, None)
    assert answer == ANSWER and citations == []
    out = list(stream_answer("법인 등기의 효력은?", hits, g, None))
    assert isinstance(out[-1], AnswerResult) and out[-1].answer == ANSWER
    assert "".join(x for x in out[:-1] if isinstance(x, str)) == ANSWER
    assert out[-1].generator == f"openai:{MODEL}"


def test_retry_after_is_honoured(server: FakeCompletions, hits: list[Hit]) -> None:
    g = _gen(server)
    waits: list[float] = []
    g.sleep = waits.append  # record the waits instead of sleeping
    prompt = build_prompt("법인 등기의 효력은?", hits, g.count_tokens, prompt_budget(g))
    server.plan, server.retry_after = [503, 429, "ok"], "3"
    assert g.generate(prompt) == ANSWER
    assert waits == [3.0, 3.0]  # the server's delay, not the 0.01 s backoff
    # Without the header: the configured backoff (0.01 s), doubled per retry, plus at most 10% jitter.
    server.plan, server.retry_after, waits[:] = [500, 502, "ok"], None, []
    assert "".join(g.stream(prompt)) == ANSWER
    assert len(waits) == 2 and 0.01 <= waits[0] <= 0.011 and 0.02 <= waits[1] <= 0.022
    # A Retry-After longer than the request timeout is capped at it.
    g.config = g.config.model_copy(update={"openai_timeout": 1.5})
    server.plan, server.retry_after, waits[:] = [503, "ok"], "600", []
    assert g.generate(prompt) == ANSWER and waits == [1.5]


def test_retry_after_header_forms() -> None:
    now = datetime(2026, 11, 25, 9, 0, 0, tzinfo=UTC)
    assert retry_after_seconds("120", now) == 120.0
    assert retry_after_seconds("Wed, 25 Nov 2026 09:00:30 GMT", now) == 30.0
    assert retry_after_seconds("Wed, 25 Nov 2026 08:00:00 GMT", now) == 0.0  # in the past: retry now
    assert retry_after_seconds(None) is None and retry_after_seconds("soon") is None


def test_config_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    from app.settings import GeneratorSettings, Settings

    for var in [v for v in os.environ if v.startswith("LEGAL_RAG_")]:
        monkeypatch.delenv(var)
    assert GeneratorSettings().backend == "extractive"
    env = {"LEGAL_RAG_GENERATOR": "openai", "LEGAL_RAG_OPENAI_BASE_URL": "http://10.0.0.5:8000/v1/",
           "LEGAL_RAG_OPENAI_RETRIES": "5", "LEGAL_RAG_MAX_NEW_TOKENS": "256", "LEGAL_RAG_MODEL": "",
           "LEGAL_RAG_LOAD_IN_4BIT": "true"}
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    cfg = GeneratorSettings()
    assert isinstance(cfg, GeneratorConfig)
    assert cfg.backend == "openai" and cfg.openai_base_url == "http://10.0.0.5:8000/v1"
    assert cfg.openai_retries == 5 and cfg.max_new_tokens == 256 and cfg.load_in_4bit is True
    assert cfg.model == MODEL and cfg.served_model == MODEL  # empty variable = unset
    assert (cfg.temperature, cfg.repetition_penalty) == (0.5, 1.15)
    # The service's overrides win over the environment.
    assert Settings(generator="hf", generator_options={"max_new_tokens": 64}).generator_config().model_dump() == {
        **cfg.model_dump(), "backend": "hf", "max_new_tokens": 64}
    monkeypatch.setenv("LEGAL_RAG_GENERATOR", "gpt")
    with pytest.raises(ValueError):
        GeneratorSettings()
