"""Reading an action's parameters from a request the ways CKAN clients send them."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.datastructures import UploadFile
from starlette.requests import Request

from tsunagu.errors import BadRequest, ValidationError


def _multi(items: list[tuple[str, Any]]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key, value in items:
        if key in data:
            data[key] = [*data[key], value] if isinstance(data[key], list) else [data[key], value]
        else:
            data[key] = value
    return data


async def read_params(request: Request, max_upload_bytes: int) -> dict[str, Any]:
    data = _multi(list(request.query_params.multi_items()))
    if request.method != "POST":
        return data
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
        length = int(request.headers.get("content-length") or 0)
        # Refuse an oversize upload before spooling it to disk.
        if length > max_upload_bytes + 1024 * 1024:
            raise ValidationError(
                {
                    "upload": [
                        f"ファイルが大きすぎます（上限 {max_upload_bytes // (1024 * 1024)} MB） "
                        f"(File exceeds the upload limit of {max_upload_bytes} bytes)"
                    ]
                }
            )
        form = await request.form(max_files=10, max_fields=1000)
        fields = [
            (k, v)
            for k, v in form.multi_items()
            if not (isinstance(v, UploadFile) and not v.filename)
        ]
        data.update(_multi(fields))
        return data
    body = await request.body()
    if not body.strip():
        return data
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"JSON を解釈できません (Bad request - JSON Error: {exc})") from None
    if not isinstance(parsed, dict):
        raise BadRequest(
            "JSON オブジェクトを送ってください (Bad request - JSON Error: "
            "Request data JSON decoded to an object that is not a dictionary)"
        )
    data.update(parsed)
    return data
