from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from savdo.accounts.models import User


class RegisterSerializer(serializers.Serializer):
    username = serializers.RegexField(r"^[\w.@+-]+\Z", max_length=150)
    email = serializers.EmailField(max_length=254, required=False, allow_blank=True, default="")
    password = serializers.CharField(max_length=128, write_only=True, style={"input_type": "password"})
    password2 = serializers.CharField(max_length=128, write_only=True, style={"input_type": "password"})
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
    store_name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")

    def validate(self, attrs):
        if attrs["password"] != attrs["password2"]:
            raise serializers.ValidationError({"password2": [_("Passwords do not match.")]})
        return attrs


class RetailLoginSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, write_only=True, style={"input_type": "password"})


class RetailRefreshSerializer(serializers.Serializer):
    refresh = serializers.CharField(max_length=4096)


class RetailTokenPairSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class TenantMembershipSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="tenant.id")
    name = serializers.CharField(source="tenant.name")
    key = serializers.CharField(source="tenant.key")
    role = serializers.CharField()
    time_zone = serializers.CharField(source="tenant.time_zone")
    currency = serializers.CharField(source="tenant.currency")


class UserSerializer(serializers.ModelSerializer):
    full_name = serializers.CharField(source="name", read_only=True)
    email = serializers.EmailField(read_only=True, allow_blank=True)  # a user may have none: ""

    class Meta:
        model = User
        fields = ["id", "username", "email", "first_name", "last_name", "full_name", "phone", "date_joined"]
        read_only_fields = fields


class ProfileSerializer(UserSerializer):
    tenants = serializers.SerializerMethodField()

    class Meta(UserSerializer.Meta):
        fields = [*UserSerializer.Meta.fields, "tenants"]
        read_only_fields = fields

    def get_tenants(self, user) -> list[dict]:
        memberships = self.context["memberships"]
        return TenantMembershipSerializer(memberships, many=True).data


class AuthDataSerializer(serializers.Serializer):
    user = UserSerializer()
    tokens = RetailTokenPairSerializer()


class AuthEnvelopeSerializer(serializers.Serializer):
    status = serializers.CharField()
    message = serializers.CharField()
    data = AuthDataSerializer()


class RefreshDataSerializer(serializers.Serializer):
    tokens = RetailTokenPairSerializer()


class RefreshEnvelopeSerializer(serializers.Serializer):
    status = serializers.CharField()
    data = RefreshDataSerializer()


class ProfileEnvelopeSerializer(serializers.Serializer):
    status = serializers.CharField()
    data = ProfileSerializer()
