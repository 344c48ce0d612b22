"""Training pairs the statutes provide themselves: article title -> body, 시행령 article -> the parent article it
cites."""

from __future__ import annotations

from collections.abc import Sequence

from legal_rag.articles import Article, ArticleNumber, law_key
from legal_rag.tokenizer import tokenize_many


def corpus_pairs(
    articles: Sequence[Article], with_law_title: bool = True, max_parent_refs: int = 3
) -> list[tuple[str, str]]:
    """(query text, positive text) pairs from the statutes alone, deduplicated, in corpus order.

    - every titled, non-deleted, non-부칙 article: (`법령명 조문제목`, article body);
    - every 시행령/시행규칙 article citing its parent (`법 제N조`, or `영 제N조` from a 시행규칙, as
      `legal_rag.citations.parent_references` reads them): (its body, the cited parent article's body), up to
      `max_parent_refs` parents per article. Bodies only, so every text of every pair is either a title line
      or an article body the caller has tokenised anyway.
    """
    from legal_rag.citations import LawCatalog, parent_references

    live = [a for a in articles if not a.deleted and not a.is_addendum and a.text.strip()]
    by_key: dict[tuple[str, ArticleNumber], Article] = {}
    for a in live:
        try:
            number = ArticleNumber.parse(a.number)
        except ValueError:
            continue
        by_key.setdefault((law_key(a.law_title), number), a)

    pairs: list[tuple[str, str]] = []
    seen: set[tuple[str, str]] = set()

    def add(query: str, positive: str) -> None:
        key = (query, positive)
        if query.strip() and positive.strip() and query != positive and key not in seen:
            seen.add(key)
            pairs.append(key)

    for a in live:
        if a.title:
            add(f"{a.law_title} {a.title}" if with_law_title else a.title, a.text)
    # Statute text quotes the laws it cites: a quoted-only catalog reads it the same, in time independent of
    # the catalog's size (see legal_rag.citations.statute_text_catalog).
    catalog = LawCatalog.from_titles(((a.law_title, a.law_id) for a in live), unquoted_names=False)
    for a in live:
        found = 0
        for ref in parent_references(a.text, a.law_title, catalog):
            parent = by_key.get((law_key(ref.law), ref.article))
            if parent is None:
                continue
            add(a.text, parent.text)
            found += 1
            if found >= max_parent_refs:
                break
    return pairs


def tokenize_pairs(
    pairs: Sequence[tuple[str, str]], known: dict[str, list[str]] | None = None
) -> list[tuple[list[str], list[str]]]:
    """Tokenise pair texts with legal_rag.tokenizer, each distinct text once; `known` maps texts the caller
    already tokenised (article bodies at ingest) to their tokens and is extended with the new ones."""
    cache = known if known is not None else {}
    missing = list(dict.fromkeys(t for pair in pairs for t in pair if t not in cache))
    if missing:
        cache.update(zip(missing, tokenize_many(missing), strict=True))
    return [(cache[q], cache[p]) for q, p in pairs]
