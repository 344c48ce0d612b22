"""The service, the CLI and ingest never import the bench-only libraries (the [bench] extra)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BENCH_ONLY = ("langchain_community", "rank_bm25", "bm25s")


def test_runtime_does_not_import_bench_only_libraries() -> None:
    script = (
        "import json, sys\n"
        "import app.service, app.web, app.cli_ask, app.cli_search, app.cli_serve, app.answering\n"
        "import ingest.build, ingest.incremental, ingest.cli, legal_rag.cli, legal_rag.search.engine\n"
        "import legal_rag.embedder, legal_rag.dense, app.generation.openai_backend\n"
        "legal_rag.cli.build_parser()\n"  # imports every subcommand's module, bench.evaluation included
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {BENCH_ONLY!r})))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
