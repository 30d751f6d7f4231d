"""Actions of the 要対応 (needs attention) home: the lines for a scope, and an organisation's
minimum ★ and score."""

from __future__ import annotations

from typing import Any

from tsunagu.catalog import authz, validation
from tsunagu.catalog.lookup import by_id_or_name, require_id
from tsunagu.catalog.models import Organization
from tsunagu.context import Context
from tsunagu.errors import NotAuthorized, require
from tsunagu.registry import action
from tsunagu.workspace.attention import service
from tsunagu.workspace.attention.thresholds import update


@action("staff_attention_list")
def staff_attention_list(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """What needs attention: one line per kind (drafts left for a week, failed ingests, quality
    errors, files the personal-data guard stops, overdue data, ratings below the organisation's
    minimum, missing standard datasets …), each with a count, the count per organisation and the
    first items, each item linking to the page where it is fixed.

    :param organization: an organisation's id or name (its members and sysadmins); without it,
        every organisation the caller belongs to, or the whole catalog for a sysadmin
    :param limit: items listed per line (default 5, at most 50; 0 for counts only)
    :returns: ``lines`` (``kind``, ``label``, ``count``, ``by_organization``, ``items``,
        ``more``), ``total``, ``organizations`` (those in scope, with their count and minimums)
        and ``everything`` (true for the sysadmin's catalog-wide view)
    """
    authz.require_login(context)
    errors: validation.Errors = {}
    organization = validation.as_text(data, "organization", errors, limit=100)
    limit, _ = validation.paging(
        data, errors, default_limit=service.DEFAULT_LIMIT, max_limit=service.MAX_LIMIT
    )
    require(errors)
    rows = service.DEFAULT_LIMIT if limit is None else limit
    return service.collect(service.build_scope(context, organization or None, rows))


@action("organization_attention_update", write=True)
def organization_attention_update(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Set the organisation's minimum ★ and score (organisation admins): its datasets rated
    below either are listed as needing attention.

    :param id: the organisation's id or name
    :param min_stars: 0–5 (0: no minimum); left as it was when not given
    :param min_score: 0–100 (0: no minimum); left as it was when not given
    :returns: ``organization`` (name), ``min_stars`` and ``min_score``
    """
    org = by_id_or_name(context.session, Organization, require_id(data), deleted=False)
    if not authz.has_role(context, org.id, "admin"):
        raise NotAuthorized(
            "要対応の基準を変えられるのは、組織の管理者だけです "
            "(Only organization admins can change the attention thresholds)"
        )
    threshold = update(context, org.id, data)
    return {
        "organization": org.name,
        "min_stars": threshold.min_stars,
        "min_score": threshold.min_score,
    }
