"""A user's invitations to join stores (`/api/users/invitations/`): list, read, accept, decline.

Not scoped to a store: a user without any store (or one choosing whether to join another) reads and
answers the invitations addressed to them, and nobody else's (another user's invitation is 404).
Accepting makes them a member with the invitation's role and answers the store as the profile lists
it (`key` for `X-Tenant-Key`); the commands answer 001's `{"status", "message", "data"}` envelope.
"""

import django_filters
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiTypes, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated

from savdo.api.retail.accounts.serializers import TenantMembershipSerializer
from savdo.api.retail.conventions import RetailErrorsMixin, RetailPagination, success
from savdo.tenancy import selectors, services
from savdo.tenancy.models import Invitation, InvitationStatus


class InvitationStoreSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class MyInvitationSerializer(serializers.ModelSerializer):
    """An invitation as the invited user sees it: the store, the role offered, who invited them."""

    store = InvitationStoreSerializer(source="tenant", read_only=True)
    role_display = serializers.CharField(source="get_role_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    invited_by_name = serializers.SerializerMethodField()

    class Meta:
        model = Invitation
        fields = ["id", "store", "role", "role_display", "status", "status_display", "invited_by_name", "created_at"]
        read_only_fields = fields

    def get_invited_by_name(self, invitation) -> str | None:
        return invitation.invited_by.name if invitation.invited_by_id else None


class InvitationAcceptedSerializer(serializers.Serializer):
    status = serializers.CharField()
    message = serializers.CharField()
    data = TenantMembershipSerializer()


class InvitationDeclinedSerializer(serializers.Serializer):
    status = serializers.CharField()
    message = serializers.CharField()
    data = MyInvitationSerializer()


class MyInvitationFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=InvitationStatus.choices)

    class Meta:
        model = Invitation
        fields = ["status"]


INVITATION_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The invitation's id.")


@extend_schema_view(
    list=extend_schema(summary="My invitations to join stores (newest first; `?status=pending`)"),
    retrieve=extend_schema(summary="One of my invitations", parameters=[INVITATION_ID]),
)
class MyInvitationViewSet(RetailErrorsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = Invitation.objects.none()  # the model for the schema; rows come from get_queryset()
    serializer_class = MyInvitationSerializer
    permission_classes = [IsAuthenticated]
    pagination_class = RetailPagination
    lookup_value_regex = r"\d+"
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend]
    filterset_class = MyInvitationFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return selectors.invitation_list_of_user(user=self.request.user)

    @extend_schema(
        summary="Accept an invitation: join the store with the role offered",
        parameters=[INVITATION_ID],
        request=None,
        responses={200: InvitationAcceptedSerializer},
    )
    @action(detail=True, methods=["post"])
    def accept(self, request, *args, **kwargs):
        membership = services.invitation_accept(user=request.user, invitation=self.get_object())
        return success(TenantMembershipSerializer(membership).data, message=_("Invitation accepted."))

    @extend_schema(
        summary="Decline an invitation",
        parameters=[INVITATION_ID],
        request=None,
        responses={200: InvitationDeclinedSerializer},
    )
    @action(detail=True, methods=["post"])
    def decline(self, request, *args, **kwargs):
        invitation = services.invitation_decline(user=request.user, invitation=self.get_object())
        return success(MyInvitationSerializer(invitation).data, message=_("Invitation declined."))
