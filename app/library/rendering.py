"""Descriptions are Markdown: rendered and sanitised by app/core/markdown.py (shared with the legal pages)."""

from app.core.markdown import plain_text, render_markdown

__all__ = ["plain_text", "render_markdown"]
