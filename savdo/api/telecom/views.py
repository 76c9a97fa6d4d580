"""Document 004's token endpoints: `{access, refresh}` pairs, the same JWTs as every surface."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from savdo.accounts import services
from savdo.api.telecom.conventions import TelecomErrorsMixin


class LoginSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, write_only=True)


class RefreshSerializer(serializers.Serializer):
    refresh = serializers.CharField(max_length=4096)


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class TelecomAuthView(TelecomErrorsMixin, APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"


class LoginView(TelecomAuthView):
    @extend_schema(request=LoginSerializer, responses={200: TokenPairSerializer})
    def post(self, request):
        payload = LoginSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        user = services.user_authenticate(request=request._request, **payload.validated_data)
        return Response(services.token_pair(user))


class RefreshView(TelecomAuthView):
    @extend_schema(request=RefreshSerializer, responses={200: TokenPairSerializer})
    def post(self, request):
        payload = RefreshSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        return Response(services.refresh_rotate(refresh=payload.validated_data["refresh"]))
