"""The article store: SQLite with every statute version and article (부칙 included).

The chunk rows of the retrieval indexes are not here but in the index's chunk table (legal_rag.index_format):
an incremental rebuild renumbers rows, and a SQLite table keyed by row would have to be rewritten whole.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path

from legal_rag.articles import Article, ArticleNumber, Paragraph, Statute

STORE_FILE = "articles.sqlite"

_SCHEMA = """
CREATE TABLE statutes (
  mst TEXT PRIMARY KEY, law_id TEXT, title TEXT, law_key TEXT, kind TEXT, promulgated TEXT, effective TEXT,
  status TEXT, source_url TEXT, path TEXT, ministries TEXT, promulgation_no TEXT, repeal_stub INTEGER);
CREATE TABLE articles (
  doc_id TEXT PRIMARY KEY, mst TEXT, law_id TEXT, law_title TEXT, number TEXT, main INTEGER, sub INTEGER,
  title TEXT, text TEXT, chapter_path TEXT, paragraphs TEXT, amendments TEXT, deleted INTEGER,
  is_addendum INTEGER, ordinal INTEGER, effective TEXT, effective_note TEXT);
CREATE INDEX articles_by_number ON articles(mst, main, sub);
CREATE INDEX articles_by_mst ON articles(mst);
"""


def is_repeal_stub(articles: Sequence[Article]) -> bool:
    """A file whose only article repeals an older law of the same name (근로기준법 `법률.md`, 1997)."""
    main = [a for a in articles if not a.is_addendum]
    return len(main) == 1 and main[0].number == "제0조" and "폐지" in main[0].text


def _number_parts(number: str) -> tuple[int, int]:
    try:
        n = ArticleNumber.parse(number)
        return n.main, n.sub
    except ValueError:
        return -1, -1


def write_store(path: Path, statutes: Iterable[tuple[Statute, Sequence[Article]]]) -> None:
    """A new store with these statute versions and their articles."""
    con = sqlite3.connect(path)
    try:
        con.executescript(_SCHEMA)
        _insert(con, statutes)
        con.commit()
    finally:
        con.close()


def update_store(path: Path, remove: Iterable[str], add: Iterable[tuple[Statute, Sequence[Article]]]) -> None:
    """Drop the statute versions `remove` (법령MST) with their articles, then add `add`: one transaction."""
    con = sqlite3.connect(path)
    try:
        gone = [(m,) for m in remove]
        con.executemany("DELETE FROM articles WHERE mst=?", gone)
        con.executemany("DELETE FROM statutes WHERE mst=?", gone)
        _insert(con, add)
        con.commit()
    finally:
        con.close()


def _insert(con: sqlite3.Connection, statutes: Iterable[tuple[Statute, Sequence[Article]]]) -> None:
    for statute, articles in statutes:
        row = statute.to_row()
        con.execute(
            "INSERT OR REPLACE INTO statutes VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (row["mst"], row["law_id"], row["title"], statute.key, row["kind"], row["promulgated"],
             row["effective"], row["status"], row["source_url"], row["path"],
             json.dumps(row["ministries"], ensure_ascii=False), row["promulgation_no"],
             int(is_repeal_stub(articles))),
        )
        con.executemany(
            "INSERT OR REPLACE INTO articles VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [
                (a.doc_id, a.mst, a.law_id, a.law_title, a.number, *_number_parts(a.number), a.title, a.text,
                 json.dumps(a.chapter_path, ensure_ascii=False),
                 json.dumps([[p.marker, p.text] for p in a.paragraphs], ensure_ascii=False),
                 json.dumps(a.amendments, ensure_ascii=False), int(a.deleted), int(a.is_addendum), a.ordinal,
                 a.effective.isoformat() if a.effective else None, a.effective_note)
                for a in articles
            ],
        )


def _statute(row: sqlite3.Row) -> Statute:
    d = dict(row)
    d.pop("law_key")
    d.pop("repeal_stub")
    d["ministries"] = json.loads(d["ministries"] or "[]")
    return Statute.from_row(d)


def _article(row: sqlite3.Row) -> Article:
    return Article(
        mst=row["mst"], law_id=row["law_id"], law_title=row["law_title"], number=row["number"],
        title=row["title"], text=row["text"], chapter_path=tuple(json.loads(row["chapter_path"])),
        paragraphs=tuple(Paragraph(m, t) for m, t in json.loads(row["paragraphs"])),
        amendments=tuple(json.loads(row["amendments"])), deleted=bool(row["deleted"]),
        is_addendum=bool(row["is_addendum"]), ordinal=row["ordinal"],
        effective=date.fromisoformat(row["effective"]) if row["effective"] else None,
        effective_note=row["effective_note"] or "",
    )


def connect_read_only(path: Path) -> sqlite3.Connection:
    """A read-only SQLite connection with rows by column name, shareable across threads (reads only)."""
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
    con.row_factory = sqlite3.Row
    return con


class ArticleStore:
    """Read-only access to the store. One connection per instance; safe across threads (read only)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._con = connect_read_only(path)

    def close(self) -> None:
        self._con.close()

    def statutes(self) -> list[tuple[Statute, bool]]:
        """Every statute version with its repeal-stub flag."""
        rows = self._con.execute("SELECT * FROM statutes ORDER BY title, effective").fetchall()
        return [(_statute(r), bool(r["repeal_stub"])) for r in rows]

    def article(self, doc_id: str) -> Article | None:
        row = self._con.execute("SELECT * FROM articles WHERE doc_id=?", (doc_id,)).fetchone()
        return _article(row) if row else None

    def articles(self, doc_ids: Sequence[str]) -> dict[str, Article]:
        out: dict[str, Article] = {}
        ids = list(dict.fromkeys(doc_ids))
        for i in range(0, len(ids), 500):
            part = ids[i : i + 500]
            q = f"SELECT * FROM articles WHERE doc_id IN ({','.join('?' * len(part))})"
            out.update({r["doc_id"]: _article(r) for r in self._con.execute(q, part)})
        return out

    def find_article(self, mst: str, number: ArticleNumber) -> Article | None:
        if not (0 <= number.main < 1_000_000 and 0 <= number.sub < 1_000_000):
            return None  # no statute has such an article; SQLite would overflow on the integer
        row = self._con.execute(
            "SELECT * FROM articles WHERE mst=? AND main=? AND sub=? AND is_addendum=0",
            (mst, number.main, number.sub),
        ).fetchone()
        return _article(row) if row else None

    def articles_of(self, mst: str, include_addenda: bool = False) -> list[Article]:
        q = "SELECT * FROM articles WHERE mst=?" + ("" if include_addenda else " AND is_addendum=0")
        return [_article(r) for r in self._con.execute(q + " ORDER BY ordinal", (mst,))]
