"""Which version of a statute applies on a date (design notes, "Versions and dates").

Rule for an as-of date D: the newest version whose 시행일자 <= D; when the corpus holds none, the earliest
pending version, flagged (its text is not yet in force on D). A statute is identified by its 법령ID: two
statutes with the same title (근로기준법 `법률.md`, a 1997 repeal stub, and `법률(법률).md`, the live law)
are two statutes, not two versions.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from legal_rag.articles import Statute


@dataclass(frozen=True)
class VersionChoice:
    statute: Statute
    pending: bool  # True: 시행 예정 — the text in force on the date is not in this corpus
    repeal_stub: bool = False

    @property
    def note(self) -> str:
        if self.pending and self.statute.effective:
            return f"시행 예정 {self.statute.effective.isoformat()}: 기준일 현재 시행 중인 조문은 이 코퍼스에 없습니다"
        return ""


def select_versions(statutes: Iterable[tuple[Statute, bool]], as_of: date) -> dict[str, VersionChoice]:
    """law_id -> the version that applies on `as_of`."""
    by_id: dict[str, list[tuple[Statute, bool]]] = defaultdict(list)
    for statute, stub in statutes:
        by_id[statute.law_id].append((statute, stub))
    out: dict[str, VersionChoice] = {}
    for law_id, versions in by_id.items():
        in_force = [v for v in versions if v[0].effective is None or v[0].effective <= as_of]
        if in_force:
            st, stub = max(in_force, key=lambda v: (v[0].effective or date.min, v[0].promulgated or date.min))
            out[law_id] = VersionChoice(st, pending=False, repeal_stub=stub)
        else:
            st, stub = min(versions, key=lambda v: (v[0].effective or date.max))
            out[law_id] = VersionChoice(st, pending=True, repeal_stub=stub)
    return out
