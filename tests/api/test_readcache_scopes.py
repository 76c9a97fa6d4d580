"""Every cached read declares every data scope it reads (savdo/api/readcache.py).

A cached answer is renewed only by writes to the scopes its view declares. The test runs every
cached GET route on a store with data, with the answer cache off, captures its SQL, maps each table
it reads to its model's scope, and fails when a scope is read but not declared: such an answer would
outlive a write to that data.
"""

import re

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import get_resolver, resolve
from django.urls.resolvers import URLPattern, URLResolver

from savdo.analytics.services import stock_snapshot_take
from savdo.tenancy.models import Role
from tests.analytics.shop import build_shop, clock  # noqa: F401  (fixture)
from tests.conftest import Member
from tests.crm.factories import ActivityFactory, DealFactory

pytestmark = pytest.mark.django_db

TABLE = re.compile(r'(?:FROM|JOIN)\s+"(\w+)"', re.IGNORECASE)
PARAM = re.compile(r"\(\?P<(\w+)>[^)]*\)")


def _scopes_by_table() -> dict[str, str]:
    scopes = {}
    for model in apps.get_models():
        scope = getattr(model, "data_scope", None) or getattr(model, "count_scope", None)
        if scope:
            scopes[model._meta.db_table] = scope
    return scopes


def _routes(resolver=None, prefix=""):
    """(regex of the whole path, view callback) of every route."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        regex = prefix + pattern.pattern.regex.pattern.lstrip("^")
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern, regex.rstrip("$"))
        elif isinstance(pattern, URLPattern):
            yield regex, pattern.callback


def _cached_actions(callback) -> dict[str, tuple[str, ...]]:
    view = getattr(callback, "cls", None)
    declared = getattr(view, "read_cache", None) or {}
    actions = getattr(callback, "actions", None)
    action = actions.get("get") if actions else "get"
    return {action: declared[action]} if action in declared else {}


def _path(regex: str, ids: dict) -> str | None:
    names = PARAM.findall(regex)
    if any(name not in ids for name in names):
        return None
    path = PARAM.sub(lambda match: str(ids[match.group(1)]), regex)
    path = path.replace("/?$", "/").replace("$", "").replace("\\", "")
    return "/" + path


@pytest.fixture
def store(tenant, clock):  # noqa: F811
    shop = build_shop(tenant, clock)
    deal = DealFactory(tenant=tenant, customer=shop.customers[0])
    ActivityFactory(tenant=tenant, deal=deal, customer=shop.customers[0])
    stock_snapshot_take(tenant=tenant)
    return shop


def _cached_paths(shop):
    """(path, query, view class, declared scopes) of every cached GET route, on `shop`'s data."""
    tenant = shop.tenant
    for regex, callback in _routes():
        cached = _cached_actions(callback)
        if not cached:
            continue
        model = getattr(getattr(callback.cls, "queryset", None), "model", None) or getattr(callback.cls, "model", None)
        first = model.objects.filter(tenant=tenant).first() if model is not None else None
        path = _path(regex, {"pk": first.pk} if first is not None else {})
        if path is None:
            continue
        assert resolve(path).func is callback, path
        query = {"phone": shop.customers[0].phone} if path.endswith("search_by_phone/") else {}
        (declared,) = cached.values()
        yield path, query, callback.cls, declared


def _undeclared_reads(shop, settings) -> tuple[list[str], list[str]]:
    """(paths checked, what each reads beyond what it declares)."""
    owner = Member(shop.tenant, Role.OWNER)
    settings.SAVDO_RESPONSE_CACHE = False
    scopes_by_table = _scopes_by_table()
    checked, undeclared = [], []
    for path, query, _view, declared in _cached_paths(shop):
        with CaptureQueriesContext(connection) as queries:
            response = owner.client.get(path, query)
        assert response.status_code == 200, (path, response.status_code, response.content[:300])
        read = {
            scopes_by_table[table]
            for captured in queries.captured_queries
            for table in TABLE.findall(captured["sql"])
            if table in scopes_by_table
        }
        checked.append(path)
        if read - set(declared):
            undeclared.append(f"{path}: reads {sorted(read - set(declared))}, declares {sorted(declared)}")
    return checked, undeclared


def test_every_cached_read_declares_the_scopes_it_reads(store, settings):
    checked, undeclared = _undeclared_reads(store, settings)
    assert len(checked) >= 20, checked
    assert not undeclared, "\n".join(undeclared)


def test_a_scope_left_out_is_found(store, settings, monkeypatch):
    from savdo.api.retail.analytics.views import CustomerAnalyticsViewSet

    monkeypatch.setattr(CustomerAnalyticsViewSet, "read_cache", {"at_risk": ("sales",)})
    _, undeclared = _undeclared_reads(store, settings)
    assert [line.split(":")[0] for line in undeclared] == ["/api/analytics/customer-analytics/at-risk/"]
    assert "reads ['customers']" in undeclared[0]


def test_answers_shared_by_role_are_the_same_for_every_member_of_the_role(store, settings):
    """A view that shares cached answers among the members of a role must give them all the same
    answer (computed afresh here): nothing in it may depend on who asks."""
    settings.SAVDO_RESPONSE_CACHE = False
    tenant = store.tenant
    first, second = Member(tenant, Role.MANAGER), Member(tenant, Role.MANAGER)
    shared = [(path, query) for path, query, view, _ in _cached_paths(store) if view.read_cache_shared_by_role]
    assert shared, "no view shares its answers by role"
    for path, query in shared:
        answers = [member.client.get(path, query) for member in (first, second)]
        assert [a.status_code for a in answers] == [200, 200], path
        assert answers[0].content == answers[1].content, path
