#!/usr/bin/env python3
"""Fault drill: checkouts under `pg_terminate_backend` and killed workers, then every ledger checked.

    .venv/bin/python tools/fault_drill.py                                  # CI: 60 s of traffic, ~2 min in all
    .venv/bin/python tools/fault_drill.py --seconds 20 --min-checkouts 10  # a quick look

What it does (PostgreSQL only):
1. drops and creates its database (the name from DATABASE_URL, default `savdo_drill`; it must contain
   "drill", since it is dropped first), migrates it, empties the Redis database of REDIS_URL (default
   db 12) and seeds one store through the services and the test factories: an owner, cashiers each
   with an open shift, products with stock (some in batches, some sold by weight, a few nearly sold
   out), customers (some in a discount group, some with a personal discount, a few blocked), some of
   whom already have loyalty points from earlier sales;
2. starts `savdo serve --no-migrate --workers 2 --threads 4` on a free port;
3. for `--seconds`, one client thread per cashier rings up sales through the retail API (scan-item,
   add-item, sometimes more than is in stock, sometimes a customer) and checks them out with cash
   (with change), card, mobile or mixed payments under an `Idempotency-Key`; each cashier closes its
   shift once and opens another. The owner refunds parts or all of completed sales (under a key too)
   and reads lists. Every write is retried on a lost connection, a 503 or a 429 (with the same key).
   Meanwhile a fault thread terminates every server connection to the database every 1-2 s and
   SIGKILLs a gunicorn worker (at least twice; the arbiter respawns it);
4. stops the faults, closes every shift (each then records its expected cash), stops the server and
   checks every ledger rule over the whole database (`check_ledgers`), printing each rule with the
   rows it checked and its violations (the first few offending ids);
5. exits 0 only if every rule holds, no answer was a 5xx other than a 503 with Retry-After to a write,
   every killed worker was respawned and at least `--min-checkouts` checkouts completed; 1 otherwise,
   with a summary saying why (2 if the drill could not run at all).

The ledger rules need no server: `check_ledgers()` runs on any database Django is set up for
(tests/test_fault_drill_ledgers.py runs it on rows the services wrote, and on rows it broke).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/savdo_drill"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/12"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
RETRY_STATUSES = frozenset({429, 503})
REQUEST_TIMEOUT = 30.0  # seconds one request may take
MAX_ATTEMPTS = 12  # tries of one request before it is given up
MAX_RETRY_SECONDS = 25.0
STUCK_KEY_WAIT = 2.5  # seconds a key answered 409 (a lost attempt's claim) is retried before a new one
SHOWN = 5  # offending rows shown per rule
LOW_STOCK = frozenset({3, 11, 19})  # seeded products nearly sold out
TIMESTAMPED = re.compile(r"^\[?\d{4}-\d\d-\d\d ")  # a new line of the server's log
EXCEPTION_LINE = re.compile(r"^[\w.]+(Error|Exception|Shutdown)\b")
SAVDO_FRAME = re.compile(r'File "[^"]*/(savdo/[^"]+)", line (\d+), in (\w+)')
CENT = Decimal("0.01")
MILLI = Decimal("0.001")
ZERO = Decimal("0.00")
HUNDRED = Decimal("100")


def money(value) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


# --- the ledger rules ---------------------------------------------------------------------------------


@dataclass
class Rule:
    """One ledger rule: how many rows it looked at and what it found wrong (one line per offence)."""

    key: str  # the `Ledgers` method that checks it ("rollups" for `rollups_rule`)
    name: str
    checked: int = 0
    violations: list[str] = field(default_factory=list)
    note: str = ""

    @property
    def ok(self) -> bool:
        return not self.violations

    def bad(self, text: str) -> None:
        self.violations.append(text)


@dataclass
class Acknowledged:
    """What the clients were told happened: sales answered 200 to a checkout, refunds answered 200."""

    sale_ids: set[int] = field(default_factory=set)
    refund_ids: set[int] = field(default_factory=set)


def _group(rows, key) -> dict:
    grouped = defaultdict(list)
    for row in rows:
        grouped[row[key]].append(row)
    return grouped


def _sum(rows, name, zero=ZERO) -> Decimal:
    return sum((row[name] for row in rows), zero)


class Ledgers:
    """Every row the rules read, loaded once (the drill's store is small), and the rules over them."""

    def __init__(self):
        from savdo.customers.models import Customer
        from savdo.inventory.models import Batch, StockBalance, StockMovement
        from savdo.sales.models import (
            CashSession,
            Payment,
            ReceiptCounter,
            Refund,
            RefundItem,
            RefundPayment,
            Sale,
            SaleItem,
            SaleItemAllocation,
        )
        from savdo.tenancy.models import Tenant

        def rows(model, order="id"):
            return list(model.objects.order_by(order).values())

        self.tenants = {t["id"]: t for t in Tenant.objects.values()}
        self.balances = {b["product_id"]: b for b in rows(StockBalance)}
        self.batches = {b["id"]: b for b in rows(Batch)}
        self.movements = rows(StockMovement)
        self.sales = {s["id"]: s for s in rows(Sale)}
        self.items = rows(SaleItem)
        self.allocations = rows(SaleItemAllocation)
        self.payments = rows(Payment)
        self.refunds = rows(Refund)
        self.refund_items = rows(RefundItem)
        self.refund_payments = rows(RefundPayment)
        self.sessions = rows(CashSession)
        self.customers = rows(Customer)
        self.counters = {c["tenant_id"]: c for c in rows(ReceiptCounter)}
        self.items_of = _group(self.items, "sale_id")
        self.allocations_of = _group(self.allocations, "item_id")
        self.payments_of = _group(self.payments, "sale_id")
        self.refunds_of = _group(self.refunds, "sale_id")
        self.refund_items_of_refund = _group(self.refund_items, "refund_id")
        self.refund_items_of_item = _group(self.refund_items, "sale_item_id")
        self.refund_payments_of_refund = _group(self.refund_payments, "refund_id")
        self.refund_payments_of_payment = _group(self.refund_payments, "payment_id")
        self.sale_by_receipt = {(s["tenant_id"], s["receipt_number"]): s for s in self.sales.values()}

    @staticmethod
    def counted(sale) -> bool:
        """Completed or refunded: the sale took goods and money."""
        return sale["status"] in ("completed", "refunded")

    # stock -------------------------------------------------------------------------------------------

    def stock_products(self) -> Rule:
        rule = Rule("stock_products", "stock: each product's on hand = the sum of its movements")
        moved = defaultdict(Decimal)
        for m in self.movements:
            moved[m["product_id"]] += m["quantity"]
        for pid in sorted(set(self.balances) | set(moved)):
            rule.checked += 1
            balance = self.balances.get(pid)
            on_hand = balance["quantity"] if balance else None
            if on_hand != moved[pid]:
                rule.bad(f"product {pid}: on hand {on_hand}, movements {moved[pid]}")
        return rule

    def stock_running(self) -> Rule:
        rule = Rule("stock_running", "stock: each movement's balance_after = the one before + its quantity")
        running = defaultdict(Decimal)
        for m in self.movements:  # id order: a product's movements are written under its balance's lock
            rule.checked += 1
            running[m["product_id"]] += m["quantity"]
            if m["balance_after"] != running[m["product_id"]]:
                rule.bad(
                    f"movement {m['id']} (product {m['product_id']}): balance_after {m['balance_after']}, "
                    f"running sum {running[m['product_id']]}"
                )
        return rule

    def stock_batches(self) -> Rule:
        rule = Rule("stock_batches", "stock: each batch's on hand = the sum of its movements")
        moved = defaultdict(Decimal)
        for m in self.movements:
            if m["batch_id"] is not None:
                moved[m["batch_id"]] += m["quantity"]
                batch = self.batches.get(m["batch_id"])
                if batch is not None and batch["product_id"] != m["product_id"]:
                    rule.bad(f"movement {m['id']}: product {m['product_id']}, batch of product {batch['product_id']}")
        for bid, batch in self.batches.items():
            rule.checked += 1
            if batch["quantity"] != moved[bid]:
                rule.bad(f"batch {bid}: on hand {batch['quantity']}, movements {moved[bid]}")
        return rule

    def stock_not_negative(self) -> Rule:
        rule = Rule("stock_not_negative", "stock: nothing below zero (product, batch, unbatched rest)")
        in_batches = defaultdict(Decimal)
        for batch in self.batches.values():
            in_batches[batch["product_id"]] += batch["quantity"]
            if not self.tenants[batch["tenant_id"]]["allow_negative_stock"]:
                rule.checked += 1
                if batch["quantity"] < 0:
                    rule.bad(f"batch {batch['id']}: {batch['quantity']}")
        for pid, balance in self.balances.items():
            if self.tenants[balance["tenant_id"]]["allow_negative_stock"]:
                continue
            rule.checked += 1
            if balance["quantity"] < 0:
                rule.bad(f"product {pid}: {balance['quantity']}")
            elif balance["quantity"] < in_batches[pid]:
                rule.bad(f"product {pid}: on hand {balance['quantity']} < {in_batches[pid]} held in its batches")
        return rule

    # sales -------------------------------------------------------------------------------------------

    def sale_lines_priced(self) -> Rule:
        rule = Rule("sale_lines_priced", "sales: each line = quantity x price - discount, tax inside (as reprice)")
        for item in self.items:
            rule.checked += 1
            sale = self.sales[item["sale_id"]]
            subtotal = money(item["quantity"] * item["unit_price"])
            discount = money(subtotal * item["discount_percent"] / HUNDRED)
            total = subtotal - discount
            tax = money(total * item["tax_rate"] / (HUNDRED + item["tax_rate"]))
            want = (subtotal, discount, total, tax, sale["discount_percent"])
            have = (
                item["subtotal"],
                item["discount_amount"],
                item["total_amount"],
                item["tax_amount"],
                item["discount_percent"],
            )
            if want != have:
                rule.bad(
                    f"line {item['id']} (sale {sale['id']}): subtotal/discount/total/tax/% {_show(have)}, "
                    f"expected {_show(want)}"
                )
        return rule

    def sale_totals(self) -> Rule:
        rule = Rule("sale_totals", "sales: each sale's totals = the sum of its lines")
        names = ("subtotal", "discount_amount", "tax_amount", "total_amount")
        for sid, sale in self.sales.items():
            rule.checked += 1
            lines = self.items_of.get(sid, [])
            want = (*(_sum(lines, n) for n in names), _sum(lines, "quantity", Decimal("0.000")))
            have = (*(sale[n] for n in names), sale["items_quantity"])
            if want != have:
                rule.bad(f"sale {sid} ({sale['status']}): {_show(have)}, lines {_show(want)}")
        return rule

    def sale_costs(self) -> Rule:
        rule = Rule("sale_costs", "sales: each completed line's stock taken = its quantity, its cost = the goods'")
        for sid, sale in self.sales.items():
            lines = self.items_of.get(sid, [])
            if not self.counted(sale):
                for item in lines:
                    if self.allocations_of.get(item["id"]):
                        rule.bad(f"line {item['id']}: stock taken for a {sale['status']} sale {sid}")
                continue
            for item in lines:
                rule.checked += 1
                parts = self.allocations_of.get(item["id"], [])
                taken = _sum(parts, "quantity", Decimal("0.000"))
                cost = money(sum((p["quantity"] * p["unit_cost"] for p in parts), ZERO))
                if taken != item["quantity"]:
                    rule.bad(f"line {item['id']} (sale {sid}): quantity {item['quantity']}, taken {taken}")
                elif cost != item["cost_amount"] or money(cost / item["quantity"]) != item["unit_cost"]:
                    rule.bad(f"line {item['id']} (sale {sid}): cost {item['cost_amount']}, goods cost {cost}")
            if sale["cost_amount"] != _sum(lines, "cost_amount"):
                rule.bad(f"sale {sid}: cost {sale['cost_amount']}, lines {_sum(lines, 'cost_amount')}")
        return rule

    def payments_cover_sales(self) -> Rule:
        rule = Rule(
            "payments_cover_sales", "payments: each completed sale's payments = its total (change only from cash)"
        )
        for sid, sale in self.sales.items():
            paid = self.payments_of.get(sid, [])
            if not self.counted(sale):
                if paid:
                    rule.bad(f"sale {sid}: {len(paid)} payments on a {sale['status']} sale")
                continue
            rule.checked += 1
            amount, change = _sum(paid, "amount"), _sum(paid, "change_amount")
            if not amount == sale["total_amount"] == sale["paid_amount"]:
                rule.bad(f"sale {sid}: total {sale['total_amount']}, paid {sale['paid_amount']}, payments {amount}")
            if change != sale["change_amount"]:
                rule.bad(f"sale {sid}: change {sale['change_amount']}, payments' change {change}")
            for p in paid:
                if p["received_amount"] - p["change_amount"] != p["amount"] or p["change_amount"] < 0:
                    rule.bad(f"payment {p['id']}: received {p['received_amount']} - change {p['change_amount']}")
                elif p["payment_method"] != "cash" and p["change_amount"]:
                    rule.bad(f"payment {p['id']}: change {p['change_amount']} from {p['payment_method']}")
        return rule

    def refunds_add_up(self) -> Rule:
        rule = Rule("refunds_add_up", "refunds: each refund = its lines = its payments; sales, lines, payments agree")
        for refund in self.refunds:
            rule.checked += 1
            rid = refund["id"]
            lines = self.refund_items_of_refund.get(rid, [])
            parts = self.refund_payments_of_refund.get(rid, [])
            for name in ("amount", "discount_amount", "tax_amount", "cost_amount"):
                if refund[name] != _sum(lines, name):
                    rule.bad(f"refund {rid}: {name} {refund[name]}, its lines {_sum(lines, name)}")
            if refund["items_quantity"] != _sum(lines, "quantity", Decimal("0.000")):
                rule.bad(f"refund {rid}: items {refund['items_quantity']}, its lines {_sum(lines, 'quantity')}")
            if refund["amount"] != _sum(parts, "amount"):
                rule.bad(f"refund {rid}: amount {refund['amount']}, paid back {_sum(parts, 'amount')}")
            if not self.counted(self.sales[refund["sale_id"]]):
                rule.bad(f"refund {rid}: of a {self.sales[refund['sale_id']]['status']} sale {refund['sale_id']}")
        for sid, sale in self.sales.items():
            refunded = _sum(self.refunds_of.get(sid, []), "amount")
            if sale["refunded_amount"] != refunded:
                rule.bad(f"sale {sid}: refunded {sale['refunded_amount']}, its refunds {refunded}")
            lines = self.items_of.get(sid, [])
            everything_back = bool(lines) and all(i["refunded_quantity"] == i["quantity"] for i in lines)
            if (sale["status"] == "refunded") != (self.counted(sale) and everything_back):
                rule.bad(f"sale {sid}: status {sale['status']}, every line refunded: {everything_back}")
        pairs = (("refunded_quantity", "quantity"), ("refunded_amount", "amount"))
        pairs += (("refunded_discount", "discount_amount"), ("refunded_tax", "tax_amount"))
        pairs += (("refunded_cost", "cost_amount"),)
        for item in self.items:
            back = self.refund_items_of_item.get(item["id"], [])
            for mine, theirs in pairs:
                if item[mine] != _sum(back, theirs, Decimal("0.000") if theirs == "quantity" else ZERO):
                    rule.bad(f"line {item['id']}: {mine} {item[mine]}, its refunds {_sum(back, theirs)}")
            parts = self.allocations_of.get(item["id"], [])
            if parts and item["refunded_quantity"] != _sum(parts, "refunded_quantity", Decimal("0.000")):
                rule.bad(f"line {item['id']}: refunded {item['refunded_quantity']}, from its stock taken otherwise")
        for p in self.payments:
            back = _sum(self.refund_payments_of_payment.get(p["id"], []), "amount")
            if p["refunded_amount"] != back:
                rule.bad(f"payment {p['id']}: refunded {p['refunded_amount']}, refund payments {back}")
        return rule

    def movements_match_sales(self) -> Rule:
        rule = Rule(
            "movements_match_sales", "stock: each sale line and refund has its movements, and no movement lacks one"
        )
        expected = defaultdict(Decimal)  # (tenant, receipt, kind, product, batch) -> quantity
        for item in self.items:
            sale = self.sales[item["sale_id"]]
            if not self.counted(sale):
                continue
            rule.checked += 1
            for part in self.allocations_of.get(item["id"], []):
                key = (sale["tenant_id"], sale["receipt_number"], item["product_id"], part["batch_id"])
                expected[("sale", *key)] -= part["quantity"]
                if part["refunded_quantity"]:
                    expected[("refund", *key)] += part["refunded_quantity"]
        found = defaultdict(Decimal)
        for m in self.movements:
            if m["kind"] not in ("sale", "refund"):
                continue
            sale = self.sale_by_receipt.get((m["tenant_id"], m["reference"]))
            if sale is None or not self.counted(sale):
                what = "no sale" if sale is None else f"a {sale['status']} sale {sale['id']}"
                rule.bad(f"movement {m['id']} ({m['kind']} {m['reference']}): of {what}")
                continue
            found[(m["kind"], m["tenant_id"], m["reference"], m["product_id"], m["batch_id"])] += m["quantity"]
        for key in sorted(set(expected) | set(found), key=str):
            if expected[key] != found[key]:
                kind, _tenant, receipt, product, batch = key
                rule.bad(
                    f"{receipt} {kind} of product {product} batch {batch}: lines {expected[key]}, "
                    f"movements {found[key]}"
                )
        return rule

    def no_half_written_sales(self) -> Rule:
        rule = Rule(
            "no_half_written_sales", "sales: none half-written (completed with lines and payments; others with neither)"
        )
        for sid, sale in self.sales.items():
            rule.checked += 1
            lines = self.items_of.get(sid, [])
            if self.counted(sale):
                if not lines:
                    rule.bad(f"sale {sid}: {sale['status']} without lines")
                if sale["total_amount"] > 0 and not self.payments_of.get(sid):
                    rule.bad(f"sale {sid}: {sale['status']} without payments")
                if sale["completed_at"] is None or sale["cancelled_at"] is not None:
                    rule.bad(f"sale {sid}: {sale['status']}, completed_at {sale['completed_at']}")
                if any(not self.allocations_of.get(i["id"]) for i in lines):
                    rule.bad(f"sale {sid}: {sale['status']} with a line that took no stock")
            else:
                if sale["completed_at"] is not None or self.refunds_of.get(sid):
                    rule.bad(f"sale {sid}: {sale['status']} with a checkout or refunds")
                if (sale["status"] == "cancelled") != (sale["cancelled_at"] is not None):
                    rule.bad(f"sale {sid}: {sale['status']}, cancelled_at {sale['cancelled_at']}")
        return rule

    def receipt_counters(self) -> Rule:
        rule = Rule("receipt_counters", "sales: each store's receipt counter = its number of sales")
        per_tenant = Counter(s["tenant_id"] for s in self.sales.values())
        for tenant_id in sorted(set(per_tenant) | set(self.counters)):
            rule.checked += 1
            counter = self.counters.get(tenant_id, {}).get("last_number", 0)
            if counter != per_tenant[tenant_id]:
                rule.bad(f"store {tenant_id}: counter {counter}, sales {per_tenant[tenant_id]}")
        return rule

    # shifts and customers ------------------------------------------------------------------------------

    def shift_cash(self) -> Rule:
        rule = Rule(
            "shift_cash", "shifts: each closed shift's expected cash = opening + cash taken - change - cash refunded"
        )
        taken = defaultdict(Decimal)
        for p in self.payments:
            if p["payment_method"] == "cash":
                taken[self.sales[p["sale_id"]]["session_id"]] += p["received_amount"] - p["change_amount"]
        refund_session = {r["id"]: r["session_id"] for r in self.refunds}
        returned = defaultdict(Decimal)
        for part in self.refund_payments:
            if part["payment_method"] == "cash":
                returned[refund_session[part["refund_id"]]] += part["amount"]
        still_open = 0
        for shift in self.sessions:
            if shift["status"] != "closed":
                still_open += 1
                continue
            rule.checked += 1
            expected = shift["opening_balance"] + taken[shift["id"]] - returned[shift["id"]]
            if shift["expected_cash"] != expected:
                rule.bad(f"shift {shift['id']}: expected cash {shift['expected_cash']}, its cash says {expected}")
            elif shift["cash_difference"] != shift["actual_cash"] - shift["expected_cash"]:
                rule.bad(f"shift {shift['id']}: difference {shift['cash_difference']} != actual - expected")
        if still_open:
            rule.note = f"{still_open} shifts still open (nothing recorded to compare)"
        return rule

    def loyalty(self) -> Rule:
        rule = Rule("loyalty", "customers: loyalty points = points of their sales - points their refunds took back")
        earned = defaultdict(Decimal)
        for sid, sale in self.sales.items():
            if not self.counted(sale):
                continue
            percent = self.tenants[sale["tenant_id"]]["loyalty_percent"]
            points = money(sale["total_amount"] * percent / HUNDRED) if sale["customer_id"] else ZERO
            if sale["loyalty_points"] != points:
                rule.bad(f"sale {sid}: points {sale['loyalty_points']}, {percent}% of {sale['total_amount']} {points}")
            back = _sum(self.refunds_of.get(sid, []), "loyalty_points")
            if back > sale["loyalty_points"] or (sale["status"] == "refunded" and back != sale["loyalty_points"]):
                rule.bad(f"sale {sid} ({sale['status']}): points {sale['loyalty_points']}, taken back {back}")
            if sale["customer_id"]:
                earned[sale["customer_id"]] += sale["loyalty_points"] - back
        for customer in self.customers:
            rule.checked += 1
            if customer["loyalty_points"] != earned[customer["id"]]:
                rule.bad(
                    f"customer {customer['id']}: points {customer['loyalty_points']}, entries {earned[customer['id']]}"
                )
        return rule

    def customer_purchases(self) -> Rule:
        rule = Rule("customer_purchases", "customers: purchases total, count and last purchase = their sales")
        total, count, last = defaultdict(Decimal), Counter(), {}
        for sale in self.sales.values():
            cid = sale["customer_id"]
            if cid is None or not self.counted(sale):
                continue
            total[cid] += sale["total_amount"] - sale["refunded_amount"]
            count[cid] += sale["status"] == "completed"
            if last.get(cid) is None or sale["completed_at"] > last[cid]:
                last[cid] = sale["completed_at"]
        for customer in self.customers:
            rule.checked += 1
            cid = customer["id"]
            have = (customer["total_purchases"], customer["total_purchases_count"], customer["last_purchase_at"])
            want = (total[cid], count[cid], last.get(cid))
            if have != want:
                rule.bad(f"customer {cid}: total/count/last {_show(have)}, sales {_show(want)}")
        return rule

    def acknowledged(self, acknowledged: Acknowledged | None) -> Rule:
        rule = Rule("acknowledged", "clients: every checkout and refund answered 200 is in the database")
        if acknowledged is None:
            rule.note = "no client answers given"
            return rule
        for sid in sorted(acknowledged.sale_ids):
            rule.checked += 1
            sale = self.sales.get(sid)
            if sale is None or not self.counted(sale):
                rule.bad(f"sale {sid}: checked out, now {sale['status'] if sale else 'missing'}")
        refund_ids = {r["id"] for r in self.refunds}
        for rid in sorted(acknowledged.refund_ids):
            rule.checked += 1
            if rid not in refund_ids:
                rule.bad(f"refund {rid}: answered, missing")
        return rule

    def rules(self, acknowledged: Acknowledged | None = None) -> list[Rule]:
        return [
            self.stock_products(),
            self.stock_running(),
            self.stock_batches(),
            self.stock_not_negative(),
            self.movements_match_sales(),
            self.sale_lines_priced(),
            self.sale_totals(),
            self.sale_costs(),
            self.payments_cover_sales(),
            self.refunds_add_up(),
            self.no_half_written_sales(),
            self.receipt_counters(),
            self.shift_cash(),
            self.loyalty(),
            self.customer_purchases(),
            self.acknowledged(acknowledged),
        ]


def _show(values) -> str:
    return "/".join(str(v) for v in values)


def rollups_rule() -> Rule:
    """The daily rollups the checkouts and refunds added to = the rollups rebuilt from the sales
    (`rollups_rebuild`, in a transaction rolled back afterwards: nothing changes)."""
    from django.db import transaction

    from savdo.sales import rollups
    from savdo.sales.models import DailySales, Refund, Sale
    from savdo.tenancy.models import Tenant

    rule = Rule("rollups", "rollups: daily sales, products and customers = rebuilt from the sales")
    for tenant in Tenant.objects.order_by("id"):
        moments = list(
            Sale.objects.filter(tenant=tenant, completed_at__isnull=False).values_list("completed_at", flat=True)
        )
        moments += list(Refund.objects.filter(tenant=tenant).values_list("created_at", flat=True))
        days = {rollups.local_date(tenant, m) for m in moments}
        days |= set(DailySales.objects.filter(tenant=tenant).values_list("date", flat=True))
        if not days:
            continue
        date_from, date_to = min(days), max(days)
        kept = rollups.rollup_rows(tenant=tenant, date_from=date_from, date_to=date_to)
        with transaction.atomic():
            rollups.rollups_rebuild(tenant=tenant, date_from=date_from, date_to=date_to)
            rebuilt = rollups.rollup_rows(tenant=tenant, date_from=date_from, date_to=date_to)
            transaction.set_rollback(True)
        for table in ("days", "products", "customers"):
            for key in sorted(set(kept[table]) | set(rebuilt[table]), key=str):
                rule.checked += 1
                have, want = kept[table].get(key), rebuilt[table].get(key)
                if have != want:
                    diff = sorted(
                        n for n in set(have or {}) | set(want or {}) if (have or {}).get(n) != (want or {}).get(n)
                    )
                    rule.bad(f"store {tenant.pk} {table} {key}: differs in {', '.join(diff) or 'presence'}")
    return rule


def check_ledgers(acknowledged: Acknowledged | None = None) -> list[Rule]:
    """Every ledger rule over the whole database (see `Ledgers`), then the rollups'."""
    return [*Ledgers().rules(acknowledged), rollups_rule()]


# --- environment, database, seed --------------------------------------------------------------------


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="how long the traffic and faults last")
    parser.add_argument("--cashiers", type=int, default=3, help="cashiers (client threads), 2-4")
    parser.add_argument("--min-checkouts", type=int, default=50, help="fewer completed checkouts fail the drill")
    parser.add_argument("--worker-kills", type=int, default=2, help="gunicorn workers SIGKILLed during the run")
    parser.add_argument("--seed", type=int, default=2025, help="seed of the clients' choices")
    args = parser.parse_args(argv)
    args.cashiers = min(max(args.cashiers, 2), 4)
    return args


def configure_environment() -> str:
    database_url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    name = urlsplit(database_url).path.lstrip("/")
    if not database_url.startswith(("postgres://", "postgresql://")) or "drill" not in name:
        sys.exit(f"fault_drill: DATABASE_URL must name a PostgreSQL database with 'drill' in its name: {name!r}")
    os.environ.update(
        DATABASE_URL=database_url,
        REDIS_URL=os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL,
        DJANGO_SETTINGS_MODULE="savdo.settings",
        SECRET_KEY=os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),  # the server signs alike
        DEBUG="0",
        SAVDO_ACCESS_LOG="0",
    )
    sys.path.insert(0, str(ROOT))
    return database_url


def _pg_connect(database_url: str, dbname: str | None = None):
    import psycopg

    parts = urlsplit(database_url)
    return psycopg.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password,
        dbname=dbname or parts.path.lstrip("/"),
        autocommit=True,
    )


def recreate_database(database_url: str) -> None:
    name = urlsplit(database_url).path.lstrip("/")
    with _pg_connect(database_url, "postgres") as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def empty_redis(redis_url: str) -> None:
    import redis

    redis.Redis.from_url(redis_url).flushdb()


@dataclass
class Till:
    name: str
    token: str
    session_id: int


@dataclass
class Shop:
    tenant_key: str
    owner_token: str
    tills: list[Till]
    products: list[dict]  # id, unit
    customers: list[int]
    receive_expiry: str  # of the batches the owner receives into during the drill


def seed(*, cashiers: int, rng: random.Random) -> Shop:
    """One store: owner, cashiers with open shifts, ~30 products with stock (batches too), ~50
    customers (groups, discounts, a few blocked), and earlier sales that gave some of them points."""
    from datetime import timedelta

    from django.utils import timezone
    from rest_framework_simplejwt.tokens import RefreshToken

    from savdo.customers.models import CustomerStatus
    from savdo.sales import services as sales_services
    from savdo.tenancy.models import Role
    from tests.catalog.factories import CategoryFactory, ProductFactory
    from tests.customers.factories import CustomerFactory, CustomerGroupFactory
    from tests.factories import MembershipFactory, TenantFactory, UserFactory
    from tests.inventory.factories import receive
    from tests.sales.factories import open_shift, sell

    def token(membership) -> str:
        return str(RefreshToken.for_user(membership.user).access_token)

    tenant = TenantFactory(name="Drill Shop", loyalty_percent=Decimal("2.00"))
    owner = MembershipFactory(tenant=tenant, role=Role.OWNER, user=UserFactory(username="drill-owner"))
    staff = [
        MembershipFactory(tenant=tenant, role=Role.CASHIER, user=UserFactory(username=f"drill-cashier-{n + 1}"))
        for n in range(cashiers)
    ]
    categories = [CategoryFactory(tenant=tenant, name=name) for name in ("Food", "Drinks", "Home")]
    today = timezone.localdate()
    catalog = []
    for n in range(30):
        by_weight = n % 8 == 5
        product = ProductFactory(
            tenant=tenant,
            name=f"Drill product {n + 1}",
            category=categories[n % 3],
            unit="kg" if by_weight else "pcs",
            sale_price=Decimal(rng.choice(["4500", "12000", "12999.99", "27350.50", "99000", "1333.33"])),
            cost_price=Decimal(rng.choice(["3000", "7999.99", "850.25"])),
            tax_rate=Decimal(rng.choice(["0", "12", "12", "15"])),
        )
        low = n in LOW_STOCK  # nearly sold out: checkouts compete for the last units
        if n % 3 == 0:  # two batches (the earlier expiry goes first), and some unbatched stock
            receive(
                product,
                3 if low else rng.randint(40, 120),
                user=owner.user,
                batch_number=f"B{n}-1",
                expiry_date=today + timedelta(days=30),
                cost_price="2500",
            )
            receive(
                product,
                rng.randint(40, 120),
                user=owner.user,
                batch_number=f"B{n}-2",
                expiry_date=today + timedelta(days=90),
                cost_price="2700.50",
            )
            receive(product, rng.randint(5, 20), user=owner.user)
        elif n % 3 == 1:
            receive(product, 4 if low else rng.randint(100, 250), user=owner.user)
        else:  # one batch without an expiry date, and unbatched stock
            receive(product, 5 if low else rng.randint(60, 160), user=owner.user, batch_number=f"B{n}-1")
            receive(product, rng.randint(20, 60), user=owner.user)
        catalog.append(product)

    vip = CustomerGroupFactory(tenant=tenant, name="Drill VIP", discount_percent=Decimal("10"))
    customers = []
    for n in range(50):
        fields = {}
        if n % 6 == 0:
            fields["group"] = vip
        if n % 5 == 1:
            fields["discount_percent"] = Decimal(rng.choice(["2.5", "5", "7"]))
        if n in (13, 37):
            fields["status"] = CustomerStatus.BLOCKED  # set-customer is refused
        customers.append(CustomerFactory(tenant=tenant, phone=f"+99890{7000000 + n:07d}", **fields))

    shifts = [open_shift(m, opening_balance=str(rng.choice([100000, 250000, 500000]))) for m in staff]
    # earlier purchases: loyalty points, purchase statistics and a refund already in the ledgers
    plenty = [p for n, p in enumerate(catalog) if n not in LOW_STOCK]
    buyers = [c for c in customers if c.status != CustomerStatus.BLOCKED][:12]
    earlier = []
    for n, customer in enumerate(buyers):
        picked = [plenty[(n * 7 + k) % len(plenty)] for k in range(1 + n % 3)]
        lines = [(p, Decimal("1.5") if p.unit == "kg" else 1) for p in picked]
        earlier.append(sell(staff[n % cashiers], lines, session=shifts[n % cashiers], customer=customer))
    sales_services.sale_refund(actor=owner, sale=earlier[0], reason="seed: changed their mind")

    tills = [Till(m.user.username, token(m), s.pk) for m, s in zip(staff, shifts, strict=True)]
    return Shop(
        tenant_key=tenant.key,
        owner_token=token(owner),
        tills=tills,
        products=[{"id": p.pk, "unit": p.unit} for p in catalog],
        customers=[c.pk for c in customers],
        receive_expiry=(today + timedelta(days=60)).isoformat(),
    )


# --- the clients ----------------------------------------------------------------------------------------


@dataclass
class Answer:
    status: int
    body: object
    headers: dict
    retried: bool = False  # an earlier attempt of this request got no answer, a 503 or a 429

    @property
    def data(self) -> dict:
        """The object of a retail answer (`{"status", "message", "data"}`), or the bare object."""
        body = self.body if isinstance(self.body, dict) else {}
        return body["data"] if isinstance(body.get("data"), dict) else body

    def message(self) -> str:
        body = self.body
        text = (body.get("message") or json.dumps(body, ensure_ascii=False)) if isinstance(body, dict) else body
        return str(text)[:200]


class Stats:
    """What the clients sent and got back, and what the fault thread did (thread-safe)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.requests = 0
        self.classes = Counter()  # "2xx", "4xx", "5xx", "no answer"
        self.by_action = Counter()  # (action, status or exception name)
        self.samples: dict[tuple, str] = {}  # (action, status) -> first message
        self.allowed_503 = 0
        self.server_errors: list[str] = []
        self.replayed = 0
        self.gave_up = Counter()  # action -> requests given up after every retry
        self.events = Counter()  # checkouts, refunds, cancels, new keys, shifts...
        self.acknowledged = Acknowledged()
        self.sweeps = 0
        self.terminated = 0
        self.kills: list[dict] = []

    def record(self, action: str, method: str, path: str, answer: Answer | None, error: BaseException | None) -> None:
        with self.lock:
            self.requests += 1
            if answer is None:
                self.classes["no answer"] += 1
                self.by_action[(action, type(error).__name__)] += 1
                return
            status = answer.status
            self.classes[f"{status // 100}xx"] += 1
            self.by_action[(action, status)] += 1
            if answer.headers.get("idempotent-replayed") == "true":
                self.replayed += 1
            if status >= 400:
                self.samples.setdefault((action, status), answer.message())
            if status >= 500:
                if status == 503 and answer.headers.get("retry-after") and method in WRITE_METHODS:
                    self.allowed_503 += 1
                else:
                    self.server_errors.append(f"{status} {method} {path}: {answer.message()}")

    def count(self, event: str, n: int = 1) -> None:
        with self.lock:
            self.events[event] += n


class Api:
    """One client's HTTP/1.1 connection to the server (kept alive), signed in as one member."""

    def __init__(self, port: int, token: str, tenant_key: str, stats: Stats, rng: random.Random):
        self.port = port
        self.headers = {
            "Authorization": f"Bearer {token}",
            "X-Tenant-Key": tenant_key,
            "Accept": "application/json",
            "Accept-Language": "en",
        }
        self.stats = stats
        self.rng = rng
        self.connection: http.client.HTTPConnection | None = None

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def send(self, method: str, path: str, body=None, key: str | None = None):
        headers = dict(self.headers)
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if key:
            headers["Idempotency-Key"] = key
        if self.connection is None:
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT)
        try:
            self.connection.request(method, path, body=data, headers=headers)
            response = self.connection.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException) as error:
            self.close()
            return None, error
        answer_headers = {name.lower(): value for name, value in response.getheaders()}
        if response.will_close:
            self.close()
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = raw[:300].decode("utf-8", "replace")
        return Answer(response.status, parsed, answer_headers), None

    def call(self, method: str, path: str, body=None, *, action: str, key: str | None = None) -> Answer | None:
        """The request, retried (same body, same key) while it gets no answer, a 503 or a 429."""
        started = time.monotonic()
        retried = False
        for attempt in range(1, MAX_ATTEMPTS + 1):
            answer, error = self.send(method, path, body, key)
            self.stats.record(action, method, path, answer, error)
            if answer is not None and answer.status not in RETRY_STATUSES:
                answer.retried = retried
                return answer
            retried = True
            if attempt == MAX_ATTEMPTS or time.monotonic() - started > MAX_RETRY_SECONDS:
                break
            wait = 0.1 * attempt
            if answer is not None and answer.headers.get("retry-after", "").isdigit():
                wait = float(answer.headers["retry-after"])
            time.sleep(min(wait, 2.0) * self.rng.uniform(0.5, 1.0))
        with self.stats.lock:
            self.stats.gave_up[action] += 1
        return None


def payments_for(total: Decimal, rng: random.Random) -> list[dict]:
    """Cash with change, exact cash, card, mobile, or cash and card together: exactly `total`."""
    kind = rng.random()
    if total < Decimal("0.02") or kind < 0.25:
        received = (total / 1000).to_integral_value(rounding="ROUND_CEILING") * 1000
        return [{"payment_method": "cash", "amount": str(total), "received_amount": str(max(received, total))}]
    if kind < 0.4:
        return [{"payment_method": "cash", "amount": str(total)}]
    if kind < 0.65:
        return [{"payment_method": "card", "amount": str(total), "card_last4": "4242", "transaction_id": "DRILL"}]
    if kind < 0.75:
        return [{"payment_method": rng.choice(["mobile", "transfer"]), "amount": str(total)}]
    cash = money(total * Decimal(rng.randint(10, 90)) / HUNDRED)
    cash = min(max(cash, CENT), total - CENT)
    received = (cash / 500).to_integral_value(rounding="ROUND_CEILING") * 500
    return [
        {"payment_method": "cash", "amount": str(cash), "received_amount": str(received)},
        {"payment_method": "card", "amount": str(total - cash), "card_last4": "1111"},
    ]


class Cashier:
    """One till: rings up sales, checks them out, once closes its shift and opens another."""

    def __init__(self, till: Till, shop: Shop, port: int, stats: Stats, rng: random.Random, sold: SoldSales):
        self.till = till
        self.shop = shop
        self.stats = stats
        self.rng = rng
        self.sold = sold
        self.api = Api(port, till.token, shop.tenant_key, stats, rng)
        self.session_id = till.session_id

    def run(self, deadline: float, rotate_at: float) -> None:
        rotated = False
        try:
            while time.monotonic() < deadline:
                if not rotated and time.monotonic() >= rotate_at:
                    rotated = True
                    self.close_shift()
                    self.open_shift()
                    continue
                self.one_sale()
        finally:
            self.api.close()

    def _quantity(self, product: dict) -> str:
        if self.rng.random() < 0.06:
            return "500"  # more than any product has: refused
        if product["unit"] == "kg":
            return self.rng.choice(["0.5", "1", "1.25", "2.5"])
        return str(self.rng.choice([1, 1, 1, 2, 2, 3]))

    def one_sale(self) -> None:
        sale = None
        unsure = False  # some write's outcome is not known from an answer: read the sale again
        for _line in range(self.rng.randint(1, 4)):
            product = self.rng.choice(self.shop.products)
            body = {"product": product["id"], "quantity": self._quantity(product)}
            if sale is None:
                body["session"] = self.session_id
                answer = self.api.call("POST", "/api/sales/sales/scan-item/", body, action="scan-item")
            else:
                path = f"/api/sales/sales/{sale['id']}/add-item/"
                answer = self.api.call("POST", path, body, action="add-item")
            if answer is not None and answer.status == 200:
                sale = answer.data
            else:
                unsure = unsure or answer is None or answer.retried or answer.status >= 500
        if sale is None:
            return
        if self.rng.random() < 0.4:
            body = {"customer": self.rng.choice(self.shop.customers)}
            answer = self.api.call("POST", f"/api/sales/sales/{sale['id']}/set-customer/", body, action="set-customer")
            if answer is not None and answer.status == 200:
                sale = answer.data
            else:
                unsure = unsure or answer is None or answer.retried or answer.status >= 500
        if unsure:
            sale = self.read_sale(sale["id"]) or sale
        if sale.get("status") == "pending":
            self.checkout(sale)

    def read_sale(self, sale_id: int) -> dict | None:
        answer = self.api.call("GET", f"/api/sales/sales/{sale_id}/", action="read-sale")
        return answer.data if answer is not None and answer.status == 200 else None

    def checkout(self, sale: dict) -> None:
        path = f"/api/sales/sales/{sale['id']}/checkout/"
        for _round in range(4):
            if not sale.get("items"):
                self.cancel(sale)
                return
            payments = payments_for(Decimal(sale["total_amount"]), self.rng)
            key = str(uuid.uuid4())
            answer = self.api.call("POST", path, {"payments": payments}, action="checkout", key=key)
            stuck_until = time.monotonic() + STUCK_KEY_WAIT
            while answer is not None and answer.status == 409 and time.monotonic() < stuck_until:
                time.sleep(0.3)  # a lost attempt's claim on the key: the answer may yet be stored
                answer = self.api.call("POST", path, {"payments": payments}, action="checkout", key=key)
            if answer is not None and answer.status == 200:
                self.completed(answer.data)
                return
            fresh = self.read_sale(sale["id"])
            if fresh is None:
                return
            if fresh["status"] != "pending":
                if fresh["status"] in ("completed", "refunded"):
                    self.stats.count("checkouts found completed after a lost answer")
                    self.sold.add(fresh)
                return
            if answer is not None and answer.status == 409:
                self.stats.count("checkouts retried with a new key (the old one's claim was left by a lost attempt)")
            elif answer is not None and fresh["total_amount"] == sale["total_amount"]:
                self.stats.count(f"checkouts refused ({answer.status})")
                self.cancel(fresh)  # e.g. stock sold meanwhile: the customer leaves
                return
            sale = fresh  # the total moved (an add-item committed after all) or the key was stuck: again

    def completed(self, sale: dict) -> None:
        self.stats.count("checkouts completed")
        with self.stats.lock:
            self.stats.acknowledged.sale_ids.add(sale["id"])
        self.sold.add(sale)

    def cancel(self, sale: dict) -> None:
        answer = self.api.call("POST", f"/api/sales/sales/{sale['id']}/cancel/", action="cancel")
        if answer is not None and answer.status == 200:
            self.stats.count("sales cancelled")

    def current_shift(self) -> int | None:
        answer = self.api.call("GET", "/api/sales/sessions/current/", action="current-shift")
        return answer.data.get("id") if answer is not None and answer.status == 200 else None

    def close_shift(self) -> None:
        """Close the shift counting the cash its report expects (a pending sale is cancelled)."""
        for _attempt in range(4):
            report = self.api.call("GET", f"/api/sales/sessions/{self.session_id}/report/", action="shift-report")
            counted = report.data.get("expected_cash", "0") if report is not None and report.status == 200 else "0"
            body = {"actual_cash": counted, "cancel_pending": True, "note": "fault drill"}
            answer = self.api.call("POST", f"/api/sales/sessions/{self.session_id}/close/", body, action="close-shift")
            if answer is not None and answer.status == 200:
                self.stats.count("shifts closed")
                return
            if self.current_shift() != self.session_id:
                self.stats.count("shifts closed")  # the close committed, its answer was lost
                return

    def open_shift(self) -> None:
        for _attempt in range(4):
            body = {"opening_balance": str(self.rng.choice([50000, 100000, 200000]))}
            answer = self.api.call("POST", "/api/sales/sessions/open/", body, action="open-shift")
            if answer is not None and answer.status == 201:
                self.session_id = answer.data["id"]
                self.stats.count("shifts opened")
                return
            current = self.current_shift()
            if current is not None:
                self.session_id = current
                self.stats.count("shifts opened")
                return


class SoldSales:
    """Completed sales the owner may refund (thread-safe)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.sales: dict[int, dict] = {}

    def add(self, sale: dict) -> None:
        with self.lock:
            if sale.get("status") == "completed":
                self.sales[sale["id"]] = sale
            else:
                self.sales.pop(sale["id"], None)

    def pick(self, rng: random.Random) -> dict | None:
        with self.lock:
            return self.sales[rng.choice(list(self.sales))] if self.sales else None


class Owner:
    """Refunds parts or all of completed sales, receives goods (managers only) and reads the lists."""

    READS = (
        "/api/sales/sales/today/?page_size=20",
        "/api/sales/sales/?status=completed&page_size=20",
        "/api/products/products/?page_size=50",
        "/api/products/stock-movements/?page_size=50",
        "/api/sales/sessions/",
    )

    def __init__(self, shop: Shop, port: int, stats: Stats, rng: random.Random, sold: SoldSales):
        self.stats = stats
        self.rng = rng
        self.sold = sold
        self.api = Api(port, shop.owner_token, shop.tenant_key, stats, rng)
        self.products = shop.products
        self.expiry = shop.receive_expiry

    def run(self, deadline: float, stop: threading.Event) -> None:
        try:
            while time.monotonic() < deadline and not stop.wait(self.rng.uniform(0.2, 0.6)):
                self.api.call("GET", self.rng.choice(self.READS), action="read-list")
                sale = self.sold.pick(self.rng)
                if sale is not None and self.rng.random() < 0.6:
                    self.refund(sale)
                if self.rng.random() < 0.2:
                    self.receive()
        finally:
            self.api.close()

    def receive(self) -> None:
        """Goods in while the tills sell them: unbatched, or into a batch (created by the first)."""
        product = self.rng.choice(self.products)
        body = {"product": product["id"], "quantity": str(self.rng.randint(10, 40)), "reason": "fault drill"}
        if self.rng.random() < 0.5:
            body["batch_number"] = f"DRILL-{product['id']}"
            body["expiry_date"] = self.expiry
        answer = self.api.call("POST", "/api/products/stock/receive/", body, action="receive")
        if answer is not None and answer.status == 201:
            self.stats.count("stock receipts")

    def refund(self, sale: dict) -> None:
        left = [i for i in sale["items"] if Decimal(i["quantity"]) > Decimal(i["refunded_quantity"])]
        if not left:
            return
        if self.rng.random() < 0.25:
            body = {"reason": "fault drill: everything back"}
        else:
            item = self.rng.choice(left)
            rest = Decimal(item["quantity"]) - Decimal(item["refunded_quantity"])
            part = min(rest, Decimal("0.5") if item["unit"] == "kg" else Decimal("1"))
            body = {"items": [{"item_id": item["id"], "quantity": str(part)}], "reason": "fault drill"}
        path = f"/api/sales/sales/{sale['id']}/refund/"
        key = str(uuid.uuid4())
        answer = self.api.call("POST", path, body, action="refund", key=key)
        stuck_until = time.monotonic() + STUCK_KEY_WAIT
        while answer is not None and answer.status == 409 and time.monotonic() < stuck_until:
            time.sleep(0.3)
            answer = self.api.call("POST", path, body, action="refund", key=key)
        if answer is not None and answer.status == 200:
            data = answer.data
            self.stats.count("refunds completed")
            with self.stats.lock:
                known = {r["id"] for r in sale.get("refunds", [])}
                self.stats.acknowledged.refund_ids.update(
                    r["id"] for r in data.get("refunds", []) if r["id"] not in known
                )
            self.sold.add(data)
            return
        self.stats.count("refunds not done (refused, or the answer was lost)")
        fresh = self.api.call("GET", f"/api/sales/sales/{sale['id']}/", action="read-sale")
        if fresh is not None and fresh.status == 200:
            self.sold.add(fresh.data)


# --- the server and the faults --------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def children_of(pid: int) -> set[int]:
    """The processes whose parent is `pid` (gunicorn's workers, for the arbiter)."""
    found: set[int] = set()
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            text = (task / "children").read_text()
            found.update(int(part) for part in text.split())
        return found
    except OSError:
        pass
    for entry in Path("/proc").iterdir():  # kernels without /proc/<pid>/task/<tid>/children
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.add(int(entry.name))
    return found


class Server:
    """`savdo serve` in a subprocess (its pid is gunicorn's arbiter), its output in a log file."""

    def __init__(self, port: int, workers: int, threads: int, log_path: Path):
        self.port = port
        self.workers = workers
        self.log_path = log_path
        savdo = Path(sys.executable).with_name("savdo")
        command = [str(savdo)] if savdo.exists() else [sys.executable, "-c", "from savdo.cli import main; main()"]
        command += ["serve", "--no-migrate", "--workers", str(workers), "--threads", str(threads)]
        command += ["--port", str(port), "--host", "127.0.0.1"]
        self.log = log_path.open("wb")
        self.process = subprocess.Popen(command, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT)

    def workers_now(self) -> set[int]:
        return children_of(self.process.pid)

    def wait_ready(self, timeout: float = 90.0) -> None:
        until = time.monotonic() + timeout
        while time.monotonic() < until:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited ({self.process.returncode}); see {self.log_path}")
            if len(self.workers_now()) >= self.workers and self._ready():
                return
            time.sleep(0.3)
        raise RuntimeError(f"the server was not ready in {timeout:.0f} s; see {self.log_path}")

    def _ready(self) -> bool:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
            connection.request("GET", "/readyz")
            ok = connection.getresponse().status == 200
            connection.close()
            return ok
        except (OSError, http.client.HTTPException):
            return False

    def kill_worker(self, rng: random.Random) -> dict:
        """SIGKILL one worker; wait (up to 20 s) for the arbiter to start another."""
        before = self.workers_now()
        if not before:
            return {"killed": None, "respawned": None}
        victim = rng.choice(sorted(before))
        os.kill(victim, signal.SIGKILL)
        killed_at = time.monotonic()
        while time.monotonic() - killed_at < 20:
            now = self.workers_now()
            if len(now - before) >= 1 and len(now) >= self.workers:
                return {"killed": victim, "respawned": round(time.monotonic() - killed_at, 2)}
            time.sleep(0.05)
        return {"killed": victim, "respawned": None}

    def stop(self) -> None:
        if self.log.closed:
            return
        workers = self.workers_now()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                for pid in workers | self.workers_now():
                    _kill_quietly(pid)
                self.process.kill()
                self.process.wait(timeout=10)
        for pid in workers:  # a worker outliving its arbiter
            _kill_quietly(pid)
        self.log.close()

    def server_errors_logged(self) -> Counter:
        """The errors the server logged with a traceback (a 500, an error in the ASGI application),
        each as "its savdo frames -> its last line", counted."""
        found = Counter()
        block: list[str] | None = None

        def done(lines: list[str] | None) -> None:
            if not lines:
                return
            starts = [n for n, text in enumerate(lines) if text.startswith("Traceback")]
            outer = lines[starts[-1] :] if starts else lines  # the exception raised last, not its causes
            frames = [f"{m.group(1)}:{m.group(2)} {m.group(3)}" for m in map(SAVDO_FRAME.search, outer) if m]
            errors = [text for text in outer if EXCEPTION_LINE.match(text)] or outer[-1:]
            found[f"{lines[0]}: {' > '.join(frames)} -> {errors[-1].strip()[:160]}"] += 1

        for line in self.log_path.read_text(errors="replace").splitlines():
            if TIMESTAMPED.match(line):
                done(block)
                block = None
                if "Internal Server Error" in line or "Error in ASGI application" in line or "Exception in" in line:
                    block = [line.split("] ")[-1].split(": ")[-1] if "ERROR" in line else line]
            elif block is not None and line.strip():
                block.append(line)
        done(block)
        return found


def _kill_quietly(pid: int) -> None:
    with contextlib.suppress(OSError):
        os.kill(pid, signal.SIGKILL)


TERMINATE = """
    SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))
    FROM pg_stat_activity
    WHERE datname = %s AND pid <> pg_backend_pid() AND backend_type = 'client backend'
"""


def faults(
    *,
    database_url: str,
    server: Server,
    stats: Stats,
    rng: random.Random,
    start: float,
    seconds: float,
    kills: int,
    stop: threading.Event,
) -> None:
    """Every 1-2 s: terminate every server connection to the database. At evenly spaced moments:
    SIGKILL a worker."""
    name = urlsplit(database_url).path.lstrip("/")
    kill_at = [start + seconds * (n + 1) / (kills + 1) for n in range(kills)]
    connection = None
    while not stop.wait(rng.uniform(1.0, 2.0)):
        try:
            if connection is None:
                connection = _pg_connect(database_url, "postgres")
            terminated = connection.execute(TERMINATE, [name]).fetchone()[0]
            with stats.lock:
                stats.sweeps += 1
                stats.terminated += terminated
        except Exception as error:  # the fault thread must outlive its own trouble
            print(f"fault thread: {type(error).__name__}: {error}", flush=True)
            connection = None
        if kill_at and time.monotonic() >= kill_at[0]:
            kill_at.pop(0)
            result = server.kill_worker(rng)
            with stats.lock:
                stats.kills.append(result)
    if connection is not None:
        connection.close()


# --- the run --------------------------------------------------------------------------------------------


def print_rules(rules: list[Rule]) -> None:
    print("== ledgers")
    width = max(len(r.name) for r in rules)
    for rule in rules:
        mark = "ok  " if rule.ok else "FAIL"
        line = f"  {mark} {rule.name:<{width}}  {rule.checked:>6} checked, {len(rule.violations)} violations"
        print(line + (f"  ({rule.note})" if rule.note else ""))
        for text in rule.violations[:SHOWN]:
            print(f"         - {text}")
        if len(rule.violations) > SHOWN:
            print(f"         ... and {len(rule.violations) - SHOWN} more")


def print_traffic(stats: Stats, drill_checkouts: int) -> None:
    print("== traffic")
    classes = ", ".join(f"{name} {stats.classes[name]}" for name in ("2xx", "4xx", "5xx", "no answer"))
    print(f"  requests {stats.requests}: {classes}")
    print(f"  503 + Retry-After to writes (allowed): {stats.allowed_503}; other 5xx: {len(stats.server_errors)}")
    print(f"  idempotent replays: {stats.replayed}; requests given up: {dict(stats.gave_up) or 0}")
    for event, n in sorted(stats.events.items()):
        print(f"  {event}: {n}")
    print(f"  checkouts completed in the database during the drill: {drill_checkouts}")
    print("  answers by action:")
    actions = sorted({a for a, _s in stats.by_action})
    for action in actions:
        parts = sorted(((str(s), n) for (a, s), n in stats.by_action.items() if a == action))
        print(f"    {action:<14} " + ", ".join(f"{s}: {n}" for s, n in parts))
    refusals = sorted((k, v) for k, v in stats.samples.items() if k[1] < 500)
    if refusals:
        print("  first refusal of each kind:")
        for (action, status), text in refusals:
            print(f"    {action} {status}: {text}")
    print("== faults")
    print(f"  pg_terminate_backend sweeps: {stats.sweeps}, server connections terminated: {stats.terminated}")
    for kill in stats.kills:
        respawn = f"respawned in {kill['respawned']} s" if kill["respawned"] is not None else "NOT respawned"
        print(f"  worker {kill['killed']} SIGKILLed: {respawn}")


def drive(
    args: argparse.Namespace, shop: Shop, server: Server, database_url: str, rng: random.Random
) -> tuple[Stats, list[str]]:
    """The cashiers, the owner and the faults, for `args.seconds`; returns what happened and the names
    of client threads still running afterwards."""
    stats = Stats()
    sold = SoldSales()
    stop = threading.Event()
    start = time.monotonic()
    deadline = start + args.seconds
    print(
        f"== {args.seconds:.0f} s of checkouts by {args.cashiers} cashiers and refunds by the owner, under faults",
        flush=True,
    )
    threads = []
    for n, till in enumerate(shop.tills):
        cashier = Cashier(till, shop, server.port, stats, random.Random(args.seed * 100 + n), sold)
        rotate_at = start + args.seconds * rng.uniform(0.4, 0.6)
        threads.append(threading.Thread(target=cashier.run, args=(deadline, rotate_at), name=till.name, daemon=True))
    owner = Owner(shop, server.port, stats, random.Random(args.seed * 100 + 99), sold)
    threads.append(threading.Thread(target=owner.run, args=(deadline, stop), name="owner", daemon=True))
    fault_thread = threading.Thread(
        target=faults,
        kwargs={
            "database_url": database_url,
            "server": server,
            "stats": stats,
            "rng": random.Random(args.seed + 1),
            "start": start,
            "seconds": args.seconds,
            "kills": args.worker_kills,
            "stop": stop,
        },
        name="faults",
        daemon=True,
    )
    for thread in [*threads, fault_thread]:
        thread.start()
    while time.monotonic() < deadline:
        time.sleep(0.2)
    stop.set()
    fault_thread.join()
    for thread in threads:
        thread.join(timeout=90)
    return stats, [t.name for t in threads if t.is_alive()]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    began = time.monotonic()
    database_url = configure_environment()
    rng = random.Random(args.seed)
    workdir = Path(tempfile.mkdtemp(prefix="savdo-drill-"))

    print(f"== database {urlsplit(database_url).path.lstrip('/')}: recreate, migrate, seed", flush=True)
    recreate_database(database_url)
    empty_redis(os.environ["REDIS_URL"])
    import django
    from django.core.management import call_command
    from django.db import connections

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)
    shop = seed(cashiers=args.cashiers, rng=rng)
    from django.utils import timezone

    from savdo.sales.models import Sale

    drill_started_at = timezone.now()
    connections.close_all()  # the faults kill every other connection: this process holds none meanwhile

    port = free_port()
    print(f"== server: savdo serve --workers 2 --threads 4 --port {port} (log: {workdir / 'server.log'})", flush=True)
    server = Server(port, workers=2, threads=4, log_path=workdir / "server.log")
    try:
        server.wait_ready()
        set_up = time.monotonic() - began
        stats, stuck = drive(args, shop, server, database_url, rng)
        # every shift closed (no faults now): each records the cash it expects
        for till in shop.tills:
            closer = Cashier(till, shop, port, stats, random.Random(0), SoldSales())
            closer.session_id = closer.current_shift() or closer.session_id
            closer.close_shift()
            closer.api.close()
    except RuntimeError as error:
        print(f"fault drill: could not run: {error}")
        return 2
    finally:
        server.stop()
    server_logged = server.server_errors_logged()
    checks_began = time.monotonic()
    rules = check_ledgers(stats.acknowledged)
    drill_checkouts = Sale.objects.filter(completed_at__gte=drill_started_at).count()
    print_traffic(stats, drill_checkouts)
    print_rules(rules)

    failures = [f"rule broken: {r.name} ({len(r.violations)})" for r in rules if not r.ok]
    if stats.server_errors:
        failures.append(f"{len(stats.server_errors)} server errors (5xx other than a 503 with Retry-After to a write)")
        for text in stats.server_errors[:SHOWN]:
            print(f"  server error: {text}")
    if server_logged:
        failures.append(f"{sum(server_logged.values())} errors with a traceback in the server's log")
        print("== errors in the server's log (savdo frames -> the error)")
        for text, n in server_logged.most_common():
            print(f"  {n} x {text}")
    if drill_checkouts < args.min_checkouts:
        failures.append(f"only {drill_checkouts} checkouts completed (at least {args.min_checkouts} needed)")
    if len(stats.kills) < args.worker_kills or any(k["respawned"] is None for k in stats.kills):
        failures.append(f"workers killed and respawned: {stats.kills} (wanted {args.worker_kills})")
    if stats.terminated == 0:
        failures.append("pg_terminate_backend never found a server connection to terminate")
    if stuck:
        failures.append(f"client threads still running after the drill: {stuck}")
    took = time.monotonic() - began
    phases = f"set-up {set_up:.0f} s, traffic {args.seconds:.0f} s, checks {time.monotonic() - checks_began:.0f} s"
    if failures:
        print(f"fault drill: FAILED in {took:.0f} s ({phases}; server log: {workdir / 'server.log'})")
        for text in failures:
            print(f"  - {text}")
        return 1
    shutil.rmtree(workdir, ignore_errors=True)
    print(
        f"fault drill: passed in {took:.0f} s ({phases}): {drill_checkouts} checkouts, every ledger rule holds, "
        "no 5xx but 503s with Retry-After to writes"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
