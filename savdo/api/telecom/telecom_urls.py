"""Document 004 subscriber, SIM, tariff, contract and payment routes."""

urlpatterns: list = []
