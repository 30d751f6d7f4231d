"""The UI translation catalog. Japanese strings in templates are the message ids; other
languages map them in ``locales/<lang>.json``. Untranslated ids fall back to Japanese."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from starlette.requests import Request

LOCALES = Path(__file__).resolve().parent / "locales"
LANGUAGES = ("ja", "en")
DEFAULT = "ja"


@cache
def catalog(language: str) -> dict[str, str]:
    path = LOCALES / f"{language}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def language_of(request: Request) -> str:
    chosen = request.query_params.get("lang") or request.cookies.get("lang") or DEFAULT
    return chosen if chosen in LANGUAGES else DEFAULT


def translator(language: str):  # type: ignore[no-untyped-def]
    messages = catalog(language)

    def translate(message: str, /, **values: object) -> str:
        text = messages.get(message, message)
        return text.format(**values) if values else text

    return translate
