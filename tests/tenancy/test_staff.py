"""Staff of a store: `/api/users/staff/` and the membership services behind it."""

import itertools

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from rest_framework.exceptions import PermissionDenied

from savdo.tasks import services as task_services
from savdo.tasks.models import Task
from savdo.tenancy import services
from savdo.tenancy.models import Membership, Role
from tests.conftest import Member, client_for
from tests.factories import MembershipFactory, TenantFactory, UserFactory
from tests.generic import EndpointChecks
from tests.threads import race

User = get_user_model()
STAFF = "/api/users/staff/"
MEMBER = "/api/users/staff/{pk}/"
PASSWORD = "Kassa-Parol-2025!"
_numbers = itertools.count(1)


def _new_staff_payload(tenant=None, **extra) -> dict:
    n = next(_numbers)
    return {
        "username": f"kassir{n}",
        "first_name": "Bekzod",
        "last_name": "Aliyev",
        "phone": f"+9989011{n:05d}",
        "password": PASSWORD,
        "role": "cashier",
        **extra,
    }


def _snapshot() -> list:
    return [
        list(Membership.objects.order_by("pk").values("pk", "user_id", "tenant_id", "role", "is_active")),
        list(User.objects.order_by("pk").values_list("pk", "username")),
    ]


class TestStaffEndpoints(EndpointChecks):
    """A member is addressed by user id; `make_object` returns the user (their membership made too)."""

    list_path = STAFF
    detail_path = MEMBER
    create_payload = staticmethod(_new_staff_payload)
    forbidden = [
        ("get", STAFF, Role.MANAGER),
        ("get", STAFF, Role.CASHIER),
        ("post", STAFF, Role.MANAGER),
        ("post", STAFF, Role.CASHIER),
        ("get", MEMBER, Role.MANAGER),
        ("patch", MEMBER, Role.MANAGER),
        ("delete", MEMBER, Role.CASHIER),
        ("post", MEMBER + "deactivate/", Role.MANAGER),
        ("post", MEMBER + "reactivate/", Role.AGENT),
    ]

    def make_object(self, tenant):
        return MembershipFactory(tenant=tenant, role=Role.CASHIER, user__phone="+998901234567").user

    def _snapshot(self):
        return _snapshot()

    def test_other_tenants_member_is_404_for_commands(self, owner, other_tenant):
        foreign = self.make_object(other_tenant)
        before = _snapshot()
        for path in (f"{STAFF}{foreign.pk}/deactivate/", f"{STAFF}{foreign.pk}/reactivate/"):
            assert owner.client.post(path).status_code == 404
        assert owner.client.patch(f"{STAFF}{foreign.pk}/", {"role": "admin"}, format="json").status_code == 404
        assert owner.client.post(f"{STAFF}abc/deactivate/").status_code == 404
        assert _snapshot() == before

    def test_new_member_lands_in_the_callers_tenant(self, owner, tenant, other_tenant):
        payload = {**_new_staff_payload(), "tenant": other_tenant.pk, "tenant_id": other_tenant.pk}
        response = owner.client.post(STAFF, payload, format="json")
        assert response.status_code == 201
        membership = Membership.objects.get(user_id=response.json()["id"])
        assert membership.tenant_id == tenant.pk
        assert not Membership.objects.filter(tenant=other_tenant, user_id=response.json()["id"]).exists()


# --- adding -------------------------------------------------------------------------------------


def test_add_new_user_answers_the_member_and_they_can_sign_in(owner, tenant):
    payload = _new_staff_payload(username="dilnoza", role="manager", email="dilnoza@example.com", phone="+998901112233")
    response = owner.client.post(STAFF, payload, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    user = User.objects.get(username="dilnoza")
    membership = Membership.objects.get(user=user, tenant=tenant)
    assert body == {
        "id": user.pk,
        "membership_id": membership.pk,
        "username": "dilnoza",
        "first_name": "Bekzod",
        "last_name": "Aliyev",
        "full_name": "Bekzod Aliyev",
        "email": "dilnoza@example.com",
        "phone": "+998901112233",
        "role": "manager",
        "role_display": body["role_display"],
        "is_active": True,
        "joined_at": body["joined_at"],
    }
    assert user.check_password(PASSWORD)
    login = client_for(user).post("/api/users/auth/login/", {"username": "dilnoza", "password": PASSWORD})
    assert login.status_code == 200
    profile = client_for(user).get("/api/users/profile/").json()["data"]
    assert [(t["id"], t["role"]) for t in profile["tenants"]] == [(tenant.pk, "manager")]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"password": "12345678"}, "password"),
        ({"password": "password"}, "password"),
        ({"phone": "901234567"}, "phone"),
        ({"phone": "+998 90 123 45 67"}, "phone"),
        ({"role": "king"}, "role"),
        ({"username": "has space"}, "username"),
        ({"email": "not-an-email"}, "email"),
    ],
)
def test_add_new_user_validation_writes_nothing(owner, change, field):
    before = _snapshot()
    response = owner.client.post(STAFF, _new_staff_payload(**change), format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert _snapshot() == before


def test_add_taken_username_or_email_is_400(owner, user):
    before = _snapshot()
    response = owner.client.post(STAFF, _new_staff_payload(username=user.username.upper()), format="json")
    assert response.status_code == 400
    assert response.json() == {"username": ["Пользователь с таким именем уже существует."]}
    response = owner.client.post(STAFF, _new_staff_payload(email=user.email), format="json")
    assert response.status_code == 400 and "email" in response.json()
    assert _snapshot() == before


def test_naming_an_existing_user_invites_them_and_shows_only_what_was_typed(owner, tenant, other_owner):
    before = _snapshot()
    typed = other_owner.user.username.upper()
    response = owner.client.post(STAFF, {"username": typed}, format="json")
    assert response.status_code == 202, response.content
    body = response.json()
    assert {key: body[key] for key in ("login", "role", "status")} == {
        "login": typed,
        "role": "cashier",
        "status": "pending",
    }
    assert set(body) == {
        "id",
        "login",
        "role",
        "role_display",
        "status",
        "status_display",
        "invited_by",
        "created_at",
        "responded_at",
    }
    # not a member until they accept: nothing of theirs changed, their token is refused here
    assert _snapshot() == before
    assert client_for(other_owner.user, tenant).get("/api/tasks/tasks/").status_code == 403
    accepted = client_for(other_owner.user).post(f"/api/users/invitations/{body['id']}/accept/")
    assert accepted.status_code == 200, accepted.content
    # Their own store is untouched; they act in ours with X-Tenant-Key.
    assert Membership.objects.get(user=other_owner.user, tenant=other_owner.tenant).role == "owner"
    assert Membership.objects.get(user=other_owner.user, tenant=tenant).role == "cashier"
    assert client_for(other_owner.user, tenant).get("/api/tasks/tasks/").status_code == 200


def test_an_unknown_name_and_an_existing_member_without_password(owner, cashier):
    before = _snapshot()
    response = owner.client.post(STAFF, {"username": "nobody"}, format="json")
    assert response.status_code == 202  # the same answer as for a user who exists
    assert response.json()["login"] == "nobody"
    assert _snapshot() == before
    response = owner.client.post(STAFF, {"username": cashier.user.username}, format="json")
    assert response.json() == {"username": ["Этот пользователь уже работает в магазине."]}
    services.membership_deactivate(membership=cashier.membership, actor=owner.membership)
    before = _snapshot()
    response = owner.client.post(STAFF, {"username": cashier.user.username}, format="json")
    assert response.status_code == 400
    assert "username" in response.json()
    assert _snapshot() == before


def test_admin_adds_staff_but_not_owners(tenant):
    admin = Member(tenant, Role.ADMIN)
    assert admin.client.post(STAFF, _new_staff_payload(role="manager"), format="json").status_code == 201
    before = _snapshot()
    response = admin.client.post(STAFF, _new_staff_payload(role="owner"), format="json")
    assert response.status_code == 403
    assert response.json()["status"] == "error"
    assert _snapshot() == before


# --- changing roles -----------------------------------------------------------------------------


def test_owner_changes_role(owner, cashier):
    response = owner.client.patch(f"{STAFF}{cashier.user.pk}/", {"role": "manager"}, format="json")
    assert response.status_code == 200
    assert response.json()["role"] == "manager"
    cashier.membership.refresh_from_db()
    assert cashier.membership.role == "manager"
    # The new role applies to the member's next request with the same token.
    assert cashier.client.post("/api/tasks/tasks/", {"title": "x"}, format="json").status_code == 201


def test_patch_needs_a_valid_role_and_put_is_not_offered(owner, cashier):
    path = f"{STAFF}{cashier.user.pk}/"
    assert owner.client.patch(path, {}, format="json").status_code == 400
    assert owner.client.patch(path, {"role": "boss"}, format="json").status_code == 400
    assert owner.client.put(path, {"role": "admin"}, format="json").status_code == 405
    cashier.membership.refresh_from_db()
    assert cashier.membership.role == "cashier"


def test_admin_cannot_touch_an_owner_or_make_one(tenant, owner, cashier):
    admin = Member(tenant, Role.ADMIN)
    before = _snapshot()
    owner_path = f"{STAFF}{owner.user.pk}/"
    assert admin.client.patch(owner_path, {"role": "cashier"}, format="json").status_code == 403
    assert admin.client.post(owner_path + "deactivate/").status_code == 403
    assert admin.client.delete(owner_path).status_code == 403
    assert admin.client.patch(f"{STAFF}{cashier.user.pk}/", {"role": "owner"}, format="json").status_code == 403
    assert _snapshot() == before
    assert admin.client.patch(f"{STAFF}{cashier.user.pk}/", {"role": "admin"}, format="json").status_code == 200


def test_last_owner_can_never_be_demoted_or_deactivated(tenant, owner):
    before = _snapshot()
    path = f"{STAFF}{owner.user.pk}/"
    response = owner.client.patch(path, {"role": "admin"}, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "status": "error",
        "message": "Последнего владельца магазина нельзя понизить или отключить.",
    }
    assert owner.client.post(path + "deactivate/").status_code == 400
    assert owner.client.delete(path).status_code == 400
    assert _snapshot() == before


def test_an_owner_demotes_another_owner_but_not_the_last(tenant, owner):
    second = Member(tenant, Role.OWNER)
    response = owner.client.patch(f"{STAFF}{second.user.pk}/", {"role": "manager"}, format="json")
    assert response.status_code == 200
    # Now `owner` is the last one, and `second` (a manager) cannot touch owners at all.
    assert second.client.get(STAFF).status_code == 403
    assert owner.client.patch(f"{STAFF}{owner.user.pk}/", {"role": "manager"}, format="json").status_code == 400
    # Promote back, then the first owner may step down.
    assert owner.client.patch(f"{STAFF}{second.user.pk}/", {"role": "owner"}, format="json").status_code == 200
    assert owner.client.patch(f"{STAFF}{owner.user.pk}/", {"role": "manager"}, format="json").status_code == 200
    assert Membership.objects.filter(tenant=tenant, role="owner", is_active=True).count() == 1


def test_a_deactivated_owner_does_not_count_as_another_owner(tenant, owner):
    second = Member(tenant, Role.OWNER)
    services.membership_deactivate(membership=second.membership, actor=owner.membership)
    with pytest.raises(services.LastOwnerRefused):
        services.membership_change_role(membership=owner.membership, actor=owner.membership, role=Role.ADMIN)


# --- deactivating ---------------------------------------------------------------------------------


def test_deactivate_cuts_tokens_for_this_tenant_only_and_keeps_tasks(tenant, owner, other_tenant):
    cashier = Member(tenant, Role.CASHIER)
    Membership.objects.create(user=cashier.user, tenant=other_tenant, role=Role.CASHIER)
    task = task_services.task_create(actor=owner.membership, title="Уборка", assigned_to=cashier.user)
    assert cashier.client.get("/api/tasks/tasks/").status_code == 200

    response = owner.client.post(f"{STAFF}{cashier.user.pk}/deactivate/")
    assert response.status_code == 200
    assert response.json()["status"] == "success"
    assert response.json()["message"] == "Сотрудник отключён."
    assert response.json()["data"]["is_active"] is False

    assert cashier.client.get("/api/tasks/tasks/").status_code == 403  # same token, this tenant
    assert client_for(cashier.user, other_tenant).get("/api/tasks/tasks/").status_code == 200
    assert Task.objects.get(pk=task.pk).assigned_to_id == cashier.user.pk
    assert owner.client.get(f"{STAFF}?is_active=false").json()["results"][0]["id"] == cashier.user.pk
    # Nobody hands new work to a deactivated member.
    refused = owner.client.post("/api/tasks/tasks/", {"title": "x", "assigned_to": cashier.user.pk}, format="json")
    assert refused.status_code == 400

    response = owner.client.post(f"{STAFF}{cashier.user.pk}/reactivate/")
    assert response.status_code == 200 and response.json()["data"]["is_active"] is True
    assert cashier.client.get("/api/tasks/tasks/").status_code == 200


def test_delete_deactivates(owner, cashier):
    assert owner.client.delete(f"{STAFF}{cashier.user.pk}/").status_code == 204
    cashier.membership.refresh_from_db()
    assert cashier.membership.is_active is False
    assert User.objects.filter(pk=cashier.user.pk).exists()


def test_list_filters_and_search(owner, tenant):
    manager = Member(tenant, Role.MANAGER)
    manager.user.first_name = "Dilnoza"
    manager.user.save()
    client = owner.client
    assert [row["id"] for row in client.get(f"{STAFF}?role=manager").json()["results"]] == [manager.user.pk]
    assert [row["id"] for row in client.get(f"{STAFF}?search=dilnoza").json()["results"]] == [manager.user.pk]
    assert client.get(f"{STAFF}?role=king").status_code == 400


def test_services_refuse_non_admins(tenant, owner):
    manager = Member(tenant, Role.MANAGER)
    with pytest.raises(PermissionDenied):
        services.membership_create(actor=manager.membership, username="newcomer", password=PASSWORD)
    with pytest.raises(PermissionDenied):
        services.invitation_create(actor=manager.membership, login=UserFactory().username)
    with pytest.raises(PermissionDenied):
        services.membership_deactivate(membership=owner.membership, actor=manager.membership)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_two_owners_demoting_each_other_at_once_leave_one_owner():
    for _ in range(5):
        tenant = TenantFactory()
        first = MembershipFactory(tenant=tenant, role=Role.OWNER)
        second = MembershipFactory(tenant=tenant, role=Role.OWNER)
        results = race(
            lambda a=first, t=second: services.membership_change_role(membership=t, actor=a, role=Role.MANAGER),
            lambda a=second, t=first: services.membership_change_role(membership=t, actor=a, role=Role.MANAGER),
        )
        assert Membership.objects.filter(tenant=tenant, role=Role.OWNER, is_active=True).count() == 1, results
        refused = [r for r in results if isinstance(r, Exception)]
        assert len(refused) == 1
        # The loser is refused either as no longer an owner or as the last owner's demoter.
        assert isinstance(refused[0], PermissionDenied | services.LastOwnerRefused), refused


# --- the change log -----------------------------------------------------------------------------


def test_every_staff_write_is_in_the_change_log(owner, tenant, cashier):
    added = owner.client.post(STAFF, _new_staff_payload(), format="json").json()
    owner.client.patch(f"{STAFF}{cashier.user.pk}/", {"role": "manager"}, format="json")
    owner.client.patch(f"{STAFF}{cashier.user.pk}/", {"role": "manager"}, format="json")  # no change: no row
    owner.client.post(f"{STAFF}{cashier.user.pk}/deactivate/")
    owner.client.post(f"{STAFF}{cashier.user.pk}/reactivate/")
    rows = owner.client.get("/api/changelog/?object_type=tenancy.membership").json()["results"]
    logged = sorted(((row["action"], row["object_id"], row["user"]), row["changes"]) for row in rows)
    assert logged == [
        (("change_role", cashier.membership.pk, owner.user.pk), {"role": ["cashier", "manager"]}),
        (("create", added["membership_id"], owner.user.pk), {"user": [None, added["id"]], "role": [None, "cashier"]}),
        (("deactivate", cashier.membership.pk, owner.user.pk), {"is_active": [True, False]}),
        (("reactivate", cashier.membership.pk, owner.user.pk), {"is_active": [False, True]}),
    ]
    other_store = Member(TenantFactory(), Role.OWNER)
    assert other_store.client.get("/api/changelog/?object_type=tenancy.membership").json()["count"] == 0


def test_delete_is_logged_once_as_the_deactivation(owner, cashier):
    """The service's own row stands and the kernel adds none (nor a "delete": the member stays);
    deleting a deactivated member changes nothing and logs nothing."""
    assert owner.client.delete(f"{STAFF}{cashier.user.pk}/").status_code == 204
    assert owner.client.delete(f"{STAFF}{cashier.user.pk}/").status_code == 204
    rows = owner.client.get("/api/changelog/?object_type=tenancy.membership").json()["results"]
    assert [(row["action"], row["object_id"], row["user"], row["changes"]) for row in rows] == [
        ("deactivate", cashier.membership.pk, owner.user.pk, {"is_active": [True, False]})
    ]
