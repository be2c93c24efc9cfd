-- Cases found by review, each pinned here.
local srv = require "srv"
local env = require "spec.support.env"

local REFERENCE = "_xmpp-client._tcp.example.net"
local ZONE = "docs/examples/example.net.zone"

describe("after review", function()
    it("runs every pending callback when a callback closes the resolver mid-resolution", function()
        local r = env.resolver { cache = false }
        local results = {}
        r:lookup_async("_sip._tcp.port0.lua.test", function() r:close() end)
        r:resolve_async("_sip._tcp.self.lua.test", { addresses = true }, function(res, _, code)
            results[#results + 1] = res and "OK" or code
        end)
        r:resolve_xmpp_async("both.lua.test", "client", { addresses = true }, function(res, _, code)
            results[#results + 1] = res and "OK" or code
        end)
        assert.is_true(r:run())
        assert.equal(2, #results)
    end)

    it("keeps going after a raising callback in r:run and raises at the end", function()
        local r = env.resolver { max_inflight = 1 }
        local second = false
        r:lookup_async("_turn._udp.example.net", function() error("first callback fails") end)
        r:lookup_async("_turn._tcp.example.net", function() second = true end)
        assert.has_error(function() r:run() end)
        assert.is_true(second)
        assert.equal(0, r:pending())
        r:close()
    end)

    it("turns a policy result with a raising __len into POLICY", function()
        local r = assert(srv.resolver { zone = ZONE })
        local p = function()
            return setmetatable({ { target = "a", port = 1 } }, { __len = function() error("len boom", 0) end })
        end
        local res = table.pack(r:resolve(REFERENCE, { policy = p }))
        assert.equal("a", res[1] and res[1][1].target)
        local q = function()
            return { setmetatable({ target = "a", port = 1 }, { __index = function() error("index boom") end }) }
        end
        local cands = assert(r:resolve(REFERENCE, { policy = q }))
        assert.is_nil(getmetatable(cands[1]))
        assert.is_nil(cands[1].transport)
        r:close()
    end)

    it("turns a policy that yields into POLICY, in a coroutine and in a task", function()
        local r = assert(srv.resolver { zone = ZONE })
        local yielding = function(c) coroutine.yield("from the policy") return c end
        local ok, a, b, c = coroutine.resume(coroutine.create(function()
            return r:resolve(REFERENCE, { policy = yielding })
        end))
        assert.same({ true, nil, "POLICY" }, { ok, a, c })
        assert.is_string(b)
        local t = srv.spawn(function() return select(3, r:resolve(REFERENCE, { policy = yielding })) end)
        assert.equal("POLICY", srv.wait(t))
        r:close()
    end)

    it("counts cached TTLs down in whole integers", function()
        local clock = env.clock()
        local r = assert(srv.resolver { zone = ZONE, clock = clock.now })
        r:resolve(REFERENCE)
        clock.advance(1.5)
        local ttl = assert(r:resolve(REFERENCE))[1].ttl
        assert.equal(86399, ttl)
        assert.equal("integer", math.type(ttl))
        r:close()
    end)

    it("refuses captures and back-references in policy patterns at construction", function()
        assert.has_error(function() srv.policy { exclude = "(server.*" } end)
        assert.has_error(function() srv.policy { exclude = "server.*)" } end)
        assert.has_error(function() srv.policy { prefer = "%1" } end)
        assert.has_no_error(function() srv.policy { exclude = "server%(1%)" } end)
    end)

    it("says BADNAME for a NUL byte in a name from a zone file too", function()
        local r = assert(srv.resolver { zone = ZONE })
        local res = table.pack(r:lookup("_sip._tcp.a\0b.example.net"))
        assert.same({ n = 3, nil, res[2], "BADNAME" }, res)
        r:close()
    end)

    it("hands out TURN hosts without a trailing dot", function()
        local r = assert(srv.resolver { zone = ZONE })
        for _, c in ipairs(assert(r:resolve_turn("turn:nosrv.example.net."))) do
            assert.equal("nosrv.example.net", c.target)
        end
        assert.equal("turn.example.org", assert(r:resolve_turn("turn:turn.example.org.:3479"))[1].target)
        r:close()
    end)

    it("takes a bracketed IPv6 literal as the address itself", function()
        local r = assert(srv.resolver { zone = ZONE })
        local c = assert(r:resolve("_xmpp-client._tcp.[2001:db8::1]", { addresses = true }))[1]
        assert.same({ "2001:db8::1", { "2001:db8::1" } }, { c.target, c.addresses })
        assert.equal("2001:db8::1", assert(r:resolve_xmpp("[2001:db8::1]"))[1].target)
        r:close()
    end)

    it("says BADNAME for an XMPP domain that is not a name", function()
        local r = assert(srv.resolver { zone = ZONE })
        for _, domain in ipairs { "", ".", "..", "example..net" } do
            local res = table.pack(r:resolve_xmpp(domain))
            assert.same({ n = 3, nil, res[2], "BADNAME" }, res)
        end
        assert.equal(0, r:stats().queries)
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

    it("spawns a callable table", function()
        local callable = setmetatable({}, { __call = function(_, x) return x * 2 end })
        assert.equal(42, srv.wait(srv.spawn(callable, 21)))
    end)

    it("keeps a resolver alive while its own method runs, even one held nowhere else", function()
        -- a collection at every few instructions: the proxy must stay reachable
        debug.sethook(function() collectgarbage() end, "", 100)
        local ok, records = pcall(function()
            return srv.resolver { servers = { env.server }, cache = false }:lookup("_xmpp-server._tcp.real.srv.test")
        end)
        local t = srv.spawn(function()
            return srv.resolver { zone = "spec/fixtures/srv.test.zone" }:lookup("_xmpp-server._tcp.real.srv.test")
        end)
        local in_task = srv.wait(t)
        debug.sethook()
        assert.is_true(ok)
        assert.equal(2, #records)
        assert.equal(2, #in_task)
    end)

    it("does not hand out the resolver's inner state", function()
        local r = assert(srv.resolver { zone = ZONE })
        assert.is_nil(next(r))
        assert.is_nil(rawget(r, 1))
        r:close()
    end)

    it("refuses NaN as a mark_down duration", function()
        local r = assert(srv.resolver { zone = ZONE })
        assert.has_error(function() r:mark_down("a", 1, 0 / 0) end)
        r:close()
    end)

    it("writes a record whose target ends in an escaped dot with the root dot after it", function()
        local r = srv.parse("_x._tcp.example. 60 IN SRV 1 1 1 x.example.")[1]
        r.target = "a\\."
        assert.equal("_x._tcp.example. 60 IN SRV 1 1 1 a\\..", tostring(r))
        r.target = "a\\\\."   -- an escaped backslash, then the root dot
        assert.equal("_x._tcp.example. 60 IN SRV 1 1 1 a\\\\.", tostring(r))
    end)
end)
