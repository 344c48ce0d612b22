"""Choose the no-fit threshold (app.relevance) on dev folds against off-topic questions.

Dev questions (../shared/eval/dev.jsonl) all have governing articles in the corpus; the off-topic questions
below have none (written for this purpose: English, emoji, punctuation only, and Korean about cooking, sports,
software, travel, ...). Dev is split into folds by decision (the `id` before its last `-`: questions from one
decision stay together), the off-topic questions round-robin. For each fold, the threshold is chosen on the other
folds (the value maximising the mean of dev questions answered and off-topic questions refused; ties go to the
lower threshold, which answers more) and reported on the held-out fold.

    python -m bench.relevance --index index/default --dataset ../shared/eval/dev.jsonl [--folds 5] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

OFF_TOPIC = [
    # other languages
    "What is the notice period for dismissing an employee in Korea?",
    "How do I file a VAT return after closing my business?",
    "Is a verbal contract legally binding?",
    "Wie hoch ist die Mehrwertsteuer?",
    "日本の消費税率はいくらですか",
    "<script>alert(1)</script>",
    # emoji, punctuation, noise
    "🙂🙂🙂", "???", "...!!!", "ㅋㅋㅋㅋ", "ㅎㅇ", "1234 5678",
    # unrelated Korean
    "김치찌개를 맛있게 끓이는 방법 알려줘",
    "된장찌개에 어떤 재료를 넣으면 좋을까요?",
    "파스타 면은 몇 분 삶아야 하나요?",
    "오늘 서울 날씨는 어때?",
    "주말에 비가 올까요?",
    "손흥민은 이번 시즌 몇 골을 넣었나요?",
    "야구 한국시리즈 우승팀은 어디인가요?",
    "파이썬에서 리스트를 정렬하는 방법",
    "자바스크립트 비동기 함수 사용법",
    "제주도 여행 코스 추천해 주세요",
    "부산에서 맛집 어디가 좋아요?",
    "고양이가 밥을 안 먹어요",
    "강아지 산책은 하루에 몇 번 해야 하나요?",
    "피아노를 독학으로 배우는 방법",
    "영화 추천 좀 해줘",
    "아이폰 배터리가 빨리 닳아요",
    "다이어트할 때 먹으면 좋은 음식",
    "감기에 걸렸을 때 빨리 낫는 법",
    "사랑한다고 말하는 방법",
    "우주는 얼마나 큰가요?",
    "공룡은 왜 멸종했나요?",
    "커피 원두 고르는 법",
    "안녕하세요 반갑습니다",
    "배고파",
    "노래 가사 써줘",
    "수학 미적분 공부법",
    "겨울철 캠핑 준비물",
    "자동차 엔진오일 교체 주기",
]


@dataclass
class FoldResult:
    fold: int
    threshold: float
    dev_answered: float  # share of held-out dev questions answered (relevance >= threshold)
    off_topic_refused: float  # share of held-out off-topic questions refused
    n_dev: int
    n_off: int


def decision_of(item_id: str) -> str:
    return item_id.rsplit("-", 1)[0]


def fold_of(keys: Sequence[str], folds: int) -> dict[str, int]:
    """Each key -> a fold, keys in first-seen order assigned round-robin (deterministic)."""
    out: dict[str, int] = {}
    for k in keys:
        if k not in out:
            out[k] = len(out) % folds
    return out


def choose_threshold(dev: Sequence[float | None], off: Sequence[float | None]) -> float:
    """The threshold maximising (dev answered + off-topic refused) / 2; None scores (refused before any
    threshold, e.g. not Korean) count as refused whatever the threshold."""
    candidates = sorted({0.0, *(s for s in list(dev) + list(off) if s is not None)})
    # thresholds just above each observed score, so a candidate separates scores rather than sits on one
    grid = sorted({round(c + 1e-4, 4) for c in candidates} | {0.0})
    best, best_value = 0.0, -1.0
    for t in grid:
        value = _rate(dev, t, accept=True) + _rate(off, t, accept=False)
        if value > best_value + 1e-12:
            best, best_value = t, value
    return best


def _rate(scores: Sequence[float | None], t: float, accept: bool) -> float:
    if not scores:
        return 0.0
    answered = [s is not None and s >= t for s in scores]
    return sum(answered if accept else [not a for a in answered]) / len(scores)


def score_questions(index: Path, questions: Sequence[str], as_of: date,
                    precedent_weight: float | None = None) -> list[float | None]:
    """Relevance of each question as the service computes it (None: refused before scoring). `precedent_weight`:
    the decisions' weight in retrieval (None: the engine's own; 0: statutes only)."""
    from dataclasses import replace

    from app.answering import Answerer
    from app.generation.extractive import ExtractiveGenerator
    from legal_rag.search.engine import Engine

    loaded = Engine(index)
    engine = loaded if precedent_weight is None else loaded.with_config(
        replace(loaded.retriever.config, precedent_weight=precedent_weight))
    answerer = Answerer(ExtractiveGenerator(), threshold=0.0)
    out: list[float | None] = []
    try:
        for q in questions:
            search = engine.search(q, top_k=8, as_of=as_of)
            fit = answerer.fit(engine, q, search)
            cited = any(h.source == "citation" for h in search.hits)
            if cited:
                out.append(1.0)  # an article cited in the question always fits
            elif fit.relevance is None or not any(b.role == "governing" for b in fit.basis):
                out.append(None)
            else:
                out.append(fit.relevance)
    finally:
        loaded.close()
    return out


def cross_validate(dev_ids: Sequence[str], dev_scores: Sequence[float | None], off_scores: Sequence[float | None],
                   folds: int) -> list[FoldResult]:
    dev_fold = fold_of([decision_of(i) for i in dev_ids], folds)
    dev_f = [dev_fold[decision_of(i)] for i in dev_ids]
    off_f = [k % folds for k in range(len(off_scores))]
    results = []
    for f in range(folds):
        t = choose_threshold([s for s, g in zip(dev_scores, dev_f, strict=True) if g != f],
                             [s for s, g in zip(off_scores, off_f, strict=True) if g != f])
        held_dev = [s for s, g in zip(dev_scores, dev_f, strict=True) if g == f]
        held_off = [s for s, g in zip(off_scores, off_f, strict=True) if g == f]
        results.append(FoldResult(f, t, _rate(held_dev, t, True), _rate(held_off, t, False),
                                  len(held_dev), len(held_off)))
    return results


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.relevance", description=__doc__.split("\n\n")[0])
    p.add_argument("--index", type=Path, required=True)
    p.add_argument("--dataset", type=Path, required=True)
    p.add_argument("--folds", type=int, default=5)
    p.add_argument("--as-of", default="2026-11-25")
    p.add_argument("--json", action="store_true")
    p.add_argument("--precedent-weight", type=float, default=None,
                   help="the decisions' weight in retrieval (default: the engine's own; 0: statutes only)")
    args = p.parse_args(argv)
    items = [json.loads(line) for line in args.dataset.read_text(encoding="utf-8").splitlines() if line.strip()]
    as_of = date.fromisoformat(args.as_of)
    scores = score_questions(args.index, [it["query"] for it in items] + OFF_TOPIC, as_of, args.precedent_weight)
    dev_scores, off_scores = scores[: len(items)], scores[len(items) :]
    results = cross_validate([it["id"] for it in items], dev_scores, off_scores, args.folds)
    overall = choose_threshold(dev_scores, off_scores)
    if args.json:
        json.dump({"folds": [asdict(r) for r in results], "threshold_all": overall, "dev_scores": dev_scores,
                   "off_topic_scores": dict(zip(OFF_TOPIC, off_scores, strict=True))}, sys.stdout,
                  ensure_ascii=False, indent=1)
        print()
        return 0
    print("fold  threshold  dev answered  off-topic refused  (n dev / n off-topic)")
    for r in results:
        print(f"{r.fold:>4}  {r.threshold:>9.4f}  {r.dev_answered:>12.3f}  {r.off_topic_refused:>17.3f}  "
              f"({r.n_dev} / {r.n_off})")
    n = len(results)
    print(f"mean  {sum(r.threshold for r in results) / n:>9.4f}  {sum(r.dev_answered for r in results) / n:>12.3f}  "
          f"{sum(r.off_topic_refused for r in results) / n:>17.3f}")
    print(f"threshold chosen on all questions: {overall:.4f}")
    scored_dev = sorted(s for s in dev_scores if s is not None)
    scored_off = sorted(s for s in off_scores if s is not None)
    print(f"dev relevance: min {scored_dev[0]:.3f}, 10th pct {scored_dev[len(scored_dev) // 10]:.3f}; "
          f"off-topic scored: {len(scored_off)}, max {max(scored_off, default=0.0):.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
