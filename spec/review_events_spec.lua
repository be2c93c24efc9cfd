-- r:step drives the core through srv_resolver_wait (docs/event-loops.md,
-- docs/c-api.md "Event loops"): one poll both waits and finds the ready
-- sockets, and on c-ares 1.18 a UDP socket is handed to c-ares once per
-- round while a TCP one is read while it stays readable. These pin that a
-- loop of nothing but r:step still takes every answer of a mixed batch
-- (UDP, truncated then TCP, several answers queued on one TCP connection),
-- through the fallback channel too, and that r:step keeps its timeout.
local srv = require "srv"
local socket = require "socket"
local env = require "spec.support.env"
local bad_dns = require "spec.support.bad_dns_server"

-- The two records of bad_dns's "ok" answer (docs/testing.md), and knotd's
-- wildcard answer for the same names (spec/fixtures/bad.test.zone).
local OK2 = { "a.ok.bad.test:5222", "b.ok.bad.test:5269" }
local KNOTD = { "knotd.bad.test:5222" }

local function targets(records)
    if not records then return nil end
    local out = {}
    for i, record in ipairs(records) do out[i] = record.target .. ":" .. record.port end
    return out
end

describe("r:step over srv_resolver_wait", function()
    local server
    setup(function() server = bad_dns.start() end)
    teardown(function() server:stop() end)

    local function resolver(opts)
        local o = { servers = { server.address }, timeout = 3, tries = 1, cache = false }
        for k, v in pairs(opts or {}) do o[k] = v end
        return assert(srv.resolver(o))
    end

    -- Submits every { name, check } and steps until nothing is pending;
    -- returns, per case, how many times its callback ran and what it got.
    local function step_through(r, cases)
        local calls, got = {}, {}
        for i, case in ipairs(cases) do
            calls[i] = 0
            r:lookup_async(case[1], function(records, msg, code)
                calls[i] = calls[i] + 1
                got[i] = records and case[2](records) or { msg, code }
            end)
        end
        while r:pending() > 0 do r:step() end
        return calls, got
    end

    it("takes every answer of a batch: over UDP, over TCP after TC, several queued on one connection", function()
        local r = resolver()
        local cases, want = {}, {}
        local function count(records) return #records end
        for i = 1, 8 do
            cases[#cases + 1] = { bad_dns.name("ok", "_sip._tcp.u" .. i), targets }
            want[#cases] = OK2
        end
        for i = 1, 8 do
            cases[#cases + 1] = { bad_dns.name("tc", "_sip._tcp.t" .. i), targets }
            want[#cases] = OK2
        end
        for i = 1, 4 do
            cases[#cases + 1] = { bad_dns.name("huge-300", "_sip._tcp.h" .. i), count }
            want[#cases] = 300
        end
        local calls, got = step_through(r, cases)
        local once = {}
        for i = 1, #cases do once[i] = 1 end
        assert.same(once, calls)
        assert.same(want, got)
        -- and again on the same sockets (c-ares keeps them open)
        calls, got = step_through(r, cases)
        assert.same(once, calls)
        assert.same(want, got)
        r:close()
    end)

    it("drives the fallback channel: SERVFAIL from the first server, the second's answer", function()
        assert(env.server, "SRV_TEST_SERVER is not set: run through spec/support/with-knotd.sh")
        local r = resolver { servers = { server.address, env.server } }
        local cases, want = {}, {}
        for i = 1, 4 do
            cases[#cases + 1] = { bad_dns.name("servfail", "_sip._tcp.s" .. i), targets }
            want[#cases] = KNOTD
            cases[#cases + 1] = { bad_dns.name("tc", "_sip._tcp.f" .. i), targets }
            want[#cases] = OK2
        end
        local calls, got = step_through(r, cases)
        assert.same({ 1, 1, 1, 1, 1, 1, 1, 1 }, calls)
        assert.same(want, got)
        r:close()
    end)

    it("holds queries back behind max_inflight and still sends them all", function()
        local r = resolver { max_inflight = 1 }
        local cases, want = {}, {}
        for i = 1, 3 do
            cases[#cases + 1] = { bad_dns.name("ok", "_sip._tcp.m" .. i), targets }
            cases[#cases + 1] = { bad_dns.name("tc", "_sip._tcp.n" .. i), targets }
            want[#cases - 1], want[#cases] = OK2, OK2
        end
        local calls, got = step_through(r, cases)
        assert.same({ 1, 1, 1, 1, 1, 1 }, calls)
        assert.same(want, got)
        r:close()
    end)

    it("keeps its timeout: returns at once with nothing pending, waits at most t, wakes for an answer", function()
        local r = resolver { timeout = 1.5 }
        local start = socket.gettime()
        assert.equal(0, r:step())
        assert.equal(0, r:step(5))
        assert.is_true(socket.gettime() - start < 0.5)
        local code
        r:lookup_async(bad_dns.name("silent", "_sip._tcp.q"), function(_, _, c) code = c end)
        start = socket.gettime()
        assert.equal(0, r:step(0))
        assert.is_true(socket.gettime() - start < 0.4)
        start = socket.gettime()
        assert.equal(0, r:step(0.2))
        local waited = socket.gettime() - start
        assert.is_true(waited >= 0.19 and waited < 1.2, tostring(waited))
        -- without a timeout: until the query's own deadline
        while not code do r:step() end
        assert.equal("TIMEOUT", code)
        -- an answer 300 ms late ends a 5 s step when it comes
        local records
        r:lookup_async(bad_dns.name("late-300", "_sip._tcp.l"), function(rs) records = rs end)
        start = socket.gettime()
        while not records and socket.gettime() - start < 5 do r:step(5) end
        assert.same(OK2, targets(records))
        assert.is_true(socket.gettime() - start < 1.4)
        r:close()
    end)
end)

-- docs/lua-api.md, "Conventions": what a value past a method's arguments
-- does where the signature has optional arguments before a callback, and
-- where the wrappers look at five arguments only.
describe("values past a method's arguments", function()
    local ZONE = "docs/examples/example.net.zone"
    local NAME = "_xmpp-client._tcp.example.net"

    local function raised_on_line(fn)
        local line = debug.getinfo(2, "l").currentline
        local ok, err = pcall(fn)
        assert.is_false(ok, "did not raise")
        return err, "spec/review_events_spec.lua:" .. line .. ": "
    end

    it("a nil after a last callback is where the callback is looked for", function()
        local r = assert(srv.resolver { zone = ZONE })
        local cb = function() end
        local err, here = raised_on_line(function() r:resolve_async(NAME, cb, nil) end)
        assert.equal(here .. "bad argument #3 to 'resolve_async' (function expected, got nil)", err)
        err, here = raised_on_line(function() r:resolve_xmpp_async("example.net", cb, nil) end)
        assert.equal(here .. "bad argument #3 to 'resolve_xmpp_async' (function expected, got nil)", err)
        -- where the callback has a place of its own, a trailing nil is none
        local calls = 0
        r:lookup_async(NAME, function() calls = calls + 1 end, nil)
        r:watch(NAME, function() calls = calls + 1 end, nil):cancel()
        r:run()
        assert.equal(1, calls)
        r:close()
    end)

    it("the five-argument wrappers do not see a sixth", function()
        local r = assert(srv.resolver { zone = ZONE })
        assert(r:lookup(NAME, nil, nil, nil, nil, 1))
        assert(r:resolve(NAME, nil, nil, nil, nil, 1))
        assert.is_true(r:report("server1.example.net", 5222, true, nil, nil, 1))
        local calls = 0
        r:lookup_async(NAME, function() calls = calls + 1 end, nil, nil, nil, 1)
        r:run()
        assert.equal(1, calls)
        r:close()
    end)
end)
