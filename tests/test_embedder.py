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
    # Every link is backed by a citation in the child's text naming that parent article: `법 제N조` / `영 제N조`
    # or the parent's title in 「」 (`「근로기준법」(이하 "법"이라 한다) 제19조`), the article directly or later in
    # the same list on one line ("법 제51조제2항, 제51조의2제1항, …"), with no other law (「…」, 같은 법,
    # 이 법/영/규칙) named in between.
    for child, parent in links:
        kind = "영" if parent.law_title.endswith("시행령") else "법"
        numbers: set[ArticleNumber] = set()
        start = rf"(?<![가-힣]){kind}\s*(?=제\s*\d+\s*조)|「{re.escape(parent.law_title)}」"
        for line in child.text.splitlines():
            for m in re.finditer(start, line):
                run = re.split(r"「|같은 법|(?<![가-힣])이 (?:법|영|규칙)", line[m.end() :])[0]
                numbers |= {ArticleNumber.parse(x) for x in re.findall(r"제\s*\d+\s*조(?:\s*의\s*\d+)?", run)}
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


# ---------------------------------------------------------------------------------------------- torch-free side


def _st_reference(directory: Path, prepared: list[str]) -> np.ndarray:
    from sentence_transformers import SentenceTransformer

    st = SentenceTransformer(str(directory), device="cpu", local_files_only=True)
    return st.encode(prepared, normalize_embeddings=True, convert_to_numpy=True)


def test_numpy_encoder_matches_sentence_transformers(
    trained: KiwiStaticEmbedder, corpus: Corpus, tmp_path: Path
) -> None:
    # Real article bodies and title lines, loaded back from disk: the numpy mean of token vectors is what the
    # StaticEmbedding (EmbeddingBag mean + normalize) of the saved directory computes.
    trained.save(tmp_path / "emb")
    loaded = KiwiStaticEmbedder.load(tmp_path / "emb")
    assert loaded._model is None  # nothing built with torch
    titles = tokenize_many([f"{a.law_title} {a.title}" for a in corpus.live[:200] if a.title])
    token_lists = corpus.body_tokens[:300] + titles
    prepared = [loaded.prepare(t) for t in token_lists]
    assert all(prepared) and len({len(p.split()) for p in prepared}) > 50
    ours = loaded.encode_tokens(token_lists)
    reference = _st_reference(tmp_path / "emb", prepared)
    assert ours.dtype == np.float32 and ours.shape == reference.shape
    assert np.abs(ours - reference).max() < 1e-5
    assert np.abs(trained.encode_tokens(token_lists) - ours).max() < 1e-6


def test_numpy_encoder_filters_tokens_like_prepare(tmp_path: Path) -> None:
    # Duplicates count, [UNK] and unknown tokens are dropped, whitespace inside a token becomes "_".
    vocab = {"[UNK]": 0, "근로_기준/NNG": 1, "해고/NNG": 2, "예고/NNG": 3}
    weights = np.random.default_rng(0).standard_normal((4, 8)).astype(np.float32)
    emb = KiwiStaticEmbedder(vocab, weights, {"type": "kiwi-static", "tokenizer": TOKENIZER_ID})
    texts = [
        ["근로 기준/NNG", "해고/NNG", "해고/NNG", "[UNK]", "모름/NNG"],
        ["예고/NNG"],
        ["모름/NNG", "[UNK]"],
        [],
    ]
    vecs = emb.encode_tokens(texts)
    expected = weights[1] + 2 * weights[2]
    assert np.allclose(vecs[0], expected / np.linalg.norm(expected), atol=1e-6)
    assert not vecs[2].any() and not vecs[3].any()
    assert emb.prepare(texts[0]) == "근로_기준/NNG 해고/NNG 해고/NNG"
    emb.save(tmp_path / "toy")
    reference = _st_reference(tmp_path / "toy", [emb.prepare(t) for t in texts[:2]])
    assert np.abs(vecs[:2] - reference).max() < 1e-6


def test_count_matrix_path_equals_encode_tokens(trained: KiwiStaticEmbedder, corpus: Corpus) -> None:
    from scipy import sparse

    token_lists = corpus.body_tokens[:400]
    # Another vocabulary, as BM25 builds it: every token (known to the embedder or not), columns in its own order.
    other: dict[str, int] = {}
    for toks in token_lists:
        for t in toks:
            other.setdefault(t, len(other))
    order = np.random.default_rng(0).permutation(len(other))
    other = {t: int(order[i]) for t, i in other.items()}
    rows = [r for r, toks in enumerate(token_lists) for _ in toks]
    cols = [other[t] for toks in token_lists for t in toks]
    counts = sparse.csc_matrix((np.ones(len(cols)), (rows, cols)), shape=(len(token_lists), len(other)))
    assert len(other) > len(set(trained.vocab) & set(other))  # some columns are unknown to the embedder
    via_counts = trained.encode_count_matrix(counts, other)
    assert via_counts.dtype == np.float32
    assert np.abs(via_counts - trained.encode_tokens(token_lists)).max() < 1e-6
    colmap = trained.column_map(other)
    assert colmap[other["근로자/NNG"]] == trained.vocab["근로자/NNG"]


def test_inference_never_imports_torch(trained: KiwiStaticEmbedder, corpus: Corpus, tmp_path: Path) -> None:
    trained.save(tmp_path / "emb")
    token_lists = corpus.body_tokens[:50]
    np.save(tmp_path / "expected.npy", trained.encode_tokens(token_lists))
    (tmp_path / "tokens.json").write_text(json.dumps(token_lists, ensure_ascii=False), encoding="utf-8")
    script = f"""
import json, sys
import numpy as np
from legal_rag.embedder import load_embedder
emb = load_embedder({str(tmp_path / "emb")!r})
tokens = json.loads(open({str(tmp_path / "tokens.json")!r}, encoding="utf-8").read())
got = emb.encode_tokens(tokens)
assert np.abs(got - np.load({str(tmp_path / "expected.npy")!r})).max() < 1e-6
assert emb.encode(["근로자의 해고 예고"]).shape == (1, emb.dim)
emb.save({str(tmp_path / "copy")!r})
heavy = sorted(m for m in ("torch", "transformers", "sentence_transformers") if m in sys.modules)
assert not heavy, heavy
print("OK", emb.id)
"""
    import subprocess
    import sys

    repo = Path(__file__).resolve().parents[1]
    env = {**__import__("os").environ, "PYTHONPATH": str(repo)}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=repo, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split() == ["OK", trained.id]
    # The copy a loaded embedder saves without torch is still a plain sentence-transformers directory.
    copy = load_embedder(str(tmp_path / "copy"))
    assert isinstance(copy, KiwiStaticEmbedder) and copy.id == trained.id
    prepared = [trained.prepare(t) for t in token_lists]
    assert np.abs(_st_reference(tmp_path / "copy", prepared) - trained.encode_tokens(token_lists)).max() < 1e-5


def test_lsa_svd_matches_the_exact_decomposition(corpus: Corpus) -> None:
    """The seeded randomized SVD (scikit-learn) of the statutes' tf-idf matrix against the exact one."""
    from legal_rag.embedder.lsa import tfidf, top_singular
    from legal_rag.embedder.vocabulary import _corpus_vocabulary

    _, tf = _corpus_vocabulary(corpus.body_tokens, 2, 200_000)
    x, idf = tfidf(tf)
    df = np.bincount(tf.indices, minlength=tf.shape[1])
    assert np.allclose(idf, np.log((1 + tf.shape[0]) / (1 + df)) + 1)
    assert np.allclose(np.asarray(x.multiply(x).sum(axis=1)).ravel(), 1.0, atol=1e-5)
    # Exact singular values and right vectors from the small Gram matrix X^T X's partner X X^T (texts x texts).
    gram = (x @ x.T).toarray().astype(np.float64)
    evals, u = np.linalg.eigh(gram)
    order = np.argsort(-evals)[:DIM]
    s_ref = np.sqrt(evals[order])
    vt_ref = (x.T @ u[:, order[:10]]).T / s_ref[:10, None]
    s, vt = top_singular(x, DIM, 0)
    assert np.all(np.diff(s) <= 0)
    # Leading values to 1e-3; the flat tail converges slowest (a few % after 3 iterations), never above.
    rel = np.abs(s - s_ref) / s_ref
    assert rel[:10].max() < 1e-3 and rel.max() < 0.1
    assert np.all(s <= s_ref * (1 + 1e-4))
    # The leading singular vectors agree up to sign.
    assert np.abs(np.einsum("ij,ij->i", vt[:10], vt_ref)).min() > 0.99
    s2, vt2 = top_singular(x, DIM, 0)
    assert np.array_equal(s, s2) and np.array_equal(vt, vt2)


def _batches_reference(order: list[int], keys: list[tuple[str, str]], batch_size: int) -> list[list[int]]:
    """The first, quadratic form of the batching (every pending pair re-read for every batch)."""
    batches: list[list[int]] = []
    pending = list(order)
    while pending:
        batch: list[int] = []
        seen: set[str] = set()
        rest: list[int] = []
        for i in pending:
            a, p = keys[i]
            if len(batch) < batch_size and a not in seen and p not in seen:
                batch.append(i)
                seen.update((a, p))
            else:
                rest.append(i)
        batches.append(batch)
        pending = rest
    return batches


def test_batches_keep_texts_apart_and_match_the_first_form(corpus: Corpus) -> None:
    """Training batches hold each text at most once (an in-batch negative must not be the positive), use every
    pair exactly once, and are the same batches as the first, quadratic implementation produced."""
    from legal_rag.embedder.training import _batches_without_duplicates

    pairs = corpus_pairs(corpus.articles)
    # Repeated bodies (one article body paired with several titles or regulations) are what the rule is for.
    keys = [(q, p) for q, p in pairs] + [(q + " ", p) for q, p in pairs[:50]]
    order = list(np.random.default_rng(0).permutation(len(keys)))
    batches = _batches_without_duplicates(order, keys, 16)
    assert sorted(i for b in batches for i in b) == list(range(len(keys)))
    for b in batches:
        assert 1 <= len(b) <= 16
        texts = [t for i in b for t in keys[i]]
        assert len(texts) == len(set(texts))
    assert batches == _batches_reference(order, keys, 16)
