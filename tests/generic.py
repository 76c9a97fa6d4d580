"""Generic endpoint checks: every endpoint gets the same rules, configured by a few attributes.

Usage (one class per resource; the checks come from the base)::

    class TestCustomerEndpoints(EndpointChecks):
        list_path = "/api/customers/customers/"
        detail_path = "/api/customers/customers/{pk}/"
        create_payload = staticmethod(lambda tenant: {"first_name": "Ali", "phone": "+998901234567"})
        extra_paths = ["/api/customers/customers/{pk}/stats/"]      # more GETs on one object
        forbidden = [("delete", "/api/customers/groups/{pk}/", "cashier")]

        def make_object(self, tenant):
            return CustomerFactory(tenant=tenant)

What every such class then checks:
- 401 without a token on the list, the detail, every extra path and every command (its method);
- another tenant's object is 404 on detail/update/delete, every extra path and every command (and
  a command on it changes nothing), and absent from the list;
- a `tenant`/`tenant_id` in a create payload is ignored: the row lands in the caller's tenant;
- each `forbidden` (method, path, role) answers 403 and changes nothing;
- the list runs the same number of queries for 2 rows as for 12 (no per-row round trips).
"""

from collections.abc import Callable
from typing import Any, ClassVar

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from savdo.tenancy.models import Role
from tests.conftest import Member


def _results(body: Any) -> list:
    """The rows of a list response, whatever the surface's envelope."""
    if isinstance(body, list):
        return body
    for key in ("results", "clients", "chats", "channels", "customers", "data", "items"):
        value = body.get(key) if isinstance(body, dict) else None
        if isinstance(value, list):
            return value
        if isinstance(value, dict):
            inner = _results(value)
            if inner:
                return inner
    return []


class EndpointChecks:
    list_path: ClassVar[str | None] = None
    detail_path: ClassVar[str | None] = None
    extra_paths: ClassVar[list[str]] = []
    # (method, path template with {pk}) of commands on one object (POST/DELETE actions), sent with
    # an empty body: 401 anonymous, 404 and nothing changed on another tenant's object.
    commands: ClassVar[list[tuple[str, str]]] = []
    create_payload: ClassVar[Callable[[Any], dict] | None] = None
    # (method, path template with {pk}, role) that must answer 403.
    forbidden: ClassVar[list[tuple[str, str, str]]] = []
    # Role used for the positive checks (must be allowed to list, read and create).
    actor_role: ClassVar[str] = Role.OWNER
    list_query_params: ClassVar[str] = "page_size=50"
    model: ClassVar[Any] = None

    def make_object(self, tenant):  # pragma: no cover - each subclass builds its object
        raise NotImplementedError

    def _path(self, template: str, obj) -> str:
        return template.format(pk=obj.pk)

    # --- 401 -------------------------------------------------------------------------------
    def test_anonymous_is_401(self, anon, tenant):
        obj = self.make_object(tenant)
        paths = [p for p in [self.list_path] if p] + [self._path(p, obj) for p in self._object_paths()]
        assert paths or self.commands, "configure list_path, detail_path or commands"
        for path in paths:
            response = anon.get(path, HTTP_X_TENANT_KEY=tenant.key)
            assert response.status_code == 401, (path, response.status_code, response.content[:200])
        for method, template in self.commands:
            path = self._path(template, obj)
            response = getattr(anon, method)(path, {}, format="json", HTTP_X_TENANT_KEY=tenant.key)
            assert response.status_code == 401, (method, path, response.status_code, response.content[:200])
        if self.list_path and self.create_payload:
            response = anon.post(self.list_path, self.create_payload(tenant), format="json")
            assert response.status_code == 401

    # --- 404 across tenants -----------------------------------------------------------------
    def test_other_tenants_object_is_404(self, tenant, other_tenant):
        mine = Member(tenant, self.actor_role)
        foreign = self.make_object(other_tenant)
        for template in self._object_paths():
            path = self._path(template, foreign)
            response = mine.client.get(path)
            assert response.status_code == 404, (path, response.status_code, response.content[:200])
        if self.commands:
            before = self._snapshot()
            for method, template in self.commands:
                path = self._path(template, foreign)
                response = getattr(mine.client, method)(path, {}, format="json")
                assert response.status_code == 404, (method, path, response.status_code, response.content[:200])
            assert self._snapshot() == before, "a command on another tenant's object changed data"
        if self.detail_path:
            path = self._path(self.detail_path, foreign)
            assert mine.client.patch(path, {}, format="json").status_code in (404, 405)
            assert mine.client.delete(path).status_code in (404, 405)
            if self.model is not None:
                assert self.model.objects.filter(pk=foreign.pk).exists()

    def test_list_excludes_other_tenant(self, tenant, other_tenant):
        if not self.list_path:
            pytest.skip("no list route")
        mine = Member(tenant, self.actor_role)
        own = self.make_object(tenant)
        foreign = self.make_object(other_tenant)
        response = mine.client.get(f"{self.list_path}?{self.list_query_params}")
        assert response.status_code == 200, response.content[:300]
        ids = {row.get("id") for row in _results(response.json())}
        assert own.pk in ids
        assert foreign.pk not in ids

    # --- tenant in the payload --------------------------------------------------------------
    def test_tenant_in_payload_is_ignored(self, tenant, other_tenant):
        if not (self.list_path and self.create_payload):
            pytest.skip("no create route")
        mine = Member(tenant, self.actor_role)
        payload = {**self.create_payload(tenant), "tenant": other_tenant.pk, "tenant_id": other_tenant.pk}
        response = mine.client.post(self.list_path, payload, format="json")
        assert response.status_code == 201, response.content[:500]
        if self.model is not None:
            created = self.model.objects.order_by("-pk").first()
            assert created.tenant_id == tenant.pk

    # --- 403 by role ------------------------------------------------------------------------
    def test_forbidden_roles_are_403(self, tenant):
        if not self.forbidden:
            pytest.skip("every role may use every route")
        for method, template, role in self.forbidden:
            obj = self.make_object(tenant)
            member = Member(tenant, role)
            path = self._path(template, obj)
            data = self.create_payload(tenant) if (self.create_payload and method == "post") else {}
            before = self._snapshot()
            response = getattr(member.client, method)(path, data, format="json")
            assert response.status_code == 403, (method, path, role, response.status_code, response.content[:200])
            assert self._snapshot() == before, "a refused request changed data"

    # --- constant queries -------------------------------------------------------------------
    def test_list_query_count_is_constant(self, tenant, settings):
        if not self.list_path:
            pytest.skip("no list route")
        settings.SAVDO_CACHED_COUNTS = False  # both sides run their count (tests/core/test_counts.py)
        settings.SAVDO_RESPONSE_CACHE = False  # and the view itself (tests/api/test_readcache.py)
        mine = Member(tenant, self.actor_role)
        self.make_object(tenant)
        self.make_object(tenant)
        path = f"{self.list_path}?{self.list_query_params}"
        mine.client.get(path)  # warm up per-process caches (content types, etc.)
        with CaptureQueriesContext(connection) as few:
            assert mine.client.get(path).status_code == 200
        for _ in range(10):
            self.make_object(tenant)
        with CaptureQueriesContext(connection) as many:
            assert mine.client.get(path).status_code == 200
        assert len(many) == len(few), [q["sql"] for q in many.captured_queries]

    # --- helpers ----------------------------------------------------------------------------
    def _object_paths(self) -> list[str]:
        return [p for p in [self.detail_path, *self.extra_paths] if p]

    def _snapshot(self):
        if self.model is None:
            return None
        return list(self.model.objects.order_by("pk").values())
