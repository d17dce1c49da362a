-- wrk script for bench/load.py (see its docstring). Configured through the environment rather than init(args) so
-- that the top level, which defines delay() for paced runs only, already knows the rate:
--   PITWALL_LOAD_DATA   file of "token<TAB>body" lines; each request takes the next line, round-robin per thread
--   PITWALL_LOAD_PATH   request path (POST)
--   PITWALL_LOAD_RATE   requests/s over all threads; 0 or unset = closed loop (each connection sends as soon
--                       as its previous answer arrives)
--   PITWALL_LOAD_NONCE  integer < 2^31 unique to this run: with the thread number and a per-thread counter it
--                       makes every "@EVENT_ID@" in a body a fresh UUID, so ingest never takes the duplicate path
--   PITWALL_LOAD_THREADS the -t given to wrk (the pacing splits the rate between threads)
-- done() prints one line "PITWALL_LOAD {json}" for bench/load.py to parse.

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } pitwall_timespec;
int clock_gettime(int clk_id, pitwall_timespec *tp);
]]
local CLOCK_MONOTONIC = 1
local timespec = ffi.new("pitwall_timespec")

local function now_ms()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, timespec)
  return tonumber(timespec.tv_sec) * 1000 + tonumber(timespec.tv_nsec) / 1e6
end

local rate = tonumber(os.getenv("PITWALL_LOAD_RATE") or "0") or 0
local thread_count = tonumber(os.getenv("PITWALL_LOAD_THREADS") or "1") or 1
local path = os.getenv("PITWALL_LOAD_PATH") or "/"
local nonce = tonumber(os.getenv("PITWALL_LOAD_NONCE") or "0") or 0

-- per-thread counters, read by done() through thread:get()
thread_id = 0
sent = 0
status_2xx = 0
status_429 = 0
status_other = 0
accepted = 0
duplicates = 0
rejected = 0
late = 0
max_lag_ms = 0

local requests = {}   -- {token, body, has_placeholders}
local cursor = 0
local counter = 0

local function event_id()
  counter = counter + 1
  return string.format("%08x-%04x-4000-8000-%012x", nonce, thread_id, counter)
end

threads = {}  -- setup environment only: one entry per wrk thread

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_id", #threads)
end

function init(args)
  for line in io.lines(os.getenv("PITWALL_LOAD_DATA")) do
    local token, body = line:match("^([^\t]+)\t(.*)$")
    local templated = body:find("@EVENT_ID@", 1, true) ~= nil
    local headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}
    -- static bodies are formatted once; templated ones per request (the ids must differ every time)
    table.insert(requests, {
      headers = headers,
      body = body,
      templated = templated,
      raw = (not templated) and wrk.format("POST", path, headers, body) or nil,
    })
  end
  -- threads start at different lines so they do not send for the same installation in lockstep
  cursor = ((thread_id - 1) * math.floor(#requests / thread_count)) % #requests
end

function request()
  cursor = cursor % #requests + 1
  local entry = requests[cursor]
  sent = sent + 1
  if entry.templated then
    return wrk.format("POST", path, entry.headers, (entry.body:gsub("@EVENT_ID@", event_id)))
  end
  return entry.raw
end

function response(status, headers, body)
  if status >= 200 and status < 300 then
    status_2xx = status_2xx + 1
    local n = body:match('"accepted":%s*(%d+)')
    if n then
      accepted = accepted + tonumber(n)
      duplicates = duplicates + tonumber(body:match('"duplicates":%s*(%d+)') or "0")
      if not body:find('"rejected":%s*%[%]') then
        rejected = rejected + 1  -- batches with at least one rejected event
      end
    end
  elseif status == 429 then
    status_429 = status_429 + 1
  else
    status_other = status_other + 1
  end
end

if rate > 0 then
  -- Pacing: every request has a slot on a fixed schedule (start + n / rate per thread), whatever the server
  -- does; a connection that comes free waits for the next unclaimed slot. When every connection is busy past
  -- its slot the request leaves at once (catching up, so the average rate holds) and counts as late: wrk
  -- measures latency from the actual send, so late requests are where its figures would hide queueing.
  local interval = 1000 * thread_count / rate
  local next_slot = nil
  function delay()
    local now = now_ms()
    next_slot = next_slot or now
    local slot = next_slot
    next_slot = slot + interval
    local wait = slot - now
    if wait < 0 then
      if -wait > 1 then
        late = late + 1
      end
      if -wait > max_lag_ms then
        max_lag_ms = -wait
      end
      return 0
    end
    return math.floor(wait)  -- wrk's timers have millisecond resolution; the schedule itself does not drift
  end
end

function done(summary, latency, _)
  local totals = {
    sent = 0, status_2xx = 0, status_429 = 0, status_other = 0, accepted = 0, duplicates = 0, rejected = 0,
    late = 0,
  }
  local lag = 0
  for _, thread in ipairs(threads) do
    for name, _ in pairs(totals) do
      totals[name] = totals[name] + thread:get(name)
    end
    lag = math.max(lag, thread:get("max_lag_ms"))
  end
  local fields = {
    string.format('"duration_us": %d', summary.duration),
    string.format('"requests": %d', summary.requests),
    string.format('"connect_errors": %d', summary.errors.connect),
    string.format('"read_errors": %d', summary.errors.read),
    string.format('"write_errors": %d', summary.errors.write),
    string.format('"timeouts": %d', summary.errors.timeout),
    string.format('"status_errors": %d', summary.errors.status),
    string.format('"p50_us": %d', latency:percentile(50)),
    string.format('"p99_us": %d', latency:percentile(99)),
    string.format('"max_us": %d', latency.max),
    string.format('"max_lag_ms": %.3f', lag),
  }
  for name, value in pairs(totals) do
    table.insert(fields, string.format('"%s": %d', name, value))
  end
  io.write("PITWALL_LOAD {" .. table.concat(fields, ", ") .. "}\n")
end
