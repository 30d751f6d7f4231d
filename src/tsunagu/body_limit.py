"""A request body may not be larger than the upload limit, however it is sent.

The limit is checked as the body streams in, not after it has been read: a declared
Content-Length over the limit is refused before a single byte is read, and a body without one
(chunked) is cut off as soon as the bytes received pass the limit. Either way the reader of the
body gets ``ContentTooLarge``, which the API answers as CKAN's error envelope (413) and the portal
as its error page; a route that lets it escape still gets a plain 413.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tsunagu.errors import BadRequest, ContentTooLarge

# Room for multipart headers and the other form fields beside a file of the largest size.
FORM_OVERHEAD = 1024 * 1024


def too_large(max_upload_bytes: int) -> ContentTooLarge:
    return ContentTooLarge(
        f"送信されたデータが大きすぎます（ファイルの上限 {max_upload_bytes // (1024 * 1024)} MB）。"
        f"ファイルを分けるか小さくしてください "
        f"(Request body exceeds the upload limit of {max_upload_bytes} bytes)"
    )


def declared_length(scope: Scope) -> int | None:
    """The Content-Length the client declared, None if it declared none."""
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            if not text.isdigit() or not text.isascii():
                raise BadRequest(
                    "Content-Length ヘッダーが正しくありません (Bad request: invalid Content-Length)"
                )
            return int(text)
    return None


class BodyLimit:
    """ASGI middleware: no request body over the upload limit (plus room for the form around
    the file) is ever read whole."""

    def __init__(self, app: ASGIApp, max_upload_bytes: int) -> None:
        self.app = app
        self.max_upload_bytes = max_upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_upload_bytes + FORM_OVERHEAD
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            # Checked at every read (not once up front) so a page that never reads its body
            # is not refused for it; raising before reading also means uvicorn never sends
            # "100 Continue", so a client that asked first does not send the body at all.
            length = declared_length(scope)
            if length is not None and length > limit:
                raise too_large(self.max_upload_bytes)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise too_large(self.max_upload_bytes)
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracked_send)
        except (ContentTooLarge, BadRequest) as error:
            if started:
                raise
            await _plain_error(send, error.status, error.message)


async def _plain_error(send: Send, status: int, message: str) -> None:
    body = message.encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
