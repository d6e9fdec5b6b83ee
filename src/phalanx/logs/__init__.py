"""Logging as Kratos users expect it: ``log.level``, ``log.format`` (``json``/``text``),
redaction (``log.leak_sensitive_values``, ``log.redaction_text``), one access-log line
per request, and dependencies that fail reported once then counted.

* :mod:`phalanx.logs.setup` -- ``configure(config)`` for a process;
* :mod:`phalanx.logs.render` -- the line formats;
* :mod:`phalanx.logs.redact` -- ``sensitive(value)`` and the scrubbing safety net;
* :mod:`phalanx.logs.access` -- the access line;
* :mod:`phalanx.logs.once` -- ``dependency_failed`` / ``dependency_recovered``.
"""

from __future__ import annotations

from phalanx.logs.once import dependency_failed, dependency_recovered
from phalanx.logs.redact import scrub, sensitive
from phalanx.logs.setup import configure

__all__ = ["configure", "dependency_failed", "dependency_recovered", "scrub", "sensitive"]
