"""The SFT model behind an OpenAI-compatible *completions* endpoint (vLLM: `vllm serve <model>`).

The model has no chat template of its own format (text then ` 답변:`), so the plain completions API is
used, not chat. Several replicas may sit behind one URL; a failed request (5xx, 429, connection error,
timeout) is retried (tenacity) after the server's Retry-After when it sends one, else with exponential backoff;
a stream only before its first piece arrived. Streams are read with httpx-sse.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from httpx_sse import EventSource
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt

from app.generation.base import DEFAULT_CONTEXT_WINDOW, GenerationError, GeneratorConfig
from app.generation.cancel import current_cancel
from app.generation.postprocess import STOP_TEXTS, cut_at_stop, filter_stream
from app.generation.prompt import Prompt

log = logging.getLogger(__name__)

_RETRY_STATUS = {429, 500, 502, 503, 504}


class _Retryable(Exception):
    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after  # seconds the server asked us to wait (Retry-After), if it said


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """A Retry-After header in seconds: delay-seconds or an HTTP date (RFC 9110 §10.2.3); None if absent or bad."""
    if not value or not value.strip():
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def estimate_tokens(text: str) -> int:
    """An upper estimate when no tokenizer is at hand, for a Llama/Mistral SentencePiece vocabulary: most
    Hangul syllables (and 「」, ①) fall back to one token per UTF-8 byte, digits are single tokens, a space
    before a byte-fallback word is a token of its own; only ASCII letters merge (counted two to a token)."""
    n, letters = 2, 0  # BOS, and one token of slack
    for ch in text:
        if ord(ch) >= 128:
            n += len(ch.encode("utf-8"))
        elif ch.isalpha():
            letters += 1
        else:
            n += 1
    return n + (letters + 1) // 2


class OpenAIGenerator:
    """Generator that calls POST {base_url}/completions."""

    def __init__(self, config: GeneratorConfig, client: httpx.Client | None = None) -> None:
        self.config = config
        self.max_new_tokens = config.max_new_tokens
        self.name = f"openai:{config.served_model}"
        headers = {"Authorization": f"Bearer {config.openai_api_key}"} if config.openai_api_key else {}
        self.client = client or httpx.Client(timeout=httpx.Timeout(config.openai_timeout), headers=headers)
        self._context_window: int | None = None
        self._tokenizer: Any = None
        self._tokenize_endpoint = True  # vLLM's /tokenize; turned off after the first failure
        self.sleep: Callable[[float], None] = time.sleep  # between retries (tests record the waits instead)

    def close(self) -> None:
        self.client.close()

    # --- prompt budget ----------------------------------------------------------------------------------

    @property
    def context_window(self) -> int:
        """config.context_window, else the server's `max_model_len` (vLLM /v1/models) up to the trained 8192,
        else 8192."""
        if self.config.context_window:
            return self.config.context_window
        if self._context_window is None:
            self._context_window = DEFAULT_CONTEXT_WINDOW
            try:
                r = self.client.get(f"{self.config.openai_base_url}/models", timeout=10.0)
                r.raise_for_status()
                for m in r.json().get("data", []):
                    if m.get("id") == self.config.served_model and m.get("max_model_len"):
                        self._context_window = min(int(m["max_model_len"]), DEFAULT_CONTEXT_WINDOW)
                        break
            except (httpx.HTTPError, ValueError, TypeError, AttributeError) as exc:
                log.info("no max_model_len from %s/models (%s); using %d", self.config.openai_base_url, exc,
                         self._context_window)
        return self._context_window

    def _load_tokenizer(self) -> Any:
        if self._tokenizer is None and self.config.tokenizer:
            from transformers import AutoTokenizer

            self._tokenizer = AutoTokenizer.from_pretrained(self.config.tokenizer, local_files_only=True)
        return self._tokenizer

    def count_tokens(self, text: str) -> int:
        """A local tokenizer when configured, else the server's /tokenize (vLLM), else an upper estimate."""
        tok = self._load_tokenizer()
        if tok is not None:
            return len(tok(text, add_special_tokens=True)["input_ids"])
        if self._tokenize_endpoint:
            root = self.config.openai_base_url.removesuffix("/v1")
            try:
                r = self.client.post(f"{root}/tokenize", json={"model": self.config.served_model, "prompt": text},
                                     timeout=10.0)
                r.raise_for_status()
                data = r.json()
                return int(data["count"]) if "count" in data else len(data["tokens"])
            except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
                log.info("no /tokenize at %s (%s); estimating token counts", root, exc)
                self._tokenize_endpoint = False
        return estimate_tokens(text)

    # --- requests ---------------------------------------------------------------------------------------

    def _payload(self, prompt: Prompt, stream: bool) -> dict[str, Any]:
        cfg = self.config
        body: dict[str, Any] = {
            "model": cfg.served_model,
            "prompt": prompt.text,
            "max_tokens": cfg.max_new_tokens,
            "temperature": cfg.temperature,
            "stop": list(STOP_TEXTS),
            "stream": stream,
        }
        if cfg.top_p is not None:
            body["top_p"] = cfg.top_p
        if cfg.seed is not None:
            body["seed"] = cfg.seed
        if cfg.openai_send_repetition_penalty:
            body["repetition_penalty"] = cfg.repetition_penalty
        return body

    def _wait(self, state: RetryCallState) -> float:
        """Seconds before the next attempt: the server's Retry-After (at most the request timeout), else the
        configured backoff doubled per attempt, with 10% jitter so replicas are not hit in lockstep."""
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _Retryable) and exc.retry_after is not None:
            return min(exc.retry_after, self.config.openai_timeout)
        delay = self.config.openai_backoff * (2 ** (state.attempt_number - 1))
        return delay * (1 + 0.1 * random.random())

    @staticmethod
    def _log_failure(state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        log.warning("completions request failed (attempt %d): %s", state.attempt_number, exc)

    def _with_retries(self, call: Callable[[str], Any]) -> Any:
        url = f"{self.config.openai_base_url}/completions"
        attempts = self.config.openai_retries + 1
        retrying = Retrying(
            stop=stop_after_attempt(attempts),
            wait=self._wait,
            # 5xx/429 and transport failures (connection refused/reset, timeouts); a 4xx is the request's fault
            retry=retry_if_exception_type((_Retryable, httpx.TransportError)),
            sleep=lambda seconds: self.sleep(seconds),
            after=self._log_failure,
            reraise=True,
        )
        try:
            return retrying(call, url)
        except (_Retryable, httpx.TransportError) as exc:
            raise GenerationError(
                f"completions server failed after {attempts} attempts: {exc} / 생성 서버 요청이 실패했습니다"
            ) from exc

    @staticmethod
    def _check(r: httpx.Response) -> None:
        if r.status_code in _RETRY_STATUS:
            r.read()
            raise _Retryable(f"HTTP {r.status_code}: {r.text[:200]}", retry_after_seconds(r.headers.get("Retry-After")))
        if r.status_code >= 400:
            r.read()
            raise GenerationError(f"completions server said HTTP {r.status_code}: {r.text[:500]} / "
                                  f"생성 서버 오류")

    @staticmethod
    def _text(data: Any) -> str:
        try:
            return data["choices"][0].get("text") or ""
        except (KeyError, IndexError, TypeError, AttributeError) as exc:
            raise GenerationError(f"unexpected completions response / 응답 형식 오류: {str(data)[:200]}") from exc

    def generate(self, prompt: Prompt) -> str:
        if current_cancel() is not None:
            # A request that can be stopped reads the answer as a stream: closing it aborts the server's
            # generation when the request times out or its client leaves (a plain POST cannot be stopped).
            return cut_at_stop("".join(self._raw_stream(prompt)))
        payload = self._payload(prompt, stream=False)

        def call(url: str) -> str:
            r = self.client.post(url, json=payload)
            self._check(r)
            try:
                data = r.json()
            except ValueError as exc:
                raise GenerationError(f"completions response is not JSON / JSON 아님: {r.text[:200]}") from exc
            return self._text(data)

        # Servers apply `stop` themselves; cutting again keeps generate() and stream() identical for servers
        # that ignore some stop strings.
        return cut_at_stop(self._with_retries(call))

    def stream(self, prompt: Prompt) -> Iterator[str]:
        return filter_stream(self._raw_stream(prompt))

    def _raw_stream(self, prompt: Prompt) -> Iterator[str]:
        payload = self._payload(prompt, stream=True)
        started = False

        def open_stream(url: str) -> tuple[Any, httpx.Response]:
            cm = self.client.stream("POST", url, json=payload)
            r = cm.__enter__()
            try:
                self._check(r)
            except BaseException:
                cm.__exit__(None, None, None)
                raise
            return cm, r

        cm, response = self._with_retries(open_stream)
        stop = current_cancel()
        try:
            for sse in EventSource(response).iter_sse():
                data = sse.data
                if data == "[DONE]" or (stop is not None and stop.is_set()):
                    break  # leaving closes the connection: vLLM aborts the generation
                try:
                    event = json.loads(data)
                except ValueError as exc:
                    raise GenerationError(f"bad stream event / 스트림 형식 오류: {data[:200]}") from exc
                if isinstance(event, dict) and "error" in event:
                    raise GenerationError(f"completions stream error / 생성 스트림 오류: {event['error']}")
                piece = self._text(event)
                if piece:
                    started = True
                    yield piece
        except httpx.HTTPError as exc:
            # A stream that broke after pieces were shown cannot be replayed on another replica.
            raise GenerationError(f"completions stream broke (started={started}): {exc} / 스트림 중단") from exc
        finally:
            cm.__exit__(None, None, None)

