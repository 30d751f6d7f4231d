"""The Action API endpoint: /api/3/action/<name> (and /api/action/<name>, as ckanapi calls it)."""

from __future__ import annotations

import logging
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from tsunagu.accounts.sessions import user_for_session
from tsunagu.api.envelope import failure, success
from tsunagu.api.identity import resolve_user, token_from
from tsunagu.api.params import read_params
from tsunagu.api.rate_limits import ApiLimits, RateLimited
from tsunagu.context import Context, Services
from tsunagu.errors import ActionError, BadRequest, NotAuthorized
from tsunagu.registry import get_action, is_write_action
from tsunagu.usage.track import count_action
from tsunagu.web.session import SESSION_KEY, has_session

log = logging.getLogger(__name__)


def _run(
    services: Services,
    name: str,
    data: dict[str, Any],
    token: str,
    session_secret: str | None,
    limits: ApiLimits,
    address: str,
    user_agent: str | None,
) -> Any:
    fn = get_action(name)
    session = services.sessions()
    try:
        try:
            user = resolve_user(session, token)
        except NotAuthorized:
            # A made-up token must not be a way around the anonymous limit.
            limits.check_anonymous(address)
            raise
        if user is None and session_secret:
            user = user_for_session(session, session_secret, services.settings)
            if user is None:
                # The cookie names a session that has ended: anonymous after all.
                limits.check_anonymous(address)
        limits.check_action(address, name, user)
        context = Context(services=services, session=session, user=user, client_address=address)
        result = fn(context, data)
        session.commit()
        # package_show and resource_show count as API use of what they showed (usage/).
        count_action(services, session, name, data, result, user_agent)
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
    limits: ApiLimits = request.app.state.api_limits
    # The client address uvicorn resolved (X-Forwarded-For only from trusted proxies).
    address = request.client.host if request.client else "unknown"
    token = token_from(request)
    try:
        if not token and not (request.method == "GET" and has_session(request)):
            # Anonymous: counted before the body is read. A token is checked in _run: a valid
            # one is not counted by this limit, a wrong one is.
            limits.check_anonymous(address)
        if request.method != "POST" and is_write_action(name):
            raise BadRequest(
                f"このアクションは POST で呼び出してください (Bad request: action "
                f"{name} requires an HTTP POST request)"
            )
        data = await read_params(request)
        # The portal's own scripts read with the signed-in session; writes always need a token,
        # so a cookie can never be used to change anything (no CSRF through the API).
        session_secret = None
        if request.method == "GET" and not is_write_action(name):
            session_secret = request.session.get(SESSION_KEY)
        result = await run_in_threadpool(
            _run,
            services,
            name,
            data,
            token,
            session_secret,
            limits,
            address,
            request.headers.get("user-agent"),
        )
    except RateLimited as error:
        response = failure(help_url, error)
        response.headers["Retry-After"] = str(error.retry_after)
        return response
    except ActionError as error:
        return failure(help_url, error)
    except Exception:
        log.exception("action %s failed", name)
        return failure(help_url, ActionError("内部エラーが発生しました (Internal server error)"))
    return success(help_url, result)
