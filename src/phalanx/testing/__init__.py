"""Testing with Phalanx: drive flows, read mail, stop the clock.

* :class:`Browser` and friends (:mod:`phalanx.testing.drivers`) -- flows over HTTP as a
  browser or a native app; :func:`register_verify_login` the whole sign-up journey;
* :class:`MailSink` (:mod:`phalanx.testing.mail`) -- the outbox: a real SMTP server on
  loopback, with :func:`code_of` / :func:`link_of` to read what was sent;
* :class:`FrozenClock` -- stop and move Phalanx's clock (in-process apps);
* :func:`node`, :func:`message_ids`, :func:`csrf_token` ... -- read flows;
* :func:`flows_config`, :func:`settings_config`, :func:`mail_config` -- config presets;
* :mod:`phalanx.testing.sdk` -- the same through the official SDK;
* :mod:`phalanx.testing.plugin` -- pytest fixtures (``mail``).

Needs the ``testing`` extra (``aiosmtpd``, ``ory-kratos-client``).
"""

from __future__ import annotations

from phalanx.testing.clock import FrozenClock
from phalanx.testing.config import deep_merge, flows_config, mail_config, settings_config
from phalanx.testing.drivers import (
    JSON,
    PASSWORD,
    Browser,
    client,
    create_identity,
    logged_in,
    login_browser,
    register_api,
    register_verify_login,
    set_response_check,
    unique_email,
)
from phalanx.testing.flows import (
    csrf_cookie_name,
    csrf_token,
    group_nodes,
    message_ids,
    node,
    node_messages,
    query_of,
    set_cookies,
)
from phalanx.testing.mail import Mail, MailSink, code_of, confirmation_form, free_port, link_of

__all__ = [
    "JSON",
    "PASSWORD",
    "Browser",
    "FrozenClock",
    "Mail",
    "MailSink",
    "client",
    "code_of",
    "confirmation_form",
    "create_identity",
    "csrf_cookie_name",
    "csrf_token",
    "deep_merge",
    "flows_config",
    "free_port",
    "group_nodes",
    "link_of",
    "logged_in",
    "login_browser",
    "mail_config",
    "message_ids",
    "node",
    "node_messages",
    "query_of",
    "register_api",
    "register_verify_login",
    "set_cookies",
    "set_response_check",
    "settings_config",
    "unique_email",
]
