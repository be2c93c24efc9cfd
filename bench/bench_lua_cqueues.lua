-- bench_lua_cqueues.lua - SRV lookups per second from Lua: srv.resolver
-- against cqueues.dns (Debian's lua-cqueues, its own stub resolver), at 1
-- and 50 lookups in flight, against the knotd that `make bench` starts
-- (SRV_TEST_SERVER).
--
-- Both sides ask the same distinct names as bench_lua_lookup.lua
-- (_q<i>._tcp.bench.test, answered by the wildcard of
-- spec/fixtures/bench.test.zone), keep a fixed number in flight for SECONDS,
-- and count answers that carry a record; best of ROUNDS interleaved rounds.
--   srv.resolver  r:lookup_async, cache=false, driven by r:step()
--   cqueues.dns   one coroutine per lookup in flight, each with its own
--                 cqueues.dns.resolver (a resolver object asks one query at
--                 a time), all on one cqueues controller
-- Not a test: prints the ratio srv/cqueues and exits 0; without lua-cqueues
-- it says so and exits 0.
local srv = require "srv"
local core = require "srv.core"

local ok_cqueues, cqueues = pcall(require, "cqueues")
if not ok_cqueues then
    print("bench_lua_cqueues: lua-cqueues is not installed; skipped")
    return
end
local dns_resolver = require "cqueues.dns.resolver"
local dns_packet = require "cqueues.dns.packet"

local SECONDS = tonumber(os.getenv("SRV_BENCH_LOOKUP_SECONDS")) or 0.4
local ROUNDS = 3

local server = os.getenv("SRV_TEST_SERVER")
if not server then
    io.stderr:write("bench_lua_cqueues: SRV_TEST_SERVER unset (run it through `make bench`)\n")
    os.exit(2)
end
local host, port = server:match("^([%d.]+):(%d+)$")
assert(host, "bench_lua_cqueues: SRV_TEST_SERVER is not ADDRESS:PORT: " .. server)

local now = core.now
local NAME_COUNT = math.floor(400000 * SECONDS) + 1000
local names = {}
for i = 1, NAME_COUNT do names[i] = "_q" .. (i - 1) .. "._tcp.bench.test" end

local function srv_rate(in_flight)
    local r = assert(srv.resolver { servers = { server }, cache = false })
    local submitted, completed, stopped = 0, 0, false
    local on_answer
    local function next_lookup()
        submitted = submitted + 1
        r:lookup_async(names[submitted], on_answer)
    end
    on_answer = function(records)
        if stopped then return end
        if records then completed = completed + 1 end
        if submitted < NAME_COUNT then next_lookup() end
    end
    local start = now()
    local deadline = start + SECONDS
    for _ = 1, in_flight do next_lookup() end
    local t = start
    while t < deadline do
        r:step(0.05)
        t = now()
    end
    stopped = true
    r:close()
    return completed / (t - start)
end

local ANSWER = dns_packet.section.ANSWER

local function cqueues_rate(in_flight)
    local cq = cqueues.new()
    local submitted, completed, stopped = 0, 0, false
    local start = now()
    local deadline = start + SECONDS
    for _ = 1, in_flight do
        cq:wrap(function()
            local res = assert(dns_resolver.stub { nameserver = { "[" .. host .. "]:" .. port } })
            while not stopped and submitted < NAME_COUNT do
                submitted = submitted + 1
                local packet = res:query(names[submitted], "SRV", "IN", 5)
                if stopped then break end
                if packet and packet:count(ANSWER) > 0 then completed = completed + 1 end
            end
            res:close()
        end)
    end
    local t = start
    while t < deadline do
        assert(cq:step(0.05))
        t = now()
    end
    stopped = true
    -- Let every coroutine see `stopped` and close its resolver.
    while not cq:empty() do assert(cq:step(0.05)) end
    return completed / (t - start)
end

print(string.format("SRV lookups/s from Lua against knotd on loopback (%s), %.1f s per run, best of %d,",
    server, SECONDS, ROUNDS))
print("distinct names, each answered with a record")
print(string.format("%-9s %12s %12s %7s", "in flight", "cqueues.dns", "srv", "ratio"))
for _, in_flight in ipairs { 1, 50 } do
    local best_cq, best_srv = 0, 0
    for _ = 1, ROUNDS do
        best_cq = math.max(best_cq, cqueues_rate(in_flight))
        collectgarbage()
        best_srv = math.max(best_srv, srv_rate(in_flight))
        collectgarbage()
    end
    print(string.format("%-9d %12.0f %12.0f %6.2fx", in_flight, best_cq, best_srv, best_srv / best_cq))
    io.stdout:flush()
end
