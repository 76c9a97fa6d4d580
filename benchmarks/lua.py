"""wrk Lua scripts generated per scenario.

Every script collects, per wrk thread, the `X-Savdo-SQL: <queries>;<ms>` header of each response
and the number of 4xx/5xx answers, and prints one `JSON{...}` line from `done()` with the request
count, latency percentiles (p50/p95/p99 in microseconds) and the SQL totals.
"""

import json

_COMMON = r"""
sql_q, sql_ms, sql_n, bad, flows = 0, 0, 0, 0, 0
local threads = {}
function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_index", #threads)
end
local function record(status, headers)
  if status >= 400 then bad = bad + 1 end
  local s = headers["X-Savdo-SQL"] or headers["x-savdo-sql"]
  if s then
    local q, ms = s:match("(%d+);([%d%.]+)")
    if q then sql_q = sql_q + tonumber(q); sql_ms = sql_ms + tonumber(ms); sql_n = sql_n + 1 end
  end
end
function done(summary, latency, requests)
  local q, ms, n, b, f = 0, 0, 0, 0, 0
  for _, t in ipairs(threads) do
    q = q + t:get("sql_q"); ms = ms + t:get("sql_ms"); n = n + t:get("sql_n")
    b = b + t:get("bad"); f = f + t:get("flows")
  end
  local e = summary.errors
  io.write(string.format(
    'JSON{"requests":%d,"duration_us":%d,"p50_us":%d,"p95_us":%d,"p99_us":%d,"bad_status":%d,' ..
    '"socket_errors":%d,"sql_n":%d,"sql_q":%d,"sql_ms":%.3f,"flows":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), b, e.connect + e.read + e.write + e.timeout, n, q, ms, f))
end
"""


def _lua_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=True)


def _headers_table(headers: dict[str, str]) -> str:
    items = ", ".join(f"[{_lua_string(k)}] = {_lua_string(v)}" for k, v in headers.items())
    return "{" + items + "}"


def get_script(paths: list[str], headers: dict[str, str]) -> str:
    """GET requests cycling through `paths` (each thread starts at a different offset)."""
    path_list = ", ".join(_lua_string(p) for p in paths)
    return (
        _COMMON
        + f"""
local paths = {{{path_list}}}
local headers = {_headers_table(headers)}
local i = 0
function init(args) i = (thread_index or 0) % #paths end
function request()
  i = i % #paths + 1
  return wrk.format("GET", paths[i], headers)
end
function response(status, hdrs, body) record(status, hdrs) end
"""
    )


def cashier_script(cashiers: list[dict], product_sets: list[list[int]]) -> str:
    """The cashier flow, one wrk connection per cashier (thread): scan 3 items, check out with
    cash + card, repeat. `cashiers[k]` = {token, tenant_key, session}; `product_sets[k]` is the
    product ids that cashier cycles through (many products, or one hot product)."""
    rows = []
    for cashier, products in zip(cashiers, product_sets, strict=True):
        ids = ", ".join(str(p) for p in products)
        token, key = _lua_string(cashier["token"]), _lua_string(cashier["tenant_key"])
        rows.append(f"{{token = {token}, key = {key}, session = {cashier['session']:d}, products = {{{ids}}}}}")
    return (
        _COMMON
        + f"""
local cashiers = {{{", ".join(rows)}}}
local me, step, sale, total, p = nil, 0, nil, nil, 0
function init(args) me = cashiers[((thread_index or 1) - 1) % #cashiers + 1] end
local function hdrs()
  return {{["Authorization"] = "Bearer " .. me.token, ["X-Tenant-Key"] = me.key,
           ["Content-Type"] = "application/json"}}
end
function request()
  if step < 3 or sale == nil then
    p = p % #me.products + 1
    local body = string.format('{{"session": %d, "product": %d, "quantity": 1}}', me.session, me.products[p])
    return wrk.format("POST", "/api/sales/sales/scan-item/", hdrs(), body)
  end
  local card = 1.00
  local cash = total - card
  local body = string.format(
    '{{"payments": [{{"payment_method": "cash", "amount": "%.2f", "received_amount": "%.2f"}}, ' ..
    '{{"payment_method": "card", "amount": "%.2f", "card_last4": "4242", "transaction_id": "BENCH"}}]}}',
    cash, cash, card)
  return wrk.format("POST", "/api/sales/sales/" .. sale .. "/checkout/", hdrs(), body)
end
function response(status, h, body)
  record(status, h)
  if step < 3 then
    local id = body:match('"data"%s*:%s*{{%s*"id"%s*:%s*(%d+)')
    local t = body:match('"total_amount"%s*:%s*"?([%d%.]+)')
    if status < 300 and id then sale = id; total = tonumber(t); step = step + 1 else step = 0; sale = nil end
  else
    if status < 300 then flows = flows + 1 end
    step = 0; sale = nil
  end
end
"""
    )
