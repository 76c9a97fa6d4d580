"""Another store's rows, through every route of the OpenAPI schema.

For every object route and action in the schema (a path with an id in it), an owner of one store
asking with an object of another store gets 404, whatever the method, and the other store's rows
stay as they were. Every list, export, statistics and search route (a GET without an id) shows none
of the other store's data: no text of its rows (names, phones, numbers) appears in the answer.

The objects come from the generic endpoint checks' `make_object` (tests/generic.py), found by the
model behind each route: a route whose model no checks class can make fails here, so a new route
cannot go uncovered.
"""

import re

import pytest
from django.urls import resolve

from savdo.tenancy.models import Role
from tests.conftest import Member
from tests.test_route_coverage import _checks_classes

# Paths that are not a store's data, or not reached with a store's JWT.
OUTSIDE = re.compile(r"^/api/(schema|users/auth|v1/auth|auth|webhooks)/")
ID_PARAM = re.compile(r"\{(id|pk)\}")
OTHER_PARAM = re.compile(r"\{[a-z_]+\}")


@pytest.fixture
def schema(anon):
    return anon.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()


def _explicit_models():
    from savdo.customers.models import Customer
    from savdo.sales.models import DailySales

    # Views that find their object in `get_queryset`/`get_object` without naming a model.
    return {
        "/api/analytics/daily-sales/{id}/": DailySales,
        "/api/customers/customers/{id}/purchase-history/": Customer,
        "/api/customers/customers/{id}/stats/": Customer,
    }


def _model_of(view_class, path: str):
    model = _explicit_models().get(path) or getattr(view_class, "model", None)
    if model is None and getattr(view_class, "queryset", None) is not None:
        model = view_class.queryset.model
    if model is None:
        serializer = getattr(view_class, "serializer_class", None)
        model = getattr(getattr(serializer, "Meta", None), "model", None)
    return model


def _makers():
    makers = {}
    for cls in _checks_classes():
        if cls.model is not None and "make_object" in {k for c in cls.__mro__ for k in vars(c)}:
            makers.setdefault(cls.model, cls)
    return makers


def _snapshot(model, tenant):
    return list(model._default_manager.filter(tenant=tenant).order_by("pk").values())


def _texts(obj) -> set[str]:
    """Distinctive strings of a row: what would give it away in an answer."""
    values = set()
    for field in obj._meta.concrete_fields:
        value = getattr(obj, field.attname)
        if field.choices or field.name in ("search_text", "status", "document_type"):  # vocabulary, not data
            continue
        if isinstance(value, str) and len(value) >= 7 and not value.isdigit():
            values.add(value)
    return values


def test_another_stores_object_is_404_on_every_object_route(schema, tenant, other_tenant):
    owner = Member(tenant, Role.OWNER)
    makers = _makers()
    uncovered, leaks = [], []
    for path, operations in sorted(schema["paths"].items()):
        if OUTSIDE.match(path) or not ID_PARAM.search(path) or OTHER_PARAM.search(ID_PARAM.sub("", path)):
            continue
        view = resolve(ID_PARAM.sub("1", path)).func
        model = _model_of(getattr(view, "cls", None), path)
        if model not in makers:
            uncovered.append(f"{path} ({getattr(model, '__name__', None)})")
            continue
        foreign = makers[model]().make_object(other_tenant)
        before = _snapshot(model, other_tenant)
        concrete = ID_PARAM.sub(str(foreign.pk), path)
        for method in operations:
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            response = getattr(owner.client, method)(concrete, {}, format="json")
            if response.status_code not in (404, 405):
                leaks.append(f"{method.upper()} {concrete}: {response.status_code} {response.content[:120]!r}")
        if _snapshot(model, other_tenant) != before:
            leaks.append(f"{path}: another store's {model.__name__} changed")
    assert not leaks, "\n".join(leaks)
    assert not uncovered, "object routes whose model no EndpointChecks class makes:\n" + "\n".join(uncovered)


def test_lists_and_reports_show_nothing_of_another_store(schema, tenant, other_tenant):
    owner = Member(tenant, Role.OWNER)
    texts = set()
    for cls in _makers().values():
        texts |= _texts(cls().make_object(other_tenant))
    texts |= {other_tenant.name, other_tenant.key}
    leaks = []
    for path, operations in sorted(schema["paths"].items()):
        if OUTSIDE.match(path) or OTHER_PARAM.search(path) or "get" not in operations:
            continue
        response = owner.client.get(path)
        raw = b"".join(response.streaming_content) if response.streaming else response.content
        body = raw.decode("utf-8", "replace")
        shown = sorted(text for text in texts if text in body)
        if shown:
            leaks.append(f"GET {path} shows {shown[:3]}")
    assert not leaks, "\n".join(leaks)
