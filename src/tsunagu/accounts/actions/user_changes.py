"""user_update, user_patch, user_delete.

As in CKAN, a user may change their own account and a sysadmin any account. Changing one's own
password or e-mail address needs the current password (``old_password``), as CKAN's profile form
asks for it: an API token or a borrowed browser session alone must not be enough to take the
account over (the e-mail address is where password resets go)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select

from tsunagu.accounts import throttle
from tsunagu.accounts.actions.users import (
    NAME_TAKEN,
    check_new_email,
    find_user,
    is_self,
    user_dict,
)
from tsunagu.accounts.links import revoke_links
from tsunagu.accounts.models import ApiToken, User
from tsunagu.accounts.notices import notify_credential_change
from tsunagu.accounts.passwords import password_problem, set_password, verify_password
from tsunagu.accounts.sessions import end_user_sessions
from tsunagu.api.rate_limits import RateLimited
from tsunagu.catalog import authz, validation
from tsunagu.catalog.lookup import require_id
from tsunagu.catalog.models import GroupMembership, Membership, PackageCollaborator
from tsunagu.context import Context
from tsunagu.errors import NotAuthorized, ValidationError, require
from tsunagu.registry import action, call_action
from tsunagu.storage.types import utcnow
from tsunagu.storage.upsert import flush_or_conflict

STATES = ("active", "pending", "deleted")
OLD_PASSWORD_MISSING = (
    "現在のパスワードを入力してください (Your current password is required for this change)"
)


def _require_self_or_sysadmin(context: Context, user: User) -> None:
    authz.require_login(context)
    if not (context.is_sysadmin or is_self(context, user)):
        raise NotAuthorized(
            f"他のユーザーは編集できません (User not authorized to edit user {user.name})"
        )


def _check_old_password(context: Context, data: dict[str, Any], user: User) -> None:
    """The current password, throttled like sign-in: a stolen session or token must not be a
    way to guess it (the answer would let the thief change the password and the address).
    After ``login_max_failures`` wrong ones in the window the check is refused for the block
    time, even with the right password (429, as the sign-in page)."""
    limits = throttle.Limits.from_settings(context.settings)
    key = throttle.password_check_key(user.id)
    wait = throttle.seconds_blocked(context.session, [key], utcnow())
    if wait:
        raise RateLimited(
            "現在のパスワードの誤りが続いたため、しばらく変更できません。"
            "時間をおいてからもう一度お試しください (Too many incorrect passwords; "
            f"try again in {wait} seconds)",
            retry_after=wait,
        )
    old = data.get("old_password")
    if not isinstance(old, str) or not old:
        raise ValidationError({"old_password": [OLD_PASSWORD_MISSING]})  # not a guess: not counted
    if verify_password(user.password_hash, old):
        throttle.clear(context.session, key)
        return
    throttle.record_failure(context.session, key, limits.account_failures, limits, utcnow())
    # The failure must count although this call fails and its caller rolls back: commit it
    # now. Nothing of this call has been written yet (changes are applied after the checks).
    context.session.commit()
    raise ValidationError(
        {"old_password": ["現在のパスワードが正しくありません (Password entered was incorrect)"]}
    )


@action("user_update", write=True)
def user_update(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Update a user account: the user themself, or a sysadmin. Fields left out keep their
    values (CKAN's user schema ignores missing fields), so this is also a patch.

    :param id: the user's id or name (required)
    :param fullname, about, image_url: profile text
    :param email: a free address; changing one's own needs ``old_password``
    :param password: a new password (at least 8 characters); one's own needs ``old_password``
    :param old_password: the current password of the account being changed
    :param activity_streams_email_notifications: opt in to the e-mail digest of followed changes
    :param name: a new user name (sysadmins only)
    :param sysadmin, state: sysadmins only; ignored for others
    :returns: the user dict
    """
    user = find_user(context, require_id(data))
    _require_self_or_sysadmin(context, user)
    own = is_self(context, user)
    errors: validation.Errors = {}
    changes: dict[str, Any] = {}
    if "name" in data:
        name = validation.check_name(data.get("name"), "name", errors)
        if name and name != user.name:
            if not context.is_sysadmin:
                validation.add(
                    errors,
                    "name",
                    "ユーザー名を変えられるのはシステム管理者だけです "
                    "(Only sysadmins can change user names)",
                )
            elif context.session.scalar(select(User.id).where(User.name == name)):
                validation.add(errors, "name", NAME_TAKEN)
            changes["name"] = name
    needs_old_password = False
    if "email" in data:
        email = check_new_email(context, data, errors, user.id)
        if email != user.email:
            changes["email"] = email
            needs_old_password = own
    password = data.get("password")
    if password not in (None, ""):
        if problem := password_problem(password):
            validation.add(errors, "password", problem)
        needs_old_password = needs_old_password or own
    for field in ("fullname", "about", "image_url"):
        if field in data:
            changes[field] = validation.as_text(data, field, errors)
    if "activity_streams_email_notifications" in data:
        changes["email_notifications"] = validation.as_bool(
            data, "activity_streams_email_notifications", errors
        )
    if context.is_sysadmin:  # ignored for others, as CKAN's ignore_not_sysadmin does
        if "sysadmin" in data:
            changes["sysadmin"] = validation.as_bool(data, "sysadmin", errors)
        if "state" in data:
            state = str(data.get("state") or "")
            if state not in STATES:
                validation.add(errors, "state", "active, pending, deleted のいずれかです")
            changes["state"] = state
    require(errors)
    if needs_old_password:
        # Only once everything else is valid: a mistyped field elsewhere costs no guess.
        _check_old_password(context, data, user)
    old_email = user.email
    for field, value in changes.items():
        setattr(user, field, value)
    if changes.get("state") == "deleted":
        _remove_access(context, user)  # the same as user_delete, not a softer back door
    if password not in (None, ""):
        set_password(context.session, user, str(password))
    # The account's address (and the old one) hears of it, once the change is committed.
    notify_credential_change(
        context.session,
        context.settings,
        user,
        password=password not in (None, ""),
        old_email=old_email,
        by="self" if own else "admin",
    )
    flush_or_conflict(
        context.session, User, field="name", value=user.name, own_id=user.id, message=NAME_TAKEN
    )
    return user_dict(context, user)


@action("user_patch", write=True)
def user_patch(context: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Patch a user account: the given fields change, the others stay (parameters as
    user_update, which already leaves out fields unchanged).

    :param id: the user's id or name (required)
    :returns: the user dict
    """
    user = find_user(context, require_id(data))
    _require_self_or_sysadmin(context, user)
    return dict(call_action("user_update", context, {**data, "id": user.id}))


@action("user_delete", write=True)
def user_delete(context: Context, data: dict[str, Any]) -> None:
    """Delete a user (sysadmins only): marked deleted, with what lets them act taken away —
    organisation and group memberships, dataset collaborations (as CKAN does), API tokens and
    e-mailed links. A deleted user cannot sign in and their open sessions stop working.

    :param id: the user's id or name (required)
    """
    authz.require_sysadmin(context)
    user = find_user(context, require_id(data))
    _remove_access(context, user)
    context.session.flush()


def _remove_access(context: Context, user: User) -> None:
    user.state = "deleted"
    for model in (Membership, GroupMembership, PackageCollaborator, ApiToken):
        context.session.execute(
            delete(model)
            .where(model.user_id == user.id)
            .execution_options(synchronize_session=False)
        )
    revoke_links(context.session, user.id)
    end_user_sessions(context.session, user.id)
    context.capacities.clear()
