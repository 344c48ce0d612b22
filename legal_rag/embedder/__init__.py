"""Text -> dense vectors: a real sentence-transformers model when one is on disk, else one learnt from the statutes.

There is no Korean embedding model on PyPI and the service must work with no network, so the default embedder
is trained at ingest from the corpus itself (`train_static_embedder`): a bag of kiwi morphemes (the same tokens
BM25 uses, from `legal_rag.tokenizer`) averaged through a sentence-transformers `StaticEmbedding`. Its token
vectors start as LSA term vectors (truncated SVD of the tf-idf document-term matrix) and are then fine-tuned with
`MultipleNegativesRankingLoss` on pairs the statutes provide themselves (`corpus_pairs`): article title -> body,
and 시행령/시행규칙 article -> the parent law's article it cites (`법 제44조`). Nothing is invented: every
vector is computed from real text by a model saved as an ordinary sentence-transformers directory (safetensors
weights, tokenizer.json, modules.json) plus the `legal_rag_embedder.json` marker. No pickle anywhere.

A neural model (e.g. `nlpai-lab/KURE-v1`, `BAAI/bge-m3`) already in the local Hugging Face cache or in a
directory is used through `SentenceTransformerEmbedder`; `load_embedder(spec)` picks the right class.

Modules, one concern each: `base` (the Embedder protocol, constants), `neural` (sentence-transformers models),
`vocabulary` (tokens -> ids and count matrices), `lsa` (tf-idf + randomized SVD initialisation, scikit-learn),
`pairs` (training pairs from the statutes), `training` (train_static_embedder), `static` (KiwiStaticEmbedder:
torch-free inference and its files), `loading` (load_embedder). Import from `legal_rag.embedder`.
"""

from legal_rag.embedder.base import (
    KIWI_STATIC_TYPE,
    MARKER_FILE,
    ST_MAX_CHARS_CAP,
    STATIC_MAX_CHARS,
    UNK,
    Embedder,
)
from legal_rag.embedder.loading import is_static_embedder_dir, load_embedder
from legal_rag.embedder.neural import SentenceTransformerEmbedder
from legal_rag.embedder.pairs import corpus_pairs, tokenize_pairs
from legal_rag.embedder.static import KiwiStaticEmbedder
from legal_rag.embedder.training import train_static_embedder

__all__ = [
    "KIWI_STATIC_TYPE",
    "MARKER_FILE",
    "STATIC_MAX_CHARS",
    "ST_MAX_CHARS_CAP",
    "UNK",
    "Embedder",
    "KiwiStaticEmbedder",
    "SentenceTransformerEmbedder",
    "corpus_pairs",
    "is_static_embedder_dir",
    "load_embedder",
    "tokenize_pairs",
    "train_static_embedder",
]
