"""How often decisions' articles enter the top 10 of questions no decision in the index is about.

    python -m bench.precedent_noise --index index/full --full-score 0 --full-score 20

The precedent signal (Engine.search on an index built with --precedents) fuses the articles that the closest
decisions cite. With few decisions, the closest one to a short practitioner question is often unrelated; this
counts, for each gate value (RetrievalConfig.precedent_full_score), the top-10 places such articles take over
the questions below. They were written for this check (no gold, never used to choose a weight): everyday tax,
labour, lease and privacy questions.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from legal_rag.versions import today_kst

QUESTIONS = (
    "사업을 폐업하면 부가가치세 확정신고는 언제까지 해야 하나요",
    "근로자를 해고하려면 며칠 전에 예고해야 하나요",
    "주택 임차인이 보증금을 돌려받지 못하면 임차권등기명령을 신청할 수 있나요",
    "연차 유급휴가는 몇 일 발생하나요",
    "개인정보를 제3자에게 제공하려면 동의가 필요한가요",
    "퇴직금은 퇴직 후 며칠 안에 지급해야 하나요",
    "상속세 신고기한은 언제인가요",
    "법인세 중간예납은 어떻게 하나요",
    "양도소득세 1세대 1주택 비과세 요건",
    "종합소득세 경정청구 기한",
    "상가 임대차 계약갱신요구권 행사 기간",
    "최저임금보다 적게 주면 처벌되나요",
)


def main(argv: Sequence[str] | None = None) -> int:
    from legal_rag.search.engine import Engine

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    p.add_argument("--index", type=Path, required=True, help="an index built with --precedents")
    p.add_argument("--full-score", type=float, action="append", default=[],
                   help="gate value to try (repeatable; default: the engine's own)")
    args = p.parse_args(argv)
    engine = Engine(args.index, verify=False)
    as_of = today_kst()
    out: dict[str, object] = {}
    try:
        for gate in args.full_score or [engine.retriever.config.precedent_full_score]:
            eng = engine.with_config(replace(engine.retriever.config, precedent_full_score=gate))
            places = {q: [f"{h.law} {h.article}" for h in eng.search(q, top_k=10, as_of=as_of).hits
                          if h.source == "precedent"] for q in QUESTIONS}
            out[f"full_score={gate:g}"] = {"places": sum(map(len, places.values())),
                                           "questions": {q: v for q, v in places.items() if v}}
    finally:
        engine.close()
    print(json.dumps(out, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
