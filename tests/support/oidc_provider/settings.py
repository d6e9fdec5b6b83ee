"""Django settings of the test OpenID provider (django-oauth-toolkit with OIDC enabled).

Read by ``run.py`` in the provider's own process; configured through environment variables
set by :mod:`tests.support.oidc` (database file, RSA key).
"""

from __future__ import annotations

import os
from pathlib import Path

HERE = Path(__file__).parent

SECRET_KEY = "test-provider-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
USE_TZ = True
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "oauth2_provider",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
ROOT_URLCONF = "tests.support.oidc_provider.urls"
DATABASES = {
    "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ["OIDC_PROVIDER_DB"]}
}
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [str(HERE / "templates")],
        "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
    }
]
LOGIN_URL = "/accounts/login/"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast; test users only
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

#: Clients whose id starts with "pkce-" must use PKCE; the others may not need it.
OAUTH2_PROVIDER = {
    "OIDC_ENABLED": True,
    "OIDC_RSA_PRIVATE_KEY": os.environ["OIDC_PROVIDER_RSA_KEY"],
    "PKCE_REQUIRED": lambda client_id: client_id.startswith("pkce-"),
    "SCOPES": {"openid": "OpenID", "profile": "Profile", "email": "E-mail"},
    "OAUTH2_VALIDATOR_CLASS": "tests.support.oidc_provider.validator.Validator",
}
