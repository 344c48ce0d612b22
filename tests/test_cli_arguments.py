"""`legal-rag search` and `legal-rag ask` check their arguments with the API's request fields (app.api.fields):
a blank or over-long question, a date that is not a real YYYY-MM-DD day and a top-k out of range are refused
with exit code 2 and the bilingual message the API answers the same request with, the limits being the
configured ones; valid arguments reach the engine as the checks normalise them. Run end to end on the small real
index of the shared corpus (index_fixture), in process and as a real process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytest.register_assert_rewrite("index_fixture")

from index_fixture import AS_OF, LIVE_LABOR_EFFECTIVE, OLD_LABOR_EFFECTIVE, OLD_VERSION_MARK, ServiceIndex  # noqa: E402

from legal_rag.cli import main  # noqa: E402

pytest_plugins = ("index_fixture",)

EMPTY = "질문을 입력하십시오 / the question must not be empty"
TOO_LONG = "질문이 너무 깁니다 (최대 2000자) / the question is too long (at most 2000 characters)"
NOT_A_DAY = "기준일(as_of)은 YYYY-MM-DD 형식의 실제 날짜여야 합니다: '2024-02-30' / as_of must be a real date YYYY-MM-DD"
NOT_THE_PATTERN = "기준일(as_of)은 YYYY-MM-DD 형식이어야 합니다 / as_of must be YYYY-MM-DD"
TOP_K = "top_k는 1에서 50 사이의 정수여야 합니다 / top_k must be an integer 1..50"

# (arguments after the subcommand and --index, the message on stderr, the POST /api/ask body refused alike)
BAD_ARGUMENTS = [
    pytest.param([""], EMPTY, {"question": ""}, id="empty-question"),
    pytest.param(["  ", " "], EMPTY, {"question": "    "}, id="blank-question"),
    pytest.param(["가" * 2001], TOO_LONG, {"question": "가" * 2001}, id="question-over-2000"),
    pytest.param(["--as-of", "2024-02-30", "민법 제54조"], NOT_A_DAY, {"question": "민법 제54조", "as_of": "2024-02-30"},
                 id="as-of-not-a-day"),
    pytest.param(["--as-of", "2024/02/01", "민법 제54조"], NOT_THE_PATTERN,
                 {"question": "민법 제54조", "as_of": "2024/02/01"}, id="as-of-slashes"),
    pytest.param(["--as-of", "20240201", "민법 제54조"], NOT_THE_PATTERN,
                 {"question": "민법 제54조", "as_of": "20240201"}, id="as-of-basic-format"),
    pytest.param(["--top-k", "0", "민법 제54조"], TOP_K, {"question": "민법 제54조", "top_k": 0}, id="top-k-0"),
    pytest.param(["--top-k", "51", "민법 제54조"], TOP_K, {"question": "민법 제54조", "top_k": 51}, id="top-k-51"),
    pytest.param(["--top-k", "abc", "민법 제54조"], TOP_K, {"question": "민법 제54조", "top_k": "abc"},
                 id="top-k-not-a-number"),
]


@pytest.fixture(autouse=True)
def _default_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    """The settings' defaults (2000 characters, top_k 50), whatever the environment running the tests says."""
    monkeypatch.delenv("LEGAL_RAG_MAX_QUESTION_CHARS", raising=False)
    monkeypatch.delenv("LEGAL_RAG_MAX_TOP_K", raising=False)


@pytest.mark.parametrize("command", ["search", "ask"])
@pytest.mark.parametrize(("argv", "message", "_body"), BAD_ARGUMENTS)
def test_cli_refuses_bad_arguments(service_index: ServiceIndex, capsys: Any, command: str, argv: list[str],
                                   message: str, _body: dict[str, Any]) -> None:
    assert main([command, "--index", str(service_index.index), *argv]) == 2
    out, err = capsys.readouterr()
    assert err.strip() == message and out == ""


@pytest.mark.parametrize(("argv", "message", "body"), BAD_ARGUMENTS)
def test_cli_message_is_the_api_message(client: Any, service_index: ServiceIndex, capsys: Any, argv: list[str],
                                        message: str, body: dict[str, Any]) -> None:
    """One definition of each check: `legal-rag ask` refuses what POST /api/ask refuses, in the same words."""
    r = client.post("/api/ask", json=body)
    assert r.status_code == 422 and r.json()["error"] == "validation_error"
    assert r.json()["message"] == message
    assert main(["ask", "--index", str(service_index.index), *argv]) == 2
    assert capsys.readouterr().err.strip() == message


def test_cli_limits_are_the_settings(service_index: ServiceIndex, capsys: Any, monkeypatch: pytest.MonkeyPatch
                                     ) -> None:
    """Lowered limits (LEGAL_RAG_MAX_QUESTION_CHARS, LEGAL_RAG_MAX_TOP_K) apply to both commands, every refusal
    in one message; a question and top-k at the limits are answered."""
    monkeypatch.setenv("LEGAL_RAG_MAX_QUESTION_CHARS", "12")
    monkeypatch.setenv("LEGAL_RAG_MAX_TOP_K", "3")
    index = str(service_index.index)
    for command in ("search", "ask"):
        assert main([command, "--index", index, "--top-k", "4", "민법 제54조 설립허가와 등기"]) == 2
        out, err = capsys.readouterr()
        assert err.strip() == ("질문이 너무 깁니다 (최대 12자) / the question is too long (at most 12 characters); "
                               "top_k는 1에서 3 사이여야 합니다 / top_k must be 1..3") and out == ""
    question = "민법 제54조 설립등기"  # 12 characters
    assert len(question) == 12
    assert main(["search", "--index", index, "--json", "--top-k", "3", "--as-of", AS_OF, question]) == 0
    data = json.loads(capsys.readouterr().out)
    assert 1 <= len(data["hits"]) <= 3 and data["hits"][0]["article"] == "제54조"
    assert main(["ask", "--index", index, "--json", "--top-k", "3", "--as-of", AS_OF, question]) == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data["hits"]) <= 3
    assert any(c["status"] == "verified" and c["article"] == "제54조" for c in data["citations"])


def test_cli_passes_checked_arguments_to_the_engine(service_index: ServiceIndex, capsys: Any) -> None:
    """The values the checks return are the ones searched with: the question stripped, blank --law entries
    dropped, --as-of choosing the statute version in force that day."""
    index = str(service_index.index)
    before = "2026-12-31"  # the older 근로기준법 (in force from OLD_LABOR_EFFECTIVE) still applies
    assert OLD_LABOR_EFFECTIVE < before < LIVE_LABOR_EFFECTIVE
    texts = {}
    for day in (before, LIVE_LABOR_EFFECTIVE):
        argv = ["search", "--index", index, "--json", "--top-k", "2", "--as-of", day, "--law", " ", "--law",
                "근로기준법", "  근로기준법 제1조  "]
        assert main(argv) == 0
        data = json.loads(capsys.readouterr().out)
        assert data["query"] == "근로기준법 제1조" and data["as_of"] == day
        assert 1 <= len(data["hits"]) <= 2 and {h["law"] for h in data["hits"]} == {"근로기준법"}
        first = data["hits"][0]
        assert first["article"] == "제1조"
        texts[day] = first["text"]
    assert OLD_VERSION_MARK in texts[before] and OLD_VERSION_MARK not in texts[LIVE_LABOR_EFFECTIVE]


def _cli(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "legal_rag.cli", *argv], capture_output=True, text=True,
                          timeout=300, cwd=Path(__file__).resolve().parents[1])


def test_cli_process_refuses_without_traceback(service_index: ServiceIndex) -> None:
    """As a real process: exit code 2, the message alone on stderr (no traceback, no usage text), nothing on
    stdout."""
    index = str(service_index.index)
    for argv, message in ((["search", "--index", index, "   "], EMPTY),
                          (["ask", "--index", index, "--as-of", "2024-02-30", "--top-k", "51", "민법 제54조"],
                           f"{TOP_K}; {NOT_A_DAY}")):
        proc = _cli(*argv)
        assert proc.returncode == 2, proc.stderr
        assert proc.stderr.strip() == message and proc.stdout == ""


@pytest.mark.parametrize("command", ["search", "ask"])
def test_cli_refuses_an_invalid_setting(service_index: ServiceIndex, capsys: Any, monkeypatch: pytest.MonkeyPatch,
                                        command: str) -> None:
    """A limit the settings refuse (LEGAL_RAG_MAX_TOP_K above the schema's 50) is a clear error, exit 2, not a
    traceback."""
    monkeypatch.setenv("LEGAL_RAG_MAX_TOP_K", "100")
    assert main([command, "--index", str(service_index.index), "민법 제54조"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("잘못된 LEGAL_RAG_* 설정입니다 / invalid LEGAL_RAG_* setting: max_top_k: ")
