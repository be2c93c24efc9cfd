-- bench_lua_lookup.lua - SRV lookups per second from Lua against a plain
-- c-ares loop in C, at 1, 50 and 500 lookups in flight, against the knotd
-- that `make bench` starts (SRV_TEST_SERVER).
--
--   SRV_BENCH_LOOKUP=build/bench/bench_lookup lua5.4 bench/bench_lua_lookup.lua
--
-- "In flight" is what the caller keeps outstanding: every completed lookup
-- submits the next, until a fixed time is up; lookups still in flight then
-- are not counted. The baseline is `bench_lookup --plain N SECONDS` (one
-- c-ares channel, its strongest loop: bench_lookup.c), run as a child process between the Lua
-- rounds so that drift hits both sides alike; best of ROUNDS for each.
--
-- Both sides ask the same names (bench_lookup.c, lookup_name): lookup i
-- asks _q<i>._tcp.bench.test, which the wildcard of
-- spec/fixtures/bench.test.zone answers with one SRV record. Distinct names
-- matter: the core shares identical queries in flight (srv.resolver and
-- srv.core alike, with a cache or without), and one DNS query answering many
-- callbacks is not a lookup rate. The "shared" column shows that nothing was
-- shared. The baseline runs under a watchdog (timeout(1)), so a stuck one
-- cannot hang `make bench`.
--
-- Lines:
--   srv.resolver  r:lookup_async, cache=false, driven by r:step()
--   srv.core      the raw binding (core.new, submit_srv, step, fetch): the cost of
--                 the Lua layer is the difference between the two
-- At 500 in flight both run twice: with the default max_inflight (50; the
-- core queues the rest) and with max_inflight=500 (everything on the c-ares
-- channel at once, as the plain loop does), for comparison.
--
-- Target: srv/plain >= 0.9. Not a test: prints PASS or MISS, exits 0.
local core = require "srv.core"
local srv = require "srv"

local SECONDS = tonumber(os.getenv("SRV_BENCH_LOOKUP_SECONDS")) or 0.4
local ROUNDS = 3
local TARGET = 0.9

local server = os.getenv("SRV_TEST_SERVER")
local baseline_program = os.getenv("SRV_BENCH_LOOKUP")
if not server or not baseline_program then
    io.stderr:write("bench_lua_lookup: SRV_TEST_SERVER or SRV_BENCH_LOOKUP unset (run it through `make bench`)\n")
    os.exit(2)
end

local now = core.now

-- The names of lookups 0..count-1, built before the clock starts so both
-- sides pay only for the lookups (the C side formats into a stack buffer).
local names_cache = {}
local function names_for(count)
    for i = #names_cache, count - 1 do
        names_cache[i + 1] = "_q" .. i .. "._tcp.bench.test"
    end
    return names_cache
end
-- Well above what either side completes in SECONDS.
local NAME_COUNT = math.floor(400000 * SECONDS) + 1000
names_for(NAME_COUNT)

-- The plain c-ares loop: lookups per second, from bench_lookup's line.
local function plain_rate(in_flight)
    local command = string.format("timeout -k 5 %d %s --plain %d %g", math.ceil(SECONDS) + 30,
        baseline_program, in_flight, SECONDS)
    local pipe = assert(io.popen(command))
    local line = pipe:read("a")
    pipe:close()
    local rate = line:match("per_second=([%d.]+)")
    local failed = tonumber(line:match("failed=(%d+)")) or 0
    local cpu = tonumber(line:match("cpu_us_per_lookup=([%d.]+)"))
    if not rate then error("bench_lua_lookup: unexpected output of " .. command .. ": " .. line) end
    return tonumber(rate), failed, cpu
end

-- Keeps in_flight lookups going through submit(name, cb) for SECONDS,
-- calling drive() to make progress. Returns lookups/s, failures and the
-- process's CPU time (user + system, os.clock) per completed lookup in µs.
local function timed_loop(in_flight, submit, drive)
    local names = names_cache
    local submitted, completed, failed = 0, 0, 0
    local stopped = false
    local on_answer
    local function next_lookup()
        submitted = submitted + 1
        submit(names[submitted], on_answer)
    end
    on_answer = function(ok)
        if stopped then return end
        if ok then completed = completed + 1 else failed = failed + 1 end
        if submitted < NAME_COUNT then next_lookup() end
    end
    local start, cpu_start = now(), os.clock()
    local deadline = start + SECONDS
    for _ = 1, in_flight do next_lookup() end
    local t = start
    while t < deadline do
        drive()
        t = now()
    end
    stopped = true
    local cpu = (os.clock() - cpu_start) / math.max(completed, 1) * 1e6
    return completed / (t - start), failed, cpu
end

-- An answer with records counts, as on the plain side.
local function resolver_rate(in_flight, max_inflight)
    local r = assert(srv.resolver { servers = { server }, cache = false, max_inflight = max_inflight })
    local rate, failed, cpu = timed_loop(in_flight, function(name, cb)
        r:lookup_async(name, function(records, _, code)
            cb(records ~= nil)
        end)
    end, function() r:step(0.05) end)
    local stats = r:stats()
    r:close()
    return rate, failed, stats.shared, cpu
end

-- The raw binding, without the Lua layer.
local function core_rate(in_flight, max_inflight)
    local c = assert(core.new { servers = server, max_inflight = max_inflight })
    local waiting = {}
    local rate, failed, cpu = timed_loop(in_flight, function(name, cb)
        waiting[assert(c:submit_srv(name))] = cb
    end, function()
        c:step(0.05)
        local results, count = c:fetch()
        for slot = 1, count * 4, 4 do
            local id, code = results[slot], results[slot + 1]
            local cb = waiting[id]
            waiting[id] = nil
            cb(code == "OK")
        end
    end)
    c:close()
    return rate, failed, 0, cpu
end

print(string.format("SRV lookups/s from Lua against knotd on loopback (%s), %.1f s per run, best of %d,",
    server, SECONDS, ROUNDS))
print("distinct names, each answered with a record; baseline: bench_lookup --plain")
print("cpu: µs of process CPU (user + system) per lookup, the lowest of the rounds, plain / lua")
print(string.format("%-9s %-28s %12s %12s %7s %8s %-16s %s", "in flight", "lua side", "plain c-ares", "lua",
    "ratio", "target", "(failed/shared)", "cpu plain/lua"))

local cases = {
    { in_flight = 1 },
    { in_flight = 50 },
    { in_flight = 500 },
}
for _, case in ipairs(cases) do
    local n = case.in_flight
    local sides = {
        { label = "srv.resolver", run = resolver_rate },
        { label = "srv.core (raw binding)", run = core_rate },
    }
    if n > 50 then
        sides = {
            { label = "srv.resolver max_inflight=50", run = resolver_rate, max = 50 },
            { label = "srv.resolver max_inflight=" .. n, run = resolver_rate, max = n },
            { label = "srv.core max_inflight=50", run = core_rate, max = 50 },
            { label = "srv.core max_inflight=" .. n, run = core_rate, max = n },
        }
    end
    -- Rounds alternate the baseline and every Lua side.
    local best_plain, plain_failed, plain_cpu = 0, 0, math.huge
    local best = {}
    for _ = 1, ROUNDS do
        local rate, failed, cpu = plain_rate(n)
        if rate > best_plain then best_plain = rate end
        if cpu and cpu < plain_cpu then plain_cpu = cpu end
        plain_failed = plain_failed + failed
        for i, side in ipairs(sides) do
            local b = best[i] or { rate = 0, failed = 0, shared = 0, cpu = math.huge }
            local r, f, s, c = side.run(n, side.max)
            if r > b.rate then b.rate = r end
            if c < b.cpu then b.cpu = c end
            b.failed, b.shared = b.failed + f, b.shared + s
            best[i] = b
            collectgarbage()
        end
    end
    for i, side in ipairs(sides) do
        local b = best[i]
        local ratio = b.rate / best_plain
        print(string.format("%-9d %-28s %12.0f %12.0f %6.2fx %4s%.1fx %s %-11s %.2f/%.2f", n, side.label,
            best_plain, b.rate, ratio, ">=", TARGET, ratio >= TARGET and "PASS" or "MISS",
            string.format("(%d/%d)", b.failed, b.shared), plain_cpu, b.cpu))
        io.stdout:flush()
    end
    if plain_failed > 0 then
        print(string.format("          (the plain loop had %d failed lookups)", plain_failed))
    end
end
