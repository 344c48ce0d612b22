"""The corpus-trained static embedder, trained on three real laws and their 시행령/시행규칙."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from ingest.markdown_source import parse_markdown_file
from legal_rag.articles import Article, ArticleNumber, law_key
from legal_rag.embedder import (
    MARKER_FILE,
    Embedder,
    KiwiStaticEmbedder,
    SentenceTransformerEmbedder,
    corpus_pairs,
    load_embedder,
    tokenize_pairs,
    train_static_embedder,
)
from legal_rag.tokenizer import TOKENIZER_ID, tokenize_many

LAWS = ("근로기준법", "최저임금법", "주택임대차보호법")
DIM = 64
TRAIN = {"dim": DIM, "epochs": 4, "seed": 0, "batch_size": 64, "lr": 0.1}


class Corpus:
    def __init__(self, articles: list[Article]) -> None:
        self.articles = articles
        self.live = [a for a in articles if not a.deleted and not a.is_addendum and a.text.strip()]
        self.body_tokens = tokenize_many([a.text for a in self.live])
        self.known = {a.text: t for a, t in zip(self.live, self.body_tokens, strict=True)}
        self.pairs = corpus_pairs(articles)
        self.pair_tokens = tokenize_pairs(self.pairs, self.known)


@pytest.fixture(scope="module")
def corpus(law_dir: Path) -> Corpus:
    articles: list[Article] = []
    for law in LAWS:
        files = sorted((law_dir / law).glob("*.md"))
        assert files, f"no statute files for {law}"
        for path in files:
            report = parse_markdown_file(path)
            assert report.error is None, report.error
            articles.extend(report.articles)
    return Corpus(articles)


@pytest.fixture(scope="module")
def trained(corpus: Corpus) -> KiwiStaticEmbedder:
    return train_static_embedder(corpus.body_tokens, corpus.pair_tokens, **TRAIN)


@pytest.fixture(scope="module")
def lsa_only(corpus: Corpus) -> KiwiStaticEmbedder:
    """The same model before fine-tuning: the LSA initialisation alone."""
    return train_static_embedder(corpus.body_tokens, corpus.pair_tokens, **{**TRAIN, "epochs": 0})


def title_to_body_top10(emb: KiwiStaticEmbedder, corpus: Corpus) -> tuple[float, float, int]:
    """Share of titled articles whose own body is among the 10 bodies nearest to `법령명 조문제목`; also the share
    for which the own body beats one random other body."""
    docs = emb.encode_tokens(corpus.body_tokens)
    titled = [i for i, a in enumerate(corpus.live) if a.title]
    queries = emb.encode([f"{corpus.live[i].law_title} {corpus.live[i].title}" for i in titled])
    sims = queries @ docs.T
    own = sims[np.arange(len(titled)), titled]
    rank = (sims > own[:, None]).sum(axis=1)
    rng = np.random.default_rng(1)
    other = rng.integers(0, len(corpus.live), size=len(titled))
    other = np.where(other == np.asarray(titled), (other + 1) % len(corpus.live), other)
    beats_random = float((own > sims[np.arange(len(titled)), other]).mean())
    return float((rank < 10).mean()), beats_random, len(titled)


def parent_pairs(corpus: Corpus) -> list[tuple[Article, Article]]:
    """(시행령/시행규칙 article, parent article) for the pairs corpus_pairs made from `법 제N조` citations."""
    by_text: dict[str, list[Article]] = {}
    for a in corpus.live:
        by_text.setdefault(a.text, []).append(a)
    out = []
    for q, p in corpus.pairs:
        children = [a for a in by_text.get(q, []) if " 시행" in a.law_title]
        for child in children:
            base = child.law_title.split(" 시행")[0]
            parents = [a for a in by_text.get(p, []) if a.law_title in (base, base + " 시행령")]
            if parents:
                out.append((child, parents[0]))
    return out


def test_corpus_pairs_titles_and_parent_citations(corpus: Corpus) -> None:
    titled = [a for a in corpus.live if a.title]
    title_pairs = {(f"{a.law_title} {a.title}", a.text) for a in titled}
    assert title_pairs <= set(corpus.pairs)
    # No 부칙 and no deleted article is ever a training text.
    excluded = {a.text for a in corpus.articles if a.is_addendum or a.deleted} - {a.text for a in corpus.live}
    assert not any(q in excluded or p in excluded for q, p in corpus.pairs)

    links = parent_pairs(corpus)
    assert len(links) >= 50
    # Every link is backed by a `법 제N조` / `영 제N조` citation in the child's text naming that parent article.
    for child, parent in links:
        kind = "영" if parent.law_title.endswith("시행령") else "법"
        numbers = {ArticleNumber.parse(m) for m in re.findall(rf"{kind}\s*제\s*\d+\s*조(?:\s*의\s*\d+)?", child.text)}
        numbers |= {
            ArticleNumber.parse(m)
            for m in re.findall(rf'"{kind}"이라\s*한다\)\s*(제\s*\d+\s*조(?:\s*의\s*\d+)?)', child.text)
        }
        assert ArticleNumber.parse(parent.number) in numbers, (child.header, parent.header)
        assert law_key(parent.law_title) in {
            law_key(child.law_title.split(" 시행")[0]),
            law_key(child.law_title.split(" 시행")[0] + " 시행령"),
        }

    # A concrete one: 최저임금법 시행령 제3조 (수습 중 최저임금액) implements 최저임금법 제5조 (최저임금액).
    assert any(
        c.law_title == "최저임금법 시행령"
        and c.number == "제3조"
        and p.law_title == "최저임금법"
        and p.number == "제5조"
        for c, p in links
    )
    # 시행규칙 `영 제N조` reaches the 시행령.
    assert any(c.law_title.endswith("시행규칙") and p.law_title.endswith("시행령") for c, p in links)


def test_parent_reference_regex_ignores_other_laws() -> None:
    def art(title: str, number: str, text: str, art_title: str = "") -> Article:
        return Article(mst="1", law_id="1", law_title=title, number=number, title=art_title, text=text)

    parent = art("가법", "제5조", "가법 제5조 본문", "목적")
    other = art("나법", "제5조", "나법 제5조 본문", "목적")
    child = art("가법 시행령", "제1조", "「나법」 제5조와 같은 법 제5조 및 이 법 제5조에 따른다.")
    cited = art("가법 시행령", "제2조", "법 제5조에 따른 사항")
    pairs = corpus_pairs([parent, other, child, cited])
    assert (cited.text, parent.text) in pairs
    assert not any(q == child.text for q, _ in pairs)
    assert not any(p == other.text for q, p in pairs if q in (child.text, cited.text))


def test_training_texts_and_protocol(trained: KiwiStaticEmbedder, corpus: Corpus) -> None:
    assert isinstance(trained, Embedder)
    assert trained.dim == DIM
    assert trained.max_chars > 0
    assert trained.meta["tokenizer"] == TOKENIZER_ID
    assert trained.meta["pairs"] > 300
    assert trained.meta["steps"] > 0
    assert trained.id.startswith("kiwi-static:")
    vecs = trained.encode(["근로자의 해고 제한", "최저임금의 효력", "임대차 계약의 갱신"])
    assert vecs.dtype == np.float32 and vecs.shape == (3, DIM)
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    # The vocabulary is made of legal_rag.tokenizer tokens (form/TAG), the same tokens BM25 indexes.
    assert "근로자/NNG" in trained.vocab and "임대차/NNG" in trained.vocab


def test_unknown_words_give_a_zero_row(trained: KiwiStaticEmbedder) -> None:
    vecs = trained.encode(["qwxzv", "근로자"])
    assert not vecs[0].any()
    assert np.isclose(np.linalg.norm(vecs[1]), 1.0, atol=1e-5)


def test_title_is_nearer_its_own_body(
    trained: KiwiStaticEmbedder, lsa_only: KiwiStaticEmbedder, corpus: Corpus
) -> None:
    acc, beats_random, n = title_to_body_top10(trained, corpus)
    base_acc, _, _ = title_to_body_top10(lsa_only, corpus)
    chance = 10 / len(corpus.live)
    assert n > 300
    assert beats_random > 0.9
    assert acc > 0.5 and acc > 10 * chance
    # Fine-tuning on the statutes' own pairs improves on the LSA starting point.
    assert acc > base_acc


def test_regulation_to_parent_article_is_learned(
    trained: KiwiStaticEmbedder, lsa_only: KiwiStaticEmbedder, corpus: Corpus
) -> None:
    links = [(c, p) for c, p in parent_pairs(corpus) if p.law_title in LAWS]

    def top10(emb: KiwiStaticEmbedder) -> float:
        hits = 0
        for law in LAWS:
            parents = [a for a in corpus.live if a.law_title == law]
            mine = [(c, p) for c, p in links if p.law_title == law]
            if not mine:
                continue
            docs = emb.encode([a.text for a in parents])
            queries = emb.encode([c.text for c, _ in mine])
            sims = queries @ docs.T
            for row, (_, p) in enumerate(mine):
                own = sims[row, parents.index(p)]
                hits += int((sims[row] > own).sum() < 10)
        return hits / len(links)

    acc, base = top10(trained), top10(lsa_only)
    assert acc > 0.6
    assert acc > base


def test_save_load_round_trip_without_pickle(trained: KiwiStaticEmbedder, tmp_path: Path) -> None:
    files = trained.save(tmp_path / "emb")
    assert {"model.safetensors", "tokenizer.json", "modules.json", MARKER_FILE} <= set(files)
    assert not [f for f in files if f.endswith((".bin", ".pkl", ".pickle", ".pt"))]
    marker = json.loads((tmp_path / "emb" / MARKER_FILE).read_text(encoding="utf-8"))
    assert marker["type"] == "kiwi-static" and marker["tokenizer"] == TOKENIZER_ID and marker["dim"] == DIM
    assert {"trained_on", "pairs", "epochs"} <= set(marker)

    loaded = load_embedder(str(tmp_path / "emb"))
    assert isinstance(loaded, KiwiStaticEmbedder)
    assert loaded.id == trained.id and loaded.dim == trained.dim
    texts = ["사용자는 근로자에게 정당한 이유 없이 해고하지 못한다.", "최저임금액", "보증금 회수"]
    assert np.array_equal(loaded.encode(texts), trained.encode(texts))


def test_tampered_weights_are_refused(trained: KiwiStaticEmbedder, tmp_path: Path) -> None:
    trained.save(tmp_path / "emb")
    marker = tmp_path / "emb" / MARKER_FILE
    meta = json.loads(marker.read_text(encoding="utf-8"))
    meta["fingerprint"] = "0" * 16
    marker.write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(ValueError, match="weights do not match"):
        load_embedder(str(tmp_path / "emb"))


def test_same_seed_same_model(corpus: Corpus) -> None:
    kw = {**TRAIN, "max_steps": 3}
    a = train_static_embedder(corpus.body_tokens, corpus.pair_tokens, **kw)
    b = train_static_embedder(corpus.body_tokens, corpus.pair_tokens, **kw)
    assert a.id == b.id
    c = train_static_embedder(corpus.body_tokens, corpus.pair_tokens, **{**kw, "seed": 1})
    assert c.id != a.id


def test_small_corpus_pads_dimensions(corpus: Corpus) -> None:
    # Fewer texts than dimensions: the SVD gives at most n-1 components and the rest start as seeded noise.
    few = corpus.body_tokens[:20]
    emb = train_static_embedder(few, [], dim=DIM, epochs=0, seed=0)
    vecs = emb.encode_tokens(few)
    assert vecs.shape == (20, DIM)
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)


def test_plain_sentence_transformers_directory(
    trained: KiwiStaticEmbedder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The saved embedder is an ordinary sentence-transformers directory: without our marker, load_embedder
    # treats it as any local ST model (and never touches the hub for a path).
    trained.save(tmp_path / "emb")
    plain = tmp_path / "plain-st"
    shutil.copytree(tmp_path / "emb", plain)
    (plain / MARKER_FILE).unlink()
    st = load_embedder(str(plain))
    assert isinstance(st, SentenceTransformerEmbedder)
    assert st.id == "st:plain-st" and st.dim == DIM and st.max_chars > 0
    tokens = tokenize_many(["근로자의 해고 예고"])[0]
    joined = trained.prepare(tokens)
    assert np.allclose(st.encode([joined]), trained.encode_tokens([tokens]), atol=1e-6)

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(OSError, match="로컬"):
        SentenceTransformerEmbedder("legal-rag-test/no-such-model-anywhere")


def test_generalises_to_held_out_titles(corpus: Corpus, lsa_only: KiwiStaticEmbedder) -> None:
    # A quarter of the title pairs never reach training: their titles must still find their bodies better than
    # the LSA starting point does (the parent-citation pairs and the other titles carry the vocabulary over).
    titled = [i for i, a in enumerate(corpus.live) if a.title]
    held = sorted(np.random.default_rng(0).choice(titled, size=len(titled) // 4, replace=False).tolist())
    held_queries = [f"{corpus.live[i].law_title} {corpus.live[i].title}" for i in held]
    held_set = set(held_queries)
    # Articles sharing a title line (`근로기준법 벌칙` ...) leave training together.
    kept = [tp for (q, _), tp in zip(corpus.pairs, corpus.pair_tokens, strict=True) if q not in held_set]
    assert len(kept) <= len(corpus.pairs) - len(held)
    model = train_static_embedder(corpus.body_tokens, kept, **TRAIN)

    def top10(emb: KiwiStaticEmbedder) -> float:
        sims = emb.encode(held_queries) @ emb.encode_tokens(corpus.body_tokens).T
        own = sims[np.arange(len(held)), held]
        return float(((sims > own[:, None]).sum(axis=1) < 10).mean())

    acc, base = top10(model), top10(lsa_only)
    assert acc > 0.5 and acc > base
