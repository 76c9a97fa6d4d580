"""Account services: registration, sign-in, rotation and sign-out rules."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.test import APIRequestFactory
from rest_framework_simplejwt.exceptions import InvalidToken
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from savdo.accounts import services
from savdo.accounts.models import RevokedAccessToken, User
from savdo.tenancy.models import Membership, Role, Tenant
from tests.factories import PASSWORD, UserFactory

STRONG = "Zq8!wide-Field"


def test_user_register_creates_user_store_and_owner_membership():
    user, tenant = services.user_register(
        username="bekzod", password=STRONG, email="b@example.com", phone="+996555123456", store_name="Osh Market"
    )
    assert user.phone == "+996555123456"
    assert tenant.name == "Osh Market"
    assert tenant.phone_region == "KG"
    assert Membership.objects.get(user=user, tenant=tenant).role == Role.OWNER


def test_user_register_collects_every_error_and_writes_nothing():
    UserFactory(username="taken", email="taken@example.com")
    with pytest.raises(ValidationError) as caught:
        services.user_register(username="TAKEN", password="taken", email="Taken@Example.com", phone="+1")
    assert set(caught.value.message_dict) == {"username", "email", "phone", "password"}
    assert User.objects.count() == 1
    assert Tenant.objects.count() == 0


def test_user_register_refuses_non_e164_phones():
    with pytest.raises(ValidationError) as caught:
        services.user_register(username="aziza", password=STRONG, phone="90 123 45 67")
    assert set(caught.value.message_dict) == {"phone"}


def test_user_register_maps_a_lost_race_on_the_email_to_the_email_field(monkeypatch):
    """Two registrations with one email at once: the loser gets a field error, not a 500."""
    UserFactory(email="race@example.com")
    real_filter = User.objects.filter
    calls = {"n": 0}

    def blind_first_check(*args, **kwargs):  # the pre-check misses the row the other request wrote
        calls["n"] += 1
        queryset = real_filter(*args, **kwargs)
        return queryset.none() if calls["n"] <= 2 else queryset

    monkeypatch.setattr(User.objects, "filter", blind_first_check)
    with pytest.raises(ValidationError) as caught:
        services.user_register(username="racer", password=STRONG, email="RACE@example.com")
    assert caught.value.message_dict == {"email": ["Пользователь с таким адресом электронной почты уже существует."]}
    assert not real_filter(username="racer").exists()


def _request():
    return APIRequestFactory().post("/api/auth/login/")


def test_user_authenticate_returns_the_user_and_records_last_login():
    user = UserFactory()
    assert user.last_login is None
    assert services.user_authenticate(request=_request(), username=user.username, password=PASSWORD) == user
    user.refresh_from_db()
    assert user.last_login is not None


def test_user_authenticate_refuses_wrong_passwords():
    user = UserFactory()
    with pytest.raises(AuthenticationFailed):
        services.user_authenticate(request=_request(), username=user.username, password="nope")


def test_refresh_rotate_blacklists_the_old_token_and_issues_a_new_pair():
    user = UserFactory()
    old = RefreshToken.for_user(user)
    pair = services.refresh_rotate(refresh=str(old))
    assert set(pair) == {"access", "refresh"}
    assert BlacklistedToken.objects.filter(token__jti=old["jti"]).exists()
    assert RefreshToken(pair["refresh"])["user_id"] == str(user.pk)
    with pytest.raises(InvalidToken):
        services.refresh_rotate(refresh=str(old))


def test_refresh_rotate_of_a_token_issued_before_the_outstanding_record():
    """A refresh token without an OutstandingToken row (e.g. issued by a `RefreshToken()` built by hand)
    is still blacklisted on use."""
    user = UserFactory()
    token = RefreshToken()
    token["user_id"] = str(user.pk)
    services.refresh_rotate(refresh=str(token))
    with pytest.raises(InvalidToken):
        services.refresh_rotate(refresh=str(token))


def test_user_logout_revokes_both_tokens_and_drops_expired_revocations():
    user = UserFactory()
    stale = RevokedAccessToken.objects.create(jti="stale", expires_at=timezone.now() - timedelta(minutes=1))
    refresh = RefreshToken.for_user(user)
    access = refresh.access_token
    services.user_logout(user=user, access=AccessToken(str(access)), refresh=str(refresh))
    assert RevokedAccessToken.objects.filter(jti=access["jti"]).exists()
    assert not RevokedAccessToken.objects.filter(pk=stale.pk).exists()
    assert BlacklistedToken.objects.filter(token__jti=refresh["jti"]).exists()


def test_user_logout_with_a_bad_refresh_token_writes_nothing():
    user = UserFactory()
    access = AccessToken.for_user(user)
    with pytest.raises(InvalidToken):
        services.user_logout(user=user, access=access, refresh="garbage")
    assert not RevokedAccessToken.objects.exists()


def test_password_check_dummy_costs_a_real_hash(django_assert_num_queries):
    import time

    user = UserFactory()
    started = time.perf_counter()
    user.check_password("nope")
    real = time.perf_counter() - started
    started = time.perf_counter()
    with django_assert_num_queries(0):
        services.password_check_dummy("nope")
    dummy = time.perf_counter() - started
    assert dummy > real / 5
