"""Public pages for 活用事例 (use cases): the list (/showcase), the submission form
(/showcase/new, with an image) and each use case (/showcase/{name}); and their images
(/uploads/showcase/{file}, the address ckanext-showcase gives as image_display_url).

Everything goes through the ckanext_showcase_* actions: a submission is pending until staff
approve it, and only then shows here and on the pages of the datasets it uses."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse

from tsunagu.api.rate_limits import RateLimited
from tsunagu.community import showcases as service
from tsunagu.community.images import CONTENT_TYPES
from tsunagu.community.models import Showcase
from tsunagu.context import Context
from tsunagu.errors import NotFound, ValidationError
from tsunagu.registry import call_action
from tsunagu.web.templating import render
from tsunagu.web.views.community_forms import (
    HONEYPOT,
    HONEYPOT_REFUSED,
    RATE_LIMITED,
    community_context,
    honeypot_filled,
    text_field,
)
from tsunagu.web.views.staff import read_form

FIELDS = ("title", "kind", "notes", "url", "author", "author_email")
DATASET_FIELDS = 3  # dataset inputs on the form
# A dataset page's address as someone may paste it: …/dataset/<name>
_DATASET_URL = re.compile(r"/dataset/([a-z0-9_\-]{2,100})/?(?:[?#].*)?$")


def showcase_list(request: Request) -> Response:
    kind = request.query_params.get("kind", "")
    q = request.query_params.get("q", "")[:200]
    with community_context(request) as context:
        found = call_action(
            "ckanext_showcase_list",
            context,
            {"kind": kind if kind in service.KINDS else "", "q": q},
        )
    return render(
        request,
        "community/showcases.html",
        showcases=found,
        kinds=service.KINDS,
        kind=kind,
        q=q,
    )


def _dataset_ref(text: str) -> str:
    """A dataset's name from what was typed: the name itself or its page's address."""
    text = text.strip()
    found = _DATASET_URL.search(text)
    return found.group(1) if found else text


def _form_page(
    request: Request,
    context: Context,
    values: dict[str, Any],
    errors: dict[str, list[str]] | None = None,
    status_code: int = 200,
    notice: str = "",
) -> Response:
    return render(
        request,
        "community/showcase_new.html",
        status_code=status_code,
        values=values,
        errors=errors or {},
        notice=notice,
        kinds=service.KINDS,
        honeypot=HONEYPOT,
        dataset_fields=DATASET_FIELDS,
    )


def new_showcase_page(request: Request) -> Response:
    dataset = request.query_params.get("dataset", "")[:100]
    with community_context(request) as context:
        return _form_page(request, context, {"datasets": [dataset] if dataset else []})


async def create_showcase(request: Request) -> Response:
    form = await read_form(request)
    values: dict[str, Any] = {field: text_field(form, field) for field in FIELDS}
    values["datasets"] = [
        text_field(form, f"dataset_{n}", 300) for n in range(1, DATASET_FIELDS + 1)
    ]
    upload = form.get("image_upload")
    image = upload if isinstance(upload, UploadFile) and upload.filename else None

    def save() -> Response:
        with community_context(request) as context:
            if honeypot_filled(form):
                return _form_page(
                    request, context, values, status_code=400, notice=HONEYPOT_REFUSED
                )
            data = {
                **{field: values[field] for field in FIELDS},
                "datasets": [_dataset_ref(d) for d in values["datasets"] if d],
            }
            if image is not None:
                data["image_upload"] = image
            try:
                created = call_action("ckanext_showcase_create", context, data)
            except ValidationError as error:
                context.session.rollback()
                return _form_page(request, context, values, error.errors, status_code=400)
            except RateLimited as error:
                context.session.rollback()
                refused = _form_page(request, context, values, status_code=429, notice=RATE_LIMITED)
                refused.headers["Retry-After"] = str(error.retry_after)
                return refused
        if created["state"] == "active":
            return RedirectResponse(f"/showcase/{created['name']}", status_code=303)
        return render(request, "community/showcase_thanks.html", showcase=created)

    return await run_in_threadpool(save)


def showcase_page(request: Request) -> Response:
    name = request.path_params["name"]
    with community_context(request) as context:
        try:
            shown = call_action("ckanext_showcase_show", context, {"id": name})
        except NotFound:
            return render(request, "not_found.html", status_code=404)
    return render(request, "community/showcase.html", showcase=shown)


def showcase_image(request: Request) -> Response:
    """An image, to whoever may see its use case (pending ones: their moderators)."""
    file_name = request.path_params["file_name"]
    with community_context(request) as context:
        showcase = context.session.scalar(
            select(Showcase).where(Showcase.image_url == file_name, Showcase.state != "deleted")
        )
        if showcase is None or not service.can_read(context, showcase):
            return Response(status_code=404)
        public = showcase.state == "active"
    extension = file_name.rsplit(".", 1)[-1]
    files = request.app.state.services.files
    key = service.image_key(file_name)
    if extension not in CONTENT_TYPES or not files.exists(key):
        return Response(status_code=404)
    stream = files.open(key)

    def chunks() -> Any:
        with stream:
            while block := stream.read(64 * 1024):
                yield block

    return StreamingResponse(
        chunks(),
        media_type=CONTENT_TYPES[extension],
        headers={
            # Each upload has a name of its own, so an approved image never changes.
            "Cache-Control": "public, max-age=86400" if public else "private, no-store",
            "Content-Disposition": "inline",
        },
    )
