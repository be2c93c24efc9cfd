-- The cache: positive TTLs, negative TTLs, TTL 0, serve-stale, flush, stats.
local srv = require "srv"
local socket = require "socket"
local env = require "spec.support.env"

local REFERENCE = "_xmpp-client._tcp.example.net"

describe("the cache", function()
    it("answers from the cache until the smallest TTL of the RRset runs out", function()
        local clock = env.clock()
        local r = env.resolver { clock = clock.now }
        assert(r:lookup(REFERENCE))
        assert(r:lookup(REFERENCE))
        assert.equal(1, r:stats().queries)
        clock.advance(86399)
        local records = assert(r:lookup(REFERENCE))
        assert.equal(1, records[1].ttl)         -- TTLs count down in the cache
        assert.equal(1, r:stats().queries)
        clock.advance(1)
        assert(r:lookup(REFERENCE))
        assert.equal(2, r:stats().queries)
        r:close()
    end)

    it("answers a cached r:resolve as an uncached one does: same order for the same seed, one hit per call", function()
        local ZONE = "docs/examples/example.net.zone"
        for seed = 1, 20 do
            local cached = assert(srv.resolver { zone = ZONE, seed = seed })
            local uncached = assert(srv.resolver { zone = ZONE, seed = seed, cache = false })
            for call = 1, 3 do
                local forms = {
                    { REFERENCE }, { "xmpp-client", "tcp", "example.net" }, { REFERENCE },
                }
                local a = assert(cached:resolve(table.unpack(forms[call])))
                local b = assert(uncached:resolve(table.unpack(forms[call])))
                assert.same(b, a)
            end
            local stats = cached:stats()
            assert.same({ 1, 2 }, { stats.queries, stats.hits })
            cached:close()
            uncached:close()
        end
    end)

    it("counts cached TTLs down in whole integers", function()
        local clock = env.clock()
        local r = assert(srv.resolver { zone = "docs/examples/example.net.zone", clock = clock.now })
        r:resolve(REFERENCE)
        clock.advance(1.5)
        local ttl = assert(r:resolve(REFERENCE))[1].ttl
        assert.equal(86399, ttl)
        assert.equal("integer", math.type(ttl))
        r:close()
    end)

    it("counts a cached r:resolve's TTLs down second by second, per resolver, and asks again after a flush", function()
        -- Two resolvers with their own clocks, calls interleaved: each one's
        -- candidates follow its own cache entry and its own age.
        local clock_a, clock_b = env.clock(), env.clock()
        local a = assert(srv.resolver { zone = "docs/examples/example.net.zone", clock = clock_a.now })
        local b = assert(srv.resolver { zone = "docs/examples/example.net.zone", clock = clock_b.now })
        local function ttl(r) return assert(r:resolve(REFERENCE))[1].ttl end
        assert.same({ 86400, 86400 }, { ttl(a), ttl(b) })
        clock_a.advance(0.5)
        assert.same({ 86400, 86400 }, { ttl(a), ttl(b) })
        clock_a.advance(0.6)
        assert.same({ 86399, 86400 }, { ttl(a), ttl(b) })
        clock_b.advance(2)
        assert.same({ 86399, 86398 }, { ttl(a), ttl(b) })
        clock_a.advance(1)
        assert.same({ 86398, 86398 }, { ttl(a), ttl(b) })
        a:flush(REFERENCE)
        assert.same({ 86400, 86398 }, { ttl(a), ttl(b) })
        assert.same({ 2, 1 }, { a:stats().queries, b:stats().queries })
        a:close()
        b:close()
    end)

    it("counts one hit per cached r:resolve whatever the answer: records, none usable, NODATA, NXDOMAIN", function()
        local text = table.concat({
            "$ORIGIN example.org.",
            "@ 3600 IN SOA ns hostmaster 1 3600 600 86400 60",
            "@ 3600 IN NS ns",
            "ns 3600 IN A 192.0.2.53",
            "_sip._tcp 3600 IN SRV 10 5 5060 sip",
            "_sip._udp 3600 IN SRV 0 0 0 .",
            "_sips._tcp 3600 IN SRV 10 5 0 sip",
            "sip 3600 IN A 192.0.2.1",
        }, "\n")
        for _, name in ipairs({ "_sip._tcp.example.org", "_sip._udp.example.org", "_sips._tcp.example.org",
                                "_xmpp-client._tcp.sip.example.org", "_xmpp-client._tcp.none.example.org" }) do
            local r = assert(srv.resolver { zone_text = text })
            local first = table.pack(r:resolve(name))
            for call = 2, 4 do
                assert.same(first, table.pack(r:resolve(name)), name)
                assert.same({ 1, call - 1 }, { r:stats().queries, r:stats().hits }, name)
            end
            r:close()
        end
    end)

    it("expires a short TTL in real time", function()
        local r = env.resolver()
        assert(r:lookup("_sip._udp.ttl1.lua.test"))
        assert(r:lookup("_sip._udp.ttl1.lua.test"))
        assert.equal(1, r:stats().queries)
        socket.sleep(1.1)
        assert(r:lookup("_sip._udp.ttl1.lua.test"))
        assert.equal(2, r:stats().queries)
        r:close()
    end)

    it("never keeps a TTL-0 answer", function()
        local r = env.resolver()
        assert(r:lookup("_sip._udp.ttl0.srv.test"))
        assert(r:lookup("_sip._udp.ttl0.srv.test"))
        assert.equal(2, r:stats().queries)
        assert.equal(0, r:stats().entries)
        r:close()
    end)

    it("keeps NXDOMAIN and NODATA for the SOA minimum, capped", function()
        local clock = env.clock()
        local r = env.resolver { clock = clock.now, cache = { max_negative_ttl = 30 } }
        -- srv.test: SOA minimum 120, capped to 30
        local res = table.pack(r:lookup("_xmpp-client._tcp.nodata.srv.test"))
        assert.equal("NODATA", res[3])
        r:lookup("_xmpp-client._tcp.nodata.srv.test")
        assert.equal(1, r:stats().queries)
        clock.advance(29)
        r:lookup("_xmpp-client._tcp.nodata.srv.test")
        assert.equal(1, r:stats().queries)
        clock.advance(1)
        r:lookup("_xmpp-client._tcp.nodata.srv.test")
        assert.equal(2, r:stats().queries)
        -- lua.test: SOA minimum 60, below the cap
        local s = env.resolver { clock = clock.now }
        s:lookup("_nope._tcp.lua.test")
        clock.advance(59)
        s:lookup("_nope._tcp.lua.test")
        assert.equal(1, s:stats().queries)
        clock.advance(1)
        s:lookup("_nope._tcp.lua.test")
        assert.equal(2, s:stats().queries)
        r:close()
        s:close()
    end)

    it("does not cache failures such as SERVFAIL", function()
        local r = env.resolver()
        r:lookup("_x._tcp.broken.test")
        r:lookup("_x._tcp.broken.test")
        assert.equal(2, r:stats().queries)
        r:close()
    end)

    it("answers a blocking r:addresses from the cache without running the loop", function()
        local r = env.resolver()
        assert(r:addresses("b.lua.test"))
        local ran = false
        r:lookup_async(REFERENCE, function() ran = true end)
        assert(r:addresses("b.lua.test"))
        assert.is_false(ran)
        r:run()
        assert.is_true(ran)
        r:close()
    end)

    describe("serve-stale", function()
        local proxy, clock, r
        local NAME = "_sip._udp.ttl3.lua.test"

        local function lookup()
            local result
            r:lookup_async(NAME, function(...) result = table.pack(...) end)
            proxy:drive(r, function() return result ~= nil end)
            return result
        end

        before_each(function()
            proxy = require("spec.support.proxy").new(env.server)
            clock = env.clock()
            r = assert(srv.resolver { servers = { proxy.address }, timeout = 0.2, tries = 1,
                                      clock = clock.now, cache = { stale = 100 } })
            assert.equal(1, #lookup()[1])
        end)
        after_each(function()
            r:close()
            proxy:close()
        end)

        it("answers a SERVFAIL with the expired answer inside the window, not after", function()
            proxy.mode = "servfail"
            clock.advance(3 + 50)
            local res = lookup()
            assert.equal("b.lua.test", res[1][1].target)
            assert.equal(0, res[1][1].ttl)
            assert.equal(1, r:stats().stale)
            clock.advance(100)
            res = lookup()
            assert.same({ n = 3, nil, res[2], "SERVFAIL" }, res)
        end)

        it("answers a TIMEOUT with the expired answer", function()
            proxy.mode = "silent"
            clock.advance(10)
            local res = lookup()
            assert.equal("b.lua.test", res[1][1].target)
            assert.equal(1, r:stats().stale)
        end)

        it("never serves stale while DNS answers", function()
            clock.advance(10)
            local trace = {}
            assert(r:resolve_async(NAME, { trace = trace }, function() end) == nil)
            proxy:drive(r, function() return r:pending() == 0 end)
            assert.equal("dns", trace[2].from)
            assert.equal(0, r:stats().stale)
        end)
    end)

    it("forgets one name or everything on flush", function()
        local r = env.resolver()
        assert(r:lookup(REFERENCE))
        assert(r:lookup("_xmpp-server._tcp.example.net"))
        assert.equal(2, r:stats().entries)
        r:flush(REFERENCE .. ".")
        assert.equal(1, r:stats().entries)
        assert(r:lookup(REFERENCE))
        assert.equal(3, r:stats().queries)
        r:flush()
        assert.equal(0, r:stats().entries)
        r:close()
    end)

    it("refuses settings out of range", function()
        assert.has_error(function() srv.resolver { zone = "docs/examples/example.net.zone", cache = { max_entries = 0 } } end)
        assert.has_error(function() srv.resolver { zone = "docs/examples/example.net.zone", cache = { stale = "x" } } end)
        assert.has_error(function() srv.resolver { zone = "docs/examples/example.net.zone", cache = { max_negative_ttl = -1 } } end)
    end)

    it("evicts beyond max_entries and keeps answering", function()
        local r = assert(srv.resolver { zone = "docs/examples/example.net.zone", cache = { max_entries = 2 } })
        for _, name in ipairs { "_xmpp-client._tcp.example.net", "_xmpp-server._tcp.example.net",
                                "_turn._udp.example.net", "_stun._udp.example.net" } do
            assert(r:lookup(name))
            assert.is_true(r:stats().entries <= 2)
        end
        r:close()
    end)

    it("can be switched off", function()
        local r = env.resolver { cache = false }
        assert(r:lookup(REFERENCE))
        assert(r:lookup(REFERENCE))
        local stats = r:stats()
        assert.same({ 2, false, 0 }, { stats.queries, stats.cache, stats.entries })
        r:close()
    end)

    it("counts hits and misses", function()
        local r = env.resolver()
        r:lookup(REFERENCE)
        r:lookup(REFERENCE)
        r:resolve(REFERENCE)
        local stats = r:stats()
        assert.same({ 2, 1 }, { stats.hits, stats.misses })
        r:close()
    end)
end)

-- Cases an adversarial review found, each with its problem in a comment.
do
    local srv = require "srv"
    local run = require "spec.support.run"

    local srv_run = run.srv_run
    local ZONE = "docs/examples/example.net.zone"
    local NAME = "_xmpp-client._tcp.example.net"

    -- Bytes of Lua memory calls(count) allocates per call, the collector
    -- stopped: what a call leaves for the collector, counted, not timed.
    local function bytes_per_call(calls, count)
        collectgarbage()
        collectgarbage("stop")
        local before = collectgarbage("count")
        calls(count)
        local after = collectgarbage("count")
        collectgarbage("restart")
        return (after - before) * 1024 / count
    end

    describe("a cached r:resolve", function()
        -- Problem: the fast path kept the candidates it last used per plan, and
        -- plans are shared by every resolver: two resolvers taking turns on a
        -- name each found the other's entry there and made a new record per
        -- call (256 bytes a call instead of the result array's 136).
        it("allocates no more when two resolvers take turns on a name than when one asks it", function()
            local a = assert(srv.resolver { zone = ZONE, seed = 1 })
            local b = assert(srv.resolver { zone = ZONE, seed = 2 })
            assert(a:resolve(NAME))
            assert(b:resolve(NAME))
            local alone = bytes_per_call(function(count)
                for _ = 1, count do a:resolve(NAME) end
            end, 2000)
            local turns = bytes_per_call(function(count)
                for _ = 1, count / 2 do
                    a:resolve(NAME)
                    b:resolve(NAME)
                end
            end, 2000)
            assert.is_true(turns <= alone + 8, string.format("%.0f bytes a call in turns, %.0f alone", turns, alone))
            -- and each still answers from its own cache entry, counted down by its own age
            assert.same({ 1, 1 }, { a:stats().queries, b:stats().queries })
            a:close()
            b:close()
        end)
    end)
end
