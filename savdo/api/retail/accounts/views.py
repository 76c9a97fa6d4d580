"""Document 001 §1: register, login, profile (and token refresh) on the retail surface."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers as drf_serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.views import APIView

from savdo.accounts import services
from savdo.api.base import SignInViewMixin
from savdo.api.retail.accounts import serializers
from savdo.api.retail.conventions import RetailErrorsMixin, success
from savdo.tenancy.models import Membership


class AnonymousAuthView(RetailErrorsMixin, SignInViewMixin, APIView):
    pass


class RegisterView(AnonymousAuthView):
    checks_credentials = False  # it takes new ones

    @extend_schema(request=serializers.RegisterSerializer, responses={201: serializers.AuthEnvelopeSerializer})
    def post(self, request):
        payload = serializers.RegisterSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        data.pop("password2")
        try:
            user, _tenant = services.user_register(**data)
        except DjangoValidationError as exc:
            raise drf_serializers.ValidationError(exc.message_dict) from exc
        body = {"user": serializers.UserSerializer(user).data, "tokens": services.token_pair(user)}
        return success(body, message=_("User registered successfully"), status=201)


class LoginView(AnonymousAuthView):
    @extend_schema(request=serializers.RetailLoginSerializer, responses={200: serializers.AuthEnvelopeSerializer})
    def post(self, request):
        payload = serializers.RetailLoginSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        user = services.user_authenticate(request=request._request, **payload.validated_data)
        body = {"user": serializers.UserSerializer(user).data, "tokens": services.token_pair(user)}
        return success(body, message=_("Logged in successfully"))


class RefreshView(AnonymousAuthView):
    @extend_schema(request=serializers.RetailRefreshSerializer, responses={200: serializers.RefreshEnvelopeSerializer})
    def post(self, request):
        payload = serializers.RetailRefreshSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        return success({"tokens": services.refresh_rotate(refresh=payload.validated_data["refresh"])})


class ProfileView(RetailErrorsMixin, APIView):
    """The signed-in user with every store they belong to (key for `X-Tenant-Key`, role).

    Not tenant-scoped: a user without any store still reads their profile.
    """

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: serializers.ProfileEnvelopeSerializer})
    def get(self, request):
        memberships = list(
            Membership.objects.select_related("tenant")
            .filter(user=request.user, is_active=True, tenant__is_active=True)
            .order_by("created_at", "id")
        )
        data = serializers.ProfileSerializer(request.user, context={"memberships": memberships}).data
        return success(data)
