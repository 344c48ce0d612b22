"""The SFT model in-process through transformers.

`AutoModelForCausalLM` (the model card's `AutoModel` loads the bare transformer, without the LM head),
bf16 on CUDA, float32 on CPU, optional 4-bit (bitsandbytes + CUDA). Sampling from the card: temperature
0.5, repetition_penalty 1.15. Streaming runs `generate` in a thread feeding a TextIteratorStreamer.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from app.generation.base import DEFAULT_CONTEXT_WINDOW, GenerationError, GeneratorConfig
from app.generation.cancel import AnyEvent, current_cancel
from app.generation.postprocess import EOS_TEXTS, STOP_TEXTS, cut_at_stop, filter_stream
from app.generation.prompt import Prompt

log = logging.getLogger(__name__)


def _offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}


def resolve_device(device: str) -> str:
    import torch

    if device != "auto":
        return device
    return "cuda" if torch.cuda.is_available() else "cpu"


def resolve_dtype(dtype: str, device: str) -> Any:
    import torch

    if dtype != "auto":
        return getattr(torch, dtype)
    if device.startswith("cuda"):
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.float32  # bf16 matmuls on CPU are slow or unsupported on many machines


def _bitsandbytes_available() -> bool:
    try:
        import bitsandbytes  # noqa: F401
    except Exception:  # ImportError, or a CUDA library mismatch raised at import time
        return False
    return True


def _dtype_kwarg() -> str:
    """transformers >= 4.56 takes `dtype`; older releases only `torch_dtype` (and ignore `dtype`)."""
    import transformers

    major, minor = (int(x) for x in transformers.__version__.split(".")[:2])
    return "dtype" if (major, minor) >= (4, 56) else "torch_dtype"


class _StopCriteria:
    """Stop when a stop text appears in the newly generated text, or when the consumer went away."""

    def __init__(self, tokenizer: Any, prompt_len: int, cancel: threading.Event | AnyEvent) -> None:
        self.tokenizer = tokenizer
        self.prompt_len = prompt_len
        self.cancel = cancel

    def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
        import torch

        if self.cancel.is_set():
            return torch.ones(input_ids.shape[0], dtype=torch.bool, device=input_ids.device)
        # The last few tokens are enough to contain any stop text; decoding all of them each step is waste.
        tail = input_ids[:, max(self.prompt_len, input_ids.shape[1] - 16) :]
        texts = self.tokenizer.batch_decode(tail, skip_special_tokens=True)
        done = [any(s in t for s in STOP_TEXTS) for t in texts]
        return torch.tensor(done, dtype=torch.bool, device=input_ids.device)


class HFGenerator:
    """Generator backed by a local transformers model (hub id or directory)."""

    def __init__(self, config: GeneratorConfig, model: Any = None, tokenizer: Any = None) -> None:
        self.config = config
        self.max_new_tokens = config.max_new_tokens
        self.device = resolve_device(config.device)
        self._lock = threading.Lock()  # one generation at a time: the model is not re-entrant on a GPU
        if model is None or tokenizer is None:
            model, tokenizer = self._load()
        self.model = model
        self.tokenizer = tokenizer
        self.name = f"hf:{config.model}"
        if self.tokenizer.pad_token_id is None:
            # Mistral tokenizers ship without a pad token; generate() warns and guesses otherwise.
            self.tokenizer.pad_token = self.tokenizer.eos_token

    def _load(self) -> tuple[Any, Any]:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        src = self.config.model
        local = Path(src).expanduser().is_dir()
        common: dict[str, Any] = {
            "local_files_only": local or _offline(),
            "trust_remote_code": self.config.trust_remote_code,
        }
        kwargs: dict[str, Any] = dict(common)
        dtype = resolve_dtype(self.config.dtype, self.device)
        kwargs[_dtype_kwarg()] = dtype
        on_cuda = self.device.startswith("cuda") and torch.cuda.is_available()
        if self.config.load_in_4bit:
            if on_cuda and _bitsandbytes_available():
                from transformers import BitsAndBytesConfig

                kwargs["quantization_config"] = BitsAndBytesConfig(
                    load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_compute_dtype=dtype
                )
                kwargs["device_map"] = {"": self.device if ":" in self.device else 0}
            else:
                log.warning(
                    "4-bit loading needs CUDA and bitsandbytes; loading in %s instead / "
                    "4비트 로딩에는 CUDA와 bitsandbytes가 필요합니다", dtype,
                )
        try:
            tokenizer = AutoTokenizer.from_pretrained(src, **common)
            model = AutoModelForCausalLM.from_pretrained(src, **kwargs)
        except OSError as exc:
            raise GenerationError(
                f"cannot load model {src!r} (offline: {common['local_files_only']}): {exc} / "
                f"모델을 불러올 수 없습니다: {src}"
            ) from exc
        if "device_map" not in kwargs:
            model.to(self.device)  # type: ignore[arg-type]  # transformers stubs type .to() oddly
        model.eval()
        return model, tokenizer

    @property
    def context_window(self) -> int:
        own = getattr(self.model.config, "max_position_embeddings", None)
        if self.config.context_window and own:
            return min(self.config.context_window, int(own))
        if self.config.context_window:
            return int(self.config.context_window)
        return min(int(own or DEFAULT_CONTEXT_WINDOW), DEFAULT_CONTEXT_WINDOW)  # the trained window at most

    @property
    def eos_token_ids(self) -> list[int]:
        """Every end-of-sequence id: the tokenizer's, the model's generation config's (OpenChat ends turns
        with `<|end_of_turn|>` while its tokenizer may name `</s>`), and any EOS text in the vocabulary."""
        ids: list[int] = []
        gen_eos = getattr(getattr(self.model, "generation_config", None), "eos_token_id", None)
        for i in [self.tokenizer.eos_token_id, *(gen_eos if isinstance(gen_eos, list) else [gen_eos])]:
            if isinstance(i, int) and i not in ids:
                ids.append(i)
        vocab = self.tokenizer.get_vocab()
        for text in EOS_TEXTS:
            i = vocab.get(text)
            if i is not None and i not in ids:
                ids.append(i)
        return ids

    def count_tokens(self, text: str) -> int:
        # Special tokens included: generation encodes the prompt the same way (BOS in front).
        return len(self.tokenizer(text, add_special_tokens=True)["input_ids"])

    def _inputs(self, prompt: Prompt) -> Any:
        enc = self.tokenizer(prompt.text, return_tensors="pt", add_special_tokens=True)
        enc.pop("token_type_ids", None)  # Mistral's forward() does not take them
        return enc.to(self.model.device)

    def _gen_kwargs(self, prompt_len: int, cancel: threading.Event | AnyEvent) -> dict[str, Any]:
        from transformers import StoppingCriteriaList

        cfg = self.config
        kw: dict[str, Any] = {
            "max_new_tokens": min(cfg.max_new_tokens, max(self.context_window - prompt_len, 1)),
            "repetition_penalty": cfg.repetition_penalty,
            "pad_token_id": self.tokenizer.pad_token_id,
            "eos_token_id": self.eos_token_ids,
            "stopping_criteria": StoppingCriteriaList([_StopCriteria(self.tokenizer, prompt_len, cancel)]),
        }
        if cfg.temperature > 0:
            kw.update(do_sample=True, temperature=cfg.temperature)
            if cfg.top_p is not None:
                kw["top_p"] = cfg.top_p
        else:
            kw.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        return kw

    def _seed(self) -> None:
        if self.config.seed is not None:
            import torch

            torch.manual_seed(self.config.seed)

    def generate(self, prompt: Prompt) -> str:
        import torch

        inputs = self._inputs(prompt)
        n = inputs["input_ids"].shape[1]
        with self._lock, torch.inference_mode():
            self._seed()
            # the request's stop signal (timeout, client gone) ends generation at the next token
            out = self.model.generate(**inputs, **self._gen_kwargs(n, AnyEvent(threading.Event(), current_cancel())))
        text = self.tokenizer.decode(out[0, n:], skip_special_tokens=True)
        return cut_at_stop(text)

    def stream(self, prompt: Prompt) -> Iterator[str]:
        return filter_stream(self._raw_stream(prompt))

    def _raw_stream(self, prompt: Prompt) -> Iterator[str]:
        import torch
        from transformers import TextIteratorStreamer

        inputs = self._inputs(prompt)
        n = inputs["input_ids"].shape[1]
        streamer = TextIteratorStreamer(self.tokenizer, skip_prompt=True, skip_special_tokens=True)
        cancel = threading.Event()
        stop = AnyEvent(cancel, current_cancel())  # read here: `work` runs in a thread of its own
        error: list[BaseException] = []

        def work() -> None:
            try:
                with self._lock, torch.inference_mode():
                    self._seed()
                    self.model.generate(**inputs, **self._gen_kwargs(n, stop), streamer=streamer)
            except BaseException as exc:  # surfaced in the consumer's thread below
                error.append(exc)
                streamer.end()  # unblock the consumer, which would otherwise wait forever

        thread = threading.Thread(target=work, name="hf-generate", daemon=True)
        thread.start()
        try:
            for piece in streamer:
                if piece:
                    yield piece
        finally:
            cancel.set()  # consumer stopped early (stop text, client gone): end generation now
            thread.join()
        if error:
            raise GenerationError(f"generation failed / 답변 생성 실패: {error[0]}") from error[0]
