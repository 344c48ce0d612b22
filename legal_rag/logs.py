"""Third-party loggers kept out of normal output (one list, used by the CLI and by the service's logging)."""

from __future__ import annotations

import logging

# Libraries that log routine INFO lines which read like errors ("Could not load library with AVX512 support" is
# faiss choosing its generic build) or repeat on every load; their warnings and errors still show.
NOISY_LOGGERS = ("faiss", "faiss.loader", "sentence_transformers", "httpx", "httpcore", "urllib3", "filelock",
                 "huggingface_hub", "datasets", "torch", "numexpr", "numexpr.utils")


def quiet_third_party_logs() -> None:
    for name in NOISY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
