from __future__ import annotations

from toolkit.ui.highlight import Span, highlight_html, safe_text

HOSTILE = 'A: <script>alert(1)</script> and <img src=x onerror="alert(2)">'


def test_highlight_escapes_untrusted_transcript_text():
    out = highlight_html(HOSTILE, [Span(3, 30, "root_cause.family", "#ff7f0e")])
    assert "<script>" not in out and "<img" not in out
    assert "&lt;script&gt;" in out and "&lt;img src=x onerror=&quot;alert(2)&quot;&gt;" in out
    assert out.count("<mark") == 1


def test_highlight_overlapping_spans_nest_and_bad_colours_are_neutralised():
    out = highlight_html("abcdef", [Span(0, 4, "x", "#112233"), Span(2, 6, "y", 'red" onmouseover="x')])
    assert out.count("<mark") == 4
    assert "onmouseover" not in out and "#888888" in out


def test_highlight_safe_text_keeps_line_breaks():
    assert safe_text("a<b>\nc") == "a&lt;b&gt;<br>c"


def test_highlight_md_escape_leaves_nothing_for_markdown_to_render():
    """Issue 9 item 8: links, images, LaTeX, directives, emoji shortcodes and HTML in data stay text."""
    import re

    from toolkit.ui.highlight import md_escape

    for text in (
        "![x](http://attacker.invalid/t.png)",
        "[click](javascript:alert(1))",
        '<img src=x onerror="alert(1)">',
        "paid $200 and $300",
        ":red[alert] :smile: :material/forum:",
        "# heading | table | ~~strike~~ *em* _em_ `code` 1. item - item > quote",
    ):
        out = md_escape(text)
        assert not re.search(r"(?<!\\)[!\[\]()<>$:*_`#|~]", out), out
        assert out.replace("\\", "").replace("\u2060", "") == text
    assert md_escape("line one\nline two") == "line one line two"
