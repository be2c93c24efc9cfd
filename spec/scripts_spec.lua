-- The example scripts of scripts/, run through build/srv-run against the
-- rig's knotd (SRV_TEST_SERVER): policy scripts through `srv-run lookup
-- --policy`, the others as scripts. Orders are checked exactly where the
-- zone decides them (priorities, weight 0, pins, exclusions), over several
-- seeds where a weighted shuffle is involved. docs/scripts.md's examples are
-- run too and must print what the page shows.
local socket = require "socket"
local run = require "spec.support.run"
local doc_blocks = require "spec.support.doc_blocks"

local SERVER = os.getenv("SRV_TEST_SERVER")
local REFERENCE = "_xmpp-client._tcp.example.net"

local function server()
    assert(SERVER, "SRV_TEST_SERVER is not set: run the specs through spec/support/with-knotd.sh (make test)")
    return SERVER
end

-- build/srv-run lookup NAME --server S [words...] --policy FILE
local function lookup(name, policy, words, opts)
    local list = { "lookup", name, "--server", server() }
    for _, w in ipairs(words or {}) do list[#list + 1] = w end
    if policy then
        list[#list + 1] = "--policy"
        list[#list + 1] = "scripts/" .. policy
    end
    return run.srv_run(list, opts)
end

-- build/srv-run scripts/SCRIPT --server S [words...]
local function script(name, words, opts)
    local list = { "scripts/" .. name, "--server", server() }
    for _, w in ipairs(words or {}) do list[#list + 1] = w end
    return run.srv_run(list, opts)
end

-- The TARGET column (4th) of each row, without its trailing dot.
local function targets(rows)
    local out = {}
    for i, row in ipairs(rows) do out[i] = (row[4]:gsub("%.$", "")) end
    return out
end

local function sorted(list)
    local copy = table.move(list, 1, #list, 1, {})
    table.sort(copy)
    return copy
end

local function slice(list, from, to)
    return table.move(list, from, to, 1, {})
end

-- The non-comment lines of a script's output.
local function lines(stdout)
    local out = {}
    for line in stdout:gmatch("[^\n]+") do
        if not line:match("^;") then out[#out + 1] = line end
    end
    return out
end

-- "usage:" on stderr, exit 2, nothing on stdout.
local function assert_usage(res, problem)
    assert.equal(2, res.code)
    assert.equal("", res.stdout)
    assert.truthy(res.stderr:find("usage: ", 1, true), res.stderr)
    if problem then assert.truthy(res.stderr:find(problem, 1, true), res.stderr) end
end

local SEEDS = { 1, 2, 3, 4, 5, 6, 7, 8 }

describe("scripts/pin.lua", function()
    it("puts server3 first, ahead of the priority-5 server1, the rest in RFC order", function()
        for _, seed in ipairs(SEEDS) do
            local res = lookup(REFERENCE, "pin.lua", { "--seed", seed })
            assert.equal(0, res.code, res.stderr)
            local rows = run.rows(res.stdout)
            assert.same({ "10", "10", "5222", "server3.example.net.", "srv" }, rows[1])
            local t = targets(rows)
            assert.equal(5, #t)
            assert.same({ "server3.example.net", "server1.example.net" }, slice(t, 1, 2))
            assert.same({ "server2.example.net", "server4.example.net" }, sorted(slice(t, 3, 4)))
            assert.equal("backup.example.net", t[5])
        end
    end)

    it("pins the host --policy-arg pin= names instead", function()
        local res = lookup(REFERENCE, "pin.lua", { "--seed", 1, "--policy-arg", "pin=backup.example.net" })
        assert.equal(0, res.code, res.stderr)
        local t = targets(run.rows(res.stdout))
        assert.same({ "backup.example.net", "server1.example.net" }, slice(t, 1, 2))
    end)

    it("leaves the order alone when the pinned host is not in the answer", function()
        local name = "_xmpp-client._tcp.sites.scripts.test"
        local with = lookup(name, "pin.lua", { "--seed", 3 })
        local without = lookup(name, nil, { "--seed", 3 })
        assert.equal(0, with.code, with.stderr)
        assert.same(run.rows(without.stdout), run.rows(with.stdout))
        assert.equal(6, #run.rows(with.stdout))
    end)

    it("passes an NXDOMAIN through: exit 3, no candidates", function()
        local res = lookup("_nope._tcp.example.net", "pin.lua")
        assert.same({ 3, {} }, { res.code, run.rows(res.stdout) })
    end)
end)

describe("scripts/exclude_fallback.lua", function()
    local RELAYS = {
        { "65535", "0", "5222", "relay.example.org.", "policy" },
        { "65535", "0", "443", "relay.example.org.", "policy" },
    }

    it("drops server1 and appends the relays after the backup", function()
        for _, seed in ipairs(SEEDS) do
            local res = lookup(REFERENCE, "exclude_fallback.lua", { "--seed", seed })
            assert.equal(0, res.code, res.stderr)
            local rows = run.rows(res.stdout)
            local t = targets(rows)
            assert.equal(6, #t)
            assert.same({ "server2.example.net", "server3.example.net", "server4.example.net" },
                sorted(slice(t, 1, 3)))
            assert.equal("backup.example.net", t[4])
            assert.same(RELAYS, slice(rows, 5, 6))
        end
    end)

    it("still gives the relays when the excluded host was the only target", function()
        local res = lookup("_xmpp-client._tcp.only1.scripts.test", "exclude_fallback.lua")
        assert.equal(0, res.code, res.stderr)
        assert.same(RELAYS, run.rows(res.stdout))
    end)

    it("adds no relay to an NXDOMAIN for a service without a default port: exit 3", function()
        local res = lookup("_nope._tcp.example.net", "exclude_fallback.lua")
        assert.same({ 3, {} }, { res.code, run.rows(res.stdout) })
    end)
end)

describe("scripts/prefer_ipv6.lua", function()
    local NAME = "_xmpp-client._tcp.v6.scripts.test"

    it("puts the targets with an IPv6 address first inside their priority", function()
        local firsts = {}
        for _, seed in ipairs(SEEDS) do
            local res = lookup(NAME, "prefer_ipv6.lua", { "--seed", seed })
            assert.equal(0, res.code, res.stderr)
            local t = targets(run.rows(res.stdout))
            assert.equal(5, #t)
            assert.same({ "dualstack.scripts.test", "v6only.scripts.test" }, sorted(slice(t, 1, 2)))
            assert.same({ "noaddr.scripts.test", "v4only.scripts.test" }, sorted(slice(t, 3, 4)))
            assert.equal("v4backup.scripts.test", t[5])
            firsts[t[1]] = true
        end
        -- the weighted shuffle still runs among the IPv6 targets
        assert.same({ ["dualstack.scripts.test"] = true, ["v6only.scripts.test"] = true }, firsts)
    end)

    it("shows the addresses it checked with --addresses", function()
        local res = lookup(NAME, "prefer_ipv6.lua", { "--seed", 1, "--addresses" })
        assert.equal(0, res.code, res.stderr)
        local found = {}
        for _, row in ipairs(run.rows(res.stdout)) do
            for i = 6, #row do
                local list = row[i]:match("^addresses=(.*)$")
                if list then found[row[4]] = list end
            end
        end
        assert.equal("192.0.2.73,2001:db8::73", found["dualstack.scripts.test."])
        assert.equal("2001:db8::72", found["v6only.scripts.test."])
    end)

    it("keeps a target without addresses among the rest instead of failing", function()
        local res = lookup(NAME, "prefer_ipv6.lua", { "--seed", 2 })
        assert.equal(0, res.code, res.stderr)
        local t = targets(run.rows(res.stdout))
        assert.truthy(t[3] == "noaddr.scripts.test" or t[4] == "noaddr.scripts.test")
    end)

    it("never lifts a target above a lower priority: the reference order is unchanged", function()
        -- only backup (priority 15, alone) has an IPv6 address there
        local with = lookup(REFERENCE, "prefer_ipv6.lua", { "--seed", 4 })
        local without = lookup(REFERENCE, nil, { "--seed", 4 })
        assert.equal(0, with.code, with.stderr)
        assert.same(run.rows(without.stdout), run.rows(with.stdout))
    end)
end)

describe("scripts/prefer_site.lua", function()
    local NAME = "_xmpp-client._tcp.sites.scripts.test"

    local function check(site)
        for _, seed in ipairs(SEEDS) do
            local res = lookup(NAME, "prefer_site.lua", { "--seed", seed, "--policy-arg", "site=" .. site })
            assert.equal(0, res.code, res.stderr)
            local t = targets(run.rows(res.stdout))
            assert.equal(6, #t)
            assert.same({ "xmpp1.ams.scripts.test", "xmpp2.ams.scripts.test" }, sorted(slice(t, 1, 2)))
            assert.same({ "xmpp1.fra.scripts.test", "xmpp2.fra.scripts.test" }, sorted(slice(t, 3, 4)))
            -- priority 20 after priority 10, the site's first inside it
            assert.same({ "xmpp3.ams.scripts.test", "xmpp3.fra.scripts.test" }, slice(t, 5, 6))
        end
    end

    it("puts the site's targets first inside each priority", function()
        check(".ams.scripts.test")
    end)

    it("takes the suffix without its leading dot and with a trailing one", function()
        check("AMS.scripts.test.")
    end)

    it("does not take a longer label for the site", function()
        local res = lookup(NAME, "prefer_site.lua", { "--seed", 1, "--policy-arg", "site=" .. "ms.scripts.test" })
        local without = lookup(NAME, nil, { "--seed", 1 })
        assert.equal(0, res.code, res.stderr)
        assert.same(run.rows(without.stdout), run.rows(res.stdout))
    end)

    it("fails to load with an empty site: exit 1, no candidates", function()
        local res = lookup(NAME, "prefer_site.lua", { "--policy-arg", "site=" .. "" })
        assert.same({ 1, {} }, { res.code, run.rows(res.stdout) })
        assert.truthy(res.stderr:find("SITE is empty", 1, true), res.stderr)
    end)
end)

describe("scripts/xmpp_client.lua", function()
    -- "%2d. HOST port PORT direct TLS|STARTTLS[ (fallback...)]" -> { host, port, kind }
    local function order(stdout)
        local out = {}
        for _, line in ipairs(lines(stdout)) do
            local n, host, port, rest = line:match("^%s*(%d+)%. (%S+) port (%d+) (.*)$")
            assert(n, "unexpected line: " .. line)
            assert.equal(#out + 1, tonumber(n))
            out[#out + 1] = { host, tonumber(port), rest }
        end
        return out
    end

    it("merges direct TLS and STARTTLS into one order by priority", function()
        for _, seed in ipairs(SEEDS) do
            local res = script("xmpp_client.lua", { "--seed", seed, "example.net" })
            assert.equal(0, res.code, res.stderr)
            local o = order(res.stdout)
            assert.equal(6, #o)
            -- priority 5: server1 (weight 50) before the weight-0 direct TLS record
            assert.same({ "server1.example.net", 5222, "STARTTLS" }, o[1])
            assert.same({ "example.net", 5223, "direct TLS" }, o[2])
            local middle = { o[3][1], o[4][1], o[5][1] }
            assert.same({ "server2.example.net", "server3.example.net", "server4.example.net" }, sorted(middle))
            assert.same({ "backup.example.net", 5222, "STARTTLS" }, o[6])
        end
    end)

    it("puts a priority-5 STARTTLS server before a priority-10 direct TLS one", function()
        local res = script("xmpp_client.lua", { "both.lua.test" })
        assert.equal(0, res.code, res.stderr)
        assert.same({
            { "a.lua.test", 5222, "STARTTLS" },
            { "b.lua.test", 5223, "direct TLS" },
            { "c.lua.test", 5222, "STARTTLS" },
        }, order(res.stdout))
    end)

    it("falls back to the domain on 5222 with STARTTLS when there are no SRV records", function()
        local res = script("xmpp_client.lua", { "nosrv.lua.test" })
        assert.equal(0, res.code, res.stderr)
        assert.same({ { "nosrv.lua.test", 5222, "STARTTLS (fallback: no SRV records)" } }, order(res.stdout))
    end)

    it("exits 4 when both services say '.'", function()
        local res = script("xmpp_client.lua", { "dots.lua.test" })
        assert.same({ 4, "" }, { res.code, res.stdout })
        assert.truthy(res.stderr:find("decidedly not available", 1, true), res.stderr)
    end)

    it("exits 5 on a DNS failure (REFUSED for a name outside the zones)", function()
        local res = script("xmpp_client.lua", { "example.org" })
        assert.same({ 5, "" }, { res.code, res.stdout })
        assert.truthy(res.stderr:find("refused", 1, true), res.stderr)
    end)

    it("prints the usage and exits 2 without a domain, with two, or with an unknown option", function()
        assert_usage(script("xmpp_client.lua", {}), "no domain given")
        assert_usage(script("xmpp_client.lua", { "example.net", "example.org" }), "one domain only")
        assert_usage(script("xmpp_client.lua", { "--kind", "server", "example.net" }), "unknown option --kind")
    end)
end)

describe("scripts/turn_transports.lua", function()
    -- "%2d. TRANSPORT HOST port PORT[ ...]" -> "transport host:port"
    local function order(stdout)
        local out = {}
        for _, line in ipairs(lines(stdout)) do
            local transport, host, port = line:match("^%s*%d+%. (%S+)%s+(%S+) port (%d+)")
            assert(transport, "unexpected line: " .. line)
            out[#out + 1] = transport .. " " .. host .. ":" .. port
        end
        return out
    end

    it("lists UDP first, then TCP, then TLS", function()
        local res = script("turn_transports.lua", { "--seed", 1, "turn:example.net" })
        assert.equal(0, res.code, res.stderr)
        assert.same({
            "udp server1.example.net:3478",
            "udp server2.example.net:3478",
            "tcp server.example.net:3478",
            "tls server.example.net:5349",
        }, order(res.stdout))
    end)

    it("follows --transports, leaving out what it does not list", function()
        local res = script("turn_transports.lua", { "--transports", "tls,udp", "example.net" })
        assert.equal(0, res.code, res.stderr)
        assert.same({
            "tls server.example.net:5349",
            "udp server1.example.net:3478",
            "udp server2.example.net:3478",
        }, order(res.stdout))
    end)

    it("leaves out TLS when _turns._tcp says '.', and falls back per transport", function()
        local res = script("turn_transports.lua", { "turn:turnnotls.lua.test" })
        assert.equal(0, res.code, res.stderr)
        assert.same({ "udp a.lua.test:3478", "tcp a.lua.test:3478" }, order(res.stdout))
        res = script("turn_transports.lua", { "turn:turnudp.lua.test" })
        assert.same({ "udp a.lua.test:3478", "tcp turnudp.lua.test:3478", "tls turnudp.lua.test:5349" },
            order(res.stdout))
    end)

    it("exits 2 on a bad URI, a missing URI or an unknown transport", function()
        local res = script("turn_transports.lua", { "turn:example.net:99999" })
        assert.same({ 2, "" }, { res.code, res.stdout })
        assert.truthy(res.stderr:find("out of range", 1, true), res.stderr)
        assert_usage(script("turn_transports.lua", {}), "no URI given")
        assert_usage(script("turn_transports.lua", { "--transports", "sctp", "turn:example.net" }),
            "unknown transport sctp")
        assert_usage(script("turn_transports.lua", { "--transports", ",", "turn:example.net" }),
            "lists no transport")
    end)
end)

-- The ports of _health._tcp.scripts.test, fixed by the zone: its primary
-- refuses (nothing listens), its backup is up.
local HEALTH_DOWN_PORT, HEALTH_UP_PORT = 29417, 29418

-- Runs fn() with a listener on the backup's port and nothing on the
-- primary's, and returns what fn returned and whether a connection came in;
-- returns nothing, the test pending, when the machine does not allow it.
local function with_health_listener(fn)
    local probe = socket.tcp()
    probe:settimeout(1)
    local taken = probe:connect("127.0.0.1", HEALTH_DOWN_PORT)
    probe:close()
    if taken then return pending("something listens on 127.0.0.1:" .. HEALTH_DOWN_PORT .. ": cannot test") end
    local listener, problem = socket.bind("127.0.0.1", HEALTH_UP_PORT)
    if not listener then
        return pending("cannot listen on 127.0.0.1:" .. HEALTH_UP_PORT .. " (" .. tostring(problem) .. "): cannot test")
    end
    local ok, res = pcall(fn)
    listener:settimeout(0)
    local accepted = listener:accept()    -- the script's connect waits in the backlog
    if accepted then accepted:close() end
    listener:close()
    assert(ok, res)
    return res, accepted ~= nil
end

describe("scripts/health.lua", function()
    local NAME = "_health._tcp.scripts.test"

    it("marks the refusing primary down and shows the backup taking over", function()
        local res, accepted = with_health_listener(function()
            return script("health.lua", { "--seed", 1, NAME })
        end)
        if not res then return end
        assert.equal(0, res.code, res.stderr)
        assert.same({
            "primary.scripts.test:29417               down (connection refused), marked down",
            "backup.scripts.test:29418                up",
            "remote.scripts.test:29419                not probed (not loopback)",
            " 1. backup.scripts.test:29418",
            " 2. remote.scripts.test:29419",
            " 3. primary.scripts.test:29417 (marked down)",
        }, lines(res.stdout))
        assert.is_true(accepted)
    end)

    it("never connects to an address that is not loopback", function()
        local res = script("health.lua", { REFERENCE })
        assert.equal(0, res.code, res.stderr)
        local out = lines(res.stdout)
        assert.equal(10, #out)
        for i = 1, 5 do assert.truthy(out[i]:find("not probed (not loopback)", 1, true), out[i]) end
        for i = 6, 10 do assert.is_nil(out[i]:find("marked down", 1, true)) end
    end)

    it("exits 3 for a name without SRV records, 2 without a name", function()
        local res = script("health.lua", { "_health._tcp.nope.scripts.test" })
        assert.same({ 3, "" }, { res.code, res.stdout })
        assert_usage(script("health.lua", {}), "no name given")
    end)
end)

describe("scripts/batch.lua", function()
    -- { domain, outcome } per row after the header, and the outcome column
    local function table_rows(stdout)
        local out, column = {}, nil
        for _, line in ipairs(lines(stdout)) do
            local at = line:find("%S", (line:find("%s") or #line))
            if column then assert.equal(column, at, "misaligned: " .. line) end
            column = at
            out[#out + 1] = { line:match("^(%S+)%s+(.-)%s*$") }
        end
        assert.same({ "DOMAIN", "OUTCOME" }, table.remove(out, 1))
        return out
    end

    local DOMAINS = { "example.net", "nosrv.example.net", "example.org", "closed.scripts.test", "a..b" }
    local EXPECTED = {
        { "example.net", "server1.example.net:5222 (5 candidates)" },
        { "nosrv.example.net", "nosrv.example.net:5222 (1 candidate, fallback)" },
        { "example.org", "REFUSED" },
        { "closed.scripts.test", "NOSERVICE" },
        { "a..b", "BADNAME" },
    }

    it("prints an aligned table in input order: first target and count, or the error code", function()
        local res = script("batch.lua", DOMAINS)
        assert.equal(0, res.code, res.stderr)
        assert.same(EXPECTED, table_rows(res.stdout))
    end)

    it("reads the domains from stdin when none are given, skipping comments and blanks", function()
        local res = script("batch.lua", {}, { stdin = "# the list\n" .. table.concat(DOMAINS, "  # x\n\n") .. "\n" })
        assert.equal(0, res.code, res.stderr)
        assert.same(EXPECTED, table_rows(res.stdout))
    end)

    it("keeps the input order over many concurrent lookups", function()
        local domains, expected = {}, {}
        for i = 1, 40 do
            domains[i] = ({ "example.net", "example.org", "nosrv.example.net", "closed.scripts.test" })[i % 4 + 1]
            expected[i] = EXPECTED[({ 1, 3, 2, 4 })[i % 4 + 1]]
        end
        local res = script("batch.lua", domains)
        assert.equal(0, res.code, res.stderr)
        assert.same(expected, table_rows(res.stdout))
    end)

    it("resolves another service with --service", function()
        local res = script("batch.lua", { "--service", "turn", "example.net" })
        assert.equal(0, res.code, res.stderr)
        assert.truthy(res.stdout:find("; _turn._udp", 1, true))
        assert.same({ { "example.net", "server1.example.net:3478 (2 candidates)" } }, table_rows(res.stdout))
    end)

    it("prints the usage and exits 2 with no domain at all or an unknown option", function()
        assert_usage(script("batch.lua", {}, { stdin = "# nothing\n\n" }), "no domain given")
        assert_usage(script("batch.lua", { "--bogus", "example.net" }), "unknown option --bogus")
    end)
end)

describe("scripts with a bad source option", function()
    for _, name in ipairs { "xmpp_client.lua", "turn_transports.lua", "health.lua", "batch.lua" } do
        it(name .. " exits 2 on an unreadable zone file", function()
            assert_usage(run.srv_run({ "scripts/" .. name, "--zone", "/nonexistent.zone", "example.net" }),
                "cannot read the zone file")
        end)
    end
end)

describe("docs/scripts.md", function()
    -- Each ```sh block followed by a ```text block: the command runs from the
    -- checkout (offline: --zone, --seed 1) and prints the text. A block that
    -- starts health.lua's listener in the background ("... &", then "sleep")
    -- runs its other lines with the spec's own listener on that port instead
    -- (with_health_listener), so that no process outlives the test.
    local text = run.read_file("docs/scripts.md")
    local examples = doc_blocks.sh_examples(text)

    it("shows every script run", function()
        for _, name in ipairs { "pin", "exclude_fallback", "prefer_ipv6", "prefer_site", "xmpp_client",
                                "turn_transports", "health", "batch" } do
            assert.truthy(text:find("scripts/" .. name .. ".lua", 1, true), name)
        end
        assert.is_true(#examples >= 8)
    end)

    -- The command's output, with build/srv-run the one under test.
    local function sh(command)
        command = command:gsub("build/srv%-run", (run.SRV_RUN:gsub("%%", "%%%%")))
        local pipe = assert(io.popen("env -u LUA_PATH -u LUA_CPATH sh -c '"
            .. command:gsub("'", "'\\''") .. "' 2>/dev/null </dev/null"))
        local out = pipe:read("a")
        pipe:close()
        return out
    end

    for _, example in ipairs(examples) do
        it("example at line " .. example.line .. " prints what the page shows", function()
            local listener = example.command:match("^[^\n]*&\n")
            if not listener then return assert.equal(example.output, sh(example.command)) end
            assert.truthy(listener:find(tostring(HEALTH_UP_PORT), 1, true), listener)
            local rest = example.command:sub(#listener + 1):gsub("^sleep [%d.]+\n", "")
            local out = with_health_listener(function() return sh(rest) end)
            if out then assert.equal(example.output, out) end
        end)
    end
end)
