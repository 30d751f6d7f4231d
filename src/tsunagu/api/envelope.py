"""CKAN's response envelope: {"help", "success", "result"} or {"help", "success", "error"}."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response

from tsunagu.errors import ActionError
from tsunagu.rawjson import serialise_default


class JSONResponse(Response):
    media_type = "application/json;charset=utf-8"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS, default=serialise_default)


def success(help_url: str, result: Any) -> Response:
    return JSONResponse({"help": help_url, "success": True, "result": result})


def failure(help_url: str, error: ActionError) -> Response:
    return JSONResponse(
        {"help": help_url, "success": False, "error": error.as_dict()}, status_code=error.status
    )
