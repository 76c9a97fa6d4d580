"""Document 002 chats routes and the messenger webhooks."""

urlpatterns: list = []
