"""Document 004's token endpoints: `{access, refresh}` pairs, the same JWTs as every surface."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from savdo.accounts import services
from savdo.api.base import SignInViewMixin
from savdo.api.telecom.conventions import TelecomErrorsMixin


class TelecomLoginSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, write_only=True)


class TelecomRefreshSerializer(serializers.Serializer):
    refresh = serializers.CharField(max_length=4096)


class TelecomTokenPairSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class TelecomAuthView(TelecomErrorsMixin, SignInViewMixin, APIView):
    pass


class LoginView(TelecomAuthView):
    @extend_schema(request=TelecomLoginSerializer, responses={200: TelecomTokenPairSerializer})
    def post(self, request):
        payload = TelecomLoginSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        user = services.user_authenticate(request=request._request, **payload.validated_data)
        return Response(services.token_pair(user))


class RefreshView(TelecomAuthView):
    @extend_schema(request=TelecomRefreshSerializer, responses={200: TelecomTokenPairSerializer})
    def post(self, request):
        payload = TelecomRefreshSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        return Response(services.refresh_rotate(refresh=payload.validated_data["refresh"]))
