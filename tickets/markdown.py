"""Markdown rendered to sanitised HTML (no stored XSS: nh3 allow-lists tags and attributes)."""

import threading

import markdown as md
import nh3

ALLOWED_TAGS = {
    "p", "br", "hr", "strong", "em", "b", "i", "u", "s", "del", "code", "pre", "blockquote",
    "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6", "a", "table", "thead", "tbody",
    "tr", "th", "td", "span", "img",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "th": {"align"}, "td": {"align"}}


_local = threading.local()


def _converter() -> md.Markdown:
    """One Markdown instance per thread, reset between texts: building one costs more than converting."""
    converter = getattr(_local, "converter", None)
    if converter is None:
        converter = _local.converter = md.Markdown(extensions=["fenced_code", "tables", "sane_lists", "nl2br"],
                                                   output_format="html")
    return converter


def render(text: str) -> str:
    converter = _converter()
    try:
        html = converter.convert(text or "")
    finally:
        converter.reset()
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
