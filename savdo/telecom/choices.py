"""Vocabularies of the telecom operator (document 004). Transitions of the state machines live in
`savdo.telecom.transitions`; these are only the values."""

from django.db import models
from django.utils.translation import pgettext_lazy


class DocumentType(models.TextChoices):
    """Identity documents an operator accepts when it signs a subscriber (stored on `Customer.document_type`)."""

    PASSPORT = "passport", pgettext_lazy("document type", "Passport")
    ID_CARD = "id_card", pgettext_lazy("document type", "ID card")
    FOREIGN_PASSPORT = "foreign_passport", pgettext_lazy("document type", "Foreign passport")
    RESIDENCE_PERMIT = "residence_permit", pgettext_lazy("document type", "Residence permit")
    DRIVER_LICENSE = "driver_license", pgettext_lazy("document type", "Driver's license")
    MILITARY_ID = "military_id", pgettext_lazy("document type", "Military ID")
    BIRTH_CERTIFICATE = "birth_certificate", pgettext_lazy("document type", "Birth certificate")
    OTHER = "other", pgettext_lazy("document type", "Other")


class SimStatus(models.TextChoices):
    FREE = "free", pgettext_lazy("SIM status", "Free")
    ACTIVE = "active", pgettext_lazy("SIM status", "Active")
    INACTIVE = "inactive", pgettext_lazy("SIM status", "Inactive")
    BLOCKED = "blocked", pgettext_lazy("SIM status", "Blocked")


class TariffType(models.TextChoices):
    PREPAID = "prepaid", pgettext_lazy("tariff type", "Prepaid")
    POSTPAID = "postpaid", pgettext_lazy("tariff type", "Postpaid")


class ContractStatus(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("contract status", "Draft")
    ACTIVE = "active", pgettext_lazy("contract status", "Active")
    SUSPENDED = "suspended", pgettext_lazy("contract status", "Suspended")
    TERMINATED = "terminated", pgettext_lazy("contract status", "Terminated")


class TransactionType(models.TextChoices):
    """What a payment does to the balance: a top-up adds, a charge takes."""

    PAYMENT = "payment", pgettext_lazy("transaction type", "Top-up")
    CHARGE = "charge", pgettext_lazy("transaction type", "Charge")


class PaymentMethod(models.TextChoices):
    """How the money came: the usual ways and the payment systems a Kyrgyz operator takes."""

    CASH = "cash", pgettext_lazy("payment method", "Cash")
    CARD = "card", pgettext_lazy("payment method", "Card")
    TRANSFER = "transfer", pgettext_lazy("payment method", "Bank transfer")
    MOBILE = "mobile", pgettext_lazy("payment method", "Mobile payment")
    TERMINAL = "terminal", pgettext_lazy("payment method", "Payment terminal")
    ELSOM = "elsom", "Elsom"
    O_DENGI = "o_dengi", "O!Dengi"
    MBANK = "mbank", "MBANK"
    MEGAPAY = "megapay", "MegaPay"
    BALANCE_KG = "balance_kg", "Balance.kg"
    SYSTEM = "system", pgettext_lazy("payment method", "Operator (balance adjustment)")


class PaymentStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("payment status", "Pending")
    PROCESSING = "processing", pgettext_lazy("payment status", "Processing")
    SUCCESS = "success", pgettext_lazy("payment status", "Success")
    FAILED = "failed", pgettext_lazy("payment status", "Failed")
    CANCELLED = "cancelled", pgettext_lazy("payment status", "Cancelled")
    REFUNDED = "refunded", pgettext_lazy("payment status", "Refunded")


class EntryKind(models.TextChoices):
    """Why a balance ledger entry was written."""

    TOP_UP = "top_up", pgettext_lazy("balance entry", "Top-up")
    CHARGE = "charge", pgettext_lazy("balance entry", "Charge")
    REFUND = "refund", pgettext_lazy("balance entry", "Refund")
