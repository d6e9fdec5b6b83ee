"""Flows through the official Ory Kratos Python SDK (``ory-kratos-client``, the
``testing`` extra), pointed at Phalanx."""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Iterator
from typing import Any

from phalanx.testing.drivers import PASSWORD, unique_email

__all__ = ["frontend", "login_api", "register_api"]


@contextlib.contextmanager
def frontend(target: Any) -> Iterator[Any]:
    """The SDK's FrontendApi on a public URL (or anything with ``public_url``), no cookies."""
    kratos: Any = importlib.import_module("ory_kratos_client")

    host = target if isinstance(target, str) else target.public_url
    configuration = kratos.Configuration(host=host)
    with kratos.ApiClient(configuration) as client:
        yield kratos.FrontendApi(client)


def register_api(api: Any, email: str | None = None, password: str = PASSWORD) -> Any:
    """Native registration with a password; the SDK's answer model."""
    kratos: Any = importlib.import_module("ory_kratos_client")

    flow = api.create_native_registration_flow()
    body = kratos.UpdateRegistrationFlowBody(
        kratos.UpdateRegistrationFlowWithPasswordMethod(
            method="password", password=password, traits={"email": email or unique_email()}
        )
    )
    result = api.update_registration_flow(flow=flow.id, update_registration_flow_body=body)
    return result


def login_api(api: Any, identifier: str, password: str = PASSWORD, **kwargs: Any) -> Any:
    """Native password login; the SDK's answer model."""
    kratos: Any = importlib.import_module("ory_kratos_client")

    flow = api.create_native_login_flow(**kwargs)
    body = kratos.UpdateLoginFlowBody(
        kratos.UpdateLoginFlowWithPasswordMethod(
            method="password", identifier=identifier, password=password
        )
    )
    result = api.update_login_flow(flow=flow.id, update_login_flow_body=body)
    return result
