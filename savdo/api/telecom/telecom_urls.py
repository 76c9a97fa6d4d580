"""Document 004 subscriber, SIM, tariff, contract and payment routes.

`/api/customers/` shares its prefix with document 000's `/api/customers/customers/` and
`/api/customers/groups/`: the retail routes are included first, and these routes take numeric ids
only, so `customers/` and `groups/` never read as an id here.
"""

from savdo.api.telecom import views
from savdo.api.telecom.conventions import telecom_router

router = telecom_router()
router.register(r"api/customers", views.SubscriberViewSet, basename="telecom-customer")
router.register(r"api/sims", views.SimViewSet, basename="telecom-sim")
router.register(r"api/tariffs", views.TariffViewSet, basename="telecom-tariff")
router.register(r"api/contracts", views.ContractViewSet, basename="telecom-contract")
router.register(r"api/payments", views.PaymentViewSet, basename="telecom-payment")

urlpatterns = router.urls
