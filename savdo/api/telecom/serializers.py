"""Document 004's shapes: subscribers, SIM cards, tariffs, contracts, payments, and command inputs.

Request shape and formats only: the rules (document uniqueness, ICCID check digit, state machines,
the balance rule) live in `savdo.telecom.services` and `savdo.telecom.subscribers`, which the
kernel calls with `validated_data`.

Rendering decisions: money is a string with two decimals (DRF's default, `"1000.00"`); input
accepts a JSON number (`1000.00`, as the document's examples send it) or a string. Timestamps are
ISO 8601 in the store's time zone. Related rows are ids plus their display fields
(`customer_name`, `tariff_name`, `contract_number`).
"""

from decimal import Decimal

from rest_framework import serializers

from savdo.api.fields import (
    FlagField,
    StoredChoiceField,
    TenantPrimaryKeyRelatedField,
    money_field,
    positive_money_field,
)
from savdo.customers.models import Customer
from savdo.telecom.choices import DocumentType, PaymentMethod, TariffType, TransactionType
from savdo.telecom.models import Contract, Payment, SimCard, Tariff

INT_MAX = 2**31 - 1


def _count(obj, annotated: str, related: str) -> int:
    """An annotated count, or (for a row a write just returned) the count asked of the database."""
    value = getattr(obj, annotated, None)
    if value is not None:
        return value
    return getattr(obj, related).count()


# --- subscribers --------------------------------------------------------------------------------


class SubscriberSerializer(serializers.ModelSerializer):
    """A subscriber (004 §1): the example body's fields, plus status and contract counts."""

    first_name = serializers.CharField(max_length=150)
    last_name = serializers.CharField(max_length=150)
    middle_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=32, help_text="International format with the country code: +996550123456")
    email = serializers.EmailField(max_length=254, required=False, allow_blank=True)
    # The list shows every customer of the store: one who is no subscriber has no document ("").
    document_type = StoredChoiceField(choices=DocumentType.choices)
    document_number = serializers.CharField(max_length=50)
    passport_issued_by = serializers.CharField(max_length=255, required=False, allow_blank=True)
    passport_issue_date = serializers.DateField(required=False, allow_null=True)
    address = serializers.CharField(max_length=500, required=False, allow_blank=True)
    full_name = serializers.CharField(read_only=True)
    contracts_count = serializers.SerializerMethodField()
    active_contracts_count = serializers.SerializerMethodField()

    class Meta:
        model = Customer
        fields = [
            "id",
            "first_name",
            "last_name",
            "middle_name",
            "full_name",
            "phone",
            "email",
            "document_type",
            "document_number",
            "passport_issued_by",
            "passport_issue_date",
            "address",
            "status",
            "contracts_count",
            "active_contracts_count",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "status", "created_at", "updated_at"]

    def get_contracts_count(self, obj) -> int:
        return _count(obj, "contracts_count", "contracts")

    def get_active_contracts_count(self, obj) -> int:
        value = getattr(obj, "active_contracts_count", None)
        if value is not None:
            return value
        return obj.contracts.filter(status="active").count()


# --- tariffs ------------------------------------------------------------------------------------


class TariffSerializer(serializers.ModelSerializer):
    """A tariff (004 §3). `minutes`, `sms`, `data_mb`: monthly allowances, null = unlimited.
    `credit_limit`: how far below zero a postpaid contract on it may go."""

    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    tariff_type = serializers.ChoiceField(choices=TariffType.choices)
    monthly_fee = money_field(min_value=Decimal("0"))
    minutes = serializers.IntegerField(min_value=0, max_value=INT_MAX, required=False, allow_null=True)
    sms = serializers.IntegerField(min_value=0, max_value=INT_MAX, required=False, allow_null=True)
    data_mb = serializers.IntegerField(min_value=0, max_value=INT_MAX, required=False, allow_null=True)
    credit_limit = money_field(min_value=Decimal("0"), required=False)
    priority = serializers.IntegerField(min_value=-INT_MAX, max_value=INT_MAX, required=False)
    is_active = FlagField(required=False)
    contracts_count = serializers.SerializerMethodField()
    active_contracts_count = serializers.SerializerMethodField()

    class Meta:
        model = Tariff
        fields = [
            "id",
            "name",
            "description",
            "tariff_type",
            "monthly_fee",
            "minutes",
            "sms",
            "data_mb",
            "credit_limit",
            "priority",
            "is_active",
            "contracts_count",
            "active_contracts_count",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]

    def get_contracts_count(self, obj) -> int:
        return _count(obj, "contracts_count", "contracts")

    def get_active_contracts_count(self, obj) -> int:
        value = getattr(obj, "active_contracts_count", None)
        if value is not None:
            return value
        return obj.contracts.filter(status="active").count()


# --- SIM cards ----------------------------------------------------------------------------------


class SimSerializer(serializers.ModelSerializer):
    """A SIM card (004 §2). Its status and contract move only by the commands."""

    iccid = serializers.CharField(max_length=32, help_text="19-20 digits with a Luhn check digit")
    imsi = serializers.CharField(max_length=32, help_text="15 digits")
    msisdn = serializers.CharField(max_length=32, help_text="E.164: +996550123456")
    notes = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    contract_number = serializers.SerializerMethodField()

    class Meta:
        model = SimCard
        fields = [
            "id",
            "iccid",
            "imsi",
            "msisdn",
            "status",
            "contract",
            "contract_number",
            "activated_at",
            "notes",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "status", "contract", "activated_at", "created_at", "updated_at"]

    def get_contract_number(self, obj) -> str | None:
        return obj.contract.number if obj.contract_id else None


class SimBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = SimCard
        fields = ["id", "iccid", "msisdn", "status"]
        read_only_fields = fields


class SimActivateSerializer(serializers.Serializer):
    """`POST /api/sims/{id}/activate/ {"contract_id": 1}`."""

    contract_id = TenantPrimaryKeyRelatedField(Contract, required=False, allow_null=True)


# --- contracts ----------------------------------------------------------------------------------


class ContractSerializer(serializers.ModelSerializer):
    """A contract (004 §4). `number` is generated (`CTR-YYYY-NNNNNN`); `status` and `balance` move
    only by the commands; `credit_limit` (postpaid) overrides the tariff's when set."""

    customer = TenantPrimaryKeyRelatedField(Customer)
    tariff = TenantPrimaryKeyRelatedField(Tariff)
    start_date = serializers.DateField(required=False)
    end_date = serializers.DateField(required=False, allow_null=True)
    credit_limit = money_field(min_value=Decimal("0"), required=False, allow_null=True)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    balance = money_field(read_only=True)
    customer_name = serializers.SerializerMethodField()
    tariff_name = serializers.SerializerMethodField()
    tariff_type = serializers.SerializerMethodField()
    sims = serializers.SerializerMethodField()

    class Meta:
        model = Contract
        fields = [
            "id",
            "number",
            "customer",
            "customer_name",
            "tariff",
            "tariff_name",
            "tariff_type",
            "status",
            "start_date",
            "end_date",
            "balance",
            "credit_limit",
            "sims",
            "notes",
            "activated_at",
            "suspended_at",
            "terminated_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "id",
            "number",
            "status",
            "balance",
            "activated_at",
            "suspended_at",
            "terminated_at",
            "created_at",
            "updated_at",
        ]

    def get_customer_name(self, obj) -> str:
        return obj.customer.full_name

    def get_tariff_name(self, obj) -> str:
        return obj.tariff.name

    def get_tariff_type(self, obj) -> str:
        return obj.tariff.tariff_type

    def get_sims(self, obj) -> list[dict]:
        return SimBriefSerializer(sorted(obj.sims.all(), key=lambda sim: sim.pk), many=True).data


class ContractActivateSerializer(serializers.Serializer):
    """`POST /api/contracts/{id}/activate/ {"sim_id": 5}`."""

    sim_id = TenantPrimaryKeyRelatedField(SimCard, required=False, allow_null=True)


class BalanceChangeSerializer(serializers.Serializer):
    """`POST /api/contracts/{id}/add_balance/ {"amount": 1000.00}` (and `deduct_balance`)."""

    amount = positive_money_field()
    payment_method = serializers.ChoiceField(choices=PaymentMethod.choices, required=False)
    description = serializers.CharField(max_length=500, required=False, allow_blank=True)


# --- payments -----------------------------------------------------------------------------------


class PaymentSerializer(serializers.ModelSerializer):
    """A payment (004 §5): a top-up (`transaction_type=payment`) or a charge of a contract.
    `transaction_id` is generated when not given; `contract_balance` is the contract's balance now."""

    contract = TenantPrimaryKeyRelatedField(Contract)
    transaction_type = serializers.ChoiceField(choices=TransactionType.choices, required=False)
    payment_method = serializers.ChoiceField(choices=PaymentMethod.choices, required=False)
    amount = positive_money_field()
    transaction_id = serializers.CharField(max_length=64, required=False, allow_blank=True)
    description = serializers.CharField(max_length=500, required=False, allow_blank=True)
    contract_number = serializers.SerializerMethodField()
    contract_balance = serializers.SerializerMethodField()

    class Meta:
        model = Payment
        fields = [
            "id",
            "contract",
            "contract_number",
            "contract_balance",
            "transaction_type",
            "payment_method",
            "amount",
            "status",
            "transaction_id",
            "description",
            "created_by",
            "processed_by",
            "processed_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "status", "created_by", "processed_by", "processed_at", "created_at", "updated_at"]

    def get_contract_number(self, obj) -> str:
        return obj.contract.number

    def get_contract_balance(self, obj) -> str:
        return f"{obj.contract.balance:.2f}"


class PaymentRefundSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True)


class BalanceEntrySerializer(serializers.Serializer):
    """One line of a contract's balance ledger."""

    id = serializers.IntegerField()
    kind = serializers.CharField()
    amount = money_field()
    balance_after = money_field()
    payment = serializers.IntegerField(source="payment_id", allow_null=True)
    transaction_id = serializers.SerializerMethodField()
    actor = serializers.IntegerField(source="actor_id", allow_null=True)
    reason = serializers.CharField()
    created_at = serializers.DateTimeField()

    def get_transaction_id(self, obj) -> str | None:
        return obj.payment.transaction_id if obj.payment_id else None
