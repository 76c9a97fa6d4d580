"""Every API route answers with and without its trailing slash, never with a redirect."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from savdo.urls import api_not_found

# A route's regex must end in an optional slash: `/?$` (re_path, DRF routers with
# `trailing_slash="/?"`), or `/?\Z`.
OPTIONAL_SLASH_END = re.compile(r"/\?(\$|\\Z)$")


def _walk(patterns, prefix=""):
    for entry in patterns:
        regex = prefix + str(entry.pattern.regex.pattern).lstrip("^") if prefix else str(entry.pattern.regex.pattern)
        if isinstance(entry, URLResolver):
            inner = regex.rstrip("$")
            yield from _walk(entry.url_patterns, inner if inner != "^" else "")
        elif isinstance(entry, URLPattern):
            yield regex, entry


def api_routes():
    routes = []
    for regex, entry in _walk(get_resolver().url_patterns):
        text = regex.lstrip("^")
        if not text.startswith("api/") or entry.callback is api_not_found:
            continue
        if text.endswith(r"\.(?P<format>[a-z0-9]+)/?$"):  # DRF format-suffix variants, if any
            continue
        routes.append(text)
    return routes


def test_the_walk_finds_the_foundation_routes():
    routes = api_routes()
    for expected in ("api/users/auth/register/?$", "api/v1/auth/login/?$", "api/auth/refresh/?$", "api/schema/?$"):
        assert expected in routes, routes


def test_every_api_route_makes_its_trailing_slash_optional():
    wrong = [route for route in api_routes() if not OPTIONAL_SLASH_END.search(route)]
    assert not wrong, f"routes that answer only one form (use re_path(r'...?$') or retail_router()): {wrong}"


AUTH_POSTS = [
    "/api/users/auth/register/",
    "/api/users/auth/login/",
    "/api/users/auth/refresh/",
    "/api/v1/auth/login/",
    "/api/v1/auth/refresh/",
    "/api/v1/auth/logout/",
    "/api/auth/login/",
    "/api/auth/refresh/",
]


@pytest.mark.parametrize("path", AUTH_POSTS)
def test_auth_routes_answer_both_forms_without_redirect(anon, path):
    for variant in (path, path.rstrip("/")):
        response = anon.post(variant, {}, format="json")
        assert response.status_code in (400, 401), (variant, response.status_code)


GET_PATHS = ["/api/users/profile/", "/api/schema/", "/swagger/", "/redoc/", "/healthz/", "/readyz/"]


@pytest.mark.parametrize("path", GET_PATHS)
def test_get_routes_answer_both_forms_without_redirect(owner, path):
    for variant in (path, path.rstrip("/")):
        response = owner.client.get(variant)
        assert response.status_code == 200, (variant, response.status_code)
