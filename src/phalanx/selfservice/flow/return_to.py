"""``return_to`` checked against ``selfservice.allowed_return_urls`` (Kratos SecureRedirectTo)."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urljoin, urlsplit

from phalanx.errors import BadRequestError, ReturnToForbiddenError

__all__ = ["secure_redirect"]


def _allowed(candidate: str, allowed: str) -> bool:
    c, a = urlsplit(candidate), urlsplit(allowed)
    if c.scheme.lower() != a.scheme.lower():
        return False
    c_host, a_host = (c.netloc or "").lower(), (a.netloc or "").lower()
    if a_host.startswith("*"):
        if not c_host.endswith(a_host[1:]):
            return False
    elif c_host != a_host:
        return False
    return (c.path or "/").startswith(a.path or "/")


def secure_redirect(
    return_to: str | None,
    *,
    default: str,
    allowed: Sequence[str],
    public_base_url: str,
) -> str:
    """The URL to send the browser to: ``return_to`` if allow-listed, else ``default``.

    Raises ``self_service_flow_return_to_forbidden`` for a ``return_to`` outside the list.
    """
    if not return_to:
        return default
    try:
        parsed = urlsplit(return_to)
    except ValueError as exc:
        raise BadRequestError(
            f"Unable to parse the return_to query parameter as an URL: {exc}"
        ) from exc
    candidate = return_to if parsed.scheme else urljoin(default, return_to)
    allow_list = [*allowed, urljoin(public_base_url, "/self-service")]
    if any(_allowed(candidate, a) for a in allow_list if a):
        return candidate
    raise ReturnToForbiddenError(f'Requested return_to URL "{candidate}" is not allowed.')
