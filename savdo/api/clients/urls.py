"""Document 002's routes: clients and tags (`client_urls`), chats and messenger webhooks (`chat_urls`)."""

from savdo.api.clients import chat_urls, client_urls

urlpatterns = [*client_urls.urlpatterns, *chat_urls.urlpatterns]
