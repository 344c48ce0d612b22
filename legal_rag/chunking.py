"""Articles -> chunks: one per article; a long article is cut at 항 (paragraph) boundaries."""

from __future__ import annotations

from collections.abc import Iterable

from legal_rag.articles import Article, Chunk

DEFAULT_MAX_CHARS = 1500


def chunk_article(article: Article, max_chars: int = DEFAULT_MAX_CHARS) -> list[Chunk]:
    """Cut an article into pieces of at most ~max_chars at paragraph boundaries.

    Every piece starts with `「법령명」 제N조(제목)`. A single paragraph longer than the budget stays whole:
    cutting it mid-sentence would break the text a lawyer reads.
    """
    header = article.header
    paragraphs = [(p.marker + " " + p.text).strip() for p in article.paragraphs] or [article.text]
    pieces: list[list[str]] = [[]]
    size = 0
    for para in paragraphs:
        if pieces[-1] and size + len(para) > max_chars:
            pieces.append([])
            size = 0
        pieces[-1].append(para)
        size += len(para) + 1
    return [Chunk(article.doc_id, i, header + "\n" + "\n".join(p)) for i, p in enumerate(pieces)]


def chunk_articles(articles: Iterable[Article], max_chars: int = DEFAULT_MAX_CHARS) -> list[Chunk]:
    return [c for a in articles for c in chunk_article(a, max_chars)]
