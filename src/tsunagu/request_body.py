"""Reading request bodies (forms and JSON) so that no body, however malformed, is a 500.

Everything a client can get wrong is answered as an ``ActionError``: a body that cannot be parsed
(no or a broken multipart boundary, a cut-off body, bytes that are not in the declared charset,
invalid JSON) is ``BadRequest`` (400); a charset Python does not know or a compressed body is
``UnsupportedMediaType`` (415); a body over the size limit is stopped by ``body_limit`` (413).
The API and the portal's forms both read through here.
"""

from __future__ import annotations

import codecs
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qsl

import orjson
from python_multipart.multipart import parse_options_header
from starlette.datastructures import FormData
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import ClientDisconnect, Request

from tsunagu.errors import BadRequest, UnsupportedMediaType

FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")
# Deeper than any CKAN metadata needs, and well inside what the JSON encoder can write back.
MAX_JSON_DEPTH = 64
_BOM = codecs.BOM_UTF8


def media_type(request: Request) -> tuple[str, dict[str, str]]:
    """The Content-Type without its parameters (lower case), and the parameters."""
    raw = request.headers.get("content-type", "")
    kind, options = parse_options_header(raw)
    params = {
        key.decode("latin-1").lower(): value.decode("latin-1") for key, value in options.items()
    }
    return kind.decode("latin-1").strip().lower(), params


def charset_of(params: dict[str, str]) -> str:
    """The body's declared charset (UTF-8 when none is declared), as Python's codec name."""
    declared = params.get("charset", "").strip() or "utf-8"
    try:
        return codecs.lookup(declared).name
    except LookupError:
        raise UnsupportedMediaType(
            f"文字コード {declared[:40]} には対応していません。UTF-8 で送ってください "
            f"(Unsupported charset: {declared[:40]})"
        ) from None


def refuse_content_encoding(request: Request) -> None:
    """Compressed request bodies are not decoded: say so instead of misreading the bytes."""
    encoding = request.headers.get("content-encoding", "").strip().lower()
    if encoding and encoding != "identity":
        raise UnsupportedMediaType(
            f"圧縮された送信データ（Content-Encoding: {encoding[:40]}）には対応していません "
            f"(Unsupported Content-Encoding: {encoding[:40]})"
        )


async def read_body(request: Request) -> bytes:
    try:
        return await request.body()
    except ClientDisconnect:
        raise _cut_off() from None


def _cut_off() -> BadRequest:
    return BadRequest("送信データが途中で切れています (Bad request: the request body ended early)")


async def read_form(
    request: Request, *, max_files: int, max_fields: int, max_part_size: int = 1024 * 1024
) -> FormData:
    """A multipart or URL-encoded form; any other content type reads as an empty form."""
    refuse_content_encoding(request)
    kind, params = media_type(request)
    if kind == "multipart/form-data":
        return await _multipart(request, params, max_files, max_fields, max_part_size)
    if kind == "application/x-www-form-urlencoded":
        return urlencoded(await read_body(request), charset_of(params), max_fields)
    return FormData()


def urlencoded(body: bytes, charset: str, max_fields: int) -> FormData:
    try:
        text = body.decode(charset)
        items = parse_qsl(
            text,
            keep_blank_values=True,
            encoding=charset,
            errors="strict",
            max_num_fields=max_fields,
        )
    except UnicodeDecodeError:
        raise _not_in_charset(charset) from None
    except ValueError:
        raise BadRequest(
            f"フォームの項目が多すぎます（上限 {max_fields}） "
            f"(Bad request: more than {max_fields} form fields)"
        ) from None
    return FormData(items)


def _not_in_charset(charset: str) -> BadRequest:
    return BadRequest(
        f"送信データに {charset} として読めない文字があります "
        f"(Bad request: the body is not valid {charset})"
    )


class _StrictMultiPartParser(MultiPartParser):
    """Starlette's parser, but a body that stops before its closing boundary is an error, and a
    field that is not text in the declared charset is one too (instead of silently becoming
    Latin-1 mojibake)."""

    complete = False

    def on_end(self) -> None:
        self.complete = True

    def on_part_end(self) -> None:
        part = self._current_part
        if part.file is None:
            try:
                bytes(part.data).decode(self._charset)
            except UnicodeDecodeError:
                raise MultiPartException(
                    f"field {part.field_name[:40]!r} is not valid text"
                ) from None
        super().on_part_end()


async def _multipart(
    request: Request,
    params: dict[str, str],
    max_files: int,
    max_fields: int,
    max_part_size: int,
) -> FormData:
    charset_of(params)  # an unknown charset is refused, not read as Latin-1
    boundary = params.get("boundary", "")
    if not boundary:
        raise BadRequest(
            "multipart/form-data の boundary がありません "
            "(Bad request: multipart/form-data without a boundary)"
        )
    if len(boundary) > 200:
        raise BadRequest("multipart の boundary が長すぎます (Bad request: boundary too long)")
    size = 0

    async def counted() -> AsyncIterator[bytes]:
        nonlocal size
        async for chunk in request.stream():
            size += len(chunk)
            yield chunk

    parser = _StrictMultiPartParser(
        request.headers,
        counted(),
        max_files=max_files,
        max_fields=max_fields,
        max_part_size=max_part_size,
    )
    try:
        form = await parser.parse()
    except MultiPartException as exc:
        raise BadRequest(
            f"multipart/form-data を解釈できません (Bad request: {exc.message})"
        ) from None
    except ClientDisconnect:
        raise _cut_off() from None
    if not parser.complete:
        await form.close()
        if size == 0:
            return FormData()  # an empty body: no parameters, as with JSON
        raise BadRequest(
            "multipart/form-data が最後の boundary の前で終わっています "
            "(Bad request: multipart body ended before its closing boundary)"
        )
    return form


def json_object(body: bytes, charset: str) -> dict[str, Any] | None:
    """A JSON object from a body; None for an empty body."""
    if body.startswith(_BOM):
        body = body[len(_BOM) :]  # as Windows tools write it
    if not body.strip():
        return None
    try:
        source: bytes | str = body if charset == "utf-8" else body.decode(charset)
        parsed = orjson.loads(source)
    except UnicodeDecodeError:
        raise _not_in_charset(charset) from None
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"JSON を解釈できません (Bad request - JSON Error: {exc})") from None
    if not isinstance(parsed, dict):
        raise BadRequest(
            "JSON オブジェクトを送ってください (Bad request - JSON Error: "
            "Request data JSON decoded to an object that is not a dictionary)"
        )
    if _depth(parsed) > MAX_JSON_DEPTH:
        raise BadRequest(
            f"JSON の入れ子が深すぎます（上限 {MAX_JSON_DEPTH} 段） "
            f"(Bad request - JSON Error: nested deeper than {MAX_JSON_DEPTH} levels)"
        )
    return parsed


def _depth(value: Any) -> int:
    """How deeply lists and objects nest, walked without recursion (orjson reads 1024 deep)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        if deepest > MAX_JSON_DEPTH:
            break
        stack.extend((child, depth + 1) for child in children)
    return deepest
