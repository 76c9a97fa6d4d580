"""A sign-out without the refresh token (document 003's `POST /auth/logout`, only the Authorization
header) ends the whole session: the access token and the refresh token issued with it are refused
afterwards, on every surface. The refresh token is found from the access token's session claim."""

import pytest
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from savdo.accounts import services
from tests.factories import PASSWORD, MembershipFactory

LOGOUT = "/api/v1/auth/logout"
# Every surface's refresh endpoint: (path, body key)
REFRESHES = [
    ("/api/v1/auth/refresh", "refreshToken"),
    ("/api/users/auth/refresh/", "refresh"),
    ("/api/auth/refresh/", "refresh"),
]


def bearer(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def crm_login(user) -> dict:
    response = APIClient().post("/api/v1/auth/login", {"email": user.email, "password": PASSWORD}, format="json")
    assert response.status_code == 200, response.content
    return response.json()["data"]


@pytest.fixture
def user():
    return MembershipFactory().user


def test_an_issued_access_token_names_its_refresh_token(user):
    pair = services.token_pair(user)
    access, refresh = AccessToken(pair["access"]), RefreshToken(pair["refresh"])
    assert access[services.SESSION_CLAIM] == refresh["jti"]
    assert access["jti"] != refresh["jti"]


@pytest.mark.parametrize(("path", "key"), REFRESHES)
def test_logout_without_a_body_refuses_both_tokens_on_every_surface(anon, user, path, key):
    session = crm_login(user)
    client = bearer(session["token"])
    response = client.post(LOGOUT)  # no body, no content type: as document 003 sends it
    assert response.status_code == 200
    assert response.json() == {"success": True, "message": "Successfully logged out"}
    assert client.get("/api/users/profile/").status_code == 401
    assert client.get("/api/v1/deals").status_code == 401
    refused = anon.post(path, {key: session["refreshToken"]}, format="json")
    assert refused.status_code == 401, refused.content


def test_logout_leaves_the_users_other_sessions_alone(anon, user):
    first, second = crm_login(user), crm_login(user)
    assert bearer(first["token"]).post(LOGOUT).status_code == 200
    assert bearer(second["token"]).get("/api/users/profile/").status_code == 200
    rotated = anon.post("/api/v1/auth/refresh", {"refreshToken": second["refreshToken"]}, format="json")
    assert rotated.status_code == 200


def test_after_a_refresh_the_logout_ends_the_new_pair(anon, user):
    session = crm_login(user)
    rotated = anon.post("/api/v1/auth/refresh", {"refreshToken": session["refreshToken"]}, format="json").json()["data"]
    assert bearer(rotated["token"]).post(LOGOUT).status_code == 200
    again = anon.post("/api/v1/auth/refresh", {"refreshToken": rotated["refreshToken"]}, format="json")
    assert again.status_code == 401
    assert bearer(rotated["token"]).get("/api/users/profile/").status_code == 401


def test_logout_with_the_refresh_token_in_the_body_still_works(anon, user):
    session = crm_login(user)
    response = bearer(session["token"]).post(LOGOUT, {"refreshToken": session["refreshToken"]}, format="json")
    assert response.status_code == 200
    assert (
        anon.post("/api/v1/auth/refresh", {"refreshToken": session["refreshToken"]}, format="json").status_code == 401
    )
    assert BlacklistedToken.objects.count() == 1


def test_a_session_claim_of_another_user_ends_nothing_of_theirs(user):
    """The claim is signed, so it cannot be forged; still, the service only ends the signed-out
    user's own refresh tokens."""
    other = MembershipFactory().user
    theirs = RefreshToken.for_user(other)
    access = RefreshToken.for_user(user).access_token
    access[services.SESSION_CLAIM] = theirs["jti"]
    services.user_logout(user=user, access=access, refresh=None)
    assert not BlacklistedToken.objects.filter(token__jti=theirs["jti"]).exists()


def test_a_token_issued_without_a_session_claim_revokes_only_itself(anon, user):
    refresh = RefreshToken.for_user(user)  # as tokens issued before sessions were named
    access = refresh.access_token
    assert services.SESSION_CLAIM not in access.payload
    assert bearer(str(access)).post(LOGOUT).status_code == 200
    assert bearer(str(access)).get("/api/users/profile/").status_code == 401
    assert anon.post("/api/v1/auth/refresh", {"refreshToken": str(refresh)}, format="json").status_code == 200


def test_logging_out_twice_is_harmless(user):
    pair = services.token_pair(user)
    access = AccessToken(pair["access"])
    services.user_logout(user=user, access=access, refresh=None)
    services.user_logout(user=user, access=access, refresh=None)
    outstanding = OutstandingToken.objects.get(jti=access[services.SESSION_CLAIM])
    assert BlacklistedToken.objects.filter(token=outstanding).count() == 1
