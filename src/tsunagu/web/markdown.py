"""Markdown from publishers, rendered without raw HTML (so no script can run)."""

from __future__ import annotations

from markdown_it import MarkdownIt
from markupsafe import Markup

# html=False escapes any raw HTML; markdown-it also refuses javascript:/vbscript:/data: links.
_renderer = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})


def render_markdown(text: str) -> Markup:
    return Markup(_renderer.render(text or ""))


def markdown_text(text: str) -> str:
    """The words of a Markdown text without its markup, for short summaries (dataset cards):
    `**避難所**` reads 避難所. A plain string, so the template escapes it again."""
    return render_markdown(text).striptags()
