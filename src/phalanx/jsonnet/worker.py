"""The sandboxed Jsonnet worker: a child process that evaluates one snippet per request.

Started by :class:`phalanx.jsonnet.sandbox.JsonnetSandbox` as ``python -m
phalanx.jsonnet.worker``. It reads one JSON request per line on stdin and answers one JSON
line on stdout: ``{"ok": <result JSON text>}`` or ``{"error": <message>}``.

What keeps a snippet in the sandbox (as Kratos's ``jsonnetsecure`` does, and more):

* ``import``/``importstr``/``importbin`` are refused (no files, no network);
* there are no native functions, and only the ext vars and top-level arguments the caller
  passes, so nothing of the environment is readable;
* the address space is capped (``RLIMIT_AS``) and the parent kills the worker when a
  snippet runs past its deadline, so an endless loop or a huge allocation ends this
  process, never the server;
* the worker exits when its stdin closes (the parent went away).
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import sys
from typing import Any

__all__ = ["main"]

#: Address-space cap of a worker process, in bytes (``PHALANX_JSONNET_MAX_MEMORY`` overrides).
DEFAULT_MAX_MEMORY = 1024 * 1024 * 1024
#: Jsonnet's own recursion limit (stack frames).
MAX_STACK = 500


def _refuse_import(base: str, rel: str) -> tuple[str, bytes]:
    raise RuntimeError(f"import of {rel!r} is not allowed here")


def _limit_memory() -> None:
    limit = int(os.environ.get("PHALANX_JSONNET_MAX_MEMORY", DEFAULT_MAX_MEMORY))
    with contextlib.suppress(ValueError, OSError):  # platform without RLIMIT_AS
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _evaluate(request: dict[str, Any]) -> dict[str, str]:
    import _gojsonnet as _jsonnet

    try:
        result: str = _jsonnet.evaluate_snippet(
            str(request.get("name") or "snippet.jsonnet"),
            str(request["source"]),
            ext_codes=dict(request.get("ext") or {}),
            tla_codes=dict(request.get("tla") or {}),
            import_callback=_refuse_import,
            max_stack=MAX_STACK,
            max_trace=10,
        )
    except MemoryError:
        return {"error": "the snippet used more memory than allowed"}
    except RuntimeError as exc:
        return {"error": str(exc).strip()}
    except UnicodeDecodeError as exc:  # the binding sometimes garbles an error's tail
        raw = exc.object if isinstance(exc.object, bytes) else b""
        text = raw.decode("utf-8", "replace").replace("\ufffd", "")
        return {"error": "".join(c for c in text if c.isprintable() or c in "\n\t").strip()}
    return {"ok": result}


def main() -> None:
    """Serve evaluation requests on stdin/stdout until stdin closes."""
    _limit_memory()
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    for line in stdin:
        try:
            answer = _evaluate(json.loads(line))
        except (ValueError, KeyError, TypeError) as exc:
            answer = {"error": f"bad request to the jsonnet worker: {exc}"}
        stdout.write(json.dumps(answer).encode() + b"\n")
        stdout.flush()


if __name__ == "__main__":
    main()
