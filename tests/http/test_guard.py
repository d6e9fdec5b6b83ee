"""The edge's input limits (``phalanx.http.guard``) and the deep-document encoder."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from phalanx.errors import NulCharacterError
from phalanx.http.guard import MAX_JSON_DEPTH, JSONTooDeepError, check_document, json_depth
from phalanx.persistence.sql.value_guard import check_json_text
from phalanx.wire_json import dumps


def nested(depth: int, leaf: Any = "x") -> Any:
    value = leaf
    for level in range(depth):
        value = [value] if level % 2 else {"a": value}
    return value


def test_depth_is_counted_in_containers() -> None:
    assert json_depth("x") == 0
    assert json_depth({}) == 1
    assert json_depth({"a": [1, {"b": []}]}) == 4
    assert json_depth(nested(5000)) == 5000  # no recursion


def test_documents_up_to_the_limit_pass() -> None:
    check_document({"traits": {"email": "a@b.c", "x": [1, 2, {"y": None}]}})
    value: Any = "x"
    for _ in range(MAX_JSON_DEPTH):
        value = {"a": value}
    check_document(value)
    with pytest.raises(JSONTooDeepError, match=f"more than {MAX_JSON_DEPTH} levels"):
        check_document({"a": value})
    with pytest.raises(JSONTooDeepError):
        check_document(orjson.loads(b"[" * 25 + b"]" * 25))


@pytest.mark.parametrize(
    ("document", "where"),
    [
        ({"traits": {"email": "a\x00@b.c"}}, "#/traits/email"),
        ({"a\x00": 1}, "#/a\x00"),
        ({"list": ["ok", "no\x00"]}, "#/list/1"),
        ("\x00", "the body"),
    ],
)
def test_nul_characters_are_refused_with_their_place(document: Any, where: str) -> None:
    with pytest.raises(NulCharacterError) as info:
        check_document(document)
    assert where in str(info.value) and info.value.code == 400


def test_json_text_with_an_encoded_nul_is_refused() -> None:
    check_json_text('{"a":"\\\\u0000"}')  # an escaped backslash, then the text u0000
    with pytest.raises(NulCharacterError):
        check_json_text('{"a":"\\u0000"}')
    with pytest.raises(NulCharacterError):
        check_json_text('{"a":"\\\\\\u0000"}')


def test_deep_documents_still_encode() -> None:
    shallow = {"a": [1, 2.5, None, True, {"b": "ü"}], "e": {}, "l": []}
    assert dumps(shallow) == orjson.dumps(shallow)
    deep = nested(3000)
    encoded = dumps({"identity": {"traits": deep}})
    assert encoded.startswith(b'{"identity":{"traits":[{"a":[{"a":')
    assert encoded.count(b"{") + encoded.count(b"[") == 2 + json_depth(deep)
