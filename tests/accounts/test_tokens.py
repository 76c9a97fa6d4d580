"""One JWT system for every surface: lifetimes, rotation, blacklist, revocation, Argon2."""

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core import checks
from rest_framework.test import APIClient
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from savdo.accounts.apps import check_token_blacklist_installed
from savdo.accounts.models import RevokedAccessToken
from tests.factories import PASSWORD, MembershipFactory, UserFactory

ROOT = Path(__file__).resolve().parents[2]


def bearer(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def test_access_tokens_live_at_most_15_minutes_and_refresh_tokens_days():
    assert timedelta(0) < api_settings.ACCESS_TOKEN_LIFETIME <= timedelta(minutes=15)
    assert timedelta(days=1) <= api_settings.REFRESH_TOKEN_LIFETIME
    assert api_settings.ROTATE_REFRESH_TOKENS is True
    assert api_settings.BLACKLIST_AFTER_ROTATION is True
    user = UserFactory()
    refresh = RefreshToken.for_user(user)
    access = refresh.access_token
    assert access["exp"] - access["iat"] <= 15 * 60
    assert refresh["exp"] - refresh["iat"] >= 24 * 3600


def test_passwords_are_hashed_with_argon2():
    user = UserFactory()
    assert settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    assert user.password.startswith("argon2$")
    assert user.check_password(PASSWORD)


def test_blacklist_app_installed_and_checked():
    assert apps.is_installed("rest_framework_simplejwt.token_blacklist")
    assert check_token_blacklist_installed(None) == []
    registered = checks.registry.registry.get_checks(include_deployment_checks=True)
    assert check_token_blacklist_installed in registered


def test_start_up_refuses_a_settings_module_without_the_blacklist(tmp_path):
    (tmp_path / "no_blacklist_settings.py").write_text(
        "from savdo.settings import *  # noqa: F403\n"
        "BLACKLIST = 'rest_framework_simplejwt.token_blacklist'\n"
        "INSTALLED_APPS = [a for a in INSTALLED_APPS if a != BLACKLIST]  # noqa: F405\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        DJANGO_SETTINGS_MODULE="no_blacklist_settings",
        PYTHONPATH=f"{tmp_path}{os.pathsep}{ROOT}",
        SAVDO_VAR_DIR=str(tmp_path / "var"),
    )
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "token_blacklist must be installed" in result.stderr


# --- one token, every surface --------------------------------------------------------------------


def test_a_crm_login_token_works_on_the_retail_profile(anon):
    member = MembershipFactory()
    login = anon.post("/api/v1/auth/login", {"email": member.user.email, "password": PASSWORD}, format="json")
    assert login.status_code == 200, login.content
    profile = bearer(login.json()["data"]["token"]).get("/api/users/profile/")
    assert profile.status_code == 200
    assert profile.json()["data"]["username"] == member.user.username


def test_a_retail_login_token_works_on_crm_logout_and_telecom_refresh(anon):
    member = MembershipFactory()
    login = anon.post("/api/users/auth/login/", {"username": member.user.username, "password": PASSWORD})
    assert login.status_code == 200, login.content
    tokens = login.json()["data"]["tokens"]
    refreshed = anon.post("/api/auth/refresh/", {"refresh": tokens["refresh"]})
    assert refreshed.status_code == 200
    new = refreshed.json()
    logout = bearer(tokens["access"]).post("/api/v1/auth/logout", {"refreshToken": new["refresh"]}, format="json")
    assert logout.status_code == 200, logout.content


def test_a_telecom_token_works_on_retail_and_a_crm_refresh_token_on_telecom(anon):
    member = MembershipFactory()
    pair = anon.post("/api/auth/login/", {"username": member.user.username, "password": PASSWORD}).json()
    assert bearer(pair["access"]).get("/api/users/profile/").status_code == 200
    crm = anon.post("/api/v1/auth/login", {"email": member.user.email, "password": PASSWORD}).json()["data"]
    assert anon.post("/api/auth/refresh/", {"refresh": crm["refreshToken"]}).status_code == 200
    assert anon.post("/api/v1/auth/refresh", {"refreshToken": pair["refresh"]}).status_code == 200


# --- refused tokens ------------------------------------------------------------------------------


def test_a_refresh_token_is_not_an_access_token():
    user = UserFactory()
    refresh = RefreshToken.for_user(user)
    response = bearer(str(refresh)).get("/api/users/profile/")
    assert response.status_code == 401
    assert response.json()["message"] == "Токен недействителен ни для одного типа токенов"


def test_an_expired_access_token_is_refused():
    user = UserFactory()
    access = AccessToken.for_user(user)
    access.set_exp(lifetime=-timedelta(seconds=1))
    assert bearer(str(access)).get("/api/users/profile/").status_code == 401


def test_a_token_signed_with_another_key_is_refused():
    import jwt

    user = UserFactory()
    payload = dict(AccessToken.for_user(user).payload)
    forged = jwt.encode(payload, "another-secret-key-that-is-long-enough-for-hs256", algorithm="HS256")
    assert bearer(forged).get("/api/users/profile/").status_code == 401


def test_an_inactive_users_token_is_refused():
    user = UserFactory()
    access = str(AccessToken.for_user(user))
    user.is_active = False
    user.save(update_fields=["is_active"])
    response = bearer(access).get("/api/users/profile/")
    assert response.status_code == 401
    assert response.json()["message"] == "Пользователь неактивен"


def test_a_token_of_a_user_who_no_longer_exists_is_refused():
    token = AccessToken()
    token[api_settings.USER_ID_CLAIM] = "987654321"
    response = bearer(str(token)).get("/api/users/profile/")
    assert response.status_code == 401
    assert response.json()["message"] == "Пользователь не найден"


def test_a_revoked_access_token_is_refused_and_others_are_not():
    user = UserFactory()
    revoked = AccessToken.for_user(user)
    other = AccessToken.for_user(user)
    RevokedAccessToken.objects.create(jti=revoked["jti"], expires_at=revoked.current_time + timedelta(minutes=5))
    response = bearer(str(revoked)).get("/api/users/profile/")
    assert response.status_code == 401
    assert response.json()["message"] == "Токен отозван"
    assert bearer(str(other)).get("/api/users/profile/").status_code == 200


def test_authentication_reads_user_and_revocation_in_one_query(django_assert_num_queries):
    from rest_framework.test import APIRequestFactory

    from savdo.accounts.authentication import SavdoJWTAuthentication

    user = UserFactory()
    token = str(AccessToken.for_user(user))
    request = APIRequestFactory().get("/", HTTP_AUTHORIZATION=f"Bearer {token}")
    with django_assert_num_queries(1):
        authenticated, validated = SavdoJWTAuthentication().authenticate(request)
    assert authenticated == user
    assert validated["jti"]


def test_every_issued_refresh_token_is_recorded_for_the_blacklist(anon):
    member = MembershipFactory()
    before = OutstandingToken.objects.count()
    anon.post("/api/auth/login/", {"username": member.user.username, "password": PASSWORD})
    assert OutstandingToken.objects.count() == before + 1
    assert BlacklistedToken.objects.count() == 0
