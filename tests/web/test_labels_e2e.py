"""The built-in UI names each trait alike on every page (issue 9, item 17): the welcome
page said "Name / First" where the forms say "First Name", and the default schema's
"E-Mail" met Kratos's "Email" label on the recovery and verification pages. Real server,
built-in default identity schema, pages read as HTML."""

from __future__ import annotations

import httpx
import pytest

from phalanx.config.defaults import default_identity_schema_path
from tests.support.identities import unique_email
from tests.support.server import PhalanxServer, ServerFactory
from tests.web.dom import Element, parse

pytestmark = pytest.mark.e2e

PASSWORD = "Tr0ub4dor&3-horse-battery"


@pytest.fixture(scope="module")
def server(module_server_factory: ServerFactory) -> PhalanxServer:
    schema = default_identity_schema_path().as_uri()
    return module_server_factory.start(
        config={
            "identity": {
                "default_schema_id": "default",
                "schemas": [{"id": "default", "url": schema}],
            },
            "selfservice": {
                "methods": {"password": {"config": {"haveibeenpwned_enabled": False}}},
                "flows": {
                    "verification": {"enabled": True},
                    "recovery": {"enabled": True},
                    "registration": {"after": {"password": {"hooks": [{"hook": "session"}]}}},
                },
            },
        }
    )


def _page(client: httpx.Client, path: str) -> tuple[str, Element]:
    """Follow the built-in UI's redirects to the page; its URL and parsed HTML."""
    r = client.get(path, follow_redirects=True)
    assert r.status_code == 200, r.text
    return str(r.url), parse(r.text)


def _labels(doc: Element) -> dict[str, str]:
    """Input name -> the text of its ``<label for=…>``."""
    labels = {label["for"]: label.text for label in doc.find_all("label") if label.has("for")}
    return {
        field["name"]: labels[field["id"]]
        for field in doc.find_all("input")
        if field.has("name") and field.has("id") and field["id"] in labels
    }


def test_every_page_names_the_traits_alike(server: PhalanxServer) -> None:
    email = unique_email("labels")
    with httpx.Client(base_url=server.public_url, timeout=30) as browser:
        _, registration = _page(browser, "/ui/registration")
        form_labels = _labels(registration)
        assert form_labels["traits.email"] == "Email"
        assert form_labels["traits.name.first"] == "First Name"
        form = registration.find("form", method="post")
        fields = {i["name"]: i.get("value") or "" for i in form.find_all("input", type="hidden")}
        fields.update(
            {
                "traits.email": email,
                "traits.name.first": "Ada",
                "traits.name.last": "Lovelace",
                "password": PASSWORD,
                "method": "password",
            }
        )
        r = browser.post(form["action"], data=fields)
        assert r.status_code == 303, r.text
        _, welcome = _page(browser, "/ui/welcome")
        facts = {
            row.find("dt").text: row.find("dd").text
            for row in welcome.find_all("dl")[0].iter()
            if row.tag == "div"
        }
        assert facts[form_labels["traits.email"]] == email
        assert facts[form_labels["traits.name.first"]] == "Ada"
        assert facts[form_labels["traits.name.last"]] == "Lovelace"
        _, verification = _page(browser, "/ui/verification")
        assert _labels(verification)["email"] == form_labels["traits.email"]
