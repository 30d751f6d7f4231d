"""An OpenAPI 3.1 description of the Action API, generated from the action registry."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from tsunagu import __version__
from tsunagu.api.envelope import JSONResponse
from tsunagu.registry import action_names, get_action, is_write_action

_ERROR = {"$ref": "#/components/schemas/Error"}


def _summary(name: str) -> str:
    doc = (get_action(name).__doc__ or "").strip()
    return doc.splitlines()[0] if doc else name


def document(site_url: str) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for name in action_names():
        operation = {
            "operationId": name,
            "summary": _summary(name),
            "tags": [name.split("_")[0]],
            "responses": {
                "200": {
                    "description": "成功 (success)",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Success"}}
                    },
                },
                "400": {
                    "description": "不正なリクエスト",
                    "content": {"application/json": {"schema": _ERROR}},
                },
                "403": {
                    "description": "権限がありません",
                    "content": {"application/json": {"schema": _ERROR}},
                },
                "404": {
                    "description": "見つかりません",
                    "content": {"application/json": {"schema": _ERROR}},
                },
                "409": {
                    "description": "入力の誤り (Validation Error)",
                    "content": {"application/json": {"schema": _ERROR}},
                },
            },
        }
        body = {
            "requestBody": {
                "content": {
                    "application/json": {
                        "schema": {"type": "object", "additionalProperties": True}
                    },
                    "multipart/form-data": {
                        "schema": {"type": "object", "additionalProperties": True}
                    },
                }
            }
        }
        item: dict[str, Any] = {"post": {**operation, **body}}
        if not is_write_action(name):
            item["get"] = {
                **operation,
                "operationId": name + "_get",
                "parameters": [
                    {
                        "name": "params",
                        "in": "query",
                        "style": "form",
                        "explode": True,
                        "schema": {"type": "object", "additionalProperties": True},
                    }
                ],
            }
        else:
            item["post"]["security"] = [{"apiToken": []}]
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
                                "message": {"type": "string"},
                            },
                        },
                    },
                },
            },
        },
    }


async def openapi_endpoint(request: Request) -> Response:
    return JSONResponse(document(request.app.state.services.settings.site_url))
