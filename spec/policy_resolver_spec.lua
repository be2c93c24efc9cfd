-- Policies and health marks applied by the resolver.
local srv = require "srv"
local env = require "spec.support.env"

local REFERENCE = "_xmpp-client._tcp.example.net"
local ZONE = "docs/examples/example.net.zone"

describe("policies on r:resolve", function()
    local r
    before_each(function() r = env.resolver { seed = 3 } end)
    after_each(function() r:close() end)

    it("pins a host first and keeps RFC order among the rest", function()
        for _ = 1, 20 do
            local cands = assert(r:resolve(REFERENCE, { policy = srv.policy { pin = "backup.example.net" } }))
            assert.equal("backup.example.net", cands[1].target)
            assert.equal("server1.example.net", cands[2].target)
            assert.equal(5, #cands)
        end
    end)

    it("excludes by name and by pattern", function()
        local cands = assert(r:resolve(REFERENCE, { policy = srv.policy { exclude = { "server1.example.net", "server[23]%..*" } } }))
        table.sort(cands, function(a, b) return a.target < b.target end)
        assert.same({ "backup.example.net", "server4.example.net" }, env.targets(cands))
    end)

    it("adds fallbacks after the SRV candidates with source 'policy'", function()
        local cands = assert(r:resolve(REFERENCE, { policy = srv.policy { fallback = "relay.example.org:443" } }))
        assert.equal(6, #cands)
        assert.same({ "relay.example.org", 443, "policy" }, { cands[6].target, cands[6].port, cands[6].source })
    end)

    it("replaces the weighted shuffle with opts.order, per priority", function()
        local by_weight = function(group)
            table.sort(group, function(a, b) return a.weight > b.weight end)
            return group
        end
        local cands = assert(r:resolve(REFERENCE, { policy = srv.policy { order = by_weight } }))
        assert.same({ "server1.example.net", "server2.example.net" }, { cands[1].target, cands[2].target })
    end)

    it("composes policies with srv.chain, left to right", function()
        local p = srv.chain(srv.policy { exclude = "server1.example.net" }, function(c)
            table.insert(c, 1, { target = "first.example.org", port = 1 })
            return c
        end)
        local cands = assert(r:resolve(REFERENCE, { policy = p }))
        assert.same({ "first.example.org", "policy", 5 }, { cands[1].target, cands[1].source, #cands })
    end)

    it("applies the resolver's policy from set_policy, and a per-call policy over it", function()
        r:set_policy(srv.policy { pin = "server4.example.net" })
        assert.equal("server4.example.net", assert(r:resolve(REFERENCE))[1].target)
        assert.equal("server3.example.net",
            assert(r:resolve(REFERENCE, { policy = srv.policy { pin = "server3.example.net" } }))[1].target)
        r:set_policy(nil)
        assert.equal("server1.example.net", assert(r:resolve(REFERENCE))[1].target)
        assert.has_error(function() r:set_policy(5) end)
    end)

    it("gives nil, msg, POLICY for a policy that raises or returns garbage, and keeps working", function()
        local bad = {
            function() error("policy bug") end,
            function() return 42 end,
            function() return { { target = "x" } } end,
            function() return { { target = "x", port = 0 } } end,
            function() end,
        }
        for _, p in ipairs(bad) do
            local res = table.pack(r:resolve(REFERENCE, { policy = p }))
            assert.same({ n = 3, nil, res[2], "POLICY" }, res)
            assert.is_string(res[2])
        end
        local done
        r:resolve_async(REFERENCE, { policy = bad[1] }, function(...) done = table.pack(...) end)
        r:run()
        assert.equal("POLICY", done[3])
        assert.equal(5, #assert(r:resolve(REFERENCE)))
    end)

    it("gives nil, msg, POLICY for a policy that yields, in a coroutine and in a task", function()
        local q = assert(srv.resolver { zone = ZONE })
        local yielding = function(c) coroutine.yield("from the policy") return c end
        local ok, a, b, c = coroutine.resume(coroutine.create(function()
            return q:resolve(REFERENCE, { policy = yielding })
        end))
        assert.same({ true, nil, "POLICY" }, { ok, a, c })
        assert.is_string(b)
        local t = srv.spawn(function() return select(3, q:resolve(REFERENCE, { policy = yielding })) end)
        assert.equal("POLICY", srv.wait(t))
        q:close()
    end)

    it("reads what a policy returns raw: a __len or __index that raises is never called", function()
        local q = assert(srv.resolver { zone = ZONE })
        local raising_len = function()
            return setmetatable({ { target = "a", port = 1 } }, { __len = function() error("len boom", 0) end })
        end
        local res = table.pack(q:resolve(REFERENCE, { policy = raising_len }))
        assert.equal("a", res[1] and res[1][1].target)
        local raising_index = function()
            return { setmetatable({ target = "a", port = 1 }, { __index = function() error("index boom") end }) }
        end
        local cands = assert(q:resolve(REFERENCE, { policy = raising_index }))
        assert.is_nil(getmetatable(cands[1]))
        assert.is_nil(cands[1].transport)
        q:close()
    end)

    it("fails with POLICY when the policy leaves no candidates", function()
        local res = table.pack(r:resolve(REFERENCE, { policy = srv.policy { exclude = ".*" } }))
        assert.same({ n = 3, nil, res[2], "POLICY" }, res)
    end)

    it("gives a policy its own copies: changes do not leak into later answers", function()
        assert(r:resolve(REFERENCE, { policy = function(c)
            for _, x in ipairs(c) do x.port = 1 end
            return c
        end }))
        assert.equal(5222, assert(r:resolve(REFERENCE))[1].port)
    end)

    it("lets a policy make blocking lookups of its own", function()
        local q = env.resolver { cache = false }
        local policy = function(c, ctx)
            -- keep only targets that also serve XMPP servers
            local servers = assert(ctx.resolver:lookup("_xmpp-server._tcp.example.net"))
            local ok = {}
            for _, rec in ipairs(servers) do ok[rec.target] = true end
            local out = {}
            for _, x in ipairs(c) do
                if ok[x.target] then out[#out + 1] = x end
            end
            return out
        end
        assert.equal(5, #assert(q:resolve(REFERENCE, { policy = policy })))
        local got
        q:lookup_async(REFERENCE, function()
            got = #assert(q:resolve(REFERENCE, { policy = policy }))
        end)
        q:run()
        assert.equal(5, got)
        q:close()
    end)

    it("passes a context naming the resolution", function()
        local seen
        assert(r:resolve(REFERENCE, { policy = function(c, ctx) seen = ctx return c end }))
        assert.same({ REFERENCE, "xmpp-client", "tcp", "example.net", 5 },
            { seen.name, seen.service, seen.proto, seen.domain, #seen.answer })
        assert.equal(r, seen.resolver)
    end)
end)

describe("health marks", function()
    it("move a marked-down target behind every up candidate, backup included, until it expires", function()
        local clock = env.clock()
        local r = env.resolver { seed = 5, clock = clock.now }
        assert.is_true(r:mark_down("server1.example.net", 5222, 30))
        for _ = 1, 10 do
            local cands = assert(r:resolve(REFERENCE))
            assert.equal("server1.example.net", cands[5].target)
            assert.equal("backup.example.net", cands[4].target)
        end
        clock.advance(30)
        assert.equal("server1.example.net", assert(r:resolve(REFERENCE))[1].target)
        r:close()
    end)

    it("ends with mark_up and matches target and port", function()
        local r = env.resolver()
        r:mark_down("SERVER1.example.net.", 5222)
        assert.equal("server1.example.net", assert(r:resolve(REFERENCE))[5].target)
        r:mark_down("server1.example.net", 5269)  -- another port: no effect on 5222
        r:mark_up("server1.example.net", 5222)
        assert.equal("server1.example.net", assert(r:resolve(REFERENCE))[1].target)
        assert.equal(1, r:stats().down)
        assert.has_error(function() r:mark_down("x", "5222") end)
        r:close()
    end)

    it("stops counting a mark in stats once it has expired", function()
        local clock = env.clock()
        local r = env.resolver { clock = clock.now }
        r:mark_down("server1.example.net", 5222, 1)
        assert.equal(1, r:stats().down)
        clock.advance(5)
        assert.equal(0, r:stats().down)
        r:close()
    end)

    it("refuse NaN as a mark_down duration", function()
        local r = assert(srv.resolver { zone = ZONE })
        assert.has_error(function() r:mark_down("a", 1, 0 / 0) end)
        r:close()
    end)
end)
