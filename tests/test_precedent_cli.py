"""`legal-rag precedents` and `legal-rag search --kind` on a real index with the sample decisions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from legal_rag.cli import main

pytest_plugins = ("precedent_fixtures",)


def test_precedents_cites(precedent_index: Path, capsys: Any) -> None:
    assert main(["precedents", "--index", str(precedent_index), "--cites", "민법 제750조"]) == 0
    out = capsys.readouterr().out
    assert "99다38699" in out and "[3] 독립한 경제주체간의" in out


def test_precedents_cites_json_and_errors(precedent_index: Path, capsys: Any) -> None:
    assert main(["precedents", "--index", str(precedent_index), "--json", "--cites", "국세기본법 제45조의2"]) == 0
    data = json.loads(capsys.readouterr().out)
    dates = [d["decision"]["decided"] for d in data["decisions"]]
    assert data["schema_version"] == 1 and dates == sorted(dates, reverse=True)
    assert main(["precedents", "--index", str(precedent_index), "--cites", "없는법 제1조"]) == 1
    assert "없는법" in capsys.readouterr().err


def test_precedents_by_case_number(precedent_index: Path, capsys: Any) -> None:
    assert main(["precedents", "--index", str(precedent_index), "대법원 2012. 1. 19. 선고 2008두8499 판결"]) == 0
    out = capsys.readouterr().out
    assert "취득세등부과처분취소" in out and "[구법: 현행 조문과 다를 수 있음]" in out and "[현행 참조]" in out
    assert main(["precedents", "--index", str(precedent_index), "2008두8498"]) == 1
    assert "2008두8499" in capsys.readouterr().err  # suggested
    assert main(["precedents", "--index", str(precedent_index), "2008가8499"]) == 2


def test_search_kind(precedent_index: Path, capsys: Any) -> None:
    assert main(["search", "--index", str(precedent_index), "--kind", "precedent", "--json", "--top-k", "2",
                 "압류선착주의의 취지"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["decisions"][0]["decision"]["case_number"] in {"2005두9088", "2001다83777"}
    assert "hits" not in data
    assert main(["search", "--index", str(precedent_index), "--kind", "all", "--json", "민법 제750조"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["hits"][0]["article"] == "제750조" and "decisions" in data


def test_precedents_as_of_is_checked(precedent_index: Path, capsys: Any) -> None:
    """--as-of is the article route's as_of (app.api.models.AsOfQuery): a day that does not exist is refused with
    exit code 2 and the API's message; a real one chooses the article version."""
    assert main(["precedents", "--index", str(precedent_index), "--as-of", "2023-02-29", "--cites", "민법 제750조"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.strip() == ("기준일(as_of)은 YYYY-MM-DD 형식의 실제 날짜여야 합니다: '2023-02-29' / "
                                         "as_of must be a real date YYYY-MM-DD")
    assert main(["precedents", "--index", str(precedent_index), "--as-of", "2023/02/28", "2008두8499"]) == 2
    assert capsys.readouterr().err.strip() == "기준일(as_of)은 YYYY-MM-DD 형식이어야 합니다 / as_of must be YYYY-MM-DD"
    assert main(["precedents", "--index", str(precedent_index), "--json", "--as-of", "2024-02-29", "--cites",
                 "민법 제750조"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["article"] == "제750조" and any(d["decision"]["case_number"] == "99다38699" for d in data["decisions"])
