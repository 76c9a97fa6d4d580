"""Document 002's chats: `/api/chats` (list, one chat, its messages, reply, read, assign, close,
reopen, link and unlink clients) and `/api/chats/channels` (connect, list, update, disconnect a
messenger), on the kernel with the clients surface's conventions.

Roles (docs/chats.md): owners, admins, managers and agents work with chats; assigning a chat to
someone takes a manager or above; channels (they hold the store's messenger credentials) are for
owners and admins only. Cashiers do not see chats.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view, inline_serializer
from rest_framework import exceptions, mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from savdo.api.clients import chat_serializers as shapes
from savdo.api.clients.conventions import ClientsModelViewSet, ClientsPagination, ClientsViewSet
from savdo.api.errors import Conflict
from savdo.api.fields import MAX_ID
from savdo.api.readcache import ReadCacheMixin
from savdo.messaging import selectors, services
from savdo.messaging.choices import ChannelKind, ChannelStatus, ChatStatus
from savdo.messaging.models import Channel, Chat, ChatClient, Message
from savdo.messaging.sealed import Unsealable
from savdo.tenancy.roles import ADMINS, MANAGERS, SUPPORT_STAFF

FLAGS = {"true": True, "1": True, "false": False, "0": False}


class ChatsPagination(ClientsPagination):
    rows_key = "chats"


class ChannelsPagination(ClientsPagination):
    rows_key = "channels"


class MessagesPagination(ClientsPagination):
    """A chat's messages, newest last: page 1 holds the newest `limit` messages, page 2 the ones
    before them, and so on; each page reads oldest first (a chat screen shows page 1 and loads
    older pages as the manager scrolls up)."""

    rows_key = "messages"
    default_limit = 50

    def paginate_queryset(self, queryset, request, view=None):
        rows = super().paginate_queryset(queryset, request, view)
        rows.reverse()
        return rows


class ChatErrorsMixin:
    """Domain errors in this surface's words (camelCase field names, 409 for a refused state)."""

    not_found_message = gettext_lazy("Not found.")
    refusal_statuses = ("409",)  # the OpenAPI schema documents it on every write

    def handle_exception(self, exc):
        if isinstance(exc, DjangoValidationError):
            if hasattr(exc, "error_dict"):
                exc = exceptions.ValidationError(
                    {shapes.FIELD_NAMES.get(name, name): messages for name, messages in exc.message_dict.items()}
                )
            else:
                exc = exceptions.ValidationError({"non_field_errors": exc.messages})
        elif isinstance(exc, services.ChatStateRefused):
            exc = Conflict(str(exc))
        elif isinstance(exc, Unsealable):
            exc = Conflict(_("The channel's credentials cannot be read; connect it again."))
        return super().handle_exception(exc)

    def get_object(self):
        try:
            return super().get_object()
        except Http404 as exc:
            raise exceptions.NotFound(self.not_found_message) from exc


def _choice(params, name: str, allowed) -> str | None:
    value = params.get(name)
    if value in (None, ""):
        return None
    if value not in allowed:
        raise exceptions.ValidationError({name: [_("Must be one of: %(values)s.") % {"values": ", ".join(allowed)}]})
    return value


def _id(params, name: str, *, none_word: bool = False) -> int | str | None:
    value = params.get(name)
    if value in (None, ""):
        return None
    if none_word and value == "none":
        return "none"
    number = int(value) if value.isdigit() else 0
    if not 1 <= number <= MAX_ID:
        raise exceptions.ValidationError({name: [_("Must be an id (a whole number from 1).")]})
    return number


CHAT_LIST_PARAMETERS = [
    OpenApiParameter("page", int, description="Page number (1 by default)"),
    OpenApiParameter("limit", int, description="Rows per page (20 by default)"),
    OpenApiParameter("channel", str, enum=list(ChannelKind.values), description="Messenger"),
    OpenApiParameter("channelId", int, description="One connected channel"),
    OpenApiParameter("status", str, enum=list(ChatStatus.values)),
    OpenApiParameter("unread", str, enum=["true", "false"], description="Only chats with (or without) unread"),
    OpenApiParameter("assignedUserId", str, description="Responsible manager's user id, or `none`"),
    OpenApiParameter("clientId", int, description="Chats showing this client"),
    OpenApiParameter("search", str, description="Chat name, username, phone, or a client's name/phone/e-mail"),
]


@extend_schema_view(list=extend_schema(parameters=CHAT_LIST_PARAMETERS))
class ChatViewSet(ChatErrorsMixin, ReadCacheMixin, ClientsViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    # The list, a chat and its messages from the versioned answer cache: every messaging write
    # (a webhook's message, a reply, a delivery status, a command) renews `messaging`, every write
    # to the clients they show renews `customers` (savdo/api/readcache.py).
    read_cache = dict.fromkeys(["list", "retrieve", "messages"], ("messaging", "customers"))

    model = Chat
    selector = selectors.chat_list
    serializer_class = shapes.ChatSerializer
    pagination_class = ChatsPagination
    filter_backends: list = []
    default_roles = SUPPORT_STAFF
    action_roles = {"assign": MANAGERS}
    not_found_message = gettext_lazy("Chat not found.")

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action not in ("list", "retrieve"):
            # Commands and the messages list read the chat only: no clients, no last message.
            queryset = queryset.select_related(None).prefetch_related(None).select_related("channel", "identity")
        return queryset

    def filter_queryset(self, queryset):
        if self.action != "list":
            return queryset
        params = self.request.query_params
        kind = _choice(params, "channel", ChannelKind.values)
        if kind:
            queryset = queryset.filter(kind=kind)
        channel_id = _id(params, "channelId")
        if channel_id:
            queryset = queryset.filter(channel_id=channel_id)
        chat_status = _choice(params, "status", ChatStatus.values)
        if chat_status:
            queryset = queryset.filter(status=chat_status)
        unread = _choice(params, "unread", list(FLAGS))
        if unread is not None:
            queryset = queryset.filter(unread_count__gt=0) if FLAGS[unread] else queryset.filter(unread_count=0)
        assigned = _id(params, "assignedUserId", none_word=True)
        if assigned == "none":
            queryset = queryset.filter(assigned_to__isnull=True)
        elif assigned:
            queryset = queryset.filter(assigned_to_id=assigned)
        client_id = _id(params, "clientId")
        if client_id:
            queryset = queryset.filter(client_links__customer_id=client_id)
        search = (params.get("search") or "").strip()
        if search:
            queryset = selectors.chat_search(queryset, search[:100], tenant=self.request.tenant)
        return queryset

    def _answer(self, chat: Chat, code: int = status.HTTP_200_OK) -> Response:
        fresh = selectors.chat_list(tenant=self.request.tenant).get(pk=chat.pk)
        return Response(shapes.ChatSerializer(fresh, context=self.get_serializer_context()).data, status=code)

    @extend_schema(
        methods=["GET"],
        parameters=[OpenApiParameter("page", int), OpenApiParameter("limit", int, description="50 by default")],
        responses=inline_serializer(
            "ChatMessagesPage",
            {"messages": shapes.ChatMessageSerializer(many=True), "pagination": shapes.PaginationSerializer()},
        ),
    )
    @extend_schema(methods=["POST"], request=shapes.ReplySerializer, responses={201: shapes.ChatMessageSerializer})
    @action(detail=True, methods=["get", "post"])
    def messages(self, request, pk=None):
        """GET: the chat's messages, newest last (see MessagesPagination). POST {text}: reply; the
        message is stored `queued` and sent after the commit, its `status` follows the delivery."""
        chat = self.get_object()
        if request.method == "GET":
            paginator = MessagesPagination()
            rows = paginator.paginate_queryset(selectors.chat_messages(chat=chat), request, view=self)
            return paginator.get_paginated_response(shapes.ChatMessageSerializer(rows, many=True).data)
        body = shapes.ReplySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        with self.recorded(chat, "reply"):
            message = services.message_send(chat=chat, text=body.validated_data["text"], actor=request.user)
        message = Message.objects.select_related("sender").get(pk=message.pk)
        return Response(shapes.ChatMessageSerializer(message).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=shapes.ChatSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        """Mark the chat read (unreadCount 0)."""
        chat = self.get_object()
        with self.recorded(chat, "read"):
            services.chat_mark_read(chat=chat)
        return self._answer(chat)

    @extend_schema(request=shapes.AssignSerializer, responses=shapes.ChatSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        """Make a member (owner, admin, manager or agent) responsible for the chat; `userId: null`:
        nobody."""
        chat = self.get_object()
        body = shapes.AssignSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        with self.recorded(chat, "assign"):
            services.chat_assign(chat=chat, assigned_to=body.validated_data["assigned_to"])
        return self._answer(chat)

    @extend_schema(request=None, responses=shapes.ChatSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        """Close an open chat (409 if it is closed); a new message from the customer reopens it."""
        chat = self.get_object()
        with self.recorded(chat, "close"):
            services.chat_close(chat=chat)
        return self._answer(chat)

    @extend_schema(request=None, responses=shapes.ChatSerializer)
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        """Reopen a closed chat (409 if it is open)."""
        chat = self.get_object()
        with self.recorded(chat, "reopen"):
            services.chat_reopen(chat=chat)
        return self._answer(chat)

    @extend_schema(request=shapes.LinkClientSerializer, responses=shapes.ChatSerializer)
    @action(detail=True, methods=["post"], url_path="clients")
    def link_client(self, request, pk=None):
        """Show a client of the store on the chat (`organizationClients`)."""
        chat = self.get_object()
        body = shapes.LinkClientSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        with self.recorded(chat, "link_client"):
            services.chat_link_client(chat=chat, customer=body.validated_data["customer"])
        return self._answer(chat)

    @extend_schema(request=None, responses={200: shapes.ChatSerializer})
    @action(detail=True, methods=["delete"], url_path=r"clients/(?P<client_id>[0-9]{1,18})")
    def unlink_client(self, request, pk=None, client_id=None):
        """Take a client off the chat (404 if the client is not on it)."""
        chat = self.get_object()
        try:
            with self.recorded(chat, "unlink_client"):
                services.chat_unlink_client(chat=chat, customer_id=int(client_id))
        except ChatClient.DoesNotExist as exc:
            raise exceptions.NotFound(_("This client is not on the chat.")) from exc
        return self._answer(chat)


@extend_schema_view(
    create=extend_schema(request=shapes.ChannelCreateSerializer, responses={201: shapes.ChannelSerializer}),
    update=extend_schema(request=shapes.ChannelUpdateSerializer, responses=shapes.ChannelSerializer),
    partial_update=extend_schema(request=shapes.ChannelUpdateSerializer, responses=shapes.ChannelSerializer),
    list=extend_schema(parameters=[OpenApiParameter("status", str, enum=list(ChannelStatus.values))]),
    destroy=extend_schema(responses={200: shapes.ChannelSerializer}),
)
class ChannelViewSet(ChatErrorsMixin, ClientsModelViewSet):
    model = Channel
    selector = selectors.channel_list
    serializer_class = shapes.ChannelSerializer
    pagination_class = ChannelsPagination
    filter_backends: list = []
    create_service = services.channel_connect
    update_service = services.channel_update
    destroy_service = services.channel_disconnect
    default_roles = ADMINS
    not_found_message = gettext_lazy("Channel not found.")

    def get_serializer_class(self):
        if self.action == "create":
            return shapes.ChannelCreateSerializer
        if self.action in ("update", "partial_update"):
            return shapes.ChannelUpdateSerializer
        return shapes.ChannelSerializer

    def filter_queryset(self, queryset):
        if self.action == "list":
            channel_status = _choice(self.request.query_params, "status", ChannelStatus.values)
            if channel_status:
                queryset = queryset.filter(status=channel_status)
        return queryset

    def update(self, request, *args, **kwargs):
        kwargs["partial"] = True  # like 002's PUT: only the fields sent change
        return super().update(request, *args, **kwargs)

    def destroy(self, request, *args, **kwargs):
        """Disconnect (the channel and its chats stay, shown as `disconnected`)."""
        channel = self.get_object()
        with self.recorded(channel, "disconnect"):
            services.channel_disconnect(channel=channel)
        channel.refresh_from_db()
        return Response(shapes.ChannelSerializer(channel, context=self.get_serializer_context()).data)

    @extend_schema(request=None, responses=shapes.ChannelSerializer)
    @action(detail=True, methods=["post"])
    def webhook(self, request, pk=None):
        """Register the webhook with the provider now (again); the outcome is on the channel
        (`webhookStatus`, `webhookError`)."""
        channel = self.get_object()
        if channel.status != ChannelStatus.ACTIVE:
            raise Conflict(str(services.MSG_CHANNEL_DISCONNECTED))
        # The provider is called outside any transaction; the service logs the outcome.
        channel = services.channel_register_webhook(channel=channel)
        return Response(shapes.ChannelSerializer(channel, context=self.get_serializer_context()).data)
