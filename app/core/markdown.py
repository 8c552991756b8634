"""User-written Markdown (resource descriptions, the legal pages): rendered with `markdown`, then sanitised
with `nh3` (an allow-list: no script, no style, no image at all, safe links only)."""

from __future__ import annotations

import html

import markdown as md
import nh3
from markupsafe import Markup

ALLOWED_TAGS = {
    "p",
    "br",
    "hr",
    "strong",
    "em",
    "b",
    "i",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "a",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "abbr",
    "dl",
    "dt",
    "dd",
    "del",
    "sup",
    "sub",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "th": {"align"}, "td": {"align"}}
URL_SCHEMES = {"http", "https", "mailto"}


def render_markdown(text: str | None, *, heading_ids: bool = False) -> Markup:
    """`heading_ids`: keep the `{#anchor}` of a heading (the legal pages' sections are linked to)."""
    html = md.markdown(text or "", extensions=["extra", "sane_lists"], output_format="html")
    attributes = ALLOWED_ATTRIBUTES
    if heading_ids:
        attributes = ALLOWED_ATTRIBUTES | {h: {"id"} for h in ("h2", "h3", "h4")}
    # Headings shift down one level: the page's own title is the only <h1>.
    html = nh3.clean(
        html.replace("<h1", "<h2").replace("</h1>", "</h2>"),
        tags=ALLOWED_TAGS,
        attributes=attributes,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow ugc",
    )
    return Markup(html)  # sanitised just above


def plain_text(text: str | None, limit: int | None = None) -> str:
    """The description without markup (for cards, JSON-LD and CSV)."""
    cleaned = nh3.clean(md.markdown(text or "", extensions=["extra"]), tags=set())
    cleaned = " ".join(html.unescape(cleaned).split())
    if limit and len(cleaned) > limit:
        cleaned = cleaned[: limit - 1].rsplit(" ", 1)[0] + "…"
    return cleaned
