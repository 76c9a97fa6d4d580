"""Document 003's auth: email login, logout (refresh and access refused after), refresh rotation."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from savdo.accounts import services
from savdo.api.crm_v1.conventions import CrmErrorsMixin, ok
from savdo.tenancy.models import Membership
from savdo.tenancy.resolution import TENANT_HEADER


class LoginSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=128, write_only=True)


class RefreshSerializer(serializers.Serializer):
    refreshToken = serializers.CharField(max_length=4096)


class LogoutSerializer(serializers.Serializer):
    refreshToken = serializers.CharField(max_length=4096, required=False)


class CrmUserSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    name = serializers.CharField()
    role = serializers.CharField()


def crm_user(user, tenant_key: str | None) -> dict:
    memberships = Membership.objects.filter(user=user, is_active=True).select_related("tenant")
    membership = (
        memberships.filter(tenant__key=tenant_key).first() if tenant_key else memberships.order_by("created_at").first()
    )
    return {"id": user.pk, "email": user.email, "name": user.name, "role": membership.role if membership else "user"}


class CrmAuthView(CrmErrorsMixin, APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"


class LoginView(CrmAuthView):
    @extend_schema(
        request=LoginSerializer,
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
        payload = LoginSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        email = payload.validated_data["email"]
        username = services.user_by_email_for_login(email)
        if not username:
            raise AuthenticationFailed(_("Invalid email or password."))
        user = services.user_authenticate(
            request=request._request, username=username, password=payload.validated_data["password"]
        )
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
        request=RefreshSerializer,
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
        payload = RefreshSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        pair = services.refresh_rotate(refresh=payload.validated_data["refreshToken"])
        return ok({"token": pair["access"], "refreshToken": pair["refresh"]})


class LogoutView(CrmErrorsMixin, APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=LogoutSerializer,
        responses={
            200: inline_serializer(
                "CrmLogoutEnvelope", {"success": serializers.BooleanField(), "message": serializers.CharField()}
            )
        },
    )
    def post(self, request):
        payload = LogoutSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.user_logout(user=request.user, access=request.auth, refresh=payload.validated_data.get("refreshToken"))
        return ok(message="Successfully logged out")
