"""Reading an action's parameters from a request the ways CKAN clients send them.

Whatever arrives, the outcome is a parameter dict or an ``ActionError`` (400, 409, 415; 413 comes
from ``body_limit`` while the body streams in): never an unhandled exception.
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request

from tsunagu.errors import ValidationError
from tsunagu.request_body import (
    charset_of,
    json_object,
    media_type,
    read_body,
    read_form,
    refuse_content_encoding,
    urlencoded,
)

MAX_FILES = 10
MAX_FIELDS = 1000


def _multi(items: list[tuple[str, Any]]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key, value in items:
        if key in data:
            data[key] = [*data[key], value] if isinstance(data[key], list) else [data[key], value]
        else:
            data[key] = value
    return data


async def read_params(request: Request) -> dict[str, Any]:
    data = _multi(list(request.query_params.multi_items()))
    if request.method == "POST":
        data.update(await _body_params(request))
    _refuse_nul(data)
    return data


async def _body_params(request: Request) -> dict[str, Any]:
    refuse_content_encoding(request)
    kind, params = media_type(request)
    if kind == "multipart/form-data":
        form = await read_form(request, max_files=MAX_FILES, max_fields=MAX_FIELDS)
        return _multi(
            [
                (k, v)
                for k, v in form.multi_items()
                if not (isinstance(v, UploadFile) and not v.filename)
            ]
        )
    charset = charset_of(params)
    body = await read_body(request)
    if kind == "application/x-www-form-urlencoded" and not body.lstrip().startswith(b"{"):
        return _multi(list(urlencoded(body, charset, MAX_FIELDS).multi_items()))
    # Anything else is read as JSON, as CKAN does; that includes `curl -d '{...}'`, which
    # labels a JSON body as a URL-encoded form.
    return json_object(body, charset) or {}


def _refuse_nul(data: dict[str, Any]) -> None:
    """A NUL character cannot be stored in PostgreSQL text and is never meaningful in CKAN
    parameters: refuse it for the parameter that carries it, wherever it is nested."""
    errors: dict[str, list[str]] = {}
    for field, value in data.items():
        stack: list[Any] = [field, value]
        while stack:
            item = stack.pop()
            if isinstance(item, str):
                if "\x00" in item:
                    errors[field] = ["NUL 文字は使えません (NUL characters are not allowed)"]
                    break
            elif isinstance(item, dict):
                stack.extend(item.keys())
                stack.extend(item.values())
            elif isinstance(item, list):
                stack.extend(item)
    if errors:
        raise ValidationError(errors)
