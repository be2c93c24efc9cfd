-- r:resolve against knotd: RFC 2782 order, fallback, '.', unusable records,
-- IP literals, addresses, trace, seeds.
local srv = require "srv"
local env = require "spec.support.env"

local REFERENCE = "_xmpp-client._tcp.example.net"

describe("r:resolve", function()
    local r
    before_each(function() r = env.resolver { seed = 7 } end)
    after_each(function() r:close() end)

    it("returns every priority, lowest first, with source 'srv'", function()
        local cands = assert(r:resolve(REFERENCE))
        assert.equal(5, #cands)
        assert.equal("server1.example.net", cands[1].target)
        assert.equal("backup.example.net", cands[5].target)
        local last = -1
        for _, c in ipairs(cands) do
            assert.is_true(c.priority >= last)
            last = c.priority
            assert.equal("srv", c.source)
            assert.equal(5222, c.port)
            assert.equal(86400, c.ttl)
        end
    end)

    it("takes service, proto and domain separately, with or without underscores", function()
        local a = assert(r:resolve("xmpp-client", "tcp", "example.net"))
        local b = assert(r:resolve("_xmpp-client", "_tcp", "example.net."))
        assert.same(env.targets(a)[1], env.targets(b)[1])
        assert.equal(5, #b)
    end)

    it("orders reproducibly with a seed", function()
        local a = env.resolver { seed = 42, cache = false }
        local b = env.resolver { seed = 42, cache = false }
        for _ = 1, 5 do
            assert.same(env.targets(assert(a:resolve(REFERENCE))), env.targets(assert(b:resolve(REFERENCE))))
        end
        a:close()
        b:close()
    end)

    it("puts server2/3/4 first 60/20/20 percent of the time behind server1 (RFC 2782 weights)", function()
        local counts, n = {}, 6000
        for _ = 1, n do
            local second = assert(r:resolve(REFERENCE))[2].target
            counts[second] = (counts[second] or 0) + 1
        end
        assert.near(0.6, counts["server2.example.net"] / n, 0.03)
        assert.near(0.2, counts["server3.example.net"] / n, 0.03)
        assert.near(0.2, counts["server4.example.net"] / n, 0.03)
    end)

    it("falls back to the domain on the default port when there are no SRV records", function()
        assert.same({ { target = "nodata.srv.test", port = 5222, priority = 0, weight = 0, ttl = 0, source = "fallback" } },
            assert(r:resolve("_xmpp-client._tcp.nodata.srv.test")))
        assert.same({ { target = "nosrv.lua.test", port = 3478, priority = 0, weight = 0, ttl = 0, source = "fallback" } },
            assert(r:resolve("_turn._udp.nosrv.lua.test")))
        -- NXDOMAIN falls back too
        assert.same({ "missing.lua.test" }, env.targets(assert(r:resolve("_stun._udp.missing.lua.test"))))
    end)

    it("does not fall back when asked not to, or when the service has no default port", function()
        local res = table.pack(r:resolve("_xmpp-client._tcp.nodata.srv.test", { fallback = false }))
        assert.same({ n = 3, nil, res[2], "NODATA" }, res)
        res = table.pack(r:resolve("_nosuch._tcp.example.net"))
        assert.same({ n = 3, nil, res[2], "NXDOMAIN" }, res)
        -- opts.port gives a default port to a service srv does not know
        assert.same({ "example.net" }, env.targets(assert(r:resolve("_nosuch._tcp.example.net", { port = 7000 }))))
    end)

    it("does not fall back on a DNS failure", function()
        local res = table.pack(r:resolve("_xmpp-client._tcp.broken.test"))
        assert.same({ n = 3, nil, res[2], "SERVFAIL" }, res)
    end)

    it("gives NOSERVICE for a lone '.' and drops a '.' mixed with records", function()
        local res = table.pack(r:resolve("_xmpp-client._tcp.dot.srv.test"))
        assert.same({ n = 3, nil, res[2], "NOSERVICE" }, res)
        assert.same({ "host1.srv.test" }, env.targets(assert(r:resolve("_xmpp-client._tcp.mixed.srv.test"))))
    end)

    it("leaves out port 0 and self-referencing targets and says so in the trace", function()
        local trace = {}
        assert.same({ "b.lua.test" }, env.targets(assert(r:resolve("_sip._tcp.port0.lua.test", { trace = trace }))))
        local skipped
        for _, e in ipairs(trace) do
            if e.step == "skip" and e.port == 0 then skipped = e end
        end
        assert.same({ step = "skip", name = "_sip._tcp.port0.lua.test", target = "a.lua.test", port = 0, reason = "port 0" }, skipped)

        trace = {}
        assert.same({ "a.lua.test" }, env.targets(assert(r:resolve("_sip._tcp.self.lua.test", { trace = trace }))))
        local found = false
        for _, e in ipairs(trace) do
            if e.step == "skip" and e.reason == "target is the queried name" then found = true end
        end
        assert.is_true(found)

        local res = table.pack(r:resolve("_sip._tcp.allport0.lua.test"))
        assert.same({ n = 3, nil, res[2], "NOSERVICE" }, res)
    end)

    it("needs no SRV query for an IP-literal domain", function()
        local trace = {}
        assert.same({ { target = "192.0.2.7", port = 5222, priority = 0, weight = 0, ttl = 0, source = "fallback" } },
            assert(r:resolve("_xmpp-client._tcp.192.0.2.7", { trace = trace })))
        for _, e in ipairs(trace) do assert.not_equal("query", e.step) end
        assert.equal(0, r:stats().queries)
    end)

    it("takes a bracketed IPv6 literal as the address itself", function()
        local z = assert(srv.resolver { zone = "docs/examples/example.net.zone" })
        local c = assert(z:resolve("_xmpp-client._tcp.[2001:db8::1]", { addresses = true }))[1]
        assert.same({ "2001:db8::1", { "2001:db8::1" } }, { c.target, c.addresses })
        assert.equal("2001:db8::1", assert(z:resolve_xmpp("[2001:db8::1]"))[1].target)
        z:close()
    end)

    it("adds A and AAAA addresses to each candidate with opts.addresses", function()
        local cands = assert(r:resolve(REFERENCE, { addresses = true }))
        local by_target = {}
        for _, c in ipairs(cands) do by_target[c.target] = c.addresses end
        assert.same({ "192.0.2.11" }, by_target["server1.example.net"])
        local backup = by_target["backup.example.net"]
        table.sort(backup)
        assert.same({ "192.0.2.15", "2001:db8::15" }, backup)
        -- the addresses went to copies: a later resolve has none
        assert.is_nil(assert(r:resolve(REFERENCE))[1].addresses)
    end)

    it("fills opts.trace with what was asked and what came back", function()
        local trace = {}
        assert(r:resolve(REFERENCE, { trace = trace }))
        assert.same({ step = "query", name = REFERENCE, type = "SRV" }, trace[1])
        assert.equal("answer", trace[2].step)
        assert.equal("OK", trace[2].code)
        assert.equal(5, trace[2].records)
        assert.equal("dns", trace[2].from)
        assert.same({ step = "order", count = 5, strict = false }, trace[3])
        trace = {}
        assert(r:resolve(REFERENCE, { trace = trace }))
        assert.equal("cache", trace[2].from)
    end)

    it("returns BADNAME for a name that is not _service._proto.domain, in both forms", function()
        local res = table.pack(r:resolve("example.net"))
        assert.same({ n = 3, nil, res[2], "BADNAME" }, res)
        res = table.pack(r:resolve("xmpp client", "tcp", "example.net"))
        assert.same({ n = 3, nil, res[2], "BADNAME" }, res)
        res = table.pack(r:resolve("xmpp-client", "tcp", ""))
        assert.same({ n = 3, nil, res[2], "BADNAME" }, res)
    end)

    it("says what is wrong with the domain of a name: a JID, a URI, whitespace, an SRV name, a long label", function()
        local cases = {
            { { "_xmpp-client._tcp.user@chat.test" }, "_xmpp-client._tcp.user@chat.test: the domain user@chat.test: "
              .. "a JID, not a domain: give its domain part (chat.test)" },
            { { "xmpp-client", "tcp", " chat.test" }, '"_xmpp-client._tcp. chat.test": the domain " chat.test": '
              .. "whitespace at octet 1: a domain has none" },
            { { "sip", "udp", "sip:chat.test" }, "_sip._udp.sip:chat.test: the domain sip:chat.test: "
              .. "a URI (sip:), not a domain: give its host (chat.test)" },
            { { "_sip._tcp._sip._tcp.chat.test" }, "_sip._tcp._sip._tcp.chat.test: the domain _sip._tcp.chat.test: "
              .. "an SRV name (_service._proto.domain), not a domain: give the domain alone (chat.test)" },
            { { "_sip._tcp." .. ("b"):rep(64) .. ".test" }, "_sip._tcp." .. ("b"):rep(64) .. ".test: the domain "
              .. ("b"):rep(64) .. ".test: the label bbbbbbbbbb...bbbbbb is 64 octets long; a label is at most 63 "
              .. "(RFC 1035 2.3.4)" },
            { { "_sip._tcp." .. ("abcdefg."):rep(31) .. "test" }, "_sip._tcp." .. ("abcdefg."):rep(31) .. "test: "
              .. "the name is 262 octets long; a name is at most 253 (255 on the wire, RFC 1035 2.3.4)" },
        }
        for _, case in ipairs(cases) do
            assert.same({ n = 3, nil, case[2], "BADNAME" }, table.pack(r:resolve(table.unpack(case[1]))))
        end
    end)

    it("blames the caller's line for a wrong argument", function()
        local ok, err = pcall(function() r:lookup(42) end)
        assert.is_false(ok)
        assert.matches("resolve_spec.lua:%d+: bad argument #1 to 'lookup'", err)
        ok, err = pcall(function() r:resolve(REFERENCE, { trace = 1 }) end)
        assert.matches("resolve_spec.lua:%d+: bad argument #2 to 'resolve'", err)
        ok, err = pcall(function() srv.resolver { timeout = "x" } end)
        assert.matches("resolve_spec.lua:%d+: bad argument #1 to 'resolver'", err)
    end)

    it("raises on wrong argument types", function()
        assert.has_error(function() r:resolve(5) end)
        assert.has_error(function() r:resolve(REFERENCE, 5) end)
        assert.has_error(function() r:resolve(REFERENCE, { fallback = "no" }) end)
        assert.has_error(function() r:resolve(REFERENCE, { policy = 5 }) end)
        assert.has_error(function() r:resolve("xmpp-client", "tcp", 5) end)
    end)
end)

describe("srv.order", function()
    local records = {
        { target = "server1", priority = 5, weight = 50, port = 1 },
        { target = "server2", priority = 10, weight = 30, port = 1 },
        { target = "server3", priority = 10, weight = 10, port = 1 },
        { target = "server4", priority = 10, weight = 10, port = 1 },
        { target = "backup", priority = 15, weight = 0, port = 1 },
    }

    it("returns a new array of the same tables in RFC 2782 order", function()
        local ordered = srv.order(records, 1)
        assert.equal(5, #ordered)
        assert.not_equal(records, ordered)
        assert.equal(records[1], ordered[1])
        assert.equal(records[5], ordered[5])
    end)

    it("repeats itself for a seed, in both modes", function()
        assert.same(env.targets(srv.order(records, 3)), env.targets(srv.order(records, { seed = 3 })))
        assert.same(env.targets(srv.order(records, { seed = 9, strict = true })),
            env.targets(srv.order(records, { seed = 9, strict = true })))
    end)

    it("gives NOSERVICE when every target is '.'", function()
        local res = table.pack(srv.order({ { target = ".", priority = 0, weight = 0, port = 0 } }))
        assert.same({ n = 3, nil, res[2], "NOSERVICE" }, res)
    end)

    it("raises on bad arguments", function()
        assert.has_error(function() srv.order("x") end)
        assert.has_error(function() srv.order(records, "x") end)
        assert.has_error(function() srv.order({ { target = "a", priority = "x", weight = 0 } }) end)
    end)
end)

describe("srv.parse", function()
    it("reads the reference text's records written back to back on one line", function()
        local text = "_sip._tcp.example.com. 86400 IN SRV 0 5 5060 sipserver.example.com. "
            .. "_sip._tcp.example.com. 86400 IN SRV 0 5 5060 backup.example.com."
        local records = assert(srv.parse(text))
        assert.same({ "sipserver.example.com", "backup.example.com" }, env.targets(records))
        assert.equal("_sip._tcp.example.com. 86400 IN SRV 0 5 5060 sipserver.example.com.", tostring(records[1]))
    end)

    it("reads every line of the reference text verbatim", function()
        local counts = {}
        for line in io.lines("spec/fixtures/seed-examples.txt") do
            counts[#counts + 1] = #assert(srv.parse(line))
        end
        assert.same({ 3, 3, 10, 3, 3, 15, 3, 3, 15 }, counts)
    end)

    it("lets a resolver answer from a pasted reference line (opts.zone_text)", function()
        local lines = {}
        for line in io.lines("spec/fixtures/seed-examples.txt") do lines[#lines + 1] = line end
        local r = assert(srv.resolver { zone_text = lines[3], seed = 1 })
        local cands = assert(r:resolve("_xmpp-client._tcp.example.net"))
        assert.same({ "server1.example.net", 5 }, { cands[1].target, #cands })
        assert.equal("backup.example.net", cands[5].target)
        r:close()
    end)

    it("returns nil, message, line on bad text", function()
        local res = table.pack(srv.parse("_a._tcp.x. 60 IN SRV 1 2 3 t.\n_b._tcp.x. 60 IN SRV one 2 3 t."))
        assert.same({ n = 3, nil, res[2], 2 }, res)
        assert.is_string(res[2])
    end)

    it("raises on a non-string", function()
        assert.has_error(function() srv.parse(5) end)
    end)
end)

describe("srv.services", function()
    it("knows the XMPP, STUN and TURN services and their default ports", function()
        assert.equal(5222, srv.default_port("xmpp-client", "tcp"))
        assert.equal(5223, srv.default_port("xmpps-client", "tcp"))
        assert.equal(5269, srv.default_port("xmpp-server", "tcp"))
        assert.equal(5270, srv.default_port("xmpps-server", "tcp"))
        assert.equal(3478, srv.default_port("stun", "udp"))
        assert.equal(3478, srv.default_port("turn", "tcp"))
        assert.equal(5349, srv.default_port("stuns", "tcp"))
        assert.equal(5349, srv.default_port("turns", "tcp"))
        assert.is_table(srv.services["xmpp-client"])
    end)
end)
