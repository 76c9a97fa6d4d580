"""Joining a store is an invitation the invited user accepts (issue 25).

A store that names a user (by username or email) learns nothing about them: not whether they exist,
not their profile; the answer is the same either way. Only the named user sees the invitation, and
only their acceptance makes them a member.
"""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from savdo.tenancy import services
from savdo.tenancy.models import Invitation, InvitationStatus, Membership, Role
from tests.conftest import Member, client_for
from tests.factories import MembershipFactory, TenantFactory, UserFactory
from tests.generic import EndpointChecks
from tests.threads import race

User = get_user_model()
STAFF = "/api/users/staff/"
INVITATIONS = "/api/users/staff/invitations/"
MINE = "/api/users/invitations/"
STORE_FIELDS = {"id", "login", "role", "role_display", "status", "status_display", "invited_by", "created_at"}


def _state() -> list:
    return [
        list(Membership.objects.order_by("pk").values("pk", "user_id", "tenant_id", "role", "is_active")),
        list(Invitation.objects.order_by("pk").values("pk", "tenant_id", "user_id", "role", "status")),
    ]


def _store_view(body: dict) -> dict:
    """An invitation as the store sees it, without what differs between any two (id, times)."""
    return {key: value for key, value in body.items() if key not in ("id", "login", "created_at")}


@pytest.fixture
def stranger(other_owner):
    """A user of another store, with a profile worth protecting."""
    user = other_owner.user
    user.first_name, user.last_name, user.phone = "Malika", "Yusupova", "+998901234500"
    user.email = "malika@example.com"
    user.save()
    return user


# --- what the inviting store sees ---------------------------------------------------------------


@pytest.mark.parametrize("route", [STAFF, INVITATIONS])
def test_the_answer_is_the_same_whether_the_user_exists_or_not(owner, stranger, route):
    key = "username" if route == STAFF else "login"
    existing = owner.client.post(route, {key: stranger.username, "role": "manager"}, format="json")
    nobody = owner.client.post(route, {key: "no-such-user-42", "role": "manager"}, format="json")
    assert existing.status_code == nobody.status_code == 202
    assert _store_view(existing.json()) == _store_view(nobody.json())
    assert existing.json()["login"] == stranger.username
    assert set(existing.json()) == STORE_FIELDS | {"responded_at"}
    text = existing.content.decode()
    for secret in (stranger.email, stranger.phone, stranger.first_name, stranger.last_name):
        assert secret not in text
    assert existing.json()["invited_by"] == owner.user.pk
    listed = owner.client.get(INVITATIONS).json()["results"]
    assert [_store_view(row) for row in listed] == [_store_view(nobody.json()), _store_view(existing.json())]


def test_inviting_by_email_answers_the_same_too(owner, stranger):
    existing = owner.client.post(STAFF, {"email": stranger.email}, format="json")
    nobody = owner.client.post(STAFF, {"email": "nobody@example.com"}, format="json")
    assert existing.status_code == nobody.status_code == 202
    assert _store_view(existing.json()) == _store_view(nobody.json())
    assert Invitation.objects.get(pk=existing.json()["id"]).user == stranger
    assert Invitation.objects.get(pk=nobody.json()["id"]).user is None


def test_an_invitation_makes_nobody_a_member(owner, tenant, stranger):
    before = list(Membership.objects.order_by("pk").values())
    assert owner.client.post(STAFF, {"username": stranger.username, "role": "owner"}, format="json").status_code == 202
    assert list(Membership.objects.order_by("pk").values()) == before
    assert client_for(stranger, tenant).get("/api/tasks/tasks/").status_code == 403
    assert stranger.pk not in [row["id"] for row in owner.client.get(STAFF).json()["results"]]


def test_inviting_a_member_or_twice_is_a_400_that_reveals_nothing_new(owner, cashier):
    assert owner.client.post(INVITATIONS, {"login": cashier.user.username}, format="json").json() == {
        "login": ["Этот пользователь уже работает в магазине."]
    }
    for login in ("someone-new", "someone-real"):
        if login == "someone-real":
            UserFactory(username=login)
        assert owner.client.post(INVITATIONS, {"login": login}, format="json").status_code == 202
        again = owner.client.post(STAFF, {"username": login.upper()}, format="json")
        assert again.status_code == 400
        assert again.json() == {"username": ["Этот пользователь уже приглашён в магазин."]}


def test_blank_or_missing_login_is_a_400(owner):
    before = _state()
    assert owner.client.post(INVITATIONS, {"login": "  "}, format="json").status_code == 400
    assert owner.client.post(INVITATIONS, {}, format="json").status_code == 400
    assert owner.client.post(STAFF, {"role": "cashier"}, format="json").json() == {"username": ["Обязательное поле."]}
    assert _state() == before


def test_only_owners_invite_owners_and_withdraw_their_invitations(tenant, owner, stranger):
    admin = Member(tenant, Role.ADMIN)
    before = _state()
    refused = admin.client.post(INVITATIONS, {"login": stranger.username, "role": "owner"}, format="json")
    assert refused.status_code == 403
    assert _state() == before
    invited = owner.client.post(INVITATIONS, {"login": stranger.username, "role": "owner"}, format="json").json()
    assert admin.client.post(f"{INVITATIONS}{invited['id']}/cancel/").status_code == 403
    assert admin.client.post(INVITATIONS, {"login": "helper", "role": "manager"}, format="json").status_code == 202


def test_the_store_cancels_a_pending_invitation(owner, stranger):
    invited = owner.client.post(INVITATIONS, {"login": stranger.username}, format="json").json()
    response = owner.client.post(f"{INVITATIONS}{invited['id']}/cancel/")
    assert response.status_code == 200
    assert response.json()["message"] == "Приглашение отменено."
    assert response.json()["data"]["status"] == "cancelled"
    # the invited user can no longer accept it
    accept = client_for(stranger).post(f"{MINE}{invited['id']}/accept/")
    assert accept.status_code == 400
    assert accept.json() == {"status": "error", "message": "На это приглашение уже ответили, или оно отменено."}
    assert owner.client.delete(f"{INVITATIONS}{invited['id']}/").status_code == 400
    # a new invitation of the same login may follow
    second = owner.client.post(INVITATIONS, {"login": stranger.username}, format="json").json()
    assert owner.client.delete(f"{INVITATIONS}{second['id']}/").status_code == 204
    assert Invitation.objects.get(pk=second["id"]).status == InvitationStatus.CANCELLED


# --- what the invited user sees and does --------------------------------------------------------


def test_the_invited_user_lists_reads_and_accepts(owner, tenant, stranger):
    owner.user.first_name, owner.user.last_name = "Aziz", "Karimov"
    owner.user.save()
    invited = owner.client.post(STAFF, {"username": stranger.username, "role": "manager"}, format="json").json()
    mine = client_for(stranger)
    listed = mine.get(MINE)
    assert listed.status_code == 200
    assert listed.json()["count"] == 1
    row = listed.json()["results"][0]
    assert row == {
        "id": invited["id"],
        "store": {"id": tenant.pk, "name": tenant.name},
        "role": "manager",
        "role_display": row["role_display"],
        "status": "pending",
        "status_display": "Ожидает ответа",
        "invited_by_name": "Aziz Karimov",
        "created_at": row["created_at"],
    }
    assert mine.get(f"{MINE}{invited['id']}/").json() == row
    assert mine.get(MINE, {"status": "accepted"}).json()["count"] == 0

    accepted = mine.post(f"{MINE}{invited['id']}/accept/")
    assert accepted.status_code == 200, accepted.content
    assert accepted.json() == {
        "status": "success",
        "message": "Приглашение принято.",
        "data": {
            "id": tenant.pk,
            "name": tenant.name,
            "key": tenant.key,
            "role": "manager",
            "time_zone": tenant.time_zone,
            "currency": tenant.currency,
        },
    }
    assert Membership.objects.get(user=stranger, tenant=tenant).role == Role.MANAGER
    assert Invitation.objects.get(pk=invited["id"]).status == InvitationStatus.ACCEPTED
    # now a member: the store sees them, and they act in it with its key
    assert stranger.pk in [row["id"] for row in owner.client.get(STAFF).json()["results"]]
    assert client_for(stranger, tenant).get("/api/tasks/tasks/").status_code == 200
    profile = mine.get("/api/users/profile/").json()["data"]
    assert tenant.key in [store["key"] for store in profile["tenants"]]
    # answered once
    again = mine.post(f"{MINE}{invited['id']}/accept/")
    assert again.status_code == 400
    assert mine.post(f"{MINE}{invited['id']}/decline/").status_code == 400
    assert owner.client.get(f"{INVITATIONS}{invited['id']}/").json()["status"] == "accepted"


def test_the_invited_user_declines(owner, tenant, stranger):
    invited = owner.client.post(STAFF, {"email": stranger.email.upper()}, format="json").json()
    mine = client_for(stranger)
    response = mine.post(f"{MINE}{invited['id']}/decline/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert response.json()["message"] == "Invitation declined."
    assert response.json()["data"]["status"] == "declined"
    assert not Membership.objects.filter(user=stranger, tenant=tenant).exists()
    assert mine.post(f"{MINE}{invited['id']}/accept/").status_code == 400
    assert owner.client.get(f"{INVITATIONS}{invited['id']}/").json()["status"] == "declined"


def test_nobody_else_sees_or_answers_an_invitation(owner, tenant, stranger, other_tenant):
    invited = owner.client.post(STAFF, {"username": stranger.username}, format="json").json()
    nobodys = owner.client.post(STAFF, {"username": "nobody-at-all"}, format="json").json()
    intruders = [client_for(UserFactory()), owner.client, client_for(MembershipFactory(tenant=other_tenant).user)]
    before = _state()
    for client in intruders:
        assert client.get(MINE).json()["count"] == 0
        for invitation in (invited, nobodys):
            assert client.get(f"{MINE}{invitation['id']}/").status_code == 404
            assert client.post(f"{MINE}{invitation['id']}/accept/").status_code == 404
            assert client.post(f"{MINE}{invitation['id']}/decline/").status_code == 404
    # a user who registers the name later does not receive the invitation made before
    late = User.objects.create_user(username="nobody-at-all", password="x")
    assert client_for(late).get(MINE).json()["count"] == 0
    assert _state() == before


def test_accepting_needs_sign_in_and_no_store(anon, owner):
    assert anon.get(MINE).status_code == 401
    storeless = UserFactory()  # a user without any store reads and answers their invitations
    invited = owner.client.post(STAFF, {"username": storeless.username}, format="json").json()
    assert client_for(storeless).post(f"{MINE}{invited['id']}/accept/").status_code == 200


def test_someone_who_became_a_member_meanwhile_is_refused_and_nothing_changes(owner, tenant, stranger):
    invitation = services.invitation_create(actor=owner.membership, login=stranger.username)
    Membership.objects.create(user=stranger, tenant=tenant, role=Role.CASHIER)
    before = _state()
    response = client_for(stranger).post(f"{MINE}{invitation.pk}/accept/")
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Этот пользователь уже работает в магазине."]}
    assert _state() == before


class TestStoreInvitationEndpoints(EndpointChecks):
    """The store's invitations: 401, another store's invitation 404 and absent, roles, queries."""

    list_path = INVITATIONS
    detail_path = INVITATIONS + "{pk}/"
    extra_paths = []
    forbidden = [
        ("get", INVITATIONS, Role.MANAGER),
        ("get", INVITATIONS, Role.CASHIER),
        ("post", INVITATIONS, Role.MANAGER),
        ("get", INVITATIONS + "{pk}/", Role.MANAGER),
        ("post", INVITATIONS + "{pk}/cancel/", Role.CASHIER),
        ("delete", INVITATIONS + "{pk}/", Role.AGENT),
    ]
    model = Invitation

    def make_object(self, tenant):
        inviter = MembershipFactory(tenant=tenant, role=Role.OWNER)
        return services.invitation_create(actor=inviter, login=UserFactory().username)

    def test_other_stores_invitation_cannot_be_cancelled(self, tenant, other_tenant):
        mine = Member(tenant, Role.OWNER)
        foreign = self.make_object(other_tenant)
        assert mine.client.post(f"{INVITATIONS}{foreign.pk}/cancel/").status_code == 404
        assert Invitation.objects.get(pk=foreign.pk).status == InvitationStatus.PENDING

    def test_the_invitation_lands_in_the_callers_store(self, owner, tenant, other_tenant):
        payload = {"login": "newcomer", "tenant": other_tenant.pk, "tenant_id": other_tenant.pk}
        response = owner.client.post(INVITATIONS, payload, format="json")
        assert response.status_code == 202
        assert Invitation.objects.get(pk=response.json()["id"]).tenant_id == tenant.pk


# --- at the same moment (PostgreSQL) ---------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_concurrent_invitations_of_one_login_make_one_and_one_acceptance_one_member():
    tenant = TenantFactory()
    first = MembershipFactory(tenant=tenant, role=Role.OWNER)
    second = MembershipFactory(tenant=tenant, role=Role.OWNER)
    invitee = UserFactory()
    results = race(
        lambda: services.invitation_create(actor=first, login=invitee.username),
        lambda: services.invitation_create(actor=second, login=invitee.username.upper()),
    )
    assert Invitation.objects.filter(tenant=tenant).count() == 1, results
    invitation = Invitation.objects.get(tenant=tenant)
    results = race(
        lambda: services.invitation_accept(user=invitee, invitation=invitation),
        lambda: services.invitation_accept(user=invitee, invitation=invitation),
        lambda: services.invitation_decline(user=invitee, invitation=invitation),
    )
    assert Membership.objects.filter(tenant=tenant, user=invitee).count() <= 1
    assert sum(isinstance(result, Exception) for result in results) == 2, results
    status = Invitation.objects.get(pk=invitation.pk).status
    assert (status == InvitationStatus.ACCEPTED) == Membership.objects.filter(tenant=tenant, user=invitee).exists()


def test_invitations_and_their_answers_are_in_the_change_log(owner, tenant, stranger):
    invited = owner.client.post(STAFF, {"username": stranger.username, "role": "manager"}, format="json").json()
    client_for(stranger).post(f"{MINE}{invited['id']}/accept/")
    membership = Membership.objects.get(user=stranger, tenant=tenant)
    rows = owner.client.get("/api/changelog/?object_type=tenancy.invitation").json()["results"]
    assert sorted(((row["action"], row["user"]), row["changes"]) for row in rows) == [
        (("accepted", stranger.pk), {"status": ["pending", "accepted"]}),
        (("create", owner.user.pk), {"login": [None, stranger.username], "role": [None, "manager"]}),
    ]
    joined = owner.client.get(f"/api/changelog/?object_type=tenancy.membership&object_id={membership.pk}").json()
    assert [(row["action"], row["user"]) for row in joined["results"]] == [("create", stranger.pk)]


def test_the_store_invitations_endpoint_logs_each_write_once(owner, stranger):
    invited = owner.client.post(INVITATIONS, {"login": stranger.username}, format="json").json()
    assert owner.client.delete(f"{INVITATIONS}{invited['id']}/").status_code == 204
    rows = owner.client.get("/api/changelog/?object_type=tenancy.invitation").json()["results"]
    assert sorted((row["action"], row["object_id"], row["user"], row["changes"]) for row in rows) == [
        ("cancelled", invited["id"], owner.user.pk, {"status": ["pending", "cancelled"]}),
        ("create", invited["id"], owner.user.pk, {"login": [None, stranger.username], "role": [None, "cashier"]}),
    ]
