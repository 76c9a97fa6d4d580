"""Document 002 chats routes and the messenger webhooks."""

from django.urls import re_path

from savdo.api.clients import webhooks
from savdo.api.clients.chats import ChannelViewSet, ChatViewSet
from savdo.api.clients.conventions import clients_router

router = clients_router()
# Channels first: `/api/chats/channels` is not a chat (chat ids are digits only anyway).
router.register("api/chats/channels", ChannelViewSet, basename="chat-channels")
router.register("api/chats", ChatViewSet, basename="chats")

urlpatterns: list = [
    *router.urls,
    re_path(
        r"^api/webhooks/(?P<provider>telegram|whatsapp_cloud|evolution)/(?P<key>[A-Za-z0-9_-]{16,64})/?$",
        webhooks.receive,
        name="messaging-webhook",
    ),
]
