"""Document 004 support ticket routes."""

urlpatterns: list = []
