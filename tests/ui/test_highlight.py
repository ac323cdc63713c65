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
