"""Analytics settings that are not per tenant: default periods, caps, and the RFM segment table."""

from django.utils.translation import gettext_lazy as _

# Default periods (days, ending today in the tenant's time zone, today included).
DEFAULT_TRENDS_DAYS = 30
DEFAULT_TOP_PRODUCTS_DAYS = 30
DEFAULT_SLOW_MOVERS_DAYS = 30
DEFAULT_PERIOD_DAYS = 30
DEFAULT_RFM_DAYS = 365
# A stored RFM base (`savdo refresh-rfm`) serves a period whose first and last days are together at
# most this many days away from its own; the customers of those days are recomputed live, so the
# cost grows with the drift (and a missed daily refresh or two costs little).
RFM_BASE_MAX_DRIFT_DAYS = 7
# ... and as long as the stored rows read around the quintile cuts (twelve windows about as wide as
# the number of customers changed since) stay below a quarter of the base or this many rows: past
# that, sorting the period's customers costs less.
RFM_BASE_WINDOW_ROWS = 5_000
# `days_of_stock` divides available stock by the average daily sales of this many days.
STOCK_SALES_WINDOW_DAYS = 30

# The longest period a report accepts (three years, a leap day included): a report's cost grows
# with its number of days, so it is bounded.
MAX_REPORT_DAYS = 1096

DEFAULT_TOP_LIMIT = 10
MAX_TOP_LIMIT = 100

# --- RFM -----------------------------------------------------------------------------------------
# Each of recency (R), frequency (F) and monetary (M) is scored 1..5 by quintile within the tenant's
# customers who bought in the period (5 = most recent / most frequent / biggest spender).
# The segment comes from R and FM = round-half-up((F + M) / 2) by this table (rows R, columns FM):
#
# | R \ FM | 1                | 2                  | 3                  | 4               | 5               |
# | ------ | ---------------- | ------------------ | ------------------ | --------------- | --------------- |
# | 5      | Recent Customers | Potential Loyalist | Potential Loyalist | Champions       | Champions       |
# | 4      | Promising        | Potential Loyalist | Potential Loyalist | Loyal Customers | Champions       |
# | 3      | Need Attention   | Need Attention     | Need Attention     | Loyal Customers | Loyal Customers |
# | 2      | Hibernating      | Hibernating        | At Risk            | At Risk         | Can't Lose Them |
# | 1      | Lost             | Lost               | At Risk            | At Risk         | Can't Lose Them |

CHAMPIONS = "Champions"
LOYAL = "Loyal Customers"
POTENTIAL_LOYALIST = "Potential Loyalist"
RECENT = "Recent Customers"
PROMISING = "Promising"
NEED_ATTENTION = "Need Attention"
AT_RISK = "At Risk"
CANT_LOSE = "Can't Lose Them"
HIBERNATING = "Hibernating"
LOST = "Lost"

# Document 001's order ("Сегменты клиентов (RFM)"); answers list the segments in it.
SEGMENTS = (
    CHAMPIONS,
    LOYAL,
    POTENTIAL_LOYALIST,
    RECENT,
    PROMISING,
    NEED_ATTENTION,
    AT_RISK,
    CANT_LOSE,
    HIBERNATING,
    LOST,
)
# The customers who may leave (001 §4.3 "Клиенты в группе риска").
AT_RISK_SEGMENTS = (AT_RISK, CANT_LOSE, HIBERNATING, LOST)

SEGMENT_GRID: dict[int, tuple[str, str, str, str, str]] = {
    # R: (FM=1, FM=2, FM=3, FM=4, FM=5)
    5: (RECENT, POTENTIAL_LOYALIST, POTENTIAL_LOYALIST, CHAMPIONS, CHAMPIONS),
    4: (PROMISING, POTENTIAL_LOYALIST, POTENTIAL_LOYALIST, LOYAL, CHAMPIONS),
    3: (NEED_ATTENTION, NEED_ATTENTION, NEED_ATTENTION, LOYAL, LOYAL),
    2: (HIBERNATING, HIBERNATING, AT_RISK, AT_RISK, CANT_LOSE),
    1: (LOST, LOST, AT_RISK, AT_RISK, CANT_LOSE),
}

# Display names (the API answers the English names above, as document 001 writes them).
SEGMENT_LABELS = {
    CHAMPIONS: _("Champions"),
    LOYAL: _("Loyal Customers"),
    POTENTIAL_LOYALIST: _("Potential Loyalist"),
    RECENT: _("Recent Customers"),
    PROMISING: _("Promising"),
    NEED_ATTENTION: _("Need Attention"),
    AT_RISK: _("At Risk"),
    CANT_LOSE: _("Can't Lose Them"),
    HIBERNATING: _("Hibernating"),
    LOST: _("Lost"),
}


def fm_score(frequency_score: int, monetary_score: int) -> int:
    """FM: the mean of F and M, halves rounded up."""
    return (frequency_score + monetary_score + 1) // 2


def segment_for(recency_score: int, frequency_score: int, monetary_score: int) -> str:
    """The segment of a customer's R, F, M scores (each 1..5) by `SEGMENT_GRID`."""
    return SEGMENT_GRID[recency_score][fm_score(frequency_score, monetary_score) - 1]
