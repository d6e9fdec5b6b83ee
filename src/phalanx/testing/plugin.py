"""pytest plugin (``pytest_plugins = ["phalanx.testing.plugin"]``): the ``mail`` fixture."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from phalanx.testing.mail import MailSink

__all__ = ["mail"]


@pytest.fixture(scope="module")
def mail() -> Iterator[MailSink]:
    """An SMTP sink for the test module (see :func:`phalanx.testing.mail_config`)."""
    with MailSink() as sink:
        yield sink
