-- soak.lua [LOOKUPS] [SECONDS] - a bounded soak of srv.resolver: up to
-- LOOKUPS lookups (default 1e6), for at most SECONDS (default 300), through
-- the async API with many in flight, against the knotd of
-- spec/support/with-knotd.sh (SRV_TEST_SERVER) and the misbehaving server
-- spec/support/bad_dns.lua (SRV_BAD_DNS=127.0.0.1:PORT; started here when
-- unset). bench/soak.sh runs it.
--
--   LUA_PATH='lua/?.lua;lua/?/init.lua;;' LUA_CPATH='build/?.so;;' \
--       spec/support/with-knotd.sh lua5.4 bench/soak.lua [LOOKUPS] [SECONDS]
--
-- Two lanes of work, each a fixed number of operations in flight; each
-- completed operation submits the next one on the same lane:
--   good  (GOOD_INFLIGHT) against knotd: r:lookup_async on names that hit
--         the cache, on distinct wildcard names (bad.test on knotd, so the
--         cache fills and evicts), NXDOMAIN/REFUSED/SERVFAIL answers,
--         r:resolve_async (sometimes with addresses), r:addresses_async;
--   fault (FAULT_INFLIGHT) against bad_dns: timeouts, SERVFAIL/REFUSED,
--         malformed replies, TC and TCP (huge RRsets, a closed or silent or
--         half-answering TCP side), wrong IDs, late answers, addresses of
--         faulty targets; and against { bad_dns, knotd } (failover).
-- Both kinds of resolver run with the cache on and off at once. Every
-- GENERATION seconds a new set of resolvers replaces the old one: the old
-- ones are closed with their queries in flight (callbacks get CANCELLED and
-- the lanes carry on on the new set), one of them left to the collector.
--
-- Every REPORT seconds (SOAK_REPORT, default 10) a line: elapsed time,
-- operations done, the rate (overall and over the last interval), the
-- outcome counts so far, RSS (from /proc/self/statm) and the Lua heap.
-- RSS is sampled every second after a full collection. At the end it
-- checks that every callback ran exactly once, and that RSS stayed flat:
-- samples after the warm-up (the first tenth of the run, at least 20 s:
-- RSS climbs to its plateau over the first 20-30 s) are cut in quarters,
-- and the largest in the last quarter must be within 10% of the largest in
-- the first. Exits 1 when either check fails.
--
-- glibc moves its mmap threshold up the first time a large block is freed,
-- after which such blocks come from the heap and RSS makes one step up
-- (measured: +5 MB at ~105 s of a 300 s run, flat before and after; flat
-- throughout with the threshold fixed). bench/soak.sh fixes it
-- (MALLOC_MMAP_THRESHOLD_=131072, glibc's initial value) so that RSS
-- follows what is held.
local srv = require "srv"
local core = require "srv.core"
local socket = require "socket"

local LOOKUPS = math.floor(tonumber(arg[1]) or 1e6)
local SECONDS = tonumber(arg[2]) or 300
local REPORT = tonumber(os.getenv("SOAK_REPORT")) or 10
local GENERATION = tonumber(os.getenv("SOAK_GENERATION")) or 5
local GOOD_INFLIGHT = 200
local FAULT_INFLIGHT = 64
local DRAIN_SECONDS = 15
local RSS_TOLERANCE = 0.10

local knotd = os.getenv("SRV_TEST_SERVER")
if not knotd then
    io.stderr:write("soak: SRV_TEST_SERVER is unset (run it through spec/support/with-knotd.sh)\n")
    os.exit(2)
end
local bad, bad_server = os.getenv("SRV_BAD_DNS"), nil
if not bad then
    bad_server = require("spec.support.bad_dns_server").start()
    bad = bad_server.address
end

local now = core.now
local PAGE = 4096
do
    local p = io.popen("getconf PAGESIZE 2>/dev/null")
    PAGE = tonumber(p and p:read("l")) or PAGE
    if p then p:close() end
end

local function rss_bytes()
    local f = io.open("/proc/self/statm")
    if not f then return 0 end
    local _, resident = f:read("n", "n")
    f:close()
    return (resident or 0) * PAGE
end

-- Weighted choice from { {weight, value}, ... }.
local function chooser(list)
    local total = 0
    for _, item in ipairs(list) do total = total + item[1] end
    return function()
        local x = math.random() * total
        for _, item in ipairs(list) do
            x = x - item[1]
            if x < 0 then return item[2] end
        end
        return list[#list][2]
    end
end

-- Resolvers -------------------------------------------------------------------

local generation_count = 0
local set   -- the current set: { good_cache=, good_plain=, bad_cache=, bad_plain=, mixed= }

local function new_set()
    generation_count = generation_count + 1
    local function make(opts)
        return assert(srv.resolver(opts))
    end
    return {
        good_cache = make { servers = { knotd }, timeout = 1, tries = 2, max_inflight = 100,
                            cache = { max_entries = 2000 } },
        good_plain = make { servers = { knotd }, timeout = 1, tries = 2, max_inflight = 100, cache = false },
        bad_cache = make { servers = { bad }, timeout = 0.2, tries = 1 },
        bad_plain = make { servers = { bad }, timeout = 0.2, tries = 1, cache = false },
        mixed = make { servers = { bad, knotd }, timeout = 0.2, tries = 1, cache = false },
    }
end

local function each_resolver(s, fn)
    for _, key in ipairs { "good_cache", "good_plain", "bad_cache", "bad_plain", "mixed" } do
        if s[key] then fn(s[key], key) end
    end
end

-- Bookkeeping ---------------------------------------------------------------------

local submitted, completed = 0, 0
local outstanding = {}      -- id -> true while its callback has not run
local outstanding_count = 0
local duplicates, callback_errors = 0, 0
local outcomes = {}
local lane_done = { good = 0, fault = 0 }
local stopping = false
local started = now()
local counter = 0

local function count(code)
    outcomes[code] = (outcomes[code] or 0) + 1
end

-- Work ----------------------------------------------------------------------------

local function next_id()
    counter = counter + 1
    return counter
end

local GOOD_NAMES = {
    "_xmpp-client._tcp.example.net", "_xmpp-server._tcp.example.net", "_turn._udp.example.net",
    "_turn._tcp.example.net", "_stun._udp.example.net", "_xmpp-server._tcp.real.srv.test",
}

-- Each returns (resolver key, function(r, cb) that submits).
local good_op = chooser {
    { 40, function(id) return "good_cache", function(r, cb) r:lookup_async(GOOD_NAMES[id % #GOOD_NAMES + 1], cb) end end },
    { 15, function(id) return "good_cache", function(r, cb) r:lookup_async("_sip._tcp.w" .. id .. ".soak.bad.test", cb) end end },
    { 15, function(id) return "good_plain", function(r, cb) r:lookup_async(GOOD_NAMES[id % #GOOD_NAMES + 1], cb) end end },
    { 5, function(id) return "good_plain", function(r, cb) r:lookup_async("_q" .. id .. "._tcp.example.net", cb) end end },
    { 2, function() return "good_plain", function(r, cb) r:lookup_async("_sip._tcp.example.org", cb) end end },
    { 2, function() return "good_plain", function(r, cb) r:lookup_async("_x._tcp.broken.test", cb) end end },
    { 8, function() return "good_cache", function(r, cb) r:resolve_async("_xmpp-client._tcp.example.net", cb) end end },
    { 4, function(id) return "good_plain", function(r, cb) r:resolve_async("_sip._tcp.r" .. id .. ".soak.bad.test", cb) end end },
    { 3, function() return "good_cache", function(r, cb)
        r:resolve_async("_xmpp-client._tcp.example.net", { addresses = true }, cb) end end },
    { 4, function(id) return id % 2 == 0 and "good_cache" or "good_plain", function(r, cb)
        r:addresses_async(id % 3 == 0 and "server2.example.net" or "a" .. id .. ".soak.bad.test", cb) end end },
    { 2, function() return "good_plain", function(r, cb) r:resolve_xmpp_async("example.net", cb) end end },
}

local FAULTS = chooser {
    { 10, "silent" }, { 6, "late-50" }, { 4, "late-400" }, { 8, "servfail" }, { 6, "refused" },
    { 6, "nxdomain" }, { 4, "nodata" }, { 6, "wrongid" }, { 3, "wrongid-ok" }, { 8, "tc" },
    { 3, "tc-silent" }, { 1, "tc-close" }, { 0.3, "tc-partial" }, { 1, "huge-500" }, { 4, "big-udp" },
    { 5, "ptr-loop" }, { 3, "ptr-self" }, { 3, "ptr-past-end" }, { 3, "name-long-ptr" }, { 3, "label-long" },
    { 4, "count-high" }, { 3, "rdata-short" }, { 3, "rdlen-past-end" }, { 3, "qr0" }, { 2, "short-header" },
    { 2, "notimp" }, { 2, "formerr" }, { 2, "rcode-6" }, { 10, "ok" },
}

local fault_op = chooser {
    { 40, function(id) local b = FAULTS() return "bad_plain", function(r, cb) r:lookup_async("_sip._tcp.f" .. id .. "." .. b .. ".bad.test", cb) end end },
    { 20, function(id) local b = FAULTS() return "bad_cache", function(r, cb) r:lookup_async("_sip._tcp.f" .. id .. "." .. b .. ".bad.test", cb) end end },
    { 15, function(id) local b = FAULTS() return "bad_cache", function(r, cb) r:resolve_async("_sip._tcp.f" .. id .. "." .. b .. ".bad.test", cb) end end },
    { 8, function(id) local b = FAULTS() return "bad_plain", function(r, cb) r:addresses_async("a" .. id .. "." .. b .. ".bad.test", cb) end end },
    { 5, function(id) return "bad_plain", function(r, cb)
        r:resolve_async("_sip._tcp.f" .. id .. ".targets-faulty.bad.test", { addresses = true }, cb) end end },
    { 12, function(id) local b = FAULTS() return "mixed", function(r, cb) r:lookup_async("_sip._tcp.f" .. id .. "." .. b .. ".bad.test", cb) end end },
}

local submit

-- Submits one operation on a lane; its callback counts the outcome and
-- submits the next on the same lane.
submit = function(lane)
    if stopping then return end
    if submitted >= LOOKUPS then
        stopping = true
        return
    end
    local id = next_id()
    local key, start = (lane == "good" and good_op or fault_op)()(id)
    submitted = submitted + 1
    outstanding[id] = true
    outstanding_count = outstanding_count + 1
    start(set[key], function(result, _, code)
        if not outstanding[id] then   -- a second call
            duplicates = duplicates + 1
            return
        end
        outstanding[id] = nil
        outstanding_count = outstanding_count - 1
        completed = completed + 1
        lane_done[lane] = lane_done[lane] + 1
        count(result and "OK" or code or "?")
        submit(lane)
    end)
end

-- Driving -------------------------------------------------------------------------

local function process_all()
    local list = {}
    each_resolver(set, function(r) list[#list + 1] = r end)
    local watch, wait = {}, 0.05
    for _, r in ipairs(list) do
        local ok, err = pcall(r.process, r)
        if not ok then
            callback_errors = callback_errors + 1
            io.stderr:write("soak: a callback raised: ", tostring(err), "\n")
        end
        local fd = r:pollfd()
        watch[#watch + 1] = { getfd = function() return fd end, dirty = function() return false end }
        local timeout = r:timeout()
        if timeout and timeout < wait then wait = timeout end
    end
    return watch, wait
end

-- The old set is closed: its pending callbacks run now with CANCELLED and
-- resubmit on the new set. Every other generation one resolver is dropped
-- instead, for the collector to close.
local function rotate()
    local old = set
    set = new_set()
    local dropped = generation_count % 2 == 0 and "bad_cache" or nil
    each_resolver(old, function(r, key)
        if key ~= dropped then
            local ok, err = pcall(r.close, r)
            if not ok then
                callback_errors = callback_errors + 1
                io.stderr:write("soak: a callback raised in close: ", tostring(err), "\n")
            end
        end
    end)
    if dropped then
        -- Its queries in flight have no loop any more: the collector's
        -- close cancels them (their callbacks resubmit on the new set).
        old[dropped] = nil
    end
end

local function fmt_mb(bytes) return string.format("%.1fMB", bytes / 1048576) end

local function outcome_text()
    local keys = {}
    for k in pairs(outcomes) do keys[#keys + 1] = k end
    table.sort(keys)
    local parts = {}
    for _, k in ipairs(keys) do parts[#parts + 1] = k .. "=" .. outcomes[k] end
    return table.concat(parts, " ")
end

local samples = {}   -- { t =, rss = }
local function sample()
    collectgarbage()
    local rss = rss_bytes()
    samples[#samples + 1] = { t = now() - started, rss = rss, lua = collectgarbage("count") * 1024 }
    return samples[#samples]
end

print(string.format("soak: up to %d lookups, at most %gs; knotd %s, bad_dns %s; %d + %d in flight; new resolvers every %gs",
                    LOOKUPS, SECONDS, knotd, bad, GOOD_INFLIGHT, FAULT_INFLIGHT, GENERATION))
io.stdout:flush()

math.randomseed(tonumber(os.getenv("SOAK_SEED")) or 12345)
set = new_set()
for _ = 1, GOOD_INFLIGHT do submit("good") end
for _ = 1, FAULT_INFLIGHT do submit("fault") end

local next_report, next_sample, next_rotation = REPORT, 1, GENERATION
local last_report_t, last_report_done = 0, 0
local drain_deadline

local function report(t)
    local s = samples[#samples] or sample()
    print(string.format("t=%6.1fs done=%8d rate=%6.0f/s (last %6.0f/s) fault=%5.2f%% rss=%s lua=%s | %s",
                        t, completed, completed / t, (completed - last_report_done) / (t - last_report_t),
                        100 * lane_done.fault / math.max(1, completed), fmt_mb(s.rss), fmt_mb(s.lua), outcome_text()))
    io.stdout:flush()
    last_report_t, last_report_done = t, completed
end

while true do
    local t = now() - started
    if not stopping and t >= SECONDS then stopping = true end
    if stopping and not drain_deadline then drain_deadline = t + DRAIN_SECONDS end
    if t >= next_sample then
        sample()
        next_sample = next_sample + 1
    end
    if t >= next_report then
        report(t)
        next_report = next_report + REPORT
    end
    if not stopping and t >= next_rotation then
        rotate()
        next_rotation = next_rotation + GENERATION
    end
    -- the pollfds of the resolvers processed just now (none closed since)
    local watch, wait = process_all()
    if stopping and outstanding_count == 0 then break end
    if drain_deadline and now() - started >= drain_deadline then break end
    socket.select(watch, nil, wait)
end

local elapsed = now() - started
report(elapsed)

-- Everything is closed; whatever was left in flight is cancelled now, the
-- dropped resolvers too (collector).
each_resolver(set, function(r) pcall(r.close, r) end)
set = {}
collectgarbage()
collectgarbage()
if bad_server then bad_server:stop() end

-- Callbacks that ran after stopping did not resubmit; they were counted.
local missing = 0
for _ in pairs(outstanding) do missing = missing + 1 end

print(string.format("soak: %d lookups in %.1fs (%.0f/s), %d resolver generations, fault lane %.2f%%",
                    completed, elapsed, completed / elapsed, generation_count, 100 * lane_done.fault / math.max(1, completed)))
print("soak: outcomes " .. outcome_text())
local callbacks_ok = missing == 0 and duplicates == 0 and completed == submitted
print(string.format("soak: callbacks: submitted %d, called %d, never called %d, called twice %d, raised %d -> %s",
                    submitted, completed, missing, duplicates, callback_errors,
                    callbacks_ok and "each exactly once" or "FAILED"))

-- RSS: after the warm-up, the largest sample of the last quarter against
-- the largest of the first quarter.
local warmup = math.max(20, elapsed / 10)
local steady = {}
for _, s in ipairs(samples) do
    if s.t >= warmup then steady[#steady + 1] = s end
end
local rss_ok = true
if #steady < 8 then
    print(string.format("soak: RSS: only %d samples after the %.0fs warm-up: not judged", #steady, warmup))
else
    local q = #steady // 4
    local first, last = 0, 0
    for i = 1, q do first = math.max(first, steady[i].rss) end
    for i = #steady - q + 1, #steady do last = math.max(last, steady[i].rss) end
    local growth = (last - first) / first
    rss_ok = growth <= RSS_TOLERANCE
    local lua_first, lua_last = 0, 0
    for i = 1, q do lua_first = math.max(lua_first, steady[i].lua) end
    for i = #steady - q + 1, #steady do lua_last = math.max(lua_last, steady[i].lua) end
    print(string.format("soak: RSS after %.0fs warm-up: first-quarter max %s, last-quarter max %s (%+.1f%%; Lua heap %s -> %s) -> %s",
                        warmup, fmt_mb(first), fmt_mb(last), 100 * growth, fmt_mb(lua_first), fmt_mb(lua_last),
                        rss_ok and "flat" or "GROWING"))
end

local ok = callbacks_ok and rss_ok and completed > 0 and callback_errors == 0
print("soak: " .. (ok and "PASS" or "FAIL"))
os.exit(ok and 0 or 1)
