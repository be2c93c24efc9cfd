-- r:lookup against knotd: the raw SRV answer, in answer order.
local srv = require "srv"
local env = require "spec.support.env"

local function sorted_targets(list)
    local t = env.targets(list)
    table.sort(t)
    return t
end

describe("r:lookup", function()
    local r
    before_each(function() r = env.resolver() end)
    after_each(function() r:close() end)

    it("returns the reference records with their fields and TTLs", function()
        local records = assert(r:lookup("_xmpp-client._tcp.example.net"))
        assert.equal(5, #records)
        assert.same({ "backup.example.net", "server1.example.net", "server2.example.net",
                      "server3.example.net", "server4.example.net" }, sorted_targets(records))
        for _, rec in ipairs(records) do
            assert.equal(5222, rec.port)
            assert.equal(86400, rec.ttl)
            if rec.target == "server1.example.net" then
                assert.same({ 5, 50 }, { rec.priority, rec.weight })
            end
        end
    end)

    it("prints a record in presentation format", function()
        local records = assert(r:lookup("_xmpps-client._tcp.example.net"))
        assert.equal("_xmpps-client._tcp.example.net. 86400 IN SRV 5 0 5223 example.net.", tostring(records[1]))
    end)

    it("prints a target that ends in an escaped dot with the root dot after it", function()
        local record = srv.parse("_x._tcp.example. 60 IN SRV 1 1 1 x.example.")[1]
        record.target = "a\\."
        assert.equal("_x._tcp.example. 60 IN SRV 1 1 1 a\\..", tostring(record))
        record.target = "a\\\\."   -- an escaped backslash, then the root dot
        assert.equal("_x._tcp.example. 60 IN SRV 1 1 1 a\\\\.", tostring(record))
    end)

    it("reports NXDOMAIN, NODATA, NOSERVICE, SERVFAIL and REFUSED as nil, message, code", function()
        local cases = {
            { "_nope._tcp.example.net", "NXDOMAIN" },
            { "_xmpp-client._tcp.nodata.srv.test", "NODATA" },
            { "_xmpp-client._tcp.dot.srv.test", "NOSERVICE" },
            { "_x._tcp.broken.test", "SERVFAIL" },
            { "_x._tcp.outside.invalid", "REFUSED" },
        }
        for _, case in ipairs(cases) do
            local result = table.pack(r:lookup(case[1]))
            assert.same({ n = 3, nil, result[2], case[2] }, result)
            assert.matches(case[1], result[2], 1, true)
        end
    end)

    it("reports a malformed name as BADNAME", function()
        local long_label = string.rep("a", 64)
        local result = { r:lookup("_x._tcp." .. long_label .. ".example.net") }
        assert.same({ nil, "BADNAME" }, { result[1], result[3] })
    end)

    it("says which rule a bad name breaks: the label's or the name's limit and length, the empty name", function()
        local z = assert(srv.resolver { zone = "docs/examples/example.net.zone" })
        local label = ("a"):rep(64) .. ".example.net"
        local long = ("abcdefg."):rep(39) .. "test"
        for _, q in ipairs { r, z } do
            assert.same({ nil, label .. ": the label aaaaaaaaaa...aaaaaa is 64 octets long; a label is at most 63 "
                               .. "(RFC 1035 2.3.4)", "BADNAME" }, { q:lookup(label) })
            assert.same({ nil, long .. ": the name is 316 octets long; a name is at most 253 (255 on the wire, "
                               .. "RFC 1035 2.3.4)", "BADNAME" }, { q:lookup(long) })
            assert.same({ nil, long .. ": the name is 316 octets long; a name is at most 253 (255 on the wire, "
                               .. "RFC 1035 2.3.4)", "BADNAME" }, { q:addresses(long) })
            assert.same({ nil, '"": the empty name is no name (the root is ".")', "BADNAME" }, { q:lookup("") })
            assert.same({ nil, "a..b: an empty label (a dot first, or two dots in a row)", "BADNAME" },
                        { q:lookup("a..b") })
        end
        z:close()
    end)

    it("reports a name holding a NUL byte as BADNAME when it answers from a zone file", function()
        local z = assert(srv.resolver { zone = "docs/examples/example.net.zone" })
        local res = table.pack(z:lookup("_sip._tcp.a\0b.example.net"))
        assert.same({ n = 3, nil, res[2], "BADNAME" }, res)
        z:close()
    end)

    it("reads knotd's most compressed replies: names 6 pointers deep along a CNAME chain", function()
        -- spec/fixtures/deep.test.zone: 5 aliases, each one label longer
        -- than the one before, so knotd writes each name as a label and a
        -- pointer to the previous one (the reader follows 16, core/src/wire.h)
        local records = assert(r:lookup("_sip._tcp.deep.test"))
        assert.same({ "t.e.d.c.b.a._sip._tcp.deep.test", "u.t.e.d.c.b.a._sip._tcp.deep.test" },
                    sorted_targets(records))
        assert.equal("e.d.c.b.a._sip._tcp.deep.test", records[1].name)
        local addresses = assert(r:addresses("host.deep.test"))
        table.sort(addresses)
        assert.same({ "192.0.2.43", "2001:db8::43" }, addresses)
    end)

    it("keeps a '.' mixed with real records in the raw answer", function()
        local records = assert(r:lookup("_xmpp-client._tcp.mixed.srv.test"))
        assert.same({ ".", "host1.srv.test" }, sorted_targets(records))
    end)

    it("gets a 40-record RRset that does not fit in UDP (TCP retry)", function()
        local records = assert(r:lookup("_big._tcp.srv.test"))
        assert.equal(40, #records)
    end)

    it("follows a CNAME at the SRV name", function()
        assert.same({ "host1.srv.test", "host2.srv.test" }, sorted_targets(assert(r:lookup("_xmpp-server._tcp.alias.srv.test"))))
        assert.same({ nil, "NODATA" }, { select(1, r:lookup("_xmpp-server._tcp.cnameonly.srv.test")), select(3, r:lookup("_xmpp-server._tcp.cnameonly.srv.test")) })
    end)

    it("raises on wrong argument types", function()
        assert.has_error(function() r:lookup(42) end, "bad argument #1 to 'lookup' (string expected, got number)")
        assert.has_error(function() r:lookup_async("x") end)
        assert.has_error(function() r.lookup(nil, "x") end)
    end)

    it("reports TIMEOUT when no server answers", function()
        -- 192.0.2.0/24 is TEST-NET-1... but traffic must stay on loopback:
        -- a bound UDP port that never answers is used instead.
        local socket = require "socket"
        local silent = assert(socket.udp())
        assert(silent:setsockname("127.0.0.1", 0))
        local _, port = silent:getsockname()
        local q = assert(srv.resolver { servers = { "127.0.0.1:" .. port }, timeout = 0.2, tries = 1 })
        local result = { q:lookup("_xmpp-client._tcp.example.net") }
        assert.same({ nil, "TIMEOUT" }, { result[1], result[3] })
        q:close()
        silent:close()
    end)
end)

describe("r:addresses", function()
    it("gives A and AAAA together, and failures as nil, message, code", function()
        local r = env.resolver()
        local addresses = assert(r:addresses("b.lua.test"))
        table.sort(addresses)
        assert.same({ "192.0.2.42", "2001:db8::42" }, addresses)
        assert.same({ "2001:db8::43" }, assert(r:addresses("c.lua.test")))
        local res = table.pack(r:addresses("missing.lua.test"))
        assert.same({ n = 3, nil, res[2], "NXDOMAIN" }, res)
        r:close()
    end)
end)

describe("srv.resolver options", function()
    it("raises on wrong option types", function()
        assert.has_error(function() srv.resolver { timeout = "1" } end)
        assert.has_error(function() srv.resolver { tries = 1.5 } end)
        assert.has_error(function() srv.resolver { seed = "x" } end)
        assert.has_error(function() srv.resolver { servers = 5 } end)
        assert.has_error(function() srv.resolver { cache = "yes" } end)
        assert.has_error(function() srv.resolver(5) end)
    end)

    it("returns nil, message, BADSERVER for a malformed server address", function()
        local r, msg, code = srv.resolver { servers = { "not an address" } }
        assert.same({ nil, "BADSERVER" }, { r, code })
        assert.matches("not an address", msg, 1, true)
    end)

    it("accepts ip, ip:port and [ipv6]:port server forms", function()
        local host, port = env.server:match("^(.*):(%d+)$")
        local r = env.resolver { servers = { "[::1]:" .. port, host .. ":" .. port } }
        -- ::1 has no knotd: the resolver moves on to the next server.
        assert.equal(5, #assert(r:lookup("_xmpp-client._tcp.example.net")))
        r:close()
    end)
end)

describe("srv.resolver", function()
    it("gives working resolvers when it is required alone, without srv", function()
        local doc_blocks = require "spec.support.doc_blocks"
        local ok, out = doc_blocks.run_lua([[
            local resolver = require "srv.resolver"
            local r = assert(resolver.new { zone = "docs/examples/example.net.zone", seed = 1 })
            print(#assert(r:resolve("_xmpp-client._tcp.example.net")), package.loaded.srv)
        ]])
        assert.same({ true, "5\tnil\n" }, { ok, out })
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

    it("does not hand out a resolver's inner state", function()
        local r = assert(srv.resolver { zone = "docs/examples/example.net.zone" })
        assert.is_nil(next(r))
        assert.is_nil(rawget(r, 1))
        r:close()
    end)
end)

describe("closing a resolver", function()
    it("is safe twice and makes every other method raise", function()
        local r = env.resolver()
        assert.is_true(r:close())
        assert.is_true(r:close())
        assert.equal("srv.resolver (closed)", tostring(r))
        assert.has_error(function() r:lookup("_xmpp-client._tcp.example.net") end, "attempt to use a closed resolver")
        assert.has_error(function() r:resolve("_xmpp-client._tcp.example.net") end, "attempt to use a closed resolver")
        assert.has_error(function() r:step() end, "attempt to use a closed resolver")
    end)

    it("closes at the end of a <close> block", function()
        local seen
        do
            local r <close> = env.resolver()
            seen = r
            assert.matches("^srv.resolver %(", tostring(r))
        end
        assert.equal("srv.resolver (closed)", tostring(seen))
    end)

    it("closes a resolver its user dropped, queries in flight and all: the callbacks get CANCELLED", function()
        local got = {}
        local function fire_and_forget()
            local r = env.resolver { cache = false }
            r:lookup_async("_xmpp-client._tcp.example.net", function(_, _, code) got[#got + 1] = code end)
            r:resolve_async("_xmpp-server._tcp.example.net", function(_, _, code) got[#got + 1] = code end)
        end
        fire_and_forget()
        collectgarbage()
        collectgarbage()
        assert.same({ "CANCELLED", "CANCELLED" }, got)
    end)

    it("delivers CANCELLED to every pending callback", function()
        local r = env.resolver { cache = false }
        local got = {}
        r:lookup_async("_xmpp-client._tcp.example.net", function(res, msg, code) got[#got + 1] = { res, code } end)
        r:resolve_async("_xmpp-server._tcp.example.net", function(res, msg, code) got[#got + 1] = { res, code } end)
        r:close()
        assert.same({ { nil, "CANCELLED" }, { nil, "CANCELLED" } }, got)
    end)
end)
