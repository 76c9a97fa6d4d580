"""Operator tooling for the telecom domain (superusers; reads across tenants by design).

Balances, statuses and ledger entries move only through `savdo.telecom.services`: here they are
read-only, and the ledger cannot be edited or deleted at all."""

from django.contrib import admin

from savdo.telecom.models import BalanceEntry, Contract, Payment, SimCard, Tariff


@admin.register(Tariff)
class TariffAdmin(admin.ModelAdmin):
    list_display = ("name", "tariff_type", "monthly_fee", "credit_limit", "priority", "is_active", "tenant")
    list_filter = ("tariff_type", "is_active")
    search_fields = ("name", "tenant__name")
    list_select_related = ("tenant",)
    raw_id_fields = ("tenant",)


@admin.register(SimCard)
class SimCardAdmin(admin.ModelAdmin):
    list_display = ("iccid", "msisdn", "imsi", "status", "contract", "tenant")
    list_filter = ("status",)
    search_fields = ("iccid", "imsi", "msisdn", "tenant__name")
    list_select_related = ("tenant", "contract")
    raw_id_fields = ("tenant", "contract")
    readonly_fields = ("status", "contract", "activated_at", "created_at", "updated_at")


@admin.register(Contract)
class ContractAdmin(admin.ModelAdmin):
    list_display = ("number", "customer", "tariff", "status", "balance", "start_date", "tenant")
    list_filter = ("status",)
    search_fields = ("number", "tenant__name")
    list_select_related = ("tenant", "customer", "tariff")
    raw_id_fields = ("tenant", "customer", "tariff")
    readonly_fields = (
        "number",
        "status",
        "balance",
        "activated_at",
        "suspended_at",
        "terminated_at",
        "created_at",
        "updated_at",
    )


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = ("transaction_id", "contract", "transaction_type", "payment_method", "amount", "status", "tenant")
    list_filter = ("transaction_type", "status", "payment_method")
    search_fields = ("transaction_id", "tenant__name")
    list_select_related = ("tenant", "contract")
    raw_id_fields = ("tenant", "contract", "created_by", "processed_by")
    readonly_fields = ("status", "processed_at", "processed_by", "created_at", "updated_at")


@admin.register(BalanceEntry)
class BalanceEntryAdmin(admin.ModelAdmin):
    list_display = ("contract", "kind", "amount", "balance_after", "payment", "actor", "created_at")
    list_filter = ("kind",)
    search_fields = ("contract__number", "reason")
    list_select_related = ("contract", "payment", "actor")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
