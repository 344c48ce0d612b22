"""The decision store: SQLite with every ingested decision, its issues, the articles it cites and the
decisions it cites, in its own file beside the statute store (`precedents/decisions.sqlite` in a build).

Citations are looked up by (법령ID, 조, 의): the article as a statute identity, not one version's doc_id, so a
decision stays attached to 민법 제750조 whichever version of 민법 the index holds. Former-version citations
(`구 …법`) are stored with `former=1` and no doc_id; `cited_by` leaves them out unless asked.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from legal_rag.precedents.model import CaseReference, Decision, Issue, StatuteCitation
from legal_rag.store import connect_read_only

DECISIONS_FILE = "decisions.sqlite"

_SCHEMA = """
CREATE TABLE decisions (
  id INTEGER PRIMARY KEY, serial TEXT, case_number TEXT, case_numbers TEXT, case_name TEXT, court TEXT,
  court_level TEXT, category TEXT, decided TEXT, title TEXT, source TEXT UNIQUE, url TEXT, has_summary INTEGER,
  en_banc INTEGER);
CREATE TABLE case_keys (case_key TEXT, decision_id INTEGER);
CREATE INDEX case_keys_by_key ON case_keys(case_key);
CREATE TABLE issues (
  decision_id INTEGER, number INTEGER, marker TEXT, holding TEXT, summary TEXT, row INTEGER UNIQUE);
CREATE INDEX issues_by_decision ON issues(decision_id);
CREATE TABLE statute_citations (
  decision_id INTEGER, issues TEXT, raw TEXT, law TEXT, law_text TEXT, law_id TEXT, article TEXT, main INTEGER,
  sub INTEGER, detail TEXT, status TEXT, former INTEGER, former_note TEXT, pointer INTEGER, current_note TEXT,
  doc_id TEXT);
CREATE INDEX citations_by_article ON statute_citations(law_id, main, sub);
CREATE INDEX citations_by_decision ON statute_citations(decision_id);
CREATE TABLE case_refs (
  decision_id INTEGER, issues TEXT, case_key TEXT, court TEXT, decided TEXT, decision_type TEXT, en_banc INTEGER,
  raw TEXT);
CREATE INDEX case_refs_by_key ON case_refs(case_key);
"""


def write_decision_store(path: Path, decisions: Iterable[Decision]) -> int:
    """A new store; decisions get ids 1..n in the given order and their issues retrieval rows 0..m-1 in the
    same order (the row numbers of the precedent BM25 index). Returns the number of issue rows."""
    con = sqlite3.connect(path)
    row = 0
    try:
        con.executescript(_SCHEMA)
        for i, d in enumerate(decisions, 1):
            con.execute(
                "INSERT INTO decisions VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (i, d.serial, d.case_number, json.dumps(list(d.case_numbers), ensure_ascii=False), d.case_name,
                 d.court, d.court_level, d.category, d.decided.isoformat(), d.title, d.source, d.url,
                 int(d.has_summary), int(d.en_banc)),
            )
            con.executemany("INSERT INTO case_keys VALUES (?,?)", [(k, i) for k in dict.fromkeys(d.case_numbers)])
            for issue in d.issues:
                con.execute("INSERT INTO issues VALUES (?,?,?,?,?,?)",
                            (i, issue.number, issue.marker, issue.holding, issue.summary, row))
                row += 1
            con.executemany(
                "INSERT INTO statute_citations VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                [(i, json.dumps(list(c.issues)), c.raw, c.law, c.law_text, c.law_id, c.article, c.main, c.sub,
                  c.detail, c.status, int(c.former_version), c.former_note, int(c.current_pointer), c.current_note,
                  c.doc_id) for c in d.citations],
            )
            con.executemany(
                "INSERT INTO case_refs VALUES (?,?,?,?,?,?,?,?)",
                [(i, json.dumps(list(r.issues)), r.case_number, r.court, r.decided, r.decision_type, int(r.en_banc),
                  r.raw) for r in d.case_references],
            )
        con.commit()
    finally:
        con.close()
    return row


@dataclass(frozen=True)
class DecisionRecord:
    """A decision as served: metadata, issues, citations (no 판례내용 body: the sample has none to serve)."""

    id: int
    serial: str
    case_number: str
    case_numbers: tuple[str, ...]
    case_name: str
    court: str
    court_level: str
    category: str
    decided: date
    title: str
    source: str
    url: str
    has_summary: bool
    en_banc: bool
    issues: tuple[Issue, ...]
    citations: tuple[StatuteCitation, ...]
    case_references: tuple[CaseReference, ...]


@dataclass(frozen=True)
class CitingIssue:
    """One decision citing an article, with the issues whose 참조조문 cite it."""

    decision_id: int
    case_number: str
    court: str
    decided: date
    case_name: str
    category: str
    source: str
    url: str
    issues: tuple[Issue, ...]
    citation: StatuteCitation


def _issues_json(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in json.loads(text or "[]"))


def _citation(r: sqlite3.Row) -> StatuteCitation:
    return StatuteCitation(
        issues=_issues_json(r["issues"]), raw=r["raw"], law=r["law"], law_text=r["law_text"], law_id=r["law_id"],
        article=r["article"], main=r["main"], sub=r["sub"], detail=r["detail"], status=r["status"],
        former_version=bool(r["former"]), former_note=r["former_note"], current_pointer=bool(r["pointer"]),
        current_note=r["current_note"], doc_id=r["doc_id"],
    )


class DecisionStore:
    """Read-only access to decisions.sqlite; one connection, safe across threads (read only)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._con = connect_read_only(path)

    def close(self) -> None:
        self._con.close()

    def count(self) -> int:
        return int(self._con.execute("SELECT COUNT(*) FROM decisions").fetchone()[0])

    def case_keys(self) -> list[str]:
        return [r[0] for r in self._con.execute("SELECT DISTINCT case_key FROM case_keys ORDER BY case_key")]

    def ids_for_case(self, case_key: str) -> list[int]:
        return [int(r[0]) for r in self._con.execute(
            "SELECT decision_id FROM case_keys WHERE case_key=? ORDER BY decision_id", (case_key,))]

    def issues_of(self, decision_id: int) -> tuple[Issue, ...]:
        rows = self._con.execute(
            "SELECT number, marker, holding, summary FROM issues WHERE decision_id=? ORDER BY number", (decision_id,))
        return tuple(Issue(r["number"], r["marker"], r["holding"], r["summary"]) for r in rows)

    def decision(self, decision_id: int) -> DecisionRecord | None:
        r = self._con.execute("SELECT * FROM decisions WHERE id=?", (decision_id,)).fetchone()
        if r is None:
            return None
        cits = tuple(_citation(c) for c in self._con.execute(
            "SELECT * FROM statute_citations WHERE decision_id=? ORDER BY rowid", (decision_id,)))
        refs = tuple(
            CaseReference(_issues_json(c["issues"]), c["case_key"], c["court"], c["decided"], c["decision_type"],
                          bool(c["en_banc"]), c["raw"])
            for c in self._con.execute("SELECT * FROM case_refs WHERE decision_id=? ORDER BY rowid", (decision_id,))
        )
        return DecisionRecord(
            id=r["id"], serial=r["serial"], case_number=r["case_number"],
            case_numbers=tuple(json.loads(r["case_numbers"])), case_name=r["case_name"], court=r["court"],
            court_level=r["court_level"], category=r["category"], decided=date.fromisoformat(r["decided"]),
            title=r["title"], source=r["source"], url=r["url"], has_summary=bool(r["has_summary"]),
            en_banc=bool(r["en_banc"]), issues=self.issues_of(decision_id), citations=cits, case_references=refs,
        )

    def row_owner(self) -> list[tuple[int, int]]:
        """(decision_id, issue number) of every retrieval row, in row order."""
        return [(int(r[0]), int(r[1])) for r in self._con.execute(
            "SELECT decision_id, number FROM issues ORDER BY row")]

    def sources(self) -> dict[int, str]:
        return {int(r[0]): r[1] for r in self._con.execute("SELECT id, source FROM decisions")}

    def citing(self, law_id: str, main: int, sub: int, include_former: bool = False) -> list[CitingIssue]:
        """Decisions whose 참조조문 cite this article (current citations and `현행` pointers; former versions only
        with include_former), newest first, one entry per decision with the issues that cite it."""
        q = "SELECT * FROM statute_citations WHERE law_id=? AND main=? AND sub=?"
        if not include_former:
            q += " AND former=0"
        by_decision: dict[int, tuple[StatuteCitation, set[int]]] = {}
        for r in self._con.execute(q, (law_id, main, sub)):
            c = _citation(r)
            did = int(r["decision_id"])
            first, numbers = by_decision.setdefault(did, (c, set()))
            numbers.update(c.issues or (0,))
        out: list[CitingIssue] = []
        for did, (c, numbers) in by_decision.items():
            d = self._con.execute("SELECT * FROM decisions WHERE id=?", (did,)).fetchone()
            issues = self.issues_of(did)
            if 0 not in numbers:
                issues = tuple(i for i in issues if i.number in numbers)
            out.append(CitingIssue(did, d["case_number"], d["court"], date.fromisoformat(d["decided"]),
                                   d["case_name"], d["category"], d["source"], d["url"], issues, c))
        out.sort(key=lambda x: (x.decided, x.case_number), reverse=True)
        return out

    def cited_articles(self, decision_ids: Sequence[int] | None = None) -> list[tuple[int, tuple[int, ...], str]]:
        """(decision_id, issues, doc_id) of every current, resolved citation (the article links of decisions)."""
        rows = self._con.execute(
            "SELECT decision_id, issues, doc_id FROM statute_citations WHERE doc_id IS NOT NULL AND former=0")
        wanted = set(decision_ids) if decision_ids is not None else None
        return [(int(r[0]), _issues_json(r[1]), r[2]) for r in rows if wanted is None or int(r[0]) in wanted]

    def referenced(self, case_key: str) -> list[tuple[str, str | None, str | None]]:
        """(citing decision's case number, court, date) for each 참조판례 entry naming `case_key`."""
        return [(r[0], r[1], r[2]) for r in self._con.execute(
            "SELECT d.case_number, c.court, c.decided FROM case_refs c JOIN decisions d ON d.id=c.decision_id "
            "WHERE c.case_key=? ORDER BY d.decided DESC", (case_key,))]
