"""Wire errors in the Kratos (ory/herodot) envelope.

Exception tree::

    KratosError                      any error with a wire form {"error": {...}}
     ├── BadRequestError             400 (malformed input, invalid parameters)
     │    ├── NulCharacterError               U+0000 in any input
     │    ├── SessionAlreadyAvailableError     session_already_available
     │    ├── ReturnToForbiddenError           self_service_flow_return_to_forbidden
     │    ├── FlowDisabledError                self_service_flow_disabled
     │    └── IdentityDisabledError            identity_disabled
     ├── UnauthorizedError           401
     │    ├── SessionInactiveError             session_inactive
     │    └── AAL1RequiredError                session_aal1_required
     ├── ForbiddenError              403
     │    ├── CSRFViolationError               security_csrf_violation
     │    ├── SessionRefreshRequiredError      session_refresh_required (+ redirect_browser_to)
     │    ├── AAL2RequiredError                session_aal2_required (+ redirect_browser_to)
     │    ├── IdentityMismatchError            security_identity_mismatch
     │    └── VerifiedAddressRequiredError     session_verified_address_required
     ├── NotFoundError               404
     ├── ConflictError               409
     ├── GoneError                   410
     │    ├── FlowExpiredError                 self_service_flow_expired (+ use_flow_id, since)
     │    └── FlowReplacedError                self_service_flow_replaced (+ use_flow_id)
     ├── PayloadTooLargeError        413
     ├── BrowserLocationChangeRequiredError  422 browser_location_change_required
     ├── TooManyRequestsError        429 (+ Retry-After; Phalanx rate limits and lockout)
     ├── InternalServerError         500
     ├── BadGatewayError             502
     ├── ServiceUnavailableError     503
     │    └── LimiterUnavailableError          (+ Retry-After; the rate-limit store is down)
     └── GatewayTimeoutError         504

Each class carries its wire values as class attributes; instances may override
``reason``, ``message`` and ``details``. :func:`error_envelope` renders the JSON body.
"""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = [
    "ENDPOINT_DISABLED_REASON",
    "AAL1RequiredError",
    "AAL2RequiredError",
    "BadGatewayError",
    "BadRequestError",
    "BrowserLocationChangeRequiredError",
    "CSRFViolationError",
    "ConflictError",
    "FlowDisabledError",
    "FlowExpiredError",
    "FlowReplacedError",
    "ForbiddenError",
    "GatewayTimeoutError",
    "GoneError",
    "IdentityDisabledError",
    "IdentityMismatchError",
    "InternalServerError",
    "KratosError",
    "LimiterUnavailableError",
    "MisconfigurationError",
    "NotFoundError",
    "NulCharacterError",
    "PayloadTooLargeError",
    "ReturnToForbiddenError",
    "ServiceUnavailableError",
    "SessionAlreadyAvailableError",
    "SessionInactiveError",
    "SessionRefreshRequiredError",
    "TooManyRequestsError",
    "UnauthorizedError",
    "UnsupportedMediaTypeError",
    "VerifiedAddressRequiredError",
    "endpoint_disabled",
    "error_envelope",
]

STATUS_TEXT: dict[int, str] = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    410: "Gone",
    413: "Request Entity Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


class KratosError(Exception):
    """Base of every error Phalanx answers on the wire.

    ``extra`` holds keys rendered next to ``error`` at the top level of the body
    (``redirect_browser_to``, ``use_flow_id``, ...), as Kratos's enhanced errors do.
    """

    status_code: ClassVar[int] = 500
    error_id: ClassVar[str | None] = None
    default_message: ClassVar[str] = (
        "An internal server error occurred, please contact the system administrator"
    )
    default_reason: ClassVar[str | None] = None

    def __init__(
        self,
        reason: str | None = None,
        *,
        message: str | None = None,
        details: dict[str, Any] | None = None,
        extra: dict[str, Any] | None = None,
        error_id: str | None = None,
        status_code: int | None = None,
    ) -> None:
        self.reason = reason if reason is not None else self.default_reason
        self.message = message if message is not None else self.default_message
        self.details = details or {}
        self.extra = extra or {}
        self.id = error_id if error_id is not None else self.error_id
        self.code = status_code if status_code is not None else self.status_code
        super().__init__(self.reason or self.message)

    @property
    def status(self) -> str:
        return STATUS_TEXT.get(self.code, "Error")

    def response_headers(self) -> dict[str, str]:
        """Headers the answer carries besides the body (``Retry-After``)."""
        return {}

    def to_dict(self) -> dict[str, Any]:
        """The inner ``error`` object (herodot's ``errorGeneric``)."""
        body: dict[str, Any] = {}
        if self.id:
            body["id"] = self.id
        body["code"] = self.code
        body["status"] = self.status
        if self.reason:
            body["reason"] = self.reason
        if self.details:
            body["details"] = self.details
        body["message"] = self.message
        return body


def error_envelope(error: KratosError) -> dict[str, Any]:
    """Render ``{"error": {...}, **extra}`` exactly as Kratos writes it."""
    return {"error": error.to_dict(), **error.extra}


class BadRequestError(KratosError):
    """400: the request was malformed or contained invalid parameters."""

    status_code = 400
    default_message = "The request was malformed or contained invalid parameters"


class NulCharacterError(BadRequestError):
    """A NUL character (U+0000) in some input: PostgreSQL cannot store it, so Phalanx
    refuses it on every database (Kratos answers 500 on PostgreSQL)."""

    def __init__(self, where: str = "the request") -> None:
        super().__init__(
            f"The request contains a NUL character (U+0000) in {where}, which is not allowed."
        )


class UnsupportedMediaTypeError(BadRequestError):
    """A body with a content type the endpoint does not decode (Kratos answers 400)."""


class UnauthorizedError(KratosError):
    status_code = 401
    default_message = "The request could not be authorized"


class ForbiddenError(KratosError):
    status_code = 403
    default_message = "The requested action was forbidden"


class NotFoundError(KratosError):
    status_code = 404
    default_message = "The requested resource could not be found"


ENDPOINT_DISABLED_REASON = (
    "This endpoint was disabled by system administrator. Please check your url or contact "
    "the system administrator to enable it."
)


def endpoint_disabled() -> NotFoundError:
    """Kratos's 404 for a method or endpoint the configuration disables
    (``strategy.EndpointDisabledMessage``)."""
    return NotFoundError(ENDPOINT_DISABLED_REASON)


class ConflictError(KratosError):
    status_code = 409
    default_message = "The resource could not be created due to a conflict"


class GoneError(KratosError):
    status_code = 410
    default_message = (
        "The requested resource is no longer available because it has expired or is otherwise "
        "invalid."
    )


class PayloadTooLargeError(KratosError):
    status_code = 413
    default_message = "The request body is too large"


class _RetryLater(KratosError):
    """An error that tells the client when to try again (``Retry-After``, seconds)."""

    def __init__(self, retry_after: int, reason: str | None = None, **kw: Any) -> None:
        super().__init__(reason, **kw)
        self.retry_after = max(int(retry_after), 1)

    def response_headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class TooManyRequestsError(_RetryLater):
    """429: a Phalanx rate limit or lockout refused the request (Kratos has none)."""

    status_code = 429
    error_id = "phalanx_rate_limited"
    default_message = "too many requests"
    default_reason = "Too many attempts. Please try again later."


class InternalServerError(KratosError):
    status_code = 500


class MisconfigurationError(InternalServerError):
    """The server's configuration does not allow serving this request."""


class BadGatewayError(KratosError):
    status_code = 502
    default_message = "A third-party upstream service responded improperly."


class ServiceUnavailableError(KratosError):
    """503: Phalanx cannot serve yet (an embedded app before its lifespan started)."""

    status_code = 503
    default_message = "The service is not available."


class LimiterUnavailableError(ServiceUnavailableError):
    """503 + ``Retry-After``: the rate-limit store (Redis) is down, so sign-in is refused."""

    default_reason = "The rate-limit store is unavailable."

    def __init__(self, retry_after: int) -> None:
        super().__init__()
        self.retry_after = max(int(retry_after), 1)

    def response_headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class GatewayTimeoutError(KratosError):
    status_code = 504
    default_message = "A third-party upstream service did not answer in time."


class SessionAlreadyAvailableError(BadRequestError):
    """Login, registration or recovery attempted while a valid session exists."""

    error_id = "session_already_available"
    default_message = "you are already logged in"
    default_reason = (
        "A valid session was detected and thus login is not possible. "
        "Did you forget to set `?refresh=true`?"
    )


class ReturnToForbiddenError(BadRequestError):
    """``return_to`` is not in ``selfservice.allowed_return_urls``."""

    error_id = "self_service_flow_return_to_forbidden"


class FlowDisabledError(BadRequestError):
    error_id = "self_service_flow_disabled"


class IdentityDisabledError(BadRequestError):
    error_id = "identity_disabled"
    default_message = "identity is disabled"
    default_reason = "This account was disabled."


class SessionInactiveError(UnauthorizedError):
    """No active session in the request."""

    error_id = "session_inactive"
    default_message = "request does not have a valid authentication session"
    default_reason = "No active session was found in this request."


class AAL1RequiredError(UnauthorizedError):
    error_id = "session_aal1_required"
    default_message = "aal2 and aal3 can only be requested if a session exists already"
    default_reason = "You can not requested a higher AAL (AAL2/AAL3) without an active session."


class CSRFViolationError(ForbiddenError):
    error_id = "security_csrf_violation"
    default_message = "the request was rejected to protect you from Cross-Site-Request-Forgery"
    default_reason = (
        "Please retry the flow and optionally clear your cookies. The request was rejected to "
        "protect you from Cross-Site-Request-Forgery (CSRF) which could cause account takeover, "
        "leaking personal information, and other serious security issues."
    )


class SessionRefreshRequiredError(ForbiddenError):
    """Privileged settings change with a session older than privileged_session_max_age."""

    error_id = "session_refresh_required"
    default_reason = (
        "The login session is too old and thus not allowed to update these fields. "
        "Please re-authenticate."
    )

    def __init__(self, redirect_browser_to: str, reason: str | None = None) -> None:
        super().__init__(reason, extra={"redirect_browser_to": redirect_browser_to})
        self.redirect_browser_to = redirect_browser_to


class AAL2RequiredError(ForbiddenError):
    error_id = "session_aal2_required"
    default_message = "Session does not fulfill the requested Authenticator Assurance Level"
    default_reason = (
        "An active session was found but it does not fulfill the requested Authenticator "
        "Assurance Level. Please verify yourself with a second factor to resolve this issue."
    )

    def __init__(self, redirect_browser_to: str) -> None:
        super().__init__(
            details={"redirect_browser_to": redirect_browser_to},
            extra={"redirect_browser_to": redirect_browser_to},
        )
        self.redirect_browser_to = redirect_browser_to


class IdentityMismatchError(ForbiddenError):
    error_id = "security_identity_mismatch"


class VerifiedAddressRequiredError(ForbiddenError):
    error_id = "session_verified_address_required"
    default_message = "your email or phone address is not yet verified"


class FlowExpiredError(GoneError):
    """A self-service flow was submitted after ``expires_at``."""

    error_id = "self_service_flow_expired"
    default_message = "self-service flow expired"


class FlowReplacedError(GoneError):
    error_id = "self_service_flow_replaced"
    default_message = "self-service flow replaced"


class BrowserLocationChangeRequiredError(KratosError):
    """A browser JSON client (SPA) must navigate to ``redirect_browser_to``."""

    status_code = 422
    error_id = "browser_location_change_required"
    default_message = "browser location change required"

    def __init__(self, redirect_browser_to: str) -> None:
        super().__init__(
            f"In order to complete this flow please redirect the browser to: {redirect_browser_to}",
            extra={"redirect_browser_to": redirect_browser_to},
        )
        self.redirect_browser_to = redirect_browser_to
