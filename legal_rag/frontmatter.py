"""YAML frontmatter of legalize-kr files (statutes and court decisions alike): one reader for both."""

from __future__ import annotations

from typing import Any

import yaml


class FrontmatterError(ValueError):
    """The file has no usable frontmatter; the message is Korean + English."""


def split_frontmatter(text: str) -> tuple[dict[str, Any], str]:
    """(frontmatter mapping, body after the closing `---` line); a leading BOM is ignored. Safe YAML only."""
    text = text.lstrip("\ufeff")
    if not text.startswith("---"):
        raise FrontmatterError("no YAML frontmatter / YAML 머리말이 없습니다")
    end = text.find("\n---", 3)
    if end < 0:
        raise FrontmatterError("unterminated YAML frontmatter / YAML 머리말이 닫히지 않았습니다")
    try:
        meta = yaml.safe_load(text[3:end])
    except yaml.YAMLError as exc:
        raise FrontmatterError(f"invalid YAML frontmatter / YAML 오류: {exc}") from exc
    if not isinstance(meta, dict):
        raise FrontmatterError("frontmatter is not a mapping / 머리말 형식 오류")
    body_start = text.find("\n", end + 4)
    return meta, text[body_start + 1 :] if body_start >= 0 else ""
