"""Query expansion with a small legal thesaurus: doctrinal terms of decisions -> statutory wording.

Court decisions say 신의칙, statutes say 신의 성실; decisions say 법인격 없는 사단, 민법 says 법인이 아닌 사단.
The thesaurus is data (legal_rag/data/legal_terms.json) so that practitioners can extend it.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

from legal_rag.articles import law_key


@lru_cache(maxsize=1)
def legal_terms() -> dict[str, str]:
    raw = json.loads(resources.files("legal_rag").joinpath("data/legal_terms.json").read_text(encoding="utf-8"))
    return {law_key(k): v for k, v in raw.items() if not k.startswith("_")}


def expand_query(query: str) -> str:
    """The query followed by the statutory wording of every doctrinal term it contains (spaces ignored)."""
    squashed = law_key(query)
    extra = [v for k, v in legal_terms().items() if k in squashed]
    return query if not extra else query + "\n" + " ".join(dict.fromkeys(extra))
