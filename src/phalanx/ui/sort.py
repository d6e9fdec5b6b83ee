"""Node order (``ory/kratos:ui/node.Nodes.SortBySchema`` and the per-flow ``sort.go``).

Kratos orders a flow's nodes in two passes:

1. by group, in the flow's group order; a group missing from the order sorts *first*;
2. a stable pass (Go's ``sort.SliceStable``: insertion sort in blocks of 20, then SymMerge)
   that only compares nodes of the same group -- ``default`` and ``password`` count as one --
   by the position of the first key that is a prefix of the node name (unknown names after the
   known keys, ``method`` always last), ties broken by the ``%v`` rendering of the values.

The comparison is not a strict weak order (nodes of different groups are "equal"), so the
exact Go algorithm is reproduced for the second pass. The first pass uses a stable sort, which
is what Go's ``sort.Slice`` does for up to 12 nodes.

Flow orders:

* login: groups ``oidc, default, webauthn, passkey, code, password, totp, lookup_secret``;
  keys ``csrf_token, identifier, password``;
* registration: groups ``oidc, saml, default, webauthn, passkey, code, password, captcha,
  profile``; keys ``csrf_token``, the first schema key, ``password``, the other schema keys,
  then ``webauthn_remove, webauthn_register_displayname, webauthn_register``;
* settings: groups ``default, profile, password, oidc, lookup_secret, webauthn, passkey,
  totp``; keys: the schema keys, then the lookup secret, WebAuthn, passkey and TOTP names.

Recovery and verification flows are not sorted.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from phalanx.text import UiText
from phalanx.text.gofmt import go_float
from phalanx.ui.node import UiNode

__all__ = ["FLOW_ORDERS", "go_value_string", "sort_nodes", "sort_nodes_by"]

_SETTINGS_APPEND = [
    "lookup_secret_reveal",
    "lookup_secret_regenerate",
    "lookup_secret_codes",
    "lookup_secret_confirm",
    "webauthn_remove",
    "webauthn_register_displayname",
    "webauthn_register",
    "passkey_remove",
    "passkey_register",
    "totp_qr",
    "totp_secret_key",
    "totp_unlink",
    "totp_code",
]

FLOW_ORDERS: dict[str, tuple[list[str], list[str]]] = {
    "login": (
        ["oidc", "default", "webauthn", "passkey", "code", "password", "totp", "lookup_secret"],
        ["csrf_token", "identifier", "password"],
    ),
    "registration": (
        [
            "oidc",
            "saml",
            "default",
            "webauthn",
            "passkey",
            "code",
            "password",
            "captcha",
            "profile",
        ],
        ["webauthn_remove", "webauthn_register_displayname", "webauthn_register"],
    ),
    "settings": (
        ["default", "profile", "password", "oidc", "lookup_secret", "webauthn", "passkey", "totp"],
        _SETTINGS_APPEND,
    ),
}
"""flow -> (group order, fixed keys); see the module docstring for how schema keys join."""


def go_value_string(value: Any) -> str:
    """``fmt.Sprintf("%v", value)`` for the JSON-ish values nodes hold."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return go_float(value)
    if isinstance(value, UiText):
        return f"&{{{value.id} {value.text} {value.type}}}"
    if isinstance(value, Mapping):
        inner = " ".join(f"{k}:{go_value_string(v)}" for k, v in sorted(value.items()))
        return f"map[{inner}]"
    if isinstance(value, list | tuple):
        return "[" + " ".join(go_value_string(v) for v in value) + "]"
    return str(value)


def _password_login_order(keys: list[str]) -> list[str]:
    # node.PasswordLoginOrder: csrf_token, the first key, password, the rest.
    if not keys:
        return ["csrf_token", "password"]
    return ["csrf_token", keys[0], "password", *keys[1:]]


def _stable_sort(items: list[UiNode], less: Callable[[UiNode, UiNode], bool]) -> None:
    """Go's ``sort.SliceStable`` (insertion sort blocks + SymMerge), in place."""

    def swap(i: int, j: int) -> None:
        items[i], items[j] = items[j], items[i]

    def lt(i: int, j: int) -> bool:
        return less(items[i], items[j])

    def insertion(a: int, b: int) -> None:
        for i in range(a + 1, b):
            j = i
            while j > a and lt(j, j - 1):
                swap(j, j - 1)
                j -= 1

    def swap_range(a: int, b: int, n: int) -> None:
        for i in range(n):
            swap(a + i, b + i)

    def rotate(a: int, m: int, b: int) -> None:
        i, j = m - a, b - m
        while i != j:
            if i > j:
                swap_range(m - i, m, j)
                i -= j
            else:
                swap_range(m - i, m + j - i, i)
                j -= i
        swap_range(m - i, m, i)

    def sym_merge(a: int, m: int, b: int) -> None:
        if m - a == 1:
            i, j = m, b
            while i < j:
                h = (i + j) // 2
                if lt(h, a):
                    i = h + 1
                else:
                    j = h
            for k in range(a, i - 1):
                swap(k, k + 1)
            return
        if b - m == 1:
            i, j = a, m
            while i < j:
                h = (i + j) // 2
                if not lt(m, h):
                    i = h + 1
                else:
                    j = h
            for k in range(m, i, -1):
                swap(k, k - 1)
            return
        mid = (a + b) // 2
        n = mid + m
        start, r = (n - b, mid) if m > mid else (a, m)
        p = n - 1
        while start < r:
            c = (start + r) // 2
            if not lt(p - c, c):
                start = c + 1
            else:
                r = c
        end = n - start
        if start < m < end:
            rotate(start, m, end)
        if a < start < mid:
            sym_merge(a, start, mid)
        if mid < end < b:
            sym_merge(mid, end, b)

    n, block = len(items), 20
    a, b = 0, block
    while b <= n:
        insertion(a, b)
        a, b = b, b + block
    insertion(a, n)
    while block < n:
        a, b = 0, 2 * block
        while b <= n:
            sym_merge(a, a + block, b)
            a, b = b, b + 2 * block
        if a + block < n:
            sym_merge(a, a + block, n)
        block *= 2


def sort_nodes_by(
    nodes: Sequence[UiNode], *, groups: Sequence[str], keys: Sequence[str]
) -> list[UiNode]:
    """Sort like ``SortBySchema`` with an explicit group order and key order."""
    keys = list(keys)
    result = list(nodes)

    def group_index(node: UiNode) -> int:
        return groups.index(node.group) if node.group in groups else -1

    def key_position(node: UiNode) -> int:
        if node.id == "method":
            return len(result) + len(keys) + 1
        for index, key in enumerate(keys):
            if node.id.startswith(key):
                return index
        return len(keys)

    def less(a: UiNode, b: UiNode) -> bool:
        same = a.group == b.group or {a.group, b.group} == {"default", "password"}
        if not same:
            return False
        pa, pb = key_position(a), key_position(b)
        if pa != pb:
            return pa < pb
        return go_value_string(a.value) < go_value_string(b.value)

    if groups:
        result.sort(key=group_index)
    _stable_sort(result, less)
    return result


def sort_nodes(
    nodes: Sequence[UiNode], *, flow: str, schema_keys: Sequence[str] = ()
) -> list[UiNode]:
    """Nodes in the order Kratos sends them for ``flow``.

    ``schema_keys`` are the identity schema's leaf keys in document order
    (:func:`phalanx.schema.keys_in_order`, e.g. ``traits.email``); login ignores them.
    Flows other than login, registration and settings keep their order.
    """
    if flow not in FLOW_ORDERS:
        return list(nodes)
    groups, fixed = FLOW_ORDERS[flow]
    if flow == "login":
        keys = list(fixed)
    elif flow == "registration":
        keys = [*_password_login_order(list(schema_keys)), *fixed]
    else:
        keys = [*schema_keys, *fixed]
    return sort_nodes_by(nodes, groups=groups, keys=keys)
