-- The srv.core binding, against the knotd that spec/support/with-knotd.sh
-- starts (SRV_TEST_SERVER) with the zones of spec/fixtures.
local core = require "srv.core"

local server = os.getenv("SRV_TEST_SERVER")

local function new_resolver(extra)
    assert(server, "SRV_TEST_SERVER is not set: run the specs through make test-lua")
    local opts = {servers = server, timeout = 2, tries = 2}
    for key, value in pairs(extra or {}) do
        opts[key] = value
    end
    return assert(core.new(opts))
end

-- Steps r until nothing is pending; returns what fetch handed out, as a
-- list of {id, code, result, negative_ttl} in the order fetched.
local function fetch_all(r)
    local got = {}
    local deadline = core.now() + 10
    while r:pending() > 0 and core.now() < deadline do
        r:step()
        local results, count = r:fetch()
        for slot = 1, count * 4, 4 do
            got[#got + 1] = {results[slot], results[slot + 1], results[slot + 2], results[slot + 3]}
        end
    end
    return got
end

-- Resolves one SRV name; returns {code, records, negative_ttl}.
local function srv(name, resolver)
    local r = resolver or new_resolver()
    local id = assert(r:submit_srv(name))
    local got = fetch_all(r)
    if not resolver then r:close() end
    assert.equal(1, #got)
    assert.equal(id, got[1][1])
    return {table.unpack(got[1], 2, 4)}
end

local function addr(name, family)
    local r = new_resolver()
    local id = assert(r:submit_addr(name, family))
    local got = fetch_all(r)
    r:close()
    assert.equal(1, #got)
    assert.equal(id, got[1][1])
    return {table.unpack(got[1], 2, 4)}
end

-- A UDP port that nobody answers on: a perl process holding the socket.
-- Returns the port and a function that stops the process.
local function silent_server()
    local pipe = assert(io.popen([[exec perl -MIO::Socket::INET -e '
        my $s = IO::Socket::INET->new(LocalAddr => "127.0.0.1:0", Proto => "udp") or die "$!";
        $| = 1; print "$$ ", $s->sockport, "\n"; sleep 30']]))
    local pid, port = pipe:read("l"):match("^(%d+) (%d+)$")
    assert(pid, "could not start the silent server")
    return port, function()
        os.execute("kill " .. pid)
        pipe:close()
    end
end

local xmpp_client = {
    {name = "_xmpp-client._tcp.example.net", target = "server1.example.net", priority = 5, weight = 50, port = 5222, ttl = 86400},
    {name = "_xmpp-client._tcp.example.net", target = "server2.example.net", priority = 10, weight = 30, port = 5222, ttl = 86400},
    {name = "_xmpp-client._tcp.example.net", target = "server3.example.net", priority = 10, weight = 10, port = 5222, ttl = 86400},
    {name = "_xmpp-client._tcp.example.net", target = "server4.example.net", priority = 10, weight = 10, port = 5222, ttl = 86400},
    {name = "_xmpp-client._tcp.example.net", target = "backup.example.net", priority = 15, weight = 0, port = 5222, ttl = 86400},
}

local function by_target(a, b) return a.target < b.target end

describe("srv.core", function()
    it("says its version", function()
        assert.equal("string", type(core.version))
        assert.matches("^%d+%.%d+%.%d+", core.version)
    end)

    it("gives the sentence for a status code, nil for an unknown code", function()
        assert.equal("domain name not found", core.message("NXDOMAIN"))
        assert.equal("success", core.message("OK"))
        assert.is_nil(core.message("NOT-A-CODE"))
    end)

    it("has a sentence for every result code of srv.codes but the Lua layer's own", function()
        local lua_own = { POLICY = true, BADURI = true, BADSERVER = true, ZONEFILE = true, NOTINZONE = true }
        for name, value in pairs(require "srv.codes") do
            if type(value) == "string" then
                assert.equal(not lua_own[name], core.message(value) ~= nil, name)
            end
        end
    end)

    it("reads a monotonic clock in seconds", function()
        local before = core.now()
        assert.equal("float", math.type(before))
        assert.is_true(core.now() >= before)
    end)
end)

describe("core.new", function()
    it("makes a resolver whose metatable is named srv.resolver", function()
        local r = new_resolver()
        assert.equal("srv.resolver", getmetatable(r).__name)
        assert.matches("^srv%.resolver %(0x%x+%)$", tostring(r))
        r:close()
        assert.equal("srv.resolver (closed)", tostring(r))
    end)

    it("takes no options, or the system configuration", function()
        local r = assert(core.new())
        r:close()
        r = assert(core.new({edns = true, max_inflight = 3}))
        r:close()
    end)

    it("raises on options of the wrong type", function()
        assert.has_error(function() core.new({timeout = "1"}) end,
            "bad field 'timeout' (number expected, got string)")
        assert.has_error(function() core.new({servers = 53}) end,
            "bad field 'servers' (string expected, got number)")
        assert.has_error(function() core.new({edns = 1}) end,
            "bad field 'edns' (boolean expected, got number)")
        assert.has_error(function() core.new({tries = 1.5}) end,
            "bad field 'tries' (number has no integer representation)")
        assert.has_error(function() core.new({max_inflight = "many"}) end,
            "bad field 'max_inflight' (number expected, got string)")
        assert.has_error(function() core.new("opts") end)
    end)

    it("raises on options out of range", function()
        assert.has_error(function() core.new({timeout = 0}) end)
        assert.has_error(function() core.new({timeout = -1}) end)
        assert.has_error(function() core.new({tries = 0}) end)
        assert.has_error(function() core.new({max_inflight = 0}) end)
    end)

    it("returns nil, message, code for a server list the core refuses", function()
        assert.same({nil, "invalid argument", "INVAL"}, {core.new({servers = "not an address"})})
    end)
end)

describe("resolver:submit_srv", function()
    it("gives the records of a name with their TTLs, in answer order", function()
        local got = srv("_xmpp-client._tcp.example.net")
        assert.equal("OK", got[1])
        assert.equal(0, got[3])
        local records = got[2]
        assert.equal(5, #records)
        for _, record in ipairs(records) do
            assert.equal(86400, record.ttl)
            assert.equal("integer", math.type(record.priority))
        end
        table.sort(records, by_target)
        local expected = {table.unpack(xmpp_client)}
        table.sort(expected, by_target)
        assert.same(expected, records)
    end)

    it("says NXDOMAIN with the SOA's negative TTL", function()
        assert.same({"NXDOMAIN", nil, 300}, srv("_nope._tcp.example.net"))
    end)

    it("says NODATA for a name without SRV records", function()
        assert.same({"NODATA", nil, 120}, srv("_xmpp-client._tcp.nodata.srv.test"))
    end)

    it("says NOSERVICE for a lone '.' target, and gives that record", function()
        assert.same({"NOSERVICE", {{name = "_xmpp-client._tcp.dot.srv.test", target = ".",
            priority = 0, weight = 0, port = 0, ttl = 300}}, 0},
            srv("_xmpp-client._tcp.dot.srv.test"))
    end)

    it("keeps a '.' mixed with real targets (ordering drops it)", function()
        local got = srv("_xmpp-client._tcp.mixed.srv.test")
        assert.equal("OK", got[1])
        assert.equal(2, #got[2])
    end)

    it("follows an in-zone CNAME and names the records by their owner", function()
        local got = srv("_xmpp-server._tcp.alias.srv.test")
        assert.equal("OK", got[1])
        assert.equal(2, #got[2])
        assert.equal("_xmpp-server._tcp.real.srv.test", got[2][1].name)
        assert.equal(60, got[2][1].ttl)
    end)

    it("says SERVFAIL for a zone the server could not load", function()
        assert.same({"SERVFAIL", nil, 0}, srv("_xmpp-client._tcp.broken.test"))
    end)

    it("says REFUSED for a name outside the server's zones", function()
        assert.same({"REFUSED", nil, 0}, srv("_x._tcp.outside.invalid"))
    end)

    it("gets a 40-record RRset that only fits over TCP", function()
        local got = srv("_big._tcp.srv.test")
        assert.equal("OK", got[1])
        assert.equal(40, #got[2])
        assert.same({name = "_big._tcp.srv.test",
            target = "a-rather-long-target-name-number-00.in-a-big-rrset.srv.test",
            priority = 0, weight = 10, port = 20000, ttl = 300}, got[2][1])
    end)

    it("says BADNAME in the result for a label over 63 octets", function()
        assert.same({"BADNAME", nil, 0}, srv(("a"):rep(64) .. ".example.net"))
    end)

    it("says BADNAME in the result for the empty name", function()
        assert.same({"BADNAME", nil, 0}, srv(""))
    end)

    it("refuses a name holding a NUL at once", function()
        local r = new_resolver()
        assert.same({nil, "malformed domain name", "BADNAME"}, {r:submit_srv("a\0b")})
        assert.same({nil, "malformed domain name", "BADNAME"}, {r:submit_addr("a\0b")})
        assert.equal(0, r:pending())
        r:close()
    end)

    it("says CONNREFUSED when the only server's port is closed", function()
        local port, stop = silent_server()
        stop()   -- the port is closed now
        local r = assert(core.new({servers = "127.0.0.1:" .. port, timeout = 0.5, tries = 1}))
        assert.same({"CONNREFUSED", nil, 0}, srv("_x._tcp.example.net", r))
        r:close()
    end)

    it("says TIMEOUT when the server never answers", function()
        local port, stop = silent_server()
        local r = assert(core.new({servers = "127.0.0.1:" .. port, timeout = 0.1, tries = 2}))
        local started = core.now()
        local ok, got = pcall(srv, "_x._tcp.example.net", r)
        stop()
        r:close()
        assert.is_true(ok, got)
        assert.same({"TIMEOUT", nil, 0}, got)
        assert.is_true(core.now() - started < 2)
    end)

    it("raises when the name is not a string", function()
        local r = new_resolver()
        assert.has_error(function() r:submit_srv() end)
        assert.has_error(function() r:submit_srv({}) end)
        assert.has_error(function() r:submit_addr(nil) end)
        assert.equal(0, r:pending())
        r:close()
    end)

    it("returns an id at once, a new one for every query, and fetches nothing yet", function()
        local r = new_resolver()
        local first = r:submit_srv("_xmpp-client._tcp.example.net")
        local second = r:submit_srv("_xmpp-client._tcp.example.net")
        assert.equal("integer", math.type(first))
        assert.is_true(second > first)
        assert.same({nil, 0}, {r:fetch()})
        assert.equal(2, r:pending())
        local ids = {}
        for _, result in ipairs(fetch_all(r)) do ids[#ids + 1] = result[1] end
        table.sort(ids)
        assert.same({first, second}, ids)
        assert.equal(0, r:pending())
        r:close()
    end)

    it("shares one query among names DNS takes for the same, each with its own result", function()
        local r = new_resolver()
        local names = {"_xmpp-client._tcp.example.net", "_XMPP-Client._tcp.Example.NET.",
                       "_xmpp-client._tcp.ex\\097mple.net"}
        local ids = {}
        for i, name in ipairs(names) do ids[i] = assert(r:submit_srv(name)) end
        assert.same({1, 2}, {r:stats()})
        local got = fetch_all(r)
        assert.same(ids, {got[1][1], got[2][1], got[3][1]})   -- in the order they were submitted
        for i = 1, 3 do
            assert.equal("OK", got[i][2])
            assert.equal(5, #got[i][3])
        end
        assert.not_equal(got[1][3], got[2][3])
        assert.not_equal(got[1][3][1], got[2][3][1])
        assert(r:submit_addr("_xmpp-client._tcp.example.net"))   -- another kind: asked
        r:close()
        assert.same({2, 2}, {r:stats()})   -- kept after close
    end)
end)

describe("resolver:submit_addr", function()
    it("gives the IPv4 and IPv6 addresses with TTLs", function()
        local got = addr("host2.srv.test")
        assert.equal("OK", got[1])
        local addresses = got[2]
        table.sort(addresses, function(a, b) return a.family < b.family end)
        assert.same({
            {family = "inet", address = "192.0.2.32", ttl = 300},
            {family = "inet6", address = "2001:db8::32", ttl = 300},
        }, addresses)
    end)

    it("gives nil addresses on failure", function()
        assert.same({"NXDOMAIN"}, addr("nohost.srv.test"))
    end)

    it("gives the addresses of one family alone when asked (an A or an AAAA query)", function()
        assert.same({"OK", {{family = "inet", address = "192.0.2.32", ttl = 300}}}, addr("host2.srv.test", "inet"))
        assert.same({"OK", {{family = "inet6", address = "2001:db8::32", ttl = 300}}},
                    addr("host2.srv.test", "inet6"))
        assert.same({"NODATA"}, addr("127.0.0.1", "inet6"))
        -- A negative answer of one family carries its negative TTL (RFC 2308).
        assert.same({"NODATA", nil, 120}, addr("host1.srv.test", "inet6"))
        assert.same({"NXDOMAIN", nil, 120}, addr("nohost.srv.test", "inet"))
        assert.same({"NXDOMAIN"}, addr("nohost.srv.test"))
        local r = new_resolver()
        assert.has_error(function() r:submit_addr("host2.srv.test", "unix") end,
                         "bad argument #2 to 'submit_addr' (invalid option 'unix')")
        r:close()
    end)
end)

describe("fetch", function()
    it("hands out every ready result in one array, four slots each, in the order they completed", function()
        local r = new_resolver()
        local srv_id = r:submit_srv("_nope._tcp.example.net")
        local deadline = core.now() + 5
        while r:process() == 0 and core.now() < deadline do end
        local addr_id = r:submit_addr("nohost.srv.test")
        while r:process() < 2 and core.now() < deadline do end
        local results, count = r:fetch()
        assert.equal(2, count)
        assert.same({srv_id, "NXDOMAIN", nil, 300, addr_id, "NXDOMAIN"}, results)
        assert.same({nil, 0}, {r:fetch()})
        assert.equal(0, r:pending())
        r:close()
    end)

    it("counts what waits for fetch in process, step and pending", function()
        local r = new_resolver()
        r:submit_srv("_xmpp-client._tcp.example.net")
        local deadline = core.now() + 5
        while r:step(0.1) == 0 and core.now() < deadline do end
        assert.equal(1, r:step(0))
        assert.equal(1, r:process())
        assert.equal(1, r:pending())
        assert.equal(0, r:timeout())
        local _, count = r:fetch()
        assert.equal(1, count)
        assert.equal(0, r:pending())
        assert.is_nil(r:timeout())
        r:close()
    end)

    it("gives CANCELLED for every query in flight after close, and answers that had arrived as they were", function()
        local port, stop = silent_server()
        local r = assert(core.new({servers = "127.0.0.1:" .. port .. "," .. server, timeout = 5, tries = 1}))
        local bad = r:submit_srv(("a"):rep(64) .. ".example.net")
        local deadline = core.now() + 5
        while r:process() == 0 and core.now() < deadline do end
        local silent = r:submit_srv("_x._tcp.example.net")
        local started = core.now()
        assert.is_true(r:close())
        assert.is_true(r:close())
        stop()
        assert.is_true(core.now() - started < 1)
        local results, count = r:fetch()
        assert.equal(2, count)
        assert.same({bad, "BADNAME", nil, 0, silent, "CANCELLED", nil, 0}, results)
        assert.same({nil, 0}, {r:fetch()})
        assert.same({2, 0}, {r:stats()})
        assert.equal("srv.resolver (closed)", tostring(r))
    end)

    it("raises on every method of a closed resolver but close, fetch, stats and tostring", function()
        local r = new_resolver()
        r:close()
        local calls = {
            function() r:submit_srv("_x._tcp.example.net") end,
            function() r:submit_addr("example.net") end,
            function() r:process() end,
            function() r:step(0) end,
            function() r:pending() end,
            function() r:pollfd() end,
            function() r:events() end,
            function() r:timeout() end,
        }
        for _, call in ipairs(calls) do
            assert.has_error(call, "attempt to use a closed resolver")
        end
        assert.is_true(r:close())
        assert.same({nil, 0}, {r:fetch()})
        assert.same({0, 0}, {r:stats()})
        assert.equal("srv.resolver (closed)", tostring(r))
    end)

    it("closes a to-be-closed resolver at the end of its scope, leaving its results to fetch", function()
        local resolver, id
        do
            local r <close> = new_resolver()
            resolver = r
            id = r:submit_srv("_xmpp-client._tcp.example.net")
        end
        assert.equal("srv.resolver (closed)", tostring(resolver))
        assert.same({id, "CANCELLED", nil, 0}, (resolver:fetch()))
    end)

    it("frees the queries of a collected resolver, fetched or not (valgrind clean)", function()
        -- In a function of its own, so that no dead local keeps it alive.
        local function abandon()
            local r = new_resolver()
            r:submit_srv("_xmpp-client._tcp.example.net")
            r:submit_addr("host2.srv.test")
            r:submit_srv(("a"):rep(64) .. ".example.net")
            local deadline = core.now() + 5
            while r:process() == 0 and core.now() < deadline do end
        end
        abandon()
        collectgarbage()
        collectgarbage()
    end)
end)

describe("the pollable interface", function()
    it("gives a descriptor, the events to poll, and no timeout when idle", function()
        local r = new_resolver()
        assert.equal("integer", math.type(r:pollfd()))
        assert.is_true(r:pollfd() >= 0)
        assert.equal("r", r:events())
        assert.is_nil(r:timeout())
        assert.equal(0, r:pending())
        assert.equal(0, r:step())
        assert.equal(0, r:step(0))
        r:close()
    end)

    it("can be driven with timeout() and step(0)", function()
        local r = new_resolver()
        local got = {}
        r:submit_srv("_xmpp-client._tcp.example.net")
        r:submit_addr("host1.srv.test")
        assert.equal(2, r:pending())
        local timeout = r:timeout()
        assert.equal("number", type(timeout))
        assert.is_true(timeout >= 0 and timeout <= 2)
        local deadline = core.now() + 5
        while r:timeout() and core.now() < deadline do
            r:step(0)
            local results, count = r:fetch()
            for slot = 1, count * 4, 4 do
                local code, result = results[slot + 1], results[slot + 2]
                got[#got + 1] = results[slot + 3] and code or code .. #result
            end
        end
        table.sort(got)
        assert.same({"OK", "OK1"}, got)
        assert.is_nil(r:timeout())
        r:close()
    end)

    it("waits in step() no longer than asked", function()
        local port, stop = silent_server()
        local r = assert(core.new({servers = "127.0.0.1:" .. port, timeout = 5, tries = 1}))
        r:submit_srv("_x._tcp.example.net")
        local started = core.now()
        assert.equal(0, r:step(0.05))
        local waited = core.now() - started
        assert.is_true(waited >= 0.04 and waited < 1, "waited " .. waited)
        r:close()
        stop()
    end)

    it("rejects a negative step timeout", function()
        local r = new_resolver()
        assert.has_error(function() r:step(-1) end)
        r:close()
    end)
end)

describe("core.rng", function()
    it("repeats its sequence for the same seed", function()
        local a, b = core.rng(7), core.rng(7)
        for _ = 1, 5 do
            local x = a:next()
            assert.equal("integer", math.type(x))
            assert.equal(x, b:next())
        end
        assert.not_equal(core.rng(7):next(), core.rng(8):next())
        assert.matches("^srv%.rng %(0x%x+%)$", tostring(a))
        assert.equal("srv.rng", getmetatable(a).__name)
    end)

    it("draws below a bound", function()
        local rng = core.rng()
        for _ = 1, 200 do
            local x = rng:below(3)
            assert.is_true(x >= 0 and x < 3)
        end
        assert.has_error(function() rng:below(0) end)
    end)
end)

describe("core.order", function()
    local function records()
        local copy = {}
        for i, record in ipairs(xmpp_client) do
            copy[i] = record
        end
        return copy
    end

    it("returns a new array of the same tables", function()
        local input = records()
        local ordered = core.order(input, core.rng(1))
        assert.not_equal(input, ordered)
        assert.equal(5, #ordered)
        local seen = {}
        for _, record in ipairs(ordered) do
            seen[record] = true
        end
        for _, record in ipairs(input) do
            assert.is_true(seen[record])
        end
    end)

    it("gives the same order for the same seed", function()
        for seed = 1, 20 do
            assert.same(core.order(records(), core.rng(seed)), core.order(records(), core.rng(seed)))
        end
    end)

    it("always puts server1 (priority 5) first and backup (priority 15) last", function()
        local rng = core.rng(2782)
        for _ = 1, 200 do
            local ordered = core.order(records(), rng)
            assert.equal("server1.example.net", ordered[1].target)
            assert.equal("backup.example.net", ordered[5].target)
        end
        for _ = 1, 50 do
            assert.equal("server1.example.net", core.order(records())[1].target)
        end
    end)

    it("picks the priority-10 targets in proportion to their weights", function()
        local rng = core.rng(42)
        local second = {}
        local draws = 20000
        for _ = 1, draws do
            local target = core.order(records(), rng)[2].target
            second[target] = (second[target] or 0) + 1
        end
        assert.near(0.6, second["server2.example.net"] / draws, 0.02)
        assert.near(0.2, second["server3.example.net"] / draws, 0.02)
        assert.near(0.2, second["server4.example.net"] / draws, 0.02)
    end)

    it("orders by the RFC's literal text in strict mode", function()
        local ordered = core.order(records(), core.rng(3), true)
        assert.equal(5, #ordered)
        assert.equal("server1.example.net", ordered[1].target)
        assert.equal("backup.example.net", ordered[5].target)
    end)

    it("drops '.' targets, and says NOSERVICE when nothing else is left", function()
        local dot = {target = ".", priority = 0, weight = 0}
        local real = {target = "host1.srv.test", priority = 10, weight = 5}
        assert.same({real}, core.order({dot, real}))
        assert.equal(real, core.order({dot, real})[1])
        assert.same({nil, "service decidedly not available (target \".\")", "NOSERVICE"},
            {core.order({dot, dot})})
    end)

    it("gives an empty array for no records", function()
        assert.same({}, core.order({}))
    end)

    it("orders more records than fit on its stack", function()
        local input = {}
        for i = 1, 300 do
            input[i] = {target = "t" .. i, priority = i % 7, weight = i % 5}
        end
        local ordered = core.order(input, core.rng(9))
        assert.equal(300, #ordered)
        for i = 2, 300 do
            assert.is_true(ordered[i - 1].priority <= ordered[i].priority)
        end
    end)

    it("raises on a bad record, naming it", function()
        local good = {target = "a", priority = 1, weight = 1}
        assert.has_error(function() core.order({good, good, {target = "a", priority = "1", weight = 1}}) end,
            "bad record #3 (priority must be an integer 0..65535)")
        assert.has_error(function() core.order({good, {target = "a", priority = 1, weight = 65536}}) end,
            "bad record #2 (weight must be an integer 0..65535)")
        assert.has_error(function() core.order({{target = "a", priority = 1.5, weight = 1}}) end,
            "bad record #1 (priority must be an integer 0..65535)")
        assert.has_error(function() core.order({{priority = 1, weight = 1}}) end,
            "bad record #1 (target must be a string)")
        assert.has_error(function() core.order({good, "record"}) end,
            "bad record #2 (table expected, got string)")
        assert.has_error(function() core.order({good}, "not an rng") end)
        assert.has_error(function() core.order("records") end)
    end)
end)

describe("core.parse", function()
    it("reads several records back to back on one line", function()
        assert.same({
            {name = "_sip._tcp.example.net", target = "a.example.net", priority = 0, weight = 5, port = 5060, ttl = 86400},
            {name = "_sip._tcp.example.net", target = "b.example.net", priority = 0, weight = 5, port = 5060, ttl = 86400},
        }, core.parse("_sip._tcp.example.net. 86400 IN SRV 0 5 5060 a.example.net. "
            .. "_sip._tcp.example.net. 86400 IN SRV 0 5 5060 b.example.net."))
    end)

    it("keeps the root target as '.'", function()
        assert.equal(".", core.parse("_x._tcp.example.net. 60 IN SRV 0 0 0 .")[1].target)
    end)

    it("returns nil, message with line and column, line on an error", function()
        assert.same({nil, "line 2, column 26: port x is not a decimal number", 2},
            {core.parse("_a._tcp.x. 60 IN SRV 1 2 3 t.\n_b._tcp.x. 60 IN SRV 1 2 x t.")})
    end)

    it("accepts SRV records only", function()
        local result, message, line = core.parse("www.example.net. 60 IN A 192.0.2.1")
        assert.is_nil(result)
        assert.matches("^line 1, column %d+: ", message)
        assert.equal(1, line)
    end)
end)

describe("core.parse_zone", function()
    it("reads the srv.test fixture into SRV records and other records", function()
        local file = assert(io.open("spec/fixtures/srv.test.zone"))
        local zone = assert(core.parse_zone(file:read("a")))
        file:close()
        assert.equal(46, #zone.srv)
        assert.same({name = "_xmpp-client._tcp.dot.srv.test", target = ".", priority = 0,
            weight = 0, port = 0, ttl = 300}, zone.srv[1])
        assert.same({owner = "srv.test", type = "SOA",
            rdata = "ns.srv.test hostmaster.srv.test 1 3600 600 86400 120", ttl = 300}, zone.rrs[1])
        local types = {}
        for _, rr in ipairs(zone.rrs) do
            types[rr.type] = (types[rr.type] or 0) + 1
        end
        assert.same({SOA = 1, NS = 1, A = 4, AAAA = 1, TXT = 1, CNAME = 2}, types)
    end)

    it("takes an origin and names unknown types TYPEnnn", function()
        assert.same({srv = {}, rrs = {{owner = "www.example.org", type = "TYPE99", rdata = "\\# 0", ttl = 60}}},
            core.parse_zone("www 60 IN TYPE99 \\# 0", "example.org"))
    end)

    it("returns nil, message, line on an error", function()
        local result, message, line = core.parse_zone("a 60 IN A 192.0.2.1\nthis line is not a record\n", "x")
        assert.is_nil(result)
        assert.matches("^line 2, column %d+: ", message)
        assert.equal(2, line)
    end)
end)
