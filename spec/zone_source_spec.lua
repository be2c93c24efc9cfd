-- srv.zone_source: the offline source answers as knotd does for the same
-- zone file, with the methods of srv.core's resolver (submit, fetch, step).
-- The callbacks are srv.loop's, the same for both sources: async_spec.
local zone_source = require("srv.zone_source")

local has_core = pcall(require, "srv.core")
local server = os.getenv("SRV_TEST_SERVER")
local fixtures = "spec/fixtures/"

-- Submits one query, drives the source (or srv.core resolver) until it is
-- answered and returns its result: code, result, negative TTL.
local function ask(source, method, name, family)
    local id = assert(source[method](source, name, family))
    local deadline = os.time() + 10
    local results, count
    repeat
        source:step()
        results, count = source:fetch()
    until count > 0 or os.time() > deadline
    assert.equal(1, count, "no result")
    assert.equal(id, results[1])
    return results[2], results[3], results[4]
end

local function srv_answer(source, name)
    return ask(source, "submit_srv", name)
end

local function addr_answer(source, name, family)
    local code, addresses = ask(source, "submit_addr", name, family)
    return code, addresses
end

-- A parsed zone as srv.core.parse_zone gives it, for the tests that must
-- not depend on the parser.
local function srv(name, priority, weight, port, target, ttl)
    return {name = name, priority = priority, weight = weight, port = port,
            target = target, ttl = ttl or 300}
end
local function rr(owner, type, rdata, ttl)
    return {owner = owner, type = type, rdata = rdata, ttl = ttl or 300}
end

local parsed_zone = {
    srv = {
        srv("_xmpp-client._tcp.zone.test", 5, 50, 5222, "server1.zone.test", 600),
        srv("_xmpp-client._tcp.zone.test", 10, 30, 5222, "server2.zone.test", 600),
        srv("_sip._udp.dot.zone.test", 0, 0, 0, "."),
        srv("_sip._udp.mixed.zone.test", 0, 0, 0, "."),
        srv("_sip._udp.mixed.zone.test", 10, 5, 5060, "server1.zone.test"),
        srv("_sip._udp.final.zone.test", 1, 1, 5060, "server1.zone.test", 60),
        srv("_sip._udp.top.zone.test", 1, 1, 5060, "server1.zone.test", 0x80000000),
    },
    rrs = {
        rr("zone.test", "SOA", "ns.zone.test hostmaster.zone.test 1 3600 600 86400 120"),
        rr("server1.zone.test", "A", "192.0.2.1"),
        rr("server1.zone.test", "AAAA", "2001:db8::1", 60),
        rr("server2.zone.test", "TXT", "\"no address\""),
        rr("v4only.zone.test", "A", "192.0.2.4"),
        rr("_sip._udp.hop1.zone.test", "CNAME", "_sip._udp.hop2.zone.test"),
        rr("_sip._udp.hop2.zone.test", "CNAME", "_sip._udp.FINAL.zone.test"),
        rr("_sip._udp.gone.zone.test", "CNAME", "_sip._udp.nowhere.zone.test"),
        rr("_sip._udp.out.zone.test", "CNAME", "_sip._udp.example.invalid"),
        rr("_sip._udp.plain.zone.test", "CNAME", "server1.zone.test"),
        rr("loop1.zone.test", "CNAME", "loop2.zone.test"),
        rr("loop2.zone.test", "CNAME", "loop1.zone.test"),
        rr("www.zone.test", "CNAME", "server1.zone.test"),
        -- zone.test's chain c0 -> c1 -> ... -> c6, SRV records at c6
        rr("c0.zone.test", "CNAME", "c1.zone.test"),
        rr("c1.zone.test", "CNAME", "c2.zone.test"),
        rr("c2.zone.test", "CNAME", "c3.zone.test"),
        rr("c3.zone.test", "CNAME", "c4.zone.test"),
        rr("c4.zone.test", "CNAME", "c5.zone.test"),
        rr("c5.zone.test", "CNAME", "c6.zone.test"),
        -- a second zone: its own negative TTL, no chains into it
        rr("other.test", "SOA", "ns.other.test hostmaster.other.test 1 3600 600 86400 900", 60),
        rr("host.other.test", "A", "192.0.2.50"),
        rr("_sip._udp.into.zone.test", "CNAME", "host.other.test"),
    },
}
table.insert(parsed_zone.srv, srv("c6.zone.test", 1, 1, 1, "server1.zone.test"))

describe("srv.zone_source over a parsed zone", function()
    local source
    before_each(function() source = zone_source.from_zone(parsed_zone) end)
    after_each(function() source:close() end)

    it("answers an SRV name with its records in text order and their TTLs", function()
        assert.same({"OK", {
            {name = "_xmpp-client._tcp.zone.test", target = "server1.zone.test",
             priority = 5, weight = 50, port = 5222, ttl = 600},
            {name = "_xmpp-client._tcp.zone.test", target = "server2.zone.test",
             priority = 10, weight = 30, port = 5222, ttl = 600},
        }, 0}, {srv_answer(source, "_xmpp-client._tcp.zone.test")})
    end)

    it("matches names without regard to case or one trailing dot, naming records as asked", function()
        local code, records = srv_answer(source, "_XMPP-Client._TCP.Zone.Test.")
        assert.equal("OK", code)
        assert.equal(2, #records)
        assert.equal("_XMPP-Client._TCP.Zone.Test", records[1].name)
    end)

    it("says NOSERVICE for a lone '.' target and hands the record over", function()
        assert.same({"NOSERVICE", {
            {name = "_sip._udp.dot.zone.test", target = ".", priority = 0, weight = 0, port = 0, ttl = 300},
        }, 0}, {srv_answer(source, "_sip._udp.dot.zone.test")})
    end)

    it("returns a '.' mixed with real records as OK, all of them", function()
        local code, records = srv_answer(source, "_sip._udp.mixed.zone.test")
        assert.equal("OK", code)
        assert.same({".", "server1.zone.test"}, {records[1].target, records[2].target})
    end)

    it("treats a TTL of 2^31 or more as 0 (RFC 2181 8)", function()
        local _, records = srv_answer(source, "_sip._udp.top.zone.test")
        assert.equal(0, records[1].ttl)
    end)

    it("follows a CNAME chain to the SRV records, named by the final owner", function()
        assert.same({"OK", {
            {name = "_sip._udp.FINAL.zone.test", target = "server1.zone.test",
             priority = 1, weight = 1, port = 5060, ttl = 60},
        }, 0}, {srv_answer(source, "_sip._udp.hop1.zone.test")})
    end)

    it("follows five aliases and no more, as knotd does", function()
        assert.equal("OK", (srv_answer(source, "c1.zone.test")))
        assert.same({"NODATA", nil, 0}, {srv_answer(source, "c0.zone.test")})
    end)

    it("says NODATA without a negative TTL for a CNAME loop", function()
        assert.same({"NODATA", nil, 0}, {srv_answer(source, "loop1.zone.test")})
    end)

    it("says NODATA without a negative TTL for a chain that leaves the zone", function()
        assert.same({"NODATA", nil, 0}, {srv_answer(source, "_sip._udp.out.zone.test")})
        assert.same({"NODATA", nil, 0}, {srv_answer(source, "_sip._udp.into.zone.test")})
    end)

    it("says NODATA with the zone's negative TTL for a chain to a name without SRV", function()
        assert.same({"NODATA", nil, 120}, {srv_answer(source, "_sip._udp.plain.zone.test")})
    end)

    it("says NXDOMAIN for a chain to a name missing from its zone", function()
        assert.same({"NXDOMAIN", nil, 120}, {srv_answer(source, "_sip._udp.gone.zone.test")})
    end)

    it("says NODATA for a name with other records and for an empty non-terminal", function()
        assert.same({"NODATA", nil, 120}, {srv_answer(source, "server1.zone.test")})
        assert.same({"NODATA", nil, 120}, {srv_answer(source, "_tcp.zone.test")})
        assert.same({"NODATA", nil, 120}, {srv_answer(source, "zone.test")})
    end)

    it("says NXDOMAIN below an existing name, with min(SOA TTL, SOA minimum)", function()
        assert.same({"NXDOMAIN", nil, 120}, {srv_answer(source, "_sip._udp.server1.zone.test")})
        assert.same({"NXDOMAIN", nil, 60}, {srv_answer(source, "nothing.other.test")})
    end)

    it("says NOTINZONE (where knotd refuses) for a name outside every zone, and names the zones", function()
        assert.same({"NOTINZONE", nil, 0}, {srv_answer(source, "_sip._udp.example.invalid")})
        assert.same({"NOTINZONE", nil, 0}, {srv_answer(source, "test")})
        assert.same({"NOTINZONE", nil, 0}, {srv_answer(source, ".")})
        assert.same({"other.test", "zone.test"}, source:zones())
    end)

    it("gives the A and AAAA records of a name, following CNAMEs", function()
        local expected = {"OK", {
            {family = "inet", address = "192.0.2.1", ttl = 300},
            {family = "inet6", address = "2001:db8::1", ttl = 60},
        }}
        assert.same(expected, {addr_answer(source, "server1.zone.test")})
        assert.same(expected, {addr_answer(source, "WWW.zone.test.")})
    end)

    it("gives the addresses of one family alone when asked (an A or an AAAA query)", function()
        assert.same({"OK", {{family = "inet", address = "192.0.2.1", ttl = 300}}},
                    {addr_answer(source, "WWW.zone.test.", "inet")})
        assert.same({"OK", {{family = "inet6", address = "2001:db8::1", ttl = 60}}},
                    {addr_answer(source, "server1.zone.test", "inet6")})
        assert.same({"OK", {{family = "inet6", address = "::1", ttl = 0}}}, {addr_answer(source, "::1", "inet6")})
        assert.same({"NODATA"}, {addr_answer(source, "::1", "inet")})
        -- A negative answer of one family carries its negative TTL, as the core's does.
        assert.same({"NODATA", nil, 120}, {ask(source, "submit_addr", "v4only.zone.test", "inet6")})
        assert.same({"NODATA", nil, 120}, {ask(source, "submit_addr", "server2.zone.test", "inet6")})
        assert.same({"NXDOMAIN", nil, 120}, {ask(source, "submit_addr", "missing.zone.test", "inet6")})
        assert.same({"NXDOMAIN"}, {addr_answer(source, "missing.zone.test")})
        assert.has_error(function() source:submit_addr("server1.zone.test", "unix") end,
                         "bad argument #2 to 'submit_addr' (invalid option 'unix')")
    end)

    it("says NODATA, NXDOMAIN or NOTINZONE for addresses as for SRV records", function()
        assert.same({"NODATA"}, {addr_answer(source, "server2.zone.test")})
        assert.same({"NXDOMAIN"}, {addr_answer(source, "missing.zone.test")})
        assert.same({"NOTINZONE"}, {addr_answer(source, "server1.example.invalid")})
    end)

    it("hands an IP literal back without a lookup, as getaddrinfo does", function()
        assert.same({"OK", {{family = "inet", address = "192.0.2.7", ttl = 0}}},
                    {addr_answer(source, "192.0.2.7")})
    end)

    it("lists the SRV owner names, sorted", function()
        assert.same({
            "_sip._udp.dot.zone.test", "_sip._udp.final.zone.test", "_sip._udp.mixed.zone.test",
            "_sip._udp.top.zone.test", "_xmpp-client._tcp.zone.test", "c6.zone.test",
        }, source:names())
    end)

    it("hands out fresh tables: a callback's changes do not reach the next answer", function()
        local _, records = srv_answer(source, "_xmpp-client._tcp.zone.test")
        records[1].port = 1
        table.remove(records)
        local _, again = srv_answer(source, "_xmpp-client._tcp.zone.test")
        assert.equal(2, #again)
        assert.equal(5222, again[1].port)
    end)
end)

local wild_zone = {
    srv = {
        srv("*.wild.zone.test", 1, 10, 5060, "server1.zone.test"),
        srv("_sip._tcp.deep.wild.zone.test", 5, 0, 5061, "server1.zone.test"),
        srv("_sip._tcp.x.sub.zone.test", 1, 1, 5060, "server1.zone.test"),
    },
    rrs = {
        rr("zone.test", "SOA", "ns.zone.test hostmaster.zone.test 1 3600 600 86400 120"),
        rr("zone.test", "NS", "ns.zone.test"),
        rr("server1.zone.test", "A", "192.0.2.1"),
        rr("*.wild.zone.test", "A", "192.0.2.70"),
        rr("real.wild.zone.test", "A", "192.0.2.71"),
        rr("*.cn.zone.test", "CNAME", "server1.zone.test"),
        rr("*.loop.zone.test", "CNAME", "again.loop.zone.test"),
        rr("alias.zone.test", "CNAME", "anything.wild.zone.test"),
        rr("sub.zone.test", "NS", "ns.sub.zone.test"),
        rr("ns.sub.zone.test", "A", "192.0.2.99"),
        rr("tocut.zone.test", "CNAME", "ns.sub.zone.test"),
        -- a zone of its own below: the NS at its apex is no cut
        rr("child.zone.test", "SOA", "ns.child.zone.test hostmaster.child.zone.test 1 3600 600 86400 30"),
        rr("child.zone.test", "NS", "ns.child.zone.test"),
        rr("ns.child.zone.test", "A", "192.0.2.30"),
    },
}

describe("srv.zone_source wildcards and zone cuts", function()
    local source
    before_each(function() source = zone_source.from_zone(wild_zone) end)
    after_each(function() source:close() end)

    it("answers a missing name from the wildcard below its closest encloser, named as asked", function()
        assert.same({"OK", {
            {name = "_sip._tcp.A.b.wild.zone.test", target = "server1.zone.test",
             priority = 1, weight = 10, port = 5060, ttl = 300},
        }, 0}, {srv_answer(source, "_sip._tcp.A.b.wild.zone.test.")})
        assert.same({"OK", {{family = "inet", address = "192.0.2.70", ttl = 300}}},
                    {addr_answer(source, "x.wild.zone.test")})
        assert.equal("*.wild.zone.test", select(2, srv_answer(source, "*.wild.zone.test"))[1].name)
    end)

    it("never matches a name that exists, or one below a name that exists", function()
        assert.same({"NODATA", nil, 120}, {srv_answer(source, "real.wild.zone.test")})
        assert.same({"NODATA", nil, 120}, {srv_answer(source, "deep.wild.zone.test")})
        assert.same({"NXDOMAIN", nil, 120}, {srv_answer(source, "x.real.wild.zone.test")})
        assert.same({"NXDOMAIN", nil, 120}, {srv_answer(source, "_udp.deep.wild.zone.test")})
        assert.same({"NXDOMAIN", nil, 120}, {srv_answer(source, "x.*.wild.zone.test")})
    end)

    it("says NODATA for a wildcard without the type asked", function()
        assert.same({"NODATA", nil, 120}, {srv_answer(source, "x.cn.zone.test")})
    end)

    it("follows a CNAME at a wildcard, and a CNAME into one", function()
        assert.same({"OK", {{family = "inet", address = "192.0.2.1", ttl = 300}}},
                    {addr_answer(source, "x.cn.zone.test")})
        assert.equal("anything.wild.zone.test", select(2, srv_answer(source, "alias.zone.test"))[1].name)
        assert.same({"NODATA", nil, 0}, {srv_answer(source, "x.loop.zone.test")})
    end)

    it("refers at and below a cut, glue included: NODATA with negative TTL 0", function()
        for _, name in ipairs({"sub.zone.test", "x.sub.zone.test", "_sip._tcp.x.sub.zone.test",
                               "ns.sub.zone.test", "tocut.zone.test"}) do
            assert.same({"NODATA", nil, 0}, {srv_answer(source, name)})
            assert.same({"NODATA"}, {addr_answer(source, name)})
        end
    end)

    it("answers below a child apex from the child zone", function()
        assert.same({"OK", {{family = "inet", address = "192.0.2.30", ttl = 300}}},
                    {addr_answer(source, "ns.child.zone.test")})
        assert.same({"NXDOMAIN", nil, 30}, {srv_answer(source, "x.child.zone.test")})
    end)

    it("without any SOA, matches wildcards and makes no cuts", function()
        local pasted = zone_source.from_zone({
            srv = {srv("*.pasted.example", 1, 1, 5060, "sip.pasted.example")},
            rrs = {rr("sip.pasted.example", "NS", "ns.elsewhere.example"),
                   rr("sip.pasted.example", "A", "192.0.2.5"),
                   rr("alias.example", "CNAME", "x.pasted.example")},
        })
        assert.equal("x.pasted.example", select(2, srv_answer(pasted, "alias.example"))[1].name)
        assert.same({"OK", {{family = "inet", address = "192.0.2.5", ttl = 300}}},
                    {addr_answer(pasted, "sip.pasted.example")})
        assert.same({"NXDOMAIN", nil, 0}, {srv_answer(pasted, "x.elsewhere.example")})
        pasted:close()
    end)
end)

describe("srv.zone_source names", function()
    local source
    before_each(function() source = zone_source.from_zone(parsed_zone) end)
    after_each(function() source:close() end)

    local function bad(name)
        assert.same({"BADNAME", nil, 0}, {srv_answer(source, name)})
        assert.same({"BADNAME"}, {addr_answer(source, name)})
    end

    it("says BADNAME for an empty label", function()
        bad("a..zone.test")
        bad(".zone.test")
        bad("zone.test..")
    end)

    it("says BADNAME for the empty name, which is no name (the root is \".\")", function()
        bad("")
        assert.same({"NOTINZONE", nil, 0}, {srv_answer(source, ".")})
    end)

    it("says BADNAME for a label over 63 octets, accepts 63", function()
        bad(("x"):rep(64) .. ".zone.test")
        assert.equal("NXDOMAIN", (srv_answer(source, ("x"):rep(63) .. ".zone.test")))
    end)

    it("says BADNAME for a name over 253 characters, accepts 253", function()
        local label = ("x"):rep(61) .. "."
        local name = label:rep(3) .. ("y"):rep(57) .. ".zone.test"
        assert.equal(253, #name)
        assert.equal("NXDOMAIN", (srv_answer(source, name)))
        bad("y" .. name)
    end)

    it("raises for a name that is not a string", function()
        assert.has_error(function() source:submit_srv(nil) end,
                         "bad argument #1 to 'submit_srv' (string expected, got nil)")
        assert.has_error(function() source:submit_addr({}) end,
                         "bad argument #1 to 'submit_addr' (string expected, got table)")
        assert.equal(0, source:pending())
    end)
end)

describe("srv.zone_source without any SOA", function()
    local source
    before_each(function()
        source = zone_source.from_zone({
            srv = {srv("_sip._udp.pasted.example", 1, 1, 5060, "sip.pasted.example"),
                   srv("_sip._tcp.pasted.example", 1, 1, 5060, "sip.pasted.example")},
            rrs = {rr("alias.pasted.example", "CNAME", "elsewhere.example")},
        })
    end)
    after_each(function() source:close() end)

    it("counts every name as inside one zone with negative TTL 0", function()
        assert.equal("OK", (srv_answer(source, "_sip._udp.pasted.example")))
        assert.same({"NODATA", nil, 0}, {srv_answer(source, "_udp.pasted.example")})
        assert.same({"NXDOMAIN", nil, 0}, {srv_answer(source, "_sip._udp.other.example")})
    end)

    it("says NODATA for a CNAME that leads out of the text", function()
        assert.same({"NODATA", nil, 0}, {srv_answer(source, "alias.pasted.example")})
    end)
end)

describe("srv.zone_source as a source", function()
    local source
    before_each(function() source = zone_source.from_zone(parsed_zone) end)
    after_each(function() source:close() end)

    local name = "_xmpp-client._tcp.zone.test"

    it("returns an id at once and hands the results out only from fetch, in the order asked", function()
        assert.same({nil, 0}, {source:fetch()})
        local first = source:submit_srv(name)
        local second = source:submit_addr("server1.zone.test")
        local third = source:submit_srv("a..b")
        assert.equal("integer", math.type(first))
        assert.is_true(first < second and second < third)
        assert.equal(3, source:pending())
        assert.equal(0, source:timeout())
        assert.equal(3, source:process())
        local results, count = source:fetch()
        assert.equal(3, count)
        assert.same({first, "OK", second, "OK", third, "BADNAME", 0},
                    {results[1], results[2], results[5], results[6], results[9], results[10], results[12]})
        assert.is_nil(results[8])
        assert.equal(0, source:pending())
        assert.is_nil(source:timeout())
        assert.same({nil, 0}, {source:fetch()})
    end)

    it("has nothing to poll and never sleeps in step", function()
        assert.is_nil(source:pollfd())
        assert.is_nil(source:events())
        assert.equal(0, source:step(5))
        source:submit_srv(name)
        local started = os.clock()
        assert.equal(1, source:step(5))
        assert.is_true(os.clock() - started < 1)
    end)

    it("cancels what was not fetched when closed, and only that", function()
        local answered = source:submit_srv(name)
        local results = source:fetch()
        assert.equal(answered, results[1])
        local srv_id = source:submit_srv(name)
        local addr_id = source:submit_addr("server1.zone.test")
        assert.is_true(source:close())
        assert.same({srv_id, "CANCELLED", nil, 0, addr_id, "CANCELLED"}, (source:fetch()))
    end)

    it("counts every query it answers and shares none, since it answers each at once", function()
        source:submit_srv(name)
        source:submit_srv(name)
        source:submit_addr("server1.zone.test")
        source:submit_srv("")
        assert.same({4, 0}, {source:stats()})
        source:close()
        assert.same({4, 0}, {source:stats()})
    end)

    it("is safe to close twice, and raises on every other method but fetch and stats once closed", function()
        assert.is_true(source:close())
        assert.is_true(source:close())
        for _, call in ipairs({
            function() source:submit_srv(name) end,
            function() source:submit_addr(name) end,
            function() source:process() end, function() source:step() end,
            function() source:pending() end,
            function() source:pollfd() end, function() source:events() end,
            function() source:timeout() end, function() source:names() end,
        }) do
            assert.has_error(call, "attempt to use a closed resolver")
        end
        assert.same({nil, 0}, {source:fetch()})
    end)

    it("closes at the end of a to-be-closed variable", function()
        local scoped_source, id
        do
            local scoped <close> = zone_source.from_zone(parsed_zone)
            scoped_source, id = scoped, scoped:submit_srv(name)
        end
        assert.same({id, "CANCELLED", nil, 0}, (scoped_source:fetch()))
    end)

    it("has every method of srv.core's resolver that srv.loop and srv.fetch call", function()
        local core_methods = has_core and getmetatable(require("srv.core").new()).__index
        for _, method in ipairs({"submit_srv", "submit_addr", "fetch", "process", "step", "pending",
                                 "stats", "pollfd", "events", "timeout", "close"}) do
            assert.equal("function", type(source[method]), method)
            if core_methods then
                assert.equal("function", type(core_methods[method]), method)
            end
        end
    end)
end)

-- The tests below need srv.core (build/srv/core.so) for the parser.
local describe_core = has_core and describe or function(title, _)
    describe(title, function() pending("srv.core is not built (make)") end)
end

describe_core("srv.zone_source.new", function()
    local pasted = "_xmpp-client._tcp.example.net. 86400 IN SRV 5 50 5222 server1.example.net. "
        .. "_xmpp-client._tcp.example.net. 86400 IN SRV 10 30 5222 server2.example.net.\n"
        .. "_xmpp-server._tcp.example.net. 86400 IN SRV 5 50 5269 server1.example.net.\n"

    it("reads pasted SRV lines, several records on one line, without an SOA", function()
        local source = assert(zone_source.new(pasted))
        assert.same({"OK", {
            {name = "_xmpp-client._tcp.example.net", target = "server1.example.net",
             priority = 5, weight = 50, port = 5222, ttl = 86400},
            {name = "_xmpp-client._tcp.example.net", target = "server2.example.net",
             priority = 10, weight = 30, port = 5222, ttl = 86400},
        }, 0}, {srv_answer(source, "_xmpp-client._tcp.example.net")})
        assert.same({"NODATA", nil, 0}, {srv_answer(source, "_tcp.example.net")})
        assert.same({"NXDOMAIN", nil, 0}, {srv_answer(source, "_stun._udp.example.net")})
        assert.same({"_xmpp-client._tcp.example.net", "_xmpp-server._tcp.example.net"}, source:names())
        source:close()
    end)

    it("reads one pasted line without a newline as text", function()
        local source = assert(zone_source.new("_sip._udp.example.org. 60 IN SRV 1 1 5060 sip.example.org."))
        assert.equal("OK", (srv_answer(source, "_sip._udp.example.org")))
        source:close()
    end)

    it("reads a file with open", function()
        local source = assert(zone_source.open(fixtures .. "example.net.zone"))
        assert.same({"NODATA", nil, 300}, {srv_answer(source, "_tcp.example.net")})
        assert.same({"NOTINZONE", nil, 0}, {srv_answer(source, "_sip._udp.srv.test")})
        source:close()
    end)

    it("takes a relative origin from opts", function()
        local source = assert(zone_source.new("_sip._udp 60 IN SRV 1 1 5060 sip\n", {origin = "example.org."}))
        local code, records = srv_answer(source, "_sip._udp.example.org")
        assert.equal("OK", code)
        assert.equal("sip.example.org", records[1].target)
        source:close()
    end)

    it("gives nil, a message naming the line, and PARSE for text it cannot parse", function()
        local source, message, code = zone_source.open(fixtures .. "broken.test.zone")
        assert.is_nil(source)
        assert.equal("PARSE", code)
        assert.matches("^PARSE: ", message)
        assert.matches("5", message)
        assert.same({nil, "PARSE"}, {(zone_source.new("not a zone at all\n")), select(3, zone_source.new("not a zone at all\n"))})
    end)

    it("refuses text or a file that holds no records, which would make every name NXDOMAIN", function()
        assert.same({nil, "PARSE: the zone text holds no records", "PARSE"}, {zone_source.new("")})
        assert.same({nil, "PARSE: the zone text holds no records", "PARSE"},
                    {zone_source.new("; only a comment\n$TTL 300\n")})
        local path = os.tmpname()
        assert.same({nil, "PARSE: the zone file holds no records", "PARSE"}, {zone_source.open(path)})
        os.remove(path)
    end)

    it("raises for arguments of the wrong type", function()
        assert.has_error(function() zone_source.new(nil) end, "bad argument #1 to 'new' (string expected, got nil)")
        assert.has_error(function() zone_source.new(pasted, "x") end, "bad argument #2 to 'new' (table expected, got string)")
        assert.has_error(function() zone_source.new(pasted, {origin = 1}) end)
    end)
end)

-- Equivalence with knotd: the same question to knotd (through srv.core's
-- resolver) and to a source over the same file gives the same answer.
local function record_key(r)
    return table.concat({r.name:lower(), r.target:lower(), r.priority, r.weight, r.port, r.ttl}, " ")
end
local function address_key(a)
    return table.concat({a.family, a.address, a.ttl}, " ")
end
local function as_set(list, key)
    if list == nil then return nil end
    local set = {}
    for _, item in ipairs(list) do set[#set + 1] = key(item) end
    table.sort(set)
    return set
end

local equivalence = {
    ["example.net"] = {
        srv = {
            -- every SRV owner is added from the source's names()
            "example.net", "server1.example.net", "ns.example.net",   -- exist, no SRV
            "_tcp.example.net", "_udp.example.net",                  -- empty non-terminals
            "_sip._udp.example.net", "_xmpp-client._udp.example.net", "nope.example.net",
            "_xmpp-client._tcp.server1.example.net",                 -- NXDOMAIN
            "_XMPP-Client._TCP.Example.NET.",                        -- case and trailing dot
            "_sip._udp.example.org", "net", ".", "",                 -- outside every zone
            "a..example.net", ("x"):rep(64) .. ".example.net",       -- BADNAME
        },
        addr = {"example.net", "ns.example.net", "server1.example.net", "server4.example.net",
                "backup.example.net", "_xmpp-client._tcp.example.net", "_tcp.example.net",
                "nope.example.net", "host.example.org", "192.0.2.99", "2001:db8::99", "a..b"},
    },
    ["srv.test"] = {
        srv = {
            "_xmpp-server._tcp.alias.srv.test",      -- CNAME to SRV records in the zone
            "_xmpp-server._tcp.cnameonly.srv.test",  -- CNAME out of the zone
            "nodata.srv.test", "_xmpp-client._tcp.nodata.srv.test", "host2.srv.test",
            "_tcp.srv.test", "_tcp.dot.srv.test", "alias.srv.test",
            "_xmpp-client._tcp.missing.srv.test", "missing.srv.test", "x.host1.srv.test",
            "elsewhere.invalid",
        },
        addr = {"host1.srv.test", "host2.srv.test", "nodata.srv.test", "ns.srv.test",
                "_xmpp-server._tcp.alias.srv.test", "_xmpp-server._tcp.cnameonly.srv.test",
                "_big._tcp.srv.test", "missing.srv.test", "target.elsewhere.invalid"},
    },
    ["offline.test"] = {
        srv = {
            -- matched by *.wild, named as asked, at any depth below wild
            "x.wild.offline.test", "_sip._tcp.x.wild.offline.test", "a.b.wild.offline.test",
            "X.Wild.Offline.Test.",
            -- the wildcard owner itself, and names under it: not wildcards
            "*.wild.offline.test", "_sip._tcp.*.wild.offline.test", "x.*.wild.offline.test",
            -- names that exist under wild (records, empty non-terminals)
            "real.wild.offline.test", "deep.wild.offline.test", "_tcp.deep.wild.offline.test",
            "wild.offline.test",
            -- below an existing name the wildcard does not reach
            "x.real.wild.offline.test", "_udp.deep.wild.offline.test", "_sip._udp.deep.wild.offline.test",
            -- a wildcard without SRV records; an empty wildcard
            "x.addronly.offline.test", "*.addronly.offline.test", "addronly.offline.test",
            "x.wild2.offline.test", "_sip._tcp.x.wild2.offline.test", "*.wild2.offline.test",
            "_tcp.*.wild2.offline.test", "_sip._udp.*.wild2.offline.test",
            -- CNAMEs at wildcards, and aliases into them
            "x.cn.offline.test", "*.cn.offline.test", "cn.offline.test", "x.cnsrv.offline.test",
            "x.cnloop.offline.test", "again.cnloop.offline.test", "alias.offline.test",
            "_sip._tcp.alias.offline.test",
            -- the delegation: the cut, below it, the glue, CNAMEs into it
            "sub.offline.test", "_sip._tcp.sub.offline.test", "_sip._tcp.x.sub.offline.test",
            "x.sub.offline.test", "nothing.sub.offline.test", "a.b.sub.offline.test",
            "ns.sub.offline.test", "*.sub.offline.test", "tocut.offline.test",
            "_sip._tcp.tocut.offline.test", "x.wcut.offline.test", "a.x.wcut.offline.test",
            "_sip._tcp.x.wcut.offline.test",
            -- the rest of the zone
            "offline.test", "ns.offline.test", "host1.offline.test", "missing.offline.test",
        },
        addr = {"x.wcut.offline.test", "a.x.wcut.offline.test",
                "x.wild.offline.test", "a.b.wild.offline.test", "*.wild.offline.test",
                "real.wild.offline.test", "x.real.wild.offline.test", "deep.wild.offline.test",
                "_tcp.deep.wild.offline.test", "x.addronly.offline.test", "x.wild2.offline.test",
                "_sip._tcp.*.wild2.offline.test", "x.cn.offline.test", "*.cn.offline.test",
                "x.cnsrv.offline.test", "x.cnloop.offline.test", "alias.offline.test",
                "_sip._tcp.alias.offline.test", "sub.offline.test", "ns.sub.offline.test",
                "x.sub.offline.test", "*.sub.offline.test", "tocut.offline.test",
                "ns.offline.test", "host1.offline.test", "host2.offline.test",
                "missing.offline.test"},
    },
}

local describe_knotd = (has_core and server) and describe or function(title, _)
    describe(title, function()
        pending(has_core and "SRV_TEST_SERVER is unset (run under spec/support/with-knotd.sh)"
                         or "srv.core is not built (make)")
    end)
end

describe_knotd("srv.zone_source against knotd", function()
    local core = has_core and require("srv.core")
    local resolver
    setup(function() resolver = assert(core.new({servers = server, timeout = 2})) end)
    teardown(function() if resolver then resolver:close() end end)

    for _, zone in ipairs({"example.net", "srv.test", "offline.test"}) do
        describe("for " .. zone, function()
            local source
            setup(function() source = assert(zone_source.open(fixtures .. zone .. ".zone")) end)
            teardown(function() if source then source:close() end end)

            it("answers every SRV question as knotd does", function()
                local names = source:names()
                for _, name in ipairs(equivalence[zone].srv) do names[#names + 1] = name end
                assert.is_true(#names > #equivalence[zone].srv)
                for _, name in ipairs(names) do
                    local code, records, negative_ttl = srv_answer(resolver, name)
                    code = code == "REFUSED" and "NOTINZONE" or code   -- the source's word for it
                    local expected = {name = name, code = code, negative_ttl = negative_ttl,
                                      records = as_set(records, record_key)}
                    code, records, negative_ttl = srv_answer(source, name)
                    assert.same(expected, {name = name, code = code, negative_ttl = negative_ttl,
                                           records = as_set(records, record_key)})
                end
            end)

            it("answers every address question as knotd does", function()
                for _, name in ipairs(equivalence[zone].addr) do
                    local code, addresses = addr_answer(resolver, name)
                    code = code == "REFUSED" and "NOTINZONE" or code
                    local expected = {name = name, code = code, addresses = as_set(addresses, address_key)}
                    code, addresses = addr_answer(source, name)
                    assert.same(expected, {name = name, code = code, addresses = as_set(addresses, address_key)})
                end
            end)
        end)
    end
end)
