"""Staff of the request's store (`/api/users/staff/`): list, add, invite, change role, deactivate,
reactivate.

Documents 000/001 register an owner with their store but never say how a cashier joins it; this
is that missing piece. Owner and admin only. A member is addressed by their **user id** (the same
id tasks take in `assigned_to`), so `/api/users/staff/{user_id}/`.

- list / retrieve / create / PATCH `{role}` answer DRF's plain shapes, like the other CRUD
  endpoints of the retail surface;
- `POST /api/users/staff/` with a `password` creates a new user and makes them a member (201, the
  member); without one it invites the existing user named by `username` (or `email`): 202 with the
  invitation, which shows only what the store typed, whether or not anybody has that name. The
  user joins when they accept it (`/api/users/invitations/`, savdo/api/retail/accounts/invitations.py);
- `/api/users/staff/invitations/`: the store's invitations (list, retrieve, create, `cancel/`,
  `DELETE` cancels too);
- the commands `deactivate/` and `reactivate/` answer `{"status", "message", "data"}` (001's
  command envelope); `DELETE` deactivates too and answers 204.
"""

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiTypes, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter, SearchFilter
from rest_framework.response import Response

from savdo.api.kernel import CreateModelMixin, UpdateModelMixin
from savdo.api.retail.conventions import RetailViewSet, success
from savdo.audit.services import logs_itself
from savdo.tenancy import selectors, services
from savdo.tenancy.models import Invitation, InvitationStatus, Membership, Role
from savdo.tenancy.roles import ADMINS


class StaffMemberSerializer(serializers.ModelSerializer):
    """One member: the user's profile with their role and state in this store."""

    id = serializers.IntegerField(source="user.id", read_only=True, help_text="User id (use it in `assigned_to`).")
    membership_id = serializers.IntegerField(source="pk", read_only=True)
    username = serializers.CharField(source="user.username", read_only=True)
    first_name = serializers.CharField(source="user.first_name", read_only=True)
    last_name = serializers.CharField(source="user.last_name", read_only=True)
    full_name = serializers.CharField(source="user.name", read_only=True)
    email = serializers.CharField(source="user.email", read_only=True)
    phone = serializers.CharField(source="user.phone", read_only=True)
    role_display = serializers.CharField(source="get_role_display", read_only=True)
    joined_at = serializers.DateTimeField(source="created_at", read_only=True)

    class Meta:
        model = Membership
        fields = [
            "id",
            "membership_id",
            "username",
            "first_name",
            "last_name",
            "full_name",
            "email",
            "phone",
            "role",
            "role_display",
            "is_active",
            "joined_at",
        ]
        read_only_fields = fields


class StaffCreateSerializer(serializers.Serializer):
    """A new user (give `password`) joining with `role`, or an invitation to an existing user named
    by `username` or `email` (no `password`)."""

    username = serializers.RegexField(r"^[\w.@+-]+\Z", max_length=150, required=False)
    role = serializers.ChoiceField(choices=Role.choices, default=Role.CASHIER)
    password = serializers.CharField(
        max_length=128,
        required=False,
        write_only=True,
        style={"input_type": "password"},
        help_text="Creates a new user; leave out to invite an existing user by username or email.",
    )
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")

    def validate(self, attrs):
        if not attrs.get("username") and ("password" in attrs or not attrs.get("email")):
            raise serializers.ValidationError({"username": [serializers.Field.default_error_messages["required"]]})
        return attrs


class StaffInvitationSerializer(serializers.ModelSerializer):
    """An invitation as the inviting store sees it: what it typed, the role, the state. Nothing
    about the user it names (not even whether there is one)."""

    role_display = serializers.CharField(source="get_role_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    invited_by = serializers.IntegerField(source="invited_by_id", read_only=True, allow_null=True)

    class Meta:
        model = Invitation
        fields = [
            "id",
            "login",
            "role",
            "role_display",
            "status",
            "status_display",
            "invited_by",
            "created_at",
            "responded_at",
        ]
        read_only_fields = fields


class StaffInvitationCreateSerializer(serializers.Serializer):
    login = serializers.CharField(max_length=254, help_text="The user's username or email.")
    role = serializers.ChoiceField(choices=Role.choices, default=Role.CASHIER)


class StaffInvitationEnvelopeSerializer(serializers.Serializer):
    status = serializers.CharField()
    message = serializers.CharField()
    data = StaffInvitationSerializer()


class StaffRoleSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices)

    def validate(self, attrs):
        # PATCH is this endpoint's only edit, and its one field is required even so.
        if "role" not in attrs:
            raise serializers.ValidationError({"role": [serializers.Field.default_error_messages["required"]]})
        return attrs


class StaffEnvelopeSerializer(serializers.Serializer):
    status = serializers.CharField()
    message = serializers.CharField()
    data = StaffMemberSerializer()


class StaffFilter(django_filters.FilterSet):
    role = django_filters.ChoiceFilter(choices=Role.choices)
    is_active = django_filters.BooleanFilter()

    class Meta:
        model = Membership
        fields = ["role", "is_active"]


USER_ID = OpenApiParameter("user_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The member's user id.")


@logs_itself
def staff_add(
    *,
    actor: Membership,
    role: str,
    username: str = "",
    password: str | None = None,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    phone: str = "",
) -> Membership | Invitation:
    """`POST /api/users/staff/`: a new user with `password` (the member), else an invitation to the
    user named by `username`, or by `email` without one (the invitation; its errors under that name)."""
    if password is not None:
        return services.membership_create(
            actor=actor,
            username=username,
            password=password,
            role=role,
            first_name=first_name,
            last_name=last_name,
            email=email,
            phone=phone,
        )
    field = "username" if username else "email"
    try:
        return services.invitation_create(actor=actor, login=username or email, role=role)
    except DjangoValidationError as exc:  # the service names the login `login`; here it is `field`
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        raise serializers.ValidationError(
            {field if key == "login" else key: value for key, value in errors.items()}
        ) from exc


@extend_schema_view(
    list=extend_schema(summary="Staff of the store", parameters=[]),
    retrieve=extend_schema(summary="One staff member", parameters=[USER_ID]),
    create=extend_schema(
        summary="Add a staff member (a new user), or invite an existing user by username or email",
        request=StaffCreateSerializer,
        responses={201: StaffMemberSerializer, 202: StaffInvitationSerializer},
    ),
    partial_update=extend_schema(
        summary="Change a member's role",
        parameters=[USER_ID],
        request=StaffRoleSerializer,
        responses=StaffMemberSerializer,
    ),
    destroy=extend_schema(summary="Deactivate a member (same as deactivate/)", parameters=[USER_ID]),
)
# The read mixins first: they write nothing, and the schema then takes no description from a base
# class's docstring (the view has none of its own); the kernel's writes still come before DRF's.
class StaffViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    RetailViewSet,
    CreateModelMixin,
    UpdateModelMixin,
    mixins.DestroyModelMixin,
):
    model = Membership
    selector = selectors.membership_list_of_tenant
    create_service = staff_add
    update_service = services.membership_change_role
    destroy_service = services.membership_deactivate
    actor_is_membership = True
    serializer_class = StaffMemberSerializer
    default_roles = ADMINS
    lookup_field = "user_id"
    lookup_value_regex = r"\d+"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend, SearchFilter, OrderingFilter]
    filterset_class = StaffFilter
    search_fields = ["user__username", "user__first_name", "user__last_name", "user__phone", "user__email"]
    ordering_fields = ["created_at", "role", "user__username", "user__first_name", "user__last_name"]
    ordering = ["created_at", "id"]

    def get_serializer_class(self):
        return {"create": StaffCreateSerializer, "partial_update": StaffRoleSerializer}.get(
            self.action, StaffMemberSerializer
        )

    def written_response(self, serializer, *, created: bool) -> Response:
        """An invitation is accepted, not yet a member: 202 with it; a new member 201, an edit 200."""
        if isinstance(serializer.instance, Invitation):
            return Response(StaffInvitationSerializer(serializer.instance).data, status=status.HTTP_202_ACCEPTED)
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(StaffMemberSerializer(serializer.instance).data, status=code)

    @extend_schema(summary="Deactivate a member", request=None, responses={200: StaffEnvelopeSerializer})
    @action(detail=True, methods=["post"])
    def deactivate(self, request, *args, **kwargs):
        membership = services.membership_deactivate(membership=self.get_object(), actor=request.membership)
        return success(StaffMemberSerializer(membership).data, message=_("Staff member deactivated."))

    @extend_schema(summary="Reactivate a member", request=None, responses={200: StaffEnvelopeSerializer})
    @action(detail=True, methods=["post"])
    def reactivate(self, request, *args, **kwargs):
        membership = services.membership_reactivate(membership=self.get_object(), actor=request.membership)
        return success(StaffMemberSerializer(membership).data, message=_("Staff member reactivated."))


class StaffInvitationFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=InvitationStatus.choices)
    role = django_filters.ChoiceFilter(choices=Role.choices)

    class Meta:
        model = Invitation
        fields = ["status", "role"]


INVITATION_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The invitation's id.")


@extend_schema_view(
    list=extend_schema(summary="The store's invitations"),
    retrieve=extend_schema(summary="One invitation of the store", parameters=[INVITATION_ID]),
    create=extend_schema(
        summary="Invite an existing user by username or email",
        request=StaffInvitationCreateSerializer,
        responses={202: StaffInvitationSerializer},
    ),
    destroy=extend_schema(summary="Cancel an invitation (same as cancel/)", parameters=[INVITATION_ID]),
)
class StaffInvitationViewSet(
    RetailViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin, CreateModelMixin, mixins.DestroyModelMixin
):
    """The store's invitations (`/api/users/staff/invitations/`). Owner and admin only."""

    model = Invitation
    selector = selectors.invitation_list_of_tenant
    create_service = services.invitation_create
    destroy_service = services.invitation_cancel
    actor_is_membership = True
    serializer_class = StaffInvitationSerializer
    default_roles = ADMINS
    lookup_value_regex = r"\d+"
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend, SearchFilter, OrderingFilter]
    filterset_class = StaffInvitationFilter
    search_fields = ["login"]
    ordering_fields = ["created_at", "login", "status"]
    ordering = ["-created_at", "-id"]

    def get_serializer_class(self):
        return StaffInvitationCreateSerializer if self.action == "create" else StaffInvitationSerializer

    def written_response(self, serializer, *, created: bool) -> Response:
        """The invitation waits for its user to accept it: 202."""
        return Response(StaffInvitationSerializer(serializer.instance).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        summary="Cancel an invitation",
        parameters=[INVITATION_ID],
        request=None,
        responses={200: StaffInvitationEnvelopeSerializer},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, *args, **kwargs):
        invitation = services.invitation_cancel(actor=request.membership, invitation=self.get_object())
        return success(StaffInvitationSerializer(invitation).data, message=_("Invitation cancelled."))
