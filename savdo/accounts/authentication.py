"""JWT authentication shared by every surface, with signed-out access tokens refused."""

from django.db.models import Exists
from django.utils.translation import gettext as _
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.settings import api_settings

from savdo.accounts.models import RevokedAccessToken, User


class SavdoJWTAuthentication(JWTAuthentication):
    """simplejwt's authentication, reading the user and the token's revocation in one query."""

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'

    def get_user(self, validated_token):
        try:
            user_id = validated_token[api_settings.USER_ID_CLAIM]
        except KeyError as exc:
            raise InvalidToken(_("Token contained no recognizable user identification")) from exc
        jti = validated_token.get(api_settings.JTI_CLAIM, "")
        user = (
            User.objects.filter(**{api_settings.USER_ID_FIELD: user_id})
            .annotate(token_revoked=Exists(RevokedAccessToken.objects.filter(jti=jti)))
            .first()
        )
        if user is None:
            raise AuthenticationFailed(_("User not found"), code="user_not_found")
        if not user.is_active:
            raise AuthenticationFailed(_("User is inactive"), code="user_inactive")
        if user.token_revoked:
            raise InvalidToken(_("Token has been revoked"))
        return user
