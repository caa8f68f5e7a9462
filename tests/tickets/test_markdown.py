from hypothesis import given, settings, strategies as st

from tickets.markdown import render

ATTACKS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
    "<a href=\"javascript:alert(1)\">x</a>",
    "<iframe src=//evil.example></iframe>",
    "<div style=\"background:url(javascript:alert(1))\">x</div>",
    "<svg onload=alert(1)>",
]


def test_markdown_is_rendered():
    html = render("# Title\n\n**bold** and `code`\n\n- one\n- two")
    assert "<h1>Title</h1>" in html and "<strong>bold</strong>" in html and "<li>one</li>" in html


def test_known_xss_payloads_are_neutralised():
    for payload in ATTACKS:
        html = render(payload).lower()
        assert "<script" not in html and "onerror" not in html and "javascript:" not in html
        assert "<iframe" not in html and "onload" not in html and "style=" not in html


def test_links_get_safe_rel():
    assert 'rel="noopener noreferrer nofollow"' in render("[docs](https://example.com)")


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("<>\"'=/ :abcdefghijklmnoprstjvxSCRIPTonerr()[]*`&#;")), max_size=80))
def test_no_event_handlers_or_scripts_survive(text):
    html = render(text).lower()
    assert "<script" not in html
    assert 'href="javascript' not in html and "src=\"javascript" not in html
    assert " onerror=" not in html and " onload=" not in html
