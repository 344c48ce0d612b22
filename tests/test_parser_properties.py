"""Property: arbitrary Markdown never crashes the statute parser; it parses or raises StatuteFormatError."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.markdown_source import StatuteFormatError, parse_statute_markdown

FRONT = "---\n제목: 민법\n법령MST: 1\n법령ID: '001706'\n시행일자: 2026-03-17\n---\n"
LINES = st.sampled_from([
    "# 민법", "# 제1편 총칙", "## 제1장 통칙", "### 제1절 능력", "#### 제1관", "##### 제1조 (목적)", "##### 제2조의3",
    "##### 제5조 (제목 (괄호) 안)", "**①** 권리의 행사는 신의에 좇아야 한다.", "  1\\. 항목", "    가\\. 목", "삭제 <2015.2.3>",
    "## 부칙", "부칙 <제471호,1958.2.22>", "제1조(시행일) 이 법은 공포한 날부터 시행한다.", "<개정 2016.3.22>", "", "---",
])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(LINES, st.text(max_size=40)), max_size=30), st.booleans())
def test_arbitrary_markdown_never_crashes_the_parser(lines: list[str], with_frontmatter: bool) -> None:
    text = (FRONT if with_frontmatter else "") + "\n".join(lines)
    try:
        statute, articles = parse_statute_markdown(text)
    except StatuteFormatError as exc:
        assert "/" in str(exc)  # a reported reason, in English and Korean
        return
    assert statute.title == "민법"
    for a in articles:
        assert a.doc_id.startswith("1:")
        assert not a.is_addendum or a.number.startswith("부칙")
