"""The state machines of the telecom package, in one place: which command moves which status where.

Services ask `target_status(machine, command, current)`; a command not allowed from the current
status is refused with a message naming that status, and nothing changes.
"""

from savdo.telecom.choices import ContractStatus, PaymentStatus, SimStatus

# command -> (statuses it may start from, status it leads to)
CONTRACT_TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "activate": (frozenset({ContractStatus.DRAFT}), ContractStatus.ACTIVE),
    "suspend": (frozenset({ContractStatus.ACTIVE}), ContractStatus.SUSPENDED),
    "resume": (frozenset({ContractStatus.SUSPENDED}), ContractStatus.ACTIVE),
    "terminate": (
        frozenset({ContractStatus.DRAFT, ContractStatus.ACTIVE, ContractStatus.SUSPENDED}),
        ContractStatus.TERMINATED,
    ),
}

# Contracts whose balance may move (top-ups, charges, processing and refunding payments).
CONTRACT_MONEY_STATUSES = frozenset({ContractStatus.DRAFT, ContractStatus.ACTIVE, ContractStatus.SUSPENDED})
# Contracts a SIM may be bound to.
CONTRACT_SIM_STATUSES = frozenset({ContractStatus.DRAFT, ContractStatus.ACTIVE})
# Contracts whose terms (tariff, dates, notes) may still be edited.
CONTRACT_EDITABLE_STATUSES = frozenset({ContractStatus.DRAFT, ContractStatus.ACTIVE, ContractStatus.SUSPENDED})

SIM_TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "activate": (frozenset({SimStatus.FREE, SimStatus.INACTIVE, SimStatus.BLOCKED}), SimStatus.ACTIVE),
    "deactivate": (frozenset({SimStatus.ACTIVE}), SimStatus.INACTIVE),
    "block": (frozenset({SimStatus.FREE, SimStatus.ACTIVE, SimStatus.INACTIVE}), SimStatus.BLOCKED),
}

PAYMENT_TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "process": (frozenset({PaymentStatus.PENDING, PaymentStatus.PROCESSING}), PaymentStatus.SUCCESS),
    "cancel": (frozenset({PaymentStatus.PENDING, PaymentStatus.PROCESSING}), PaymentStatus.CANCELLED),
    "fail": (frozenset({PaymentStatus.PENDING, PaymentStatus.PROCESSING}), PaymentStatus.FAILED),
    "refund": (frozenset({PaymentStatus.SUCCESS}), PaymentStatus.REFUNDED),
}
# Payments that may still be edited or deleted (nothing of them reached the balance).
PAYMENT_EDITABLE_STATUSES = frozenset({PaymentStatus.PENDING})
PAYMENT_DELETABLE_STATUSES = frozenset({PaymentStatus.PENDING, PaymentStatus.CANCELLED, PaymentStatus.FAILED})

MACHINES = {"contract": CONTRACT_TRANSITIONS, "sim": SIM_TRANSITIONS, "payment": PAYMENT_TRANSITIONS}


def allowed_from(machine: str, command: str) -> frozenset[str]:
    return MACHINES[machine][command][0]


def target_status(machine: str, command: str, current: str) -> str | None:
    """The status `command` leads to from `current`, or None when the machine refuses it."""
    sources, target = MACHINES[machine][command]
    return target if current in sources else None
