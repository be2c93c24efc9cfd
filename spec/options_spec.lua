-- What the Lua API's options accept (docs/lua-api.md, "Conventions"): zone
-- files and zone text, option names (an unknown one raises, naming the
-- nearest known one, at the caller's line), integers (a float with an
-- integral value too) and their ranges.
local srv = require "srv"
local zone_source = require "srv.zone_source"

local ZONE = "docs/examples/example.net.zone"
local NAME = "_xmpp-client._tcp.example.net"
local PASTED = "_sip._tcp.example.com. 300 IN SRV 0 5 5060 sip1.example.com."

-- The error fn raises, and the line it was called from: fn receives a
-- function to call with the line's own debug.getinfo, so the spec checks
-- the message starts with this file's name and that line.
local function raised_at(fn)
    local line
    local ok, err = pcall(fn, function() line = debug.getinfo(2, "l").currentline end)
    assert.is_false(ok, "did not raise")
    return err, line
end

local function assert_raises_here(expected, fn)
    local err, line = raised_at(fn)
    assert.is_not_nil(line, "the case did not mark its line")
    assert.equal("spec/options_spec.lua:" .. line .. ": " .. expected, err)
end

describe("srv.resolver's zone", function()
    it("is always a file: a missing one is named, with ZONEFILE", function()
        assert.same({ nil, "cannot read the zone file: spec/fixtures/nonexistent.zone: No such file or directory",
                      "ZONEFILE" }, { srv.resolver { zone = "spec/fixtures/nonexistent.zone" } })
    end)

    it("names a directory given as the zone file", function()
        assert.same({ nil, "cannot read the zone file: docs/: Is a directory", "ZONEFILE" },
                    { srv.resolver { zone = "docs/" } })
    end)

    it("reads one line of records as a path, never as text", function()
        local r, msg, code = srv.resolver { zone = PASTED }
        assert.same({ nil, "ZONEFILE" }, { r, code })
        assert.truthy(msg:find("cannot read the zone file: " .. PASTED, 1, true), msg)
    end)

    it("takes zone text as zone_text, and never reads a file for it", function()
        local r = assert(srv.resolver { zone_text = PASTED })
        assert.equal(1, #assert(r:lookup("_sip._tcp.example.com")))
        r:close()
        local _, msg, code = srv.resolver { zone_text = ZONE }
        assert.same({ "PARSE", true }, { code, msg:find("^PARSE: line 1") ~= nil })
    end)

    it("refuses zone text or a zone file that holds no records", function()
        assert.same({ nil, "PARSE: the zone text holds no records", "PARSE" }, { srv.resolver { zone_text = "" } })
        local path = os.tmpname()
        assert.same({ nil, "PARSE: the zone file holds no records", "PARSE" }, { srv.resolver { zone = path } })
        os.remove(path)
    end)

    it("says NOTINZONE, naming the zones, for a name outside them, and never falls back for it", function()
        local r = assert(srv.resolver { zone = ZONE })
        local name = "_xmpp-client._tcp.example.org"
        local expected = { nil, name .. ": in none of the zones of the zone text (example.net)", "NOTINZONE" }
        assert.same(expected, { r:lookup(name) })
        assert.same(expected, { r:resolve(name) })
        assert.same(expected, { r:resolve_xmpp("example.org") })
        assert.same({ nil, "host.example.org: in none of the zones of the zone text (example.net)", "NOTINZONE" },
                    { r:addresses("host.example.org") })
        assert.same({ nil, "_turn._udp.example.org: in none of the zones of the zone text (example.net)",
                      "NOTINZONE" }, { r:resolve_turn("turn:example.org?transport=udp") })
        r:close()
    end)

    it("refuses zone and zone_text together", function()
        assert_raises_here("bad argument #1 to 'resolver' (zone and zone_text exclude each other)",
            function(here) here() srv.resolver { zone = ZONE, zone_text = PASTED } end)
    end)

    it("leaves text and files apart in srv.zone_source too", function()
        assert.same({ nil, "PARSE" }, { (zone_source.new(ZONE)), select(3, zone_source.new(ZONE)) })
        local source = assert(zone_source.open(ZONE))
        source:close()
        assert.same({ nil, "cannot read the zone file: docs/: Is a directory", "ZONEFILE" },
                    { zone_source.open("docs/") })
    end)
end)

describe("option names", function()
    it("raises on an unknown option of srv.resolver, naming the nearest known one", function()
        assert_raises_here("bad argument #1 to 'resolver' (unknown option 'zones'; did you mean 'zone'?)",
            function(here) here() srv.resolver { zones = ZONE } end)
        assert_raises_here("bad argument #1 to 'resolver' (unknown option 'server'; did you mean 'servers'?)",
            function(here) here() srv.resolver { server = "127.0.0.1" } end)
        assert_raises_here("bad argument #1 to 'resolver' (unknown option 'timout'; did you mean 'timeout'?)",
            function(here) here() srv.resolver { timout = 1 } end)
        -- nothing near enough: no guess
        assert_raises_here("bad argument #1 to 'resolver' (unknown option 'colour')",
            function(here) here() srv.resolver { zone = ZONE, colour = "blue" } end)
        assert_raises_here("bad argument #1 to 'resolver' (unknown option [1])",
            function(here) here() srv.resolver { ZONE } end)
    end)

    it("raises on an unknown cache setting", function()
        assert_raises_here("bad argument #1 to 'resolver' (field 'cache': unknown option 'stal'; did you mean 'stale'?)",
            function(here) here() srv.resolver { zone = ZONE, cache = { stal = 10 } } end)
    end)

    it("raises on an unknown option of every resolve call, blocking and async", function()
        local r = assert(srv.resolver { zone = ZONE })
        assert_raises_here("bad argument #2 to 'resolve' (unknown option 'fallbak'; did you mean 'fallback'?)",
            function(here) here() r:resolve(NAME, { fallbak = false }) end)
        assert_raises_here("bad argument #4 to 'resolve' (unknown option 'adresses'; did you mean 'addresses'?)",
            function(here) here() r:resolve("xmpp-client", "tcp", "example.net", { adresses = true }) end)
        assert_raises_here("bad argument #2 to 'resolve_async' (unknown option 'stric'; did you mean 'strict'?)",
            function(here) here() r:resolve_async(NAME, { stric = true }, function() end) end)
        assert_raises_here("bad argument #3 to 'resolve_xmpp' (unknown option 'adresses'; did you mean 'addresses'?)",
            function(here) here() r:resolve_xmpp("example.net", "client", { adresses = true }) end)
        assert_raises_here("bad argument #3 to 'resolve_xmpp_async' (unknown option 'trase'; did you mean 'trace'?)",
            function(here) here() r:resolve_xmpp_async("example.net", "client", { trase = {} }, function() end) end)
        assert_raises_here("bad argument #2 to 'resolve_turn' (unknown option 'transport'; did you mean 'transports'?)",
            function(here) here() r:resolve_turn("turn:example.net", { transport = { "tcp" } }) end)
        assert_raises_here("bad argument #2 to 'resolve_stun' (unknown option 'polisy'; did you mean 'policy'?)",
            function(here) here() r:resolve_stun("stun:example.net", { polisy = function(c) return c end }) end)
        assert_raises_here("bad argument #2 to 'resolve_stun_async' (unknown option 'prot'; did you mean 'port'?)",
            function(here) here() r:resolve_stun_async("stun:example.net", { prot = 1 }, function() end) end)
        assert.equal(0, r:pending())
        r:close()
    end)

    it("gives srv.policy's unknown options the same message", function()
        assert_raises_here("bad argument #1 to 'policy' (unknown option 'pinn'; did you mean 'pin'?)",
            function(here) here() srv.policy { pinn = "a.example.net" } end)
    end)

    it("refuses an empty server list, which would otherwise mean the system's resolvers", function()
        assert_raises_here("bad argument #1 to 'resolver' (field 'servers': empty list "
            .. "(leave servers out to ask the system's resolvers))",
            function(here) here() srv.resolver { servers = {} } end)
    end)
end)

describe("surplus arguments", function()
    -- A value past what a method takes would be ignored, and with it the
    -- caller's intent (r:resolve(name, nil, nil, opts) dropping opts): it
    -- raises, at the caller's line, naming its position.
    it("raise for every method, the fast paths too", function()
        local r = assert(srv.resolver { zone = ZONE })
        assert(r:resolve(NAME))   -- cached: the fast path would answer
        local cb = function() end
        local cases = {
            { "#4 to 'resolve'", function(here) here() r:resolve(NAME, nil, nil, { addresses = true }) end },
            { "#4 to 'resolve'", function(here) here() r:resolve(NAME, {}, nil, 1) end },
            { "#3 to 'resolve'", function(here) here() r:resolve(NAME, {}, 1) end },
            { "#5 to 'resolve'", function(here) here() r:resolve("xmpp-client", "tcp", "example.net", nil, 1) end },
            { "#2 to 'lookup'", function(here) here() r:lookup(NAME, 1) end },
            { "#3 to 'lookup'", function(here) here() r:lookup(NAME, nil, 1) end },
            { "#2 to 'addresses'", function(here) here() r:addresses("server1.example.net", {}) end },
            { "#3 to 'lookup_async'", function(here) here() r:lookup_async(NAME, cb, 1) end },
            { "#4 to 'resolve_xmpp'", function(here) here() r:resolve_xmpp("example.net", "client", {}, 1) end },
            { "#3 to 'resolve_turn'", function(here) here() r:resolve_turn("example.net", {}, 1) end },
            { "#3 to 'resolve_stun'", function(here) here() r:resolve_stun("example.net", {}, 1) end },
            { "#3 to 'connect'", function(here) here() r:connect(NAME, {}, 1) end },
            { "#4 to 'mark_down'", function(here) here() r:mark_down("server1.example.net", 5222, 5, 1) end },
            { "#4 to 'watch'", function(here) here() r:watch(NAME, cb, {}, 1) end },
            { "#1 to 'stats'", function(here) here() r:stats(1) end },
            { "#2 to 'step'", function(here) here() r:step(0, 1) end },
            { "#2 to 'flush'", function(here) here() r:flush(NAME, 1) end },
        }
        for _, case in ipairs(cases) do
            assert_raises_here("bad argument " .. case[1] .. " (no value expected)", case[2])
        end
        -- Trailing nils are no values.
        assert(r:resolve(NAME, nil))
        assert(r:resolve("xmpp-client", "tcp", "example.net", nil))
        assert.same({ 1, 0 }, { r:stats().queries, r:pending() })
        assert_raises_here("bad argument #1 to 'close' (no value expected)",
            function(here) here() r:close(true) end)
        r:close()
    end)
end)

describe("integer options", function()
    it("take a float with an integral value, as math.tointeger does", function()
        local a = assert(srv.resolver { zone = ZONE, seed = 1.0, cache = { max_entries = 2.0 } })
        local b = assert(srv.resolver { zone = ZONE, seed = 1 })
        local function targets(r)
            local out = {}
            for i, c in ipairs(assert(r:resolve(NAME))) do out[i] = c.target end
            return out
        end
        assert.same(targets(b), targets(a))
        a:close()
        b:close()
        local r = assert(srv.resolver { servers = "127.0.0.1", tries = 2.0, max_inflight = 10.0 })
        r:close()
    end)

    it("take a float port, and hand out an integer one", function()
        local r = assert(srv.resolver { zone = ZONE })
        local cands = assert(r:resolve("_foo._tcp.nosrv.example.net", { port = 7000.0 }))
        assert.same({ "nosrv.example.net", 7000, "integer" }, { cands[1].target, cands[1].port, math.type(cands[1].port) })
        assert.is_true(r:mark_down("server1.example.net", 5222.0))
        cands = assert(r:resolve(NAME))
        assert.equal("server1.example.net", cands[#cands].target)
        assert.is_true(r:mark_up("server1.example.net", 5222.0))
        assert.equal("server1.example.net", assert(r:resolve(NAME))[1].target)
        r:close()
    end)

    it("refuse a float with a fraction, naming the option", function()
        assert_raises_here("bad argument #1 to 'resolver' (field 'tries': integer >= 1 expected, got 2.5)",
            function(here) here() srv.resolver { servers = "127.0.0.1", tries = 2.5 } end)
        assert_raises_here("bad argument #1 to 'resolver' (field 'seed': integer expected, got 1.5)",
            function(here) here() srv.resolver { zone = ZONE, seed = 1.5 } end)
        assert_raises_here("bad argument #1 to 'resolver' (field 'cache.max_entries': integer >= 1 expected, got 2.5)",
            function(here) here() srv.resolver { zone = ZONE, cache = { max_entries = 2.5 } } end)
    end)

    it("hold ports to 1..65535 everywhere", function()
        local r = assert(srv.resolver { zone = ZONE })
        assert_raises_here("bad argument #2 to 'mark_down' (port 1..65535 expected, got 99999)",
            function(here) here() r:mark_down("x.example.net", 99999) end)
        assert_raises_here("bad argument #2 to 'mark_up' (port 1..65535 expected, got 0)",
            function(here) here() r:mark_up("x.example.net", 0) end)
        assert_raises_here("bad argument #2 to 'mark_down' (port 1..65535 expected, got 5222.5)",
            function(here) here() r:mark_down("x.example.net", 5222.5) end)
        assert_raises_here("bad argument #2 to 'resolve' (field 'port': port 1..65535 expected, got 70000)",
            function(here) here() r:resolve(NAME, { port = 70000 }) end)
        r:close()
    end)
end)

-- Cases an adversarial review found, each with its problem in a comment.
do
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
            return err, "spec/options_spec.lua:" .. line .. ": "
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
end
