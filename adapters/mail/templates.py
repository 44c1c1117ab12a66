"""Renders each mail kind from Jinja2 templates: `<kind>.subject.txt`, `<kind>.txt`, `<kind>.html`."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from application.ports.mail import RenderedMail

TEMPLATES = Path(__file__).resolve().parent / "templates"


def _money(value: Any) -> str:
    try:
        return f"{Decimal(str(value)):.2f}"
    except (InvalidOperation, ValueError):
        return str(value)


class JinjaMailRenderer:
    """HTML is autoescaped (names, titles and any user text come out as text); plain text is not."""

    def __init__(self, directory: Path = TEMPLATES) -> None:
        loader = FileSystemLoader(directory)
        self._html = Environment(
            loader=loader, autoescape=select_autoescape(["html"]), undefined=StrictUndefined, keep_trailing_newline=True
        )
        self._text = Environment(loader=loader, autoescape=False, undefined=StrictUndefined, keep_trailing_newline=True)  # noqa: S701
        for env in (self._html, self._text):
            env.filters["money"] = _money

    def render(self, kind: str, data: Mapping[str, Any]) -> RenderedMail:
        context = dict(data)
        subject = self._text.get_template(f"{kind}.subject.txt").render(context)
        return RenderedMail(
            subject=" ".join(subject.split()),  # one line: a header cannot hold a newline
            text=self._text.get_template(f"{kind}.txt").render(context),
            html=self._html.get_template(f"{kind}.html").render(context),
        )
