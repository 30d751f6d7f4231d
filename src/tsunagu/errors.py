"""Errors every action may raise; the API maps each to CKAN's error envelope and HTTP status."""

from __future__ import annotations


class ActionError(Exception):
    error_type = "Internal Server Error"
    status = 500

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message

    def as_dict(self) -> dict[str, object]:
        return {"__type": self.error_type, "message": self.message}


class NotFound(ActionError):
    error_type = "Not Found Error"
    status = 404

    def __init__(self, message: str = "見つかりません (Not found)") -> None:
        super().__init__(message)


class NotAuthorized(ActionError):
    error_type = "Authorization Error"
    status = 403

    def __init__(self, message: str = "この操作の権限がありません (Access denied)") -> None:
        super().__init__(message)


class ValidationError(ActionError):
    """Field errors as CKAN returns them: ``{"name": ["..."], "__type": "Validation Error"}``."""

    error_type = "Validation Error"
    status = 409

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors

    def as_dict(self) -> dict[str, object]:
        return {"__type": self.error_type, **self.errors}


class SearchQueryError(ActionError):
    error_type = "Search Query Error"
    status = 409

    def as_dict(self) -> dict[str, object]:
        return {"__type": self.error_type, "message": self.message}


class BadRequest(ActionError):
    error_type = "Bad request"
    status = 400


class ContentTooLarge(ActionError):
    """The request body is over the size limit (refused while it streams in)."""

    error_type = "Content Too Large"
    status = 413


class UnsupportedMediaType(ActionError):
    """A body in a form the API cannot read (an unknown charset, a compressed body)."""

    error_type = "Unsupported Media Type"
    status = 415


def require(errors: dict[str, list[str]]) -> None:
    """Raise one ValidationError carrying every collected field error."""
    if errors:
        raise ValidationError(errors)


class NotSupported(ActionError):
    """A CKAN action that has no meaning in Tsunagu, answered with the reason and what to use
    instead. HTTP 501 (Not Implemented: the server does not support the function asked for),
    not 404 (a client would take it for a missing object and may try to create one), 403 or
    409 (other rights or other input would not help) or 400 (the request itself is fine)."""

    error_type = "Not Supported Error"
    status = 501

    def __init__(self, action: str, reason: str) -> None:
        super().__init__(
            f"このアクションには対応していません (Action not supported: {action}): {reason}"
        )
        self.action = action
        self.reason = reason

    def as_dict(self) -> dict[str, object]:
        return {
            "__type": self.error_type,
            "message": self.message,
            "action": self.action,
            "reason": self.reason,
        }
