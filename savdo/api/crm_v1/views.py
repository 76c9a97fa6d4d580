"""Document 003's auth: email login, logout (refresh and access refused after), refresh rotation."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import IsAuthenticated
from rest_framework.views import APIView

from savdo.accounts import services
from savdo.api.base import SignInViewMixin
from savdo.api.crm_v1.conventions import CrmErrorsMixin, ok
from savdo.tenancy.models import Membership
from savdo.tenancy.resolution import TENANT_HEADER

# 003 shows this sentence in English and front ends compare it: it is not translated.
LOGGED_OUT = "Successfully logged out"


class CrmLoginSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=128, write_only=True)


class CrmRefreshSerializer(serializers.Serializer):
    refreshToken = serializers.CharField(max_length=4096)


class CrmLogoutSerializer(serializers.Serializer):
    refreshToken = serializers.CharField(max_length=4096, required=False)


class CrmUserSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    name = serializers.CharField()
    role = serializers.CharField()


def crm_user(user, tenant_key: str | None) -> dict:
    """003's user: `role` is the role in the tenant the request names (else the oldest store), or
    003's default "user" for someone without a store."""
    memberships = (
        Membership.objects.filter(user=user, is_active=True, tenant__is_active=True)
        .select_related("tenant")
        .order_by("created_at", "id")
    )
    if tenant_key:
        memberships = memberships.filter(tenant__key=tenant_key.strip())
    membership = memberships.first()
    return {"id": user.pk, "email": user.email, "name": user.name, "role": membership.role if membership else "user"}


class CrmAuthView(CrmErrorsMixin, SignInViewMixin, APIView):
    pass


class LoginView(CrmAuthView):
    @extend_schema(
        request=CrmLoginSerializer,
        responses={
            200: inline_serializer(
                "CrmLoginEnvelope",
                {
                    "success": serializers.BooleanField(),
                    "data": inline_serializer(
                        "CrmLoginData",
                        {
                            "user": CrmUserSerializer(),
                            "token": serializers.CharField(),
                            "refreshToken": serializers.CharField(),
                        },
                    ),
                },
            )
        },
    )
    def post(self, request):
        payload = CrmLoginSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        email = payload.validated_data["email"]
        password = payload.validated_data["password"]
        # The same answer for an unknown email and a wrong password: nobody learns who has an account.
        invalid = _("Invalid email or password.")
        username = services.user_by_email_for_login(email)
        if not username:
            services.password_check_dummy(password)
            raise AuthenticationFailed(invalid)
        try:
            user = services.user_authenticate(request=request._request, username=username, password=password)
        except AuthenticationFailed as exc:
            raise AuthenticationFailed(invalid) from exc
        pair = services.token_pair(user)
        return ok(
            {
                "user": crm_user(user, request.META.get(TENANT_HEADER)),
                "token": pair["access"],
                "refreshToken": pair["refresh"],
            }
        )


class RefreshView(CrmAuthView):
    @extend_schema(
        request=CrmRefreshSerializer,
        responses={
            200: inline_serializer(
                "CrmRefreshEnvelope",
                {
                    "success": serializers.BooleanField(),
                    "data": inline_serializer(
                        "CrmRefreshData", {"token": serializers.CharField(), "refreshToken": serializers.CharField()}
                    ),
                },
            )
        },
    )
    def post(self, request):
        payload = CrmRefreshSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        pair = services.refresh_rotate(refresh=payload.validated_data["refreshToken"])
        return ok({"token": pair["access"], "refreshToken": pair["refresh"]})


class LogoutView(CrmErrorsMixin, APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=CrmLogoutSerializer,
        responses={
            200: inline_serializer(
                "CrmLogoutEnvelope", {"success": serializers.BooleanField(), "message": serializers.CharField()}
            )
        },
    )
    def post(self, request):
        payload = CrmLogoutSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.user_logout(user=request.user, access=request.auth, refresh=payload.validated_data.get("refreshToken"))
        return ok(message=LOGGED_OUT)
