"""The Action API endpoint: /api/3/action/<name> (and /api/action/<name>, as ckanapi calls it)."""

from __future__ import annotations

import logging
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from tsunagu.api.envelope import failure, success
from tsunagu.api.identity import resolve_user, token_from
from tsunagu.api.params import read_params
from tsunagu.context import Context, Services
from tsunagu.errors import ActionError, BadRequest
from tsunagu.registry import get_action, is_write_action

log = logging.getLogger(__name__)


def _run(services: Services, name: str, data: dict[str, Any], token: str) -> Any:
    fn = get_action(name)
    session = services.sessions()
    try:
        context = Context(services=services, session=session, user=resolve_user(session, token))
        result = fn(context, data)
        session.commit()
        return result
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


async def action_endpoint(request: Request) -> Response:
    services: Services = request.app.state.services
    name = request.path_params["name"]
    help_url = f"{services.settings.site_url}/api/3/action/help_show?name={name}"
    try:
        if request.method != "POST" and is_write_action(name):
            raise BadRequest(
                f"このアクションは POST で呼び出してください (Bad request: action "
                f"{name} requires an HTTP POST request)"
            )
        data = await read_params(request, services.settings.max_upload_bytes)
        result = await run_in_threadpool(_run, services, name, data, token_from(request))
    except ActionError as error:
        return failure(help_url, error)
    except Exception:
        log.exception("action %s failed", name)
        return failure(help_url, ActionError("内部エラーが発生しました (Internal server error)"))
    return success(help_url, result)
