"""Document 004's views: the token endpoints (`{access, refresh}` pairs, the same JWTs as every
surface) and the operator's resources: subscribers, SIM cards, tariffs, contracts, payments.

Thin views on the kernel: each resource names its selector, serializer and services; commands are
actions that validate an input, call one service and answer the object as `retrieve` shows it.
"""

from decimal import Decimal

from django_filters import rest_framework as filters
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers as drf_serializers
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter
from rest_framework.response import Response
from rest_framework.views import APIView

from savdo.accounts import services as account_services
from savdo.api.base import SignInViewMixin
from savdo.api.filters import FlagFilter, related_id_filter
from savdo.api.telecom import serializers
from savdo.api.telecom.conventions import TelecomErrorsMixin, TelecomModelViewSet
from savdo.api.telecom.ticket_serializers import TicketSerializer
from savdo.customers.models import Customer, CustomerStatus
from savdo.sales.idempotency import StoredResponse, request_fingerprint, run_idempotent
from savdo.telecom import selectors, services, subscribers
from savdo.telecom.choices import (
    ContractStatus,
    DocumentType,
    PaymentMethod,
    PaymentStatus,
    SimStatus,
    TariffType,
    TransactionType,
)
from savdo.telecom.models import Contract, Payment, SimCard, Tariff
from savdo.tenancy.roles import ALL_ROLES, MANAGERS, SUPPORT_STAFF


class TelecomLoginSerializer(drf_serializers.Serializer):
    username = drf_serializers.CharField(max_length=150)
    password = drf_serializers.CharField(max_length=128, write_only=True)


class TelecomRefreshSerializer(drf_serializers.Serializer):
    refresh = drf_serializers.CharField(max_length=4096)


class TelecomTokenPairSerializer(drf_serializers.Serializer):
    access = drf_serializers.CharField()
    refresh = drf_serializers.CharField()


class TelecomAuthView(TelecomErrorsMixin, SignInViewMixin, APIView):
    pass


class LoginView(TelecomAuthView):
    @extend_schema(request=TelecomLoginSerializer, responses={200: TelecomTokenPairSerializer})
    def post(self, request):
        payload = TelecomLoginSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        user = account_services.user_authenticate(request=request._request, **payload.validated_data)
        return Response(account_services.token_pair(user))


class RefreshView(TelecomAuthView):
    @extend_schema(request=TelecomRefreshSerializer, responses={200: TelecomTokenPairSerializer})
    def post(self, request):
        payload = TelecomRefreshSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        return Response(account_services.refresh_rotate(refresh=payload.validated_data["refresh"]))


# --- document 004's resources ------------------------------------------------------------------
#
# Roles (docs/telecom.md): everyone in the store reads everything; owners, admins and managers
# run the operator (tariffs, SIM stock, contracts and their statuses, balances, processing
# payments); a support agent also registers and edits subscribers; agents and cashiers record
# pending payments.

READ_ACTIONS = (
    "list",
    "retrieve",
    "statistics",
    "contracts",
    "tickets",
    "payments",
    "ledger",
    "free",
    "active",
    "pending",
)
READERS = ALL_ROLES
SUBSCRIBER_EDITORS = SUPPORT_STAFF
PAYMENT_RECORDERS = ALL_ROLES


def _roles(read=READERS, **writes) -> dict:
    roles = dict.fromkeys(READ_ACTIONS, read)
    roles.update(writes)
    return roles


# The statistics' shapes (money as text with two decimals, like every amount of the surface).
COUNTS = {"type": "object", "additionalProperties": {"type": "integer"}}
MONEY_TEXT = {"type": "string", "pattern": r"^-?\d+\.\d{2}$", "example": "1500.00"}
SUMS = {
    "type": "object",
    "additionalProperties": {
        "type": "object",
        "required": ["count", "amount"],
        "properties": {"count": {"type": "integer"}, "amount": MONEY_TEXT},
    },
}


def _statistics_schema(**properties) -> dict:
    return {"type": "object", "required": list(properties), "properties": properties}


INTEGER = {"type": "integer"}
SUBSCRIBER_STATISTICS = _statistics_schema(
    total=INTEGER, by_status=COUNTS, by_document_type=COUNTS, with_contracts=INTEGER, with_active_contracts=INTEGER
)
SIM_STATISTICS = _statistics_schema(total=INTEGER, by_status=COUNTS)
TARIFF_STATISTICS = _statistics_schema(
    total=INTEGER,
    active=INTEGER,
    inactive=INTEGER,
    by_type=COUNTS,
    popular={
        "type": "array",
        "items": _statistics_schema(
            id=INTEGER, name={"type": "string"}, contracts_count=INTEGER, active_contracts_count=INTEGER
        ),
    },
)
CONTRACT_STATISTICS = _statistics_schema(
    total=INTEGER, by_status=COUNTS, total_balance=MONEY_TEXT, in_debt=INTEGER, total_debt=MONEY_TEXT
)
PAYMENT_STATISTICS = _statistics_schema(
    total=INTEGER, total_amount=MONEY_TEXT, by_status=SUMS, by_method=SUMS, successful=SUMS
)


def _money_text(data):
    """Statistics with money as strings with two decimals, like every money field of the surface."""
    if isinstance(data, dict):
        return {key: _money_text(value) for key, value in data.items()}
    if isinstance(data, list):
        return [_money_text(value) for value in data]
    if isinstance(data, Decimal):
        return f"{data:.2f}"
    return data


class SearchFilterSet(filters.FilterSet):
    """`?search=` through the resource's search selector (`search_selector`)."""

    search = filters.CharFilter(method="filter_search", label="Search")
    search_selector = None

    def filter_search(self, queryset, name, value):
        return type(self).search_selector(queryset, value)


class SubscriberFilter(SearchFilterSet):
    search_selector = staticmethod(selectors.subscriber_search)
    status = filters.ChoiceFilter(choices=CustomerStatus.choices)
    document_type = filters.ChoiceFilter(choices=DocumentType.choices)

    class Meta:
        model = Customer
        fields = ["status", "document_type", "search"]


class SimFilter(SearchFilterSet):
    search_selector = staticmethod(selectors.sim_search)
    status = filters.ChoiceFilter(choices=SimStatus.choices)
    contract = related_id_filter("contract")

    class Meta:
        model = SimCard
        fields = ["status", "contract", "search"]


class TariffFilter(SearchFilterSet):
    search_selector = staticmethod(selectors.tariff_search)
    is_active = FlagFilter()
    tariff_type = filters.ChoiceFilter(choices=TariffType.choices)

    class Meta:
        model = Tariff
        fields = ["is_active", "tariff_type", "search"]


class ContractFilter(SearchFilterSet):
    search_selector = staticmethod(selectors.contract_search)
    status = filters.ChoiceFilter(choices=ContractStatus.choices)
    customer = related_id_filter("customer")
    tariff = related_id_filter("tariff")

    class Meta:
        model = Contract
        fields = ["status", "customer", "tariff", "search"]


class PaymentFilter(SearchFilterSet):
    search_selector = staticmethod(selectors.payment_search)
    transaction_type = filters.ChoiceFilter(choices=TransactionType.choices)
    status = filters.ChoiceFilter(choices=PaymentStatus.choices)
    payment_method = filters.ChoiceFilter(choices=PaymentMethod.choices)
    contract = related_id_filter("contract")

    class Meta:
        model = Payment
        fields = ["transaction_type", "status", "payment_method", "contract", "search"]


class TelecomResourceMixin:
    """What every document 004 resource shares: filters, ordering, commands that answer with the
    object as `retrieve` shows it, nested lists and `Idempotency-Key` for money commands."""

    filter_backends = [DjangoFilterBackend, OrderingFilter]
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]

    def _fresh(self, obj):
        """`obj` as `retrieve` shows it (the selector's joins and counts), read again."""
        return self.get_queryset().get(pk=obj.pk)

    def _render(self, obj, status_code: int = 200) -> Response:
        return Response(self.get_serializer(self._fresh(obj)).data, status=status_code)

    def _command(self, command: str, service, **kwargs) -> Response:
        """Run a state command on the object of the route, logged, and answer the object."""
        obj = self.get_object()
        with self.recorded(obj, command):
            result = service(**self._instance_kwargs(obj), **kwargs)
        return self._render(result)

    def _input(self, serializer_class) -> dict:
        payload = serializer_class(data=self.request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        return payload.validated_data

    def _nested_list(self, queryset, serializer_class) -> Response:
        page = self.paginate_queryset(queryset)
        context = self.get_serializer_context()
        return self.get_paginated_response(serializer_class(page, many=True, context=context).data)

    def _idempotent(self, operation, payload: dict) -> Response:
        """Run `operation` (returning (status, body)) under the request's Idempotency-Key, as
        checkout does: a retry with the same key and body replays the first answer."""
        request = self.request
        fingerprint = request_fingerprint(request.method, request.path.rstrip("/"), request.user.pk, payload)

        def stored():
            status_code, body = operation()
            return StoredResponse(status_code, body)

        result, replayed = run_idempotent(
            tenant=request.tenant,
            key=request.headers.get("Idempotency-Key"),
            fingerprint=fingerprint,
            operation=stored,
        )
        response = Response(result.body, status=result.status)
        if replayed:
            response["Idempotent-Replayed"] = "true"
        return response

    def _statistics(self, queryset, selector) -> Response:
        return Response(_money_text(selector(self.filter_queryset(queryset))))


def _tickets_response(view, *, customer=None, contract=None) -> Response:
    """A customer's or a contract's support tickets, through the support package."""
    from savdo.support.selectors import tickets_of_contract, tickets_of_customer

    tenant = view.request.tenant
    if contract is not None:
        queryset = tickets_of_contract(tenant=tenant, contract=contract)
    else:
        queryset = tickets_of_customer(tenant=tenant, customer=customer)
    return view._nested_list(queryset, TicketSerializer)


@extend_schema_view(
    list=extend_schema(summary="Subscribers", tags=["telecom"]),
    create=extend_schema(summary="Register a subscriber", tags=["telecom"]),
)
class SubscriberViewSet(TelecomResourceMixin, TelecomModelViewSet):
    """004 §1 `/api/customers/`: subscribers (the store's customers) with identity documents."""

    model = Customer
    selector = selectors.subscriber_list
    serializer_class = serializers.SubscriberSerializer
    filterset_class = SubscriberFilter
    ordering_fields = ["id", "created_at", "updated_at", "first_name", "last_name", "status", "document_type"]
    ordering = ["-created_at", "-id"]
    create_service = subscribers.subscriber_create
    update_service = subscribers.subscriber_update
    destroy_service = subscribers.subscriber_delete
    action_roles = _roles(
        create=SUBSCRIBER_EDITORS,
        update=SUBSCRIBER_EDITORS,
        partial_update=SUBSCRIBER_EDITORS,
        destroy=MANAGERS,
        activate=MANAGERS,
        suspend=MANAGERS,
        block=MANAGERS,
    )

    @extend_schema(request=None, responses={200: serializers.SubscriberSerializer})
    @action(detail=True, methods=["post"])
    def activate(self, request, pk=None):
        """Make the subscriber active."""
        return self._command("activate", subscribers.subscriber_activate)

    @extend_schema(request=None, responses={200: serializers.SubscriberSerializer})
    @action(detail=True, methods=["post"])
    def suspend(self, request, pk=None):
        """Suspend the subscriber's service."""
        return self._command("suspend", subscribers.subscriber_suspend)

    @extend_schema(request=None, responses={200: serializers.SubscriberSerializer})
    @action(detail=True, methods=["post"])
    def block(self, request, pk=None):
        """Block the subscriber."""
        return self._command("block", subscribers.subscriber_block)

    @extend_schema(responses={200: serializers.ContractSerializer(many=True)})
    @action(detail=True, methods=["get"], filter_backends=[])
    def contracts(self, request, pk=None):
        """The subscriber's contracts, newest first."""
        customer = self.get_object()
        queryset = selectors.contract_list(tenant=request.tenant).filter(customer=customer)
        return self._nested_list(queryset, serializers.ContractSerializer)

    @extend_schema(responses={200: TicketSerializer(many=True)})
    @action(detail=True, methods=["get"], filter_backends=[])
    def tickets(self, request, pk=None):
        """The subscriber's support tickets."""
        return _tickets_response(self, customer=self.get_object())

    @extend_schema(responses={200: SUBSCRIBER_STATISTICS})
    @action(detail=False, methods=["get"])
    def statistics(self, request):
        """Subscribers by status and document type; the list's filters apply."""
        return self._statistics(Customer.objects.for_tenant(request.tenant), selectors.subscriber_statistics)


class SimViewSet(TelecomResourceMixin, TelecomModelViewSet):
    """004 §2 `/api/sims/`: the SIM card stock."""

    model = SimCard
    selector = selectors.sim_list
    serializer_class = serializers.SimSerializer
    filterset_class = SimFilter
    ordering_fields = ["id", "created_at", "updated_at", "iccid", "msisdn", "status", "activated_at"]
    ordering = ["-created_at", "-id"]
    instance_argument = "sim"
    create_service = services.sim_create
    update_service = services.sim_update
    destroy_service = services.sim_delete
    action_roles = _roles(
        create=MANAGERS,
        update=MANAGERS,
        partial_update=MANAGERS,
        destroy=MANAGERS,
        activate=MANAGERS,
        deactivate=MANAGERS,
        block=MANAGERS,
    )

    @extend_schema(request=serializers.SimActivateSerializer, responses={200: serializers.SimSerializer})
    @action(detail=True, methods=["post"])
    def activate(self, request, pk=None):
        """Activate the SIM card on a contract (`contract_id`; draft or active)."""
        data = self._input(serializers.SimActivateSerializer)
        return self._command("activate", services.sim_activate, contract=data.get("contract_id"))

    @extend_schema(request=None, responses={200: serializers.SimSerializer})
    @action(detail=True, methods=["post"])
    def deactivate(self, request, pk=None):
        return self._command("deactivate", services.sim_deactivate)

    @extend_schema(request=None, responses={200: serializers.SimSerializer})
    @action(detail=True, methods=["post"])
    def block(self, request, pk=None):
        return self._command("block", services.sim_block)

    @extend_schema(responses={200: serializers.SimSerializer(many=True)})
    @action(detail=False, methods=["get"])
    def free(self, request):
        """Free SIM cards (the list's filters apply)."""
        queryset = self.filter_queryset(selectors.sim_free(tenant=request.tenant))
        return self._nested_list(queryset, serializers.SimSerializer)

    @extend_schema(responses={200: SIM_STATISTICS})
    @action(detail=False, methods=["get"])
    def statistics(self, request):
        return self._statistics(SimCard.objects.for_tenant(request.tenant), selectors.sim_statistics)


class TariffViewSet(TelecomResourceMixin, TelecomModelViewSet):
    """004 §3 `/api/tariffs/`."""

    model = Tariff
    selector = selectors.tariff_list
    serializer_class = serializers.TariffSerializer
    filterset_class = TariffFilter
    ordering_fields = ["id", "priority", "name", "monthly_fee", "created_at", "updated_at"]
    ordering = ["priority", "id"]
    create_service = services.tariff_create
    update_service = services.tariff_update
    destroy_service = services.tariff_delete
    action_roles = _roles(
        create=MANAGERS,
        update=MANAGERS,
        partial_update=MANAGERS,
        destroy=MANAGERS,
        activate=MANAGERS,
        deactivate=MANAGERS,
    )

    @extend_schema(request=None, responses={200: serializers.TariffSerializer})
    @action(detail=True, methods=["post"])
    def activate(self, request, pk=None):
        return self._command("activate", services.tariff_activate)

    @extend_schema(request=None, responses={200: serializers.TariffSerializer})
    @action(detail=True, methods=["post"])
    def deactivate(self, request, pk=None):
        return self._command("deactivate", services.tariff_deactivate)

    @extend_schema(responses={200: serializers.TariffSerializer(many=True)})
    @action(detail=False, methods=["get"])
    def active(self, request):
        """Tariffs on offer (the list's filters and ordering apply)."""
        queryset = self.filter_queryset(selectors.tariff_active(tenant=request.tenant))
        return self._nested_list(queryset, serializers.TariffSerializer)

    @extend_schema(responses={200: serializers.ContractSerializer(many=True)})
    @action(detail=True, methods=["get"], filter_backends=[])
    def contracts(self, request, pk=None):
        """Contracts on this tariff, newest first."""
        tariff = self.get_object()
        queryset = selectors.contract_list(tenant=request.tenant).filter(tariff=tariff)
        return self._nested_list(queryset, serializers.ContractSerializer)

    @extend_schema(responses={200: TARIFF_STATISTICS})
    @action(detail=False, methods=["get"])
    def statistics(self, request):
        return self._statistics(self.get_queryset(), selectors.tariff_statistics)


class ContractViewSet(TelecomResourceMixin, TelecomModelViewSet):
    """004 §4 `/api/contracts/`: contracts, their state machine and their balance."""

    model = Contract
    selector = selectors.contract_list
    serializer_class = serializers.ContractSerializer
    filterset_class = ContractFilter
    ordering_fields = ["id", "number", "created_at", "updated_at", "start_date", "balance", "status"]
    ordering = ["-created_at", "-id"]
    create_service = services.contract_create
    update_service = services.contract_update
    destroy_service = services.contract_delete
    action_roles = _roles(
        create=MANAGERS,
        update=MANAGERS,
        partial_update=MANAGERS,
        destroy=MANAGERS,
        activate=MANAGERS,
        suspend=MANAGERS,
        resume=MANAGERS,
        terminate=MANAGERS,
        add_balance=MANAGERS,
        deduct_balance=MANAGERS,
    )

    @extend_schema(request=serializers.ContractActivateSerializer, responses={200: serializers.ContractSerializer})
    @action(detail=True, methods=["post"])
    def activate(self, request, pk=None):
        """Activate a draft contract with a free SIM card (`sim_id`), in one transaction."""
        data = self._input(serializers.ContractActivateSerializer)
        return self._command("activate", services.contract_activate, sim=data.get("sim_id"))

    @extend_schema(request=None, responses={200: serializers.ContractSerializer})
    @action(detail=True, methods=["post"])
    def suspend(self, request, pk=None):
        return self._command("suspend", services.contract_suspend)

    @extend_schema(request=None, responses={200: serializers.ContractSerializer})
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        return self._command("resume", services.contract_resume)

    @extend_schema(request=None, responses={200: serializers.ContractSerializer})
    @action(detail=True, methods=["post"])
    def terminate(self, request, pk=None):
        """Terminate the contract (no way back) and free its SIM cards."""
        return self._command("terminate", services.contract_terminate)

    def _balance_command(self, service) -> Response:
        contract = self.get_object()
        data = self._input(serializers.BalanceChangeSerializer)

        def operation():
            payment = service(contract=contract, actor=self.request.user, **data)
            body = self.get_serializer(self._fresh(contract)).data
            payment_body = serializers.PaymentSerializer(payment, context=self.get_serializer_context()).data
            return 200, {**body, "payment": payment_body}

        return self._idempotent(operation, dict(data))

    @extend_schema(request=serializers.BalanceChangeSerializer, responses={200: serializers.ContractSerializer})
    @action(detail=True, methods=["post"])
    def add_balance(self, request, pk=None):
        """Top the balance up now (a successful payment of type payment). `Idempotency-Key` aware."""
        return self._balance_command(services.contract_top_up)

    @extend_schema(request=serializers.BalanceChangeSerializer, responses={200: serializers.ContractSerializer})
    @action(detail=True, methods=["post"])
    def deduct_balance(self, request, pk=None):
        """Charge the balance now (a successful payment of type charge). `Idempotency-Key` aware."""
        return self._balance_command(services.contract_charge)

    @extend_schema(responses={200: serializers.PaymentSerializer(many=True)})
    @action(detail=True, methods=["get"], filter_backends=[])
    def payments(self, request, pk=None):
        """The contract's payments, newest first."""
        contract = self.get_object()
        queryset = selectors.payment_list(tenant=request.tenant).filter(contract=contract)
        return self._nested_list(queryset, serializers.PaymentSerializer)

    @extend_schema(responses={200: serializers.BalanceEntrySerializer(many=True)})
    @action(detail=True, methods=["get"], filter_backends=[])
    def ledger(self, request, pk=None):
        """The contract's balance ledger, oldest first (its amounts sum to the balance)."""
        contract = self.get_object()
        return self._nested_list(selectors.balance_entries(contract=contract), serializers.BalanceEntrySerializer)

    @extend_schema(responses={200: TicketSerializer(many=True)})
    @action(detail=True, methods=["get"], filter_backends=[])
    def tickets(self, request, pk=None):
        """The contract's support tickets."""
        return _tickets_response(self, contract=self.get_object())

    @extend_schema(responses={200: CONTRACT_STATISTICS})
    @action(detail=False, methods=["get"])
    def statistics(self, request):
        """Contracts by status, total balance and debt; the list's filters apply."""
        return self._statistics(Contract.objects.for_tenant(request.tenant), selectors.contract_statistics)


class PaymentViewSet(TelecomResourceMixin, TelecomModelViewSet):
    """004 §5 `/api/payments/`: top-ups and charges; `process` applies one to the balance once."""

    model = Payment
    selector = selectors.payment_list
    serializer_class = serializers.PaymentSerializer
    filterset_class = PaymentFilter
    ordering_fields = ["id", "created_at", "updated_at", "amount", "processed_at", "status"]
    ordering = ["-created_at", "-id"]
    create_service = services.payment_create
    update_service = services.payment_update
    destroy_service = services.payment_delete
    action_roles = _roles(
        create=PAYMENT_RECORDERS,
        update=MANAGERS,
        partial_update=MANAGERS,
        destroy=MANAGERS,
        process=MANAGERS,
        cancel=MANAGERS,
        fail=MANAGERS,
        refund=MANAGERS,
    )

    @extend_schema(request=None, responses={200: serializers.PaymentSerializer})
    @action(detail=True, methods=["post"])
    def process(self, request, pk=None):
        """Apply the pending payment to its contract's balance, exactly once. `Idempotency-Key` aware."""
        payment = self.get_object()

        def operation():
            with self.recorded(payment, "process"):
                processed = services.payment_process(payment=payment, actor=request.user)
            return 200, self.get_serializer(self._fresh(processed)).data

        return self._idempotent(operation, {})

    @extend_schema(request=None, responses={200: serializers.PaymentSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        return self._command("cancel", services.payment_cancel)

    @extend_schema(request=None, responses={200: serializers.PaymentSerializer})
    @action(detail=True, methods=["post"])
    def fail(self, request, pk=None):
        return self._command("fail", services.payment_fail)

    @extend_schema(request=serializers.PaymentRefundSerializer, responses={200: serializers.PaymentSerializer})
    @action(detail=True, methods=["post"])
    def refund(self, request, pk=None):
        """Reverse a successful payment (a new ledger entry). Not in document 004; see docs/telecom.md."""
        data = self._input(serializers.PaymentRefundSerializer)
        return self._command("refund", services.payment_refund, actor=request.user, **data)

    @extend_schema(responses={200: serializers.PaymentSerializer(many=True)})
    @action(detail=False, methods=["get"])
    def pending(self, request):
        """Payments waiting to be processed (pending or processing)."""
        queryset = self.filter_queryset(selectors.payment_pending(tenant=request.tenant))
        return self._nested_list(queryset, serializers.PaymentSerializer)

    @extend_schema(responses={200: PAYMENT_STATISTICS})
    @action(detail=False, methods=["get"])
    def statistics(self, request):
        """Payments by status and method with sums; the list's filters apply."""
        return self._statistics(Payment.objects.for_tenant(request.tenant), selectors.payment_statistics)
