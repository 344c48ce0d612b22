"""The citation graph the statutes themselves draw: which statute and which article other articles cite.

Korean statutes cite each other constantly (`「민법」 제750조에 따른 손해배상`, a 시행령's `법 제23조제1항에 따른
…`). How often an article is cited by other provisions says how central it is — the same evidence PageRank-style
priors use on the web and that legal search engines use as "authority". It is mined at ingest with the one
citation resolver (`find_citations`), from article bodies only: 부칙 blocks are skipped, since they cite the
articles an amendment touched, not the articles the law relies on.

Saved as plain JSON beside the other index artifacts (no pickle), keyed by `law_key(title)` and article label
so that it survives re-versioning of a statute.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from legal_rag.articles import Article, Statute, law_key
from legal_rag.citations import LawCatalog, find_citations

GRAPH_FILE = "citation_graph.json"
GRAPH_VERSION = 1


@dataclass
class CitationGraph:
    """Inbound citation counts. `statutes[key]`: distinct other statute titles citing the statute;
    `external[key][label]` / `internal[key][label]`: citing articles of other statutes / of the same one."""

    statutes: dict[str, int] = field(default_factory=dict)
    external: dict[str, dict[str, int]] = field(default_factory=dict)
    internal: dict[str, dict[str, int]] = field(default_factory=dict)

    def statute_citers(self, title: str) -> int:
        return self.statutes.get(law_key(title), 0)

    def article_citations(self, title: str, label: str, internal: bool = False) -> int:
        table = self.internal if internal else self.external
        return table.get(law_key(title), {}).get(label, 0)

    # ---------------------------------------------------------------------------------------- persistence

    def save(self, directory: Path) -> list[str]:
        doc = {"version": GRAPH_VERSION, "statutes": self.statutes, "external": self.external,
               "internal": self.internal}
        (directory / GRAPH_FILE).write_text(json.dumps(doc, ensure_ascii=False, sort_keys=True), encoding="utf-8")
        return [GRAPH_FILE]

    @classmethod
    def load(cls, directory: Path) -> CitationGraph | None:
        """The saved graph, or None for an index built before the graph existed."""
        path = directory / GRAPH_FILE
        if not path.exists():
            return None
        doc = json.loads(path.read_text(encoding="utf-8"))
        if doc.get("version") != GRAPH_VERSION:
            return None
        return cls(doc["statutes"], doc["external"], doc["internal"])


EDGES_FILE = "citation_edges.json"
Edges = dict[str, list[list[str]]]  # citing 법령MST -> [cited law_key, cited label or "" for a bare law mention]


def mine_edges(statute: Statute, articles: Iterable[Article], catalog: LawCatalog) -> list[list[str]]:
    """Outbound citations of one statute version: one entry per citing article and cited target. `catalog`
    comes from `statute_text_catalog`."""
    out: list[list[str]] = []
    for a in articles:
        if a.is_addendum or a.deleted or not a.text:
            continue
        # An article cited twice in one provision counts once: the count is of citing provisions.
        seen: set[tuple[str, str]] = set()
        for ref in find_citations(a.text, catalog, default_law=statute.title, bare_means_default=True):
            if ref.law is None or ref.former:
                continue
            target = (law_key(ref.law), ref.article.label if ref.article else "")
            if target in seen or (target[0] == statute.key and target[1] == a.number):
                continue
            seen.add(target)
            out.append(list(target))
    return out


def aggregate(edges: Edges, keys: dict[str, str]) -> CitationGraph:
    """Counts from the edges of every statute version (`keys`: 법령MST -> law_key of the citing statute)."""
    citers: dict[str, set[str]] = defaultdict(set)
    external: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    internal: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for mst, targets in edges.items():
        own = keys.get(mst)
        if own is None:
            continue
        for key, label in targets:
            if key != own:
                citers[key].add(own)
            if label:
                (internal if key == own else external)[key][label] += 1
    return CitationGraph(
        statutes={k: len(v) for k, v in sorted(citers.items())},
        external={k: dict(sorted(v.items())) for k, v in sorted(external.items())},
        internal={k: dict(sorted(v.items())) for k, v in sorted(internal.items())},
    )


def save_edges(directory: Path, edges: Edges) -> None:
    doc = {"version": GRAPH_VERSION, "edges": dict(sorted(edges.items()))}
    (directory / EDGES_FILE).write_text(json.dumps(doc, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")


def load_edges(directory: Path) -> Edges | None:
    path = directory / EDGES_FILE
    if not path.exists():
        return None
    doc = json.loads(path.read_text(encoding="utf-8"))
    return doc["edges"] if doc.get("version") == GRAPH_VERSION else None


def write_citation_graph(directory: Path, edges: Edges, keys: dict[str, str]) -> None:
    """Both artifacts: the edges (what an incremental update edits) and the counts (what retrieval loads)."""
    save_edges(directory, edges)
    aggregate(edges, keys).save(directory)


def log_prior(count: int, scale: float) -> float:
    """A count as a bounded prior in [0, 1): log(1 + count) / log(1 + scale), capped just below 1."""
    if count <= 0 or scale <= 0:
        return 0.0
    return min(math.log1p(count) / math.log1p(scale), 0.999)
