"""Account actions; importing this package registers them all."""

from tsunagu.accounts.actions import api_tokens, invites, user_changes, users
from tsunagu.accounts.actions.users import find_user, user_dict

__all__ = ["api_tokens", "find_user", "invites", "user_changes", "user_dict", "users"]
