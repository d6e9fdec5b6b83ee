"""Start the test OpenID provider: migrate its SQLite database, create the users and OAuth
clients given as JSON in ``OIDC_PROVIDER_SEED``, then serve it with uvicorn.

``python -m tests.support.oidc_provider.run <port>`` (environment from tests/support/oidc.py).
"""

from __future__ import annotations

import json
import os
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.support.oidc_provider.settings")


def seed() -> None:
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)

    from django.contrib.auth.models import User
    from oauth2_provider.models import Application

    data = json.loads(os.environ["OIDC_PROVIDER_SEED"])
    for user in data["users"]:
        User.objects.create_user(
            user["username"],
            email=user["email"],
            password=user["password"],
            first_name=user.get("first_name", ""),
            last_name=user.get("last_name", ""),
        )
    for client in data["clients"]:
        Application.objects.create(
            name=client["client_id"],
            client_id=client["client_id"],
            client_secret=client["client_secret"],
            hash_client_secret=True,
            client_type=Application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
            redirect_uris=" ".join(client["redirect_uris"]),
            algorithm=Application.RS256_ALGORITHM,
            skip_authorization=True,
        )


def main() -> None:
    import uvicorn

    seed()
    from django.core.asgi import get_asgi_application

    uvicorn.run(
        get_asgi_application(),
        host="127.0.0.1",
        port=int(sys.argv[1]),
        log_level="warning",
        lifespan="off",
    )


if __name__ == "__main__":
    main()
