"""An OpenAPI 3.1 description of the Action API, generated from the action registry.

Every status an action can answer is declared with the envelope it carries, so a client (or a
fuzzer checking responses against the document) can rely on it: 200 with ``Success``; 400, 403,
404, 409 and 429 with ``Error`` for every operation; 413 and 415 for bodies (POST); the 5xx an
action gives on purpose (501 for a CKAN feature Tsunagu does not have, 502/503 when mail cannot
be sent). A 500 is never declared: it is always a bug.
"""

from __future__ import annotations

import inspect
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from tsunagu import __version__
from tsunagu.api.envelope import JSONResponse
from tsunagu.errors import ActionError
from tsunagu.registry import action_names, get_action, is_write_action

_ERROR = {"$ref": "#/components/schemas/Error"}
_ANY_OBJECT = {"type": "object", "additionalProperties": True}

# Status, description and error __type(s); every error answer is CKAN's envelope.
_COMMON = {
    "400": "不正なリクエスト (Bad request): 書き込みアクションを GET で呼んだ、など",
    "403": "権限がありません (Authorization Error)",
    "404": "見つかりません (Not Found Error)",
    "409": "入力の誤り (Validation Error, Search Query Error)",
    "429": "呼び出しが多すぎます (Rate Limit Error); Retry-After 秒後に再試行",
}
_BODY = {
    "400": "不正なリクエスト (Bad request): 本文を解釈できない (multipart・JSON・文字コード)",
    "413": "送信データが大きすぎます (Content Too Large)",
    "415": "対応していない文字コードまたは Content-Encoding (Unsupported Media Type)",
}


def _summary(name: str) -> str:
    doc = (get_action(name).__doc__ or "").strip()
    return doc.splitlines()[0] if doc else name


def _designed_failures(name: str) -> dict[str, str]:
    """5xx answers an action gives on purpose (a feature Tsunagu does not have: 501; mail that
    cannot be sent: 502/503), found from the error classes its module uses."""
    module = inspect.getmodule(get_action(name))
    found: dict[str, str] = {}
    for value in vars(module).values() if module is not None else ():
        if isinstance(value, type) and issubclass(value, ActionError) and value.status > 500:
            found[str(value.status)] = value.error_type
    return found


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ERROR}}}


def _responses(name: str, *, with_body: bool) -> dict[str, Any]:
    descriptions = {**_COMMON, **(_BODY if with_body else {}), **_designed_failures(name)}
    responses: dict[str, Any] = {
        "200": {
            "description": "成功 (success)",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Success"}}},
        }
    }
    for status in sorted(descriptions):
        responses[status] = _error(descriptions[status])
    responses["429"]["headers"] = {
        "Retry-After": {"description": "再試行までの秒数", "schema": {"type": "integer"}}
    }
    return responses


def _operation(name: str, *, with_body: bool) -> dict[str, Any]:
    return {
        "operationId": name,
        "summary": _summary(name),
        "tags": [name.split("_")[0]],
        "responses": _responses(name, with_body=with_body),
    }


def document(site_url: str) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for name in action_names():
        post = {
            **_operation(name, with_body=True),
            "requestBody": {
                "content": {
                    "application/json": {"schema": _ANY_OBJECT},
                    "multipart/form-data": {"schema": _ANY_OBJECT},
                    "application/x-www-form-urlencoded": {"schema": _ANY_OBJECT},
                }
            },
        }
        item: dict[str, Any] = {"post": post}
        if is_write_action(name):
            post["security"] = [{"apiToken": []}]
        else:
            item["get"] = {
                **_operation(name, with_body=False),
                "operationId": name + "_get",
                "parameters": [
                    {
                        "name": "params",
                        "in": "query",
                        "style": "form",
                        "explode": True,
                        "schema": _ANY_OBJECT,
                    }
                ],
            }
        paths[f"/api/3/action/{name}"] = item
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "つなぐ CKAN 互換 Action API",
            "version": __version__,
            "description": "CKAN Action API v3 compatible. See docs/api.md for parameters.",
        },
        "servers": [{"url": site_url}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "apiToken": {"type": "apiKey", "in": "header", "name": "Authorization"}
            },
            "schemas": {
                "Success": {
                    "type": "object",
                    "required": ["help", "success", "result"],
                    "properties": {
                        "help": {"type": "string"},
                        "success": {"const": True},
                        "result": {},
                    },
                    "additionalProperties": False,
                },
                "Error": {
                    "type": "object",
                    "required": ["help", "success", "error"],
                    "properties": {
                        "help": {"type": "string"},
                        "success": {"const": False},
                        "error": {
                            "type": "object",
                            "required": ["__type"],
                            "properties": {
                                "__type": {"type": "string"},
                                # A Validation Error may name a field "message" (a list).
                                "message": {"type": ["string", "array"]},
                            },
                            # A Validation Error carries a list of messages per field.
                            "additionalProperties": True,
                        },
                    },
                    "additionalProperties": False,
                },
            },
        },
    }


async def openapi_endpoint(request: Request) -> Response:
    return JSONResponse(document(request.app.state.services.settings.site_url))
