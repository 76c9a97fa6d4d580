"""Every API route is held to the generic endpoint checks (tests/generic.py).

The test walks the URLconf: each route under /api/ must be reached by the list, detail, extra,
command or forbidden paths of some `EndpointChecks` class, or be one of the routes below that the
generic checks do not fit, each with the reason. A new route without coverage fails here; so does
a route listed below that has since gained a checks class (the list must not go stale).
"""

import importlib
import pathlib

from django.urls import get_resolver, resolve
from django.urls.resolvers import URLPattern, URLResolver

from tests.generic import EndpointChecks

TESTS = pathlib.Path(__file__).parent

# Routes outside the generic checks' reach, and why. Each is covered by its own tests.
NOT_GENERIC = {
    # Sign-in and tokens: open to anyone by design (their own tests: tests/contract/test_00*_auth.py).
    r"^api/users/auth/register/?$": "sign-up is anonymous",
    r"^api/users/auth/login/?$": "sign-in is anonymous",
    r"^api/users/auth/refresh/?$": "token refresh is anonymous",
    r"^api/v1/auth/login/?$": "sign-in is anonymous",
    r"^api/v1/auth/refresh/?$": "token refresh is anonymous",
    r"^api/auth/login/?$": "sign-in is anonymous",
    r"^api/auth/refresh/?$": "token refresh is anonymous",
    r"^api/schema/?$": "the OpenAPI document is public",
    r"^api/v1/auth/logout/?$": "sign-out: tests/contract/test_003_auth.py, tests/accounts/test_logout_session.py",
    r"^api/users/profile/?$": "the user's own profile across stores: tests/contract/test_001_auth.py",
    r"^api/webhooks/(?P<provider>telegram|whatsapp_cloud|evolution)/(?P<key>[A-Za-z0-9_-]{16,64})/?$": (
        "authenticated by the channel's key and signature, not a JWT: tests/messaging/"
    ),
    r"^api/users/invitations/?$": "the invited user's own invitations across stores: tests/tenancy/",
    r"^api/users/invitations/(?P<pk>\d+)/?$": "the invited user's own invitation: tests/tenancy/",
    r"^api/users/invitations/(?P<pk>\d+)/accept/?$": "the invited user's own invitation: tests/tenancy/",
    r"^api/users/invitations/(?P<pk>\d+)/decline/?$": "the invited user's own invitation: tests/tenancy/",
}

# Known gap (issue 18), closed: the routes that still needed an EndpointChecks class. It stays empty:
# a new route comes with its checks (or, if they cannot fit, goes to NOT_GENERIC with the reason).
NOT_YET_GENERIC: set[str] = set()


def _checks_classes() -> list[type[EndpointChecks]]:
    for path in TESTS.rglob("test_*.py"):
        if "EndpointChecks" in path.read_text(encoding="utf-8"):
            module = ".".join(path.relative_to(TESTS.parent).with_suffix("").parts)
            importlib.import_module(module)
    found, stack = [], list(EndpointChecks.__subclasses__())
    while stack:
        cls = stack.pop()
        found.append(cls)
        stack.extend(cls.__subclasses__())
    return found


def _join(prefix: str, pattern: str) -> str:
    return prefix + pattern.lstrip("^") if prefix else pattern


def _routes(resolver=None, prefix: str = "") -> dict[str, str]:
    """{view name: route pattern} of every named route under /api/."""
    resolver = resolver or get_resolver()
    routes = {}
    for entry in resolver.url_patterns:
        pattern = _join(prefix, str(entry.pattern))
        if isinstance(entry, URLResolver):
            routes.update(_routes(entry, pattern))
        elif isinstance(entry, URLPattern) and entry.name and pattern.lstrip("^").startswith("api/"):
            routes.setdefault(entry.name, pattern)
    return routes


def _route_of(path: str) -> str | None:
    return resolve(path.split("?")[0]).url_name


def _covered() -> set[str]:
    covered = set()
    for cls in _checks_classes():
        commands = [p for _, p in cls.commands]
        forbidden = [p for _, p, _ in cls.forbidden]
        for template in [cls.list_path, cls.detail_path, *cls.extra_paths, *commands, *forbidden]:
            if template:
                route = _route_of(template.format(pk=1))
                if route:
                    covered.add(route)
    return covered


def test_every_api_route_has_generic_checks():
    covered = _covered()
    missing = sorted(
        pattern
        for name, pattern in _routes().items()
        if name not in covered and pattern not in NOT_GENERIC and pattern not in NOT_YET_GENERIC
    )
    assert not missing, "routes without an EndpointChecks class (tests/generic.py):\n" + "\n".join(missing)


def test_the_list_of_exceptions_is_not_stale():
    covered = {pattern for name, pattern in _routes().items() if name in _covered()}
    routes = set(_routes().values())
    assert not [r for r in NOT_GENERIC if r in covered], "covered now: remove from NOT_GENERIC"
    assert not [r for r in NOT_YET_GENERIC if r in covered], "covered now: remove from NOT_YET_GENERIC"
    assert not NOT_YET_GENERIC, "the known gap is closed: give the route its EndpointChecks class"
    assert not [r for r in NOT_YET_GENERIC if r not in routes], "no such route any more: remove it"
    assert not [r for r in NOT_GENERIC if r not in routes], "no such route any more: remove from NOT_GENERIC"
