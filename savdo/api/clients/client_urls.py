"""Document 002 clients and tags routes."""

urlpatterns: list = []
