"""Document 004 support ticket routes: `/api/tickets/` with its actions and lists, and the store's
service levels at `/api/tickets/service-levels/` (numeric ticket ids never collide with it)."""

from savdo.api.telecom.conventions import telecom_router
from savdo.api.telecom.tickets import TicketServiceLevelViewSet, TicketViewSet

router = telecom_router()
router.register(r"api/tickets/service-levels", TicketServiceLevelViewSet, basename="telecom-ticket-service-level")
router.register(r"api/tickets", TicketViewSet, basename="telecom-ticket")

urlpatterns: list = router.urls
