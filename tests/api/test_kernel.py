"""The kernel (savdo/api/kernel.py): scoping once, writes through services, a change-log row for
each write, scoped related ids."""

import pytest
from rest_framework import serializers

from savdo.api.base import tenant_scoped
from savdo.api.fields import TenantPrimaryKeyRelatedField
from savdo.api.kernel import call_service
from savdo.audit.models import ChangeLogEntry
from savdo.audit.services import change_record
from savdo.customers.models import Customer, Tag
from savdo.tenancy.models import Role
from tests.conftest import Member
from tests.customers.factories import CustomerFactory
from tests.generic import EndpointChecks

pytestmark = pytest.mark.urls("tests.api.kernel_urls")


def test_create_goes_through_the_service_and_is_logged(tenant):
    owner = Member(tenant, Role.OWNER)
    response = owner.client.post("/api/_kernel/tags/", {"name": "VIP", "color": "#FFD700"}, format="json")
    assert response.status_code == 201, response.content
    tag = Tag.objects.get(pk=response.json()["id"])
    assert (tag.tenant_id, tag.name, tag.color) == (tenant.pk, "VIP", "#FFD700")
    entry = ChangeLogEntry.objects.get()
    assert entry.tenant_id == tenant.pk
    assert entry.actor_id == owner.user.pk
    assert (entry.action, entry.object_type, entry.object_id) == ("create", "customers.tag", tag.pk)
    assert entry.changes["name"] == [None, "VIP"]


def test_update_logs_only_changed_fields_before_and_after(tenant):
    owner = Member(tenant, Role.OWNER)
    tag = Tag.objects.create(tenant=tenant, name="VIP", color="#FFD700")
    response = owner.client.patch(f"/api/_kernel/tags/{tag.pk}/", {"color": "#000000"}, format="json")
    assert response.status_code == 200, response.content
    entry = ChangeLogEntry.objects.get()
    assert entry.action == "update"
    assert entry.changes == {"color": ["#FFD700", "#000000"]}


def test_update_that_changes_nothing_is_not_logged(tenant):
    owner = Member(tenant, Role.OWNER)
    tag = Tag.objects.create(tenant=tenant, name="VIP", color="#FFD700")
    assert owner.client.patch(f"/api/_kernel/tags/{tag.pk}/", {"color": "#FFD700"}, format="json").status_code == 200
    assert not ChangeLogEntry.objects.exists()


def test_delete_is_logged_with_the_row_before(tenant):
    owner = Member(tenant, Role.OWNER)
    tag = Tag.objects.create(tenant=tenant, name="VIP", color="#FFD700")
    assert owner.client.delete(f"/api/_kernel/tags/{tag.pk}/").status_code == 204
    assert not Tag.objects.filter(pk=tag.pk).exists()
    entry = ChangeLogEntry.objects.get()
    assert (entry.action, entry.object_id) == ("delete", tag.pk)
    assert entry.changes["name"] == ["VIP", None]


def test_a_refused_write_leaves_no_log(tenant):
    owner = Member(tenant, Role.OWNER)
    Tag.objects.create(tenant=tenant, name="VIP")
    response = owner.client.post("/api/_kernel/tags/", {"name": "VIP"}, format="json")
    assert response.status_code == 400
    assert Tag.objects.count() == 1
    assert not ChangeLogEntry.objects.exists()


def test_role_refusal_changes_nothing(tenant):
    cashier = Member(tenant, Role.CASHIER)
    tag = Tag.objects.create(tenant=tenant, name="VIP")
    assert cashier.client.delete(f"/api/_kernel/tags/{tag.pk}/").status_code == 403
    assert Tag.objects.filter(pk=tag.pk).exists()
    assert not ChangeLogEntry.objects.exists()


def test_a_selector_that_forgets_its_tenant_is_scoped_anyway(tenant, other_tenant):
    owner = Member(tenant, Role.OWNER)
    mine = Tag.objects.create(tenant=tenant, name="mine")
    theirs = Tag.objects.create(tenant=other_tenant, name="theirs")
    rows = owner.client.get("/api/_kernel/unscoped-tags/").json()
    assert [row["id"] for row in rows] == [mine.pk]
    assert owner.client.get(f"/api/_kernel/unscoped-tags/{theirs.pk}/").status_code == 404
    assert owner.client.delete(f"/api/_kernel/unscoped-tags/{theirs.pk}/").status_code == 404
    assert Tag.objects.filter(pk=theirs.pk).exists()


def test_other_tenants_object_is_404_and_unchanged(tenant, other_tenant):
    owner = Member(tenant, Role.OWNER)
    theirs = Tag.objects.create(tenant=other_tenant, name="theirs", color="#111111")
    assert owner.client.get(f"/api/_kernel/tags/{theirs.pk}/").status_code == 404
    assert owner.client.patch(f"/api/_kernel/tags/{theirs.pk}/", {"name": "x"}, format="json").status_code == 404
    theirs.refresh_from_db()
    assert theirs.name == "theirs"


def test_tenant_scoped_adds_no_duplicate_predicate(tenant):
    queryset = Tag.objects.for_tenant(tenant)
    assert tenant_scoped(queryset, tenant) is queryset
    where = str(tenant_scoped(Tag.objects.all(), tenant).query).split(" WHERE ")[1]
    assert where.count("tenant_id") == 1


def test_call_service_passes_actor_only_to_services_that_take_it():
    def with_actor(*, name, actor):
        return (name, actor)

    def without_actor(*, name):
        return name

    assert call_service(with_actor, actor="u", name="n") == ("n", "u")
    assert call_service(without_actor, actor="u", name="n") == "n"


def test_call_service_passes_the_tenant_to_services_that_take_it():
    def named(*, tenant, name):
        return (tenant, name)

    def among_fields(**fields):
        return fields

    def through_the_membership(*, membership, name):
        return (membership, name)

    assert call_service(named, tenant="t", name="n") == ("t", "n")
    assert call_service(among_fields, tenant="t", name="n") == {"tenant": "t", "name": "n"}
    assert call_service(through_the_membership, tenant="t", membership="m", name="n") == ("m", "n")


def test_a_service_that_logs_itself_is_not_logged_twice_and_the_answer_is_the_views(tenant):
    owner = Member(tenant, Role.OWNER)
    response = owner.client.post("/api/_kernel/hooked-tags/", {"name": "VIP"}, format="json")
    assert (response.status_code, response.json()) == (202, {"accepted": "VIP"})
    entry = ChangeLogEntry.objects.get()
    assert (entry.action, entry.object_id, entry.actor_id) == ("create", Tag.objects.get().pk, owner.user.pk)
    assert entry.changes == {"name": [None, "VIP"]}


def test_write_options_reach_the_service(tenant):
    owner = Member(tenant, Role.OWNER)
    tag = Tag.objects.create(tenant=tenant, name="VIP", color="#FFD700")
    assert owner.client.delete(f"/api/_kernel/hooked-tags/{tag.pk}/?to=%23000000").status_code == 204
    tag.refresh_from_db()
    assert tag.color == "#000000"
    entry = ChangeLogEntry.objects.get()
    assert (entry.action, entry.object_id, entry.actor_id) == ("delete", tag.pk, owner.user.pk)


class _CustomerRef(serializers.Serializer):
    customer = TenantPrimaryKeyRelatedField(Customer)


@pytest.mark.parametrize("kind", ["other-store", "nowhere", "text", "huge", "bool"])
def test_an_id_of_another_store_reads_as_an_id_that_exists_nowhere(tenant, other_tenant, kind):
    foreign = CustomerFactory(tenant=other_tenant)
    value = {
        "other-store": foreign.pk,
        "nowhere": foreign.pk + 1000,
        "text": "abc",
        "huge": 2**70,
        "bool": True,
    }[kind]
    serializer = _CustomerRef(data={"customer": value}, context={"tenant": tenant})
    assert not serializer.is_valid()
    nowhere = _CustomerRef(data={"customer": foreign.pk + 1000}, context={"tenant": tenant})
    nowhere.is_valid()
    assert serializer.errors == nowhere.errors


def test_an_id_of_own_store_resolves(tenant):
    mine = CustomerFactory(tenant=tenant)
    serializer = _CustomerRef(data={"customer": mine.pk}, context={"tenant": tenant})
    assert serializer.is_valid(), serializer.errors
    assert serializer.validated_data["customer"] == mine


def test_change_log_api_for_owners_only(tenant, other_tenant):
    owner = Member(tenant, Role.OWNER)
    owner.client.post("/api/_kernel/tags/", {"name": "VIP"}, format="json")
    Member(other_tenant, Role.OWNER).client.post("/api/_kernel/tags/", {"name": "theirs"}, format="json")
    body = owner.client.get("/api/changelog/?object_type=customers.tag").json()
    assert body["count"] == 1
    row = body["results"][0]
    assert (row["action"], row["object_repr"], row["user"]) == ("create", "VIP", owner.user.pk)
    assert Member(tenant, Role.CASHIER).client.get("/api/changelog/").status_code == 403
    assert owner.client.get("/api/changelog/?user=abc").status_code == 400


def test_change_log_rows_are_never_edited(tenant):
    owner = Member(tenant, Role.OWNER)
    owner.client.post("/api/_kernel/tags/", {"name": "VIP"}, format="json")
    entry = ChangeLogEntry.objects.get()
    entry.action = "forged"
    with pytest.raises(TypeError):
        entry.save()


class TestChangeLogEndpoints(EndpointChecks):
    list_path = "/api/changelog/"
    detail_path = "/api/changelog/{pk}/"
    model = ChangeLogEntry
    forbidden = [("get", "/api/changelog/", Role.MANAGER), ("get", "/api/changelog/{pk}/", Role.CASHIER)]

    def make_object(self, tenant):
        tag = Tag.objects.create(tenant=tenant, name=f"tag-{Tag.objects.count()}")
        return change_record(instance=tag, action="create", after={"name": tag.name})


def test_the_actor_does_not_outlive_a_request_that_failed(tenant, monkeypatch):
    """A thread serves one request after another: after an exception that escapes DRF, the next
    request (a webhook, a job) must not be logged as this request's user."""
    from savdo.audit.context import current_actor_id
    from tests.api.kernel_urls import TagViewSet

    def broken(self, request, *args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(TagViewSet, "list", broken)
    owner = Member(tenant, Role.OWNER)
    with pytest.raises(RuntimeError):
        owner.client.get("/api/_kernel/tags/")
    assert current_actor_id() is None
