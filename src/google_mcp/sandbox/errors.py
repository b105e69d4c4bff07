"""Google's error envelope, as the real APIs send it."""

from __future__ import annotations

from typing import Any

_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    410: "FAILED_PRECONDITION",
    412: "FAILED_PRECONDITION",
    413: "INVALID_ARGUMENT",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    502: "UNAVAILABLE",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}

_REASON = {
    400: "badRequest",
    401: "authError",
    403: "forbidden",
    404: "notFound",
    409: "duplicate",
    410: "deleted",
    412: "conditionNotMet",
    413: "uploadTooLarge",
    429: "rateLimitExceeded",
    500: "backendError",
    502: "backendError",
    503: "backendError",
    504: "backendError",
}


class ApiError(Exception):
    """An error the sandbox answers with Google's JSON envelope."""

    def __init__(
        self,
        code: int,
        message: str,
        reason: str | None = None,
        *,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.reason = reason or _REASON.get(code, "unknown")
        self.headers = headers or {}
        self.extra = extra or {}

    def body(self) -> dict[str, Any]:
        detail: dict[str, Any] = {"message": self.message, "domain": "global", "reason": self.reason}
        detail.update(self.extra)
        return {
            "error": {
                "code": self.code,
                "message": self.message,
                "errors": [detail],
                "status": _STATUS.get(self.code, "UNKNOWN"),
            }
        }


def bad_request(message: str, reason: str = "invalidArgument") -> ApiError:
    return ApiError(400, message, reason)


def not_found(message: str = "Requested entity was not found.") -> ApiError:
    return ApiError(404, message, "notFound")


def unauthenticated() -> ApiError:
    return ApiError(
        401,
        "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie "
        "or other valid authentication credential.",
        "authError",
        headers={"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'},
        extra={"location": "Authorization", "locationType": "header"},
    )


def insufficient_scope(scopes: tuple[str, ...]) -> ApiError:
    return ApiError(
        403,
        "Request had insufficient authentication scopes.",
        "insufficientPermissions",
        headers={
            "WWW-Authenticate": f'Bearer realm="https://accounts.google.com/", '
            f'error="insufficient_scope", scope="{" ".join(scopes)}"'
        },
    )


def unknown_fields(body: dict[str, Any], known: frozenset[str], where: str) -> None:
    """Google's APIs refuse a JSON body field their message does not have (a misspelt field is no silent no-op)."""
    for name in body:
        if name not in known:
            raise bad_request(
                f"Invalid JSON payload received. Unknown name \"{name}\" at '{where}': Cannot find field."
            )
