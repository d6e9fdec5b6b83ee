"""Static accessibility checks on rendered HTML (what can be judged without a browser)."""

from __future__ import annotations

from tests.web.dom import Element

__all__ = ["assert_accessible"]

_NEEDS_AUTOCOMPLETE = {
    "identifier": "username",
    "code": "one-time-code",
    "totp_code": "one-time-code",
}


def assert_accessible(doc: Element) -> None:
    """Labels bound to every control, unique ids, autocomplete where the node implies it."""
    html = doc.find("html")
    assert html.get("lang"), "<html> needs a lang"
    assert doc.find("title").text
    assert len(doc.find_all("h1")) == 1
    assert doc.find_all("main"), "needs a <main> landmark"
    ids = [ident for e in doc.iter() if (ident := e.get("id"))]
    assert len(ids) == len(set(ids)), f"duplicate ids: {sorted(i for i in ids if ids.count(i) > 1)}"
    labels = {lab.get("for"): lab for lab in doc.find_all("label")}
    for control in [*doc.find_all("input"), *doc.find_all("select")]:
        kind = control.get("type") or "text"
        if kind == "hidden":
            assert not control.has("id") or control.get("id"), control.attrs
            continue
        ident = control.get("id")
        assert ident, f"control without id: {control.attrs}"
        label = labels.get(ident)
        assert label is not None and label.text, f"no label for #{ident}"
        name = control.get("name") or ""
        if kind == "password":
            assert control.get("autocomplete") in ("current-password", "new-password"), ident
        elif kind == "email":
            assert control.get("autocomplete") == "email", ident
        elif name in _NEEDS_AUTOCOMPLETE:
            assert control.get("autocomplete") == _NEEDS_AUTOCOMPLETE[name], ident
        described = control.get("aria-describedby")
        if described:
            assert doc.by_id(described).text, f"#{ident} describedby an empty element"
    for button in doc.find_all("button"):
        assert button.text or button.get("aria-label"), f"button without a name: {button.attrs}"
    for img in doc.find_all("img"):
        assert img.has("alt"), f"img without alt: {img.attrs}"
    for link in doc.find_all("a"):
        assert link.text, f"link without text: {link.attrs}"
