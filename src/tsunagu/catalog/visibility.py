"""What a caller may see of non-public datasets, expressed for the search backend."""

from __future__ import annotations

from tsunagu.catalog import authz
from tsunagu.context import Context
from tsunagu.search.interface import Visibility


def visibility_for(
    context: Context,
    *,
    include_private: bool,
    include_drafts: bool = False,
    include_deleted: bool = False,
) -> Visibility:
    if context.is_sysadmin:
        return Visibility(
            all_private=include_private,
            include_drafts=include_drafts,
            include_deleted=include_deleted,
        )
    if context.user is None:
        return Visibility()
    return Visibility(
        private_orgs=frozenset(authz.member_organization_ids(context, "member"))
        if include_private
        else frozenset(),
        private_datasets=frozenset(authz.collaborations(context, "member"))
        if include_private
        else frozenset(),
        include_drafts=include_drafts,
        draft_orgs=frozenset(authz.member_organization_ids(context, "editor"))
        if include_drafts
        else frozenset(),
        draft_datasets=frozenset(authz.collaborations(context, "editor"))
        if include_drafts
        else frozenset(),
        user_id=context.user.id,
    )
