-- `srv-run connect NAME`: the race as a timeline or JSON, and its exit
-- statuses, against the loopback rig (spec/support/loopback.lua) through a
-- zone file. Each case runs build/srv-run as a separate process.
local json = require "dkjson"
local run = require "spec.support.run"
local loopback = require "spec.support.loopback"

local NAME = "_x._tcp.example.test"

describe("srv-run connect", function()
    local rig, zone
    before_each(function() rig = loopback.new() end)
    after_each(function()
        rig:close()
        if zone then os.remove(zone) end
        zone = nil
    end)

    local function zone_file(targets)
        zone = run.write_file(loopback.zone(NAME, targets))
        return zone
    end

    it("prints each attempt, the winner and the time to connect, and exits 0", function()
        local refused, up = rig:refuse("127.0.0.3"), rig:listen("127.0.0.4")
        local r = run.srv_run { "connect", NAME, "--zone", zone_file {
            { name = "down.example.test", priority = 10, port = refused, addresses = { "127.0.0.3" } },
            { name = "up.example.test", priority = 20, port = up, addresses = { "127.0.0.4" } },
        }, "--attempt-delay", "2", "--resolution-delay", "0.2" }
        assert.equal(0, r.code)
        assert.equal("", r.stderr)
        local lines = {}
        for line in r.stdout:gmatch("[^\n]+") do lines[#lines + 1] = line end
        assert.equal(";; " .. NAME .. ": 2 attempts", lines[1])
        assert.matches("^ +%d+%.%d+ s +%d+%.%d+ s  refused   down%.example%.test 127%.0%.0%.3:" .. refused
                       .. " %(Connection refused%)$", lines[2])
        assert.matches("^ +%d+%.%d+ s +%d+%.%d+ s  connected up%.example%.test 127%.0%.0%.4:" .. up .. "$", lines[3])
        assert.matches("^;; connected to up%.example%.test 127%.0%.0%.4:" .. up .. " %(inet%) in %d+%.%d+ s$", lines[4])
        assert.equal(4, #lines)
    end)

    it("exits 6 when every attempt fails, with the attempts in JSON", function()
        local refused = rig:refuse("127.0.0.3")
        local r = run.srv_run { "connect", NAME, "--json", "--zone", zone_file {
            { name = "down.example.test", port = refused, addresses = { "127.0.0.3" } },
        } }
        assert.equal(6, r.code)
        local out = json.decode(r.stdout)
        assert.equal("CONNECT", out.code)
        assert.equal(NAME, out.name)
        assert.is_nil(out.connected)
        assert.equal(1, #out.attempts)
        assert.same({ "down.example.test", "127.0.0.3", refused, "inet", "refused" },
                    { out.attempts[1].target, out.attempts[1].address, out.attempts[1].port,
                      out.attempts[1].family, out.attempts[1].result })
    end)

    it("exits 6 when nothing connects before --timeout, and 3 for a name that does not exist", function()
        local hole = rig:blackhole("127.0.0.5")
        local file = zone_file { { name = "hole.example.test", port = hole, addresses = { "127.0.0.5" } } }
        local r = run.srv_run { "connect", NAME, "--zone", file, "--timeout", "0.3" }
        assert.equal(6, r.code)
        assert.matches("timeout   hole.example.test 127.0.0.5:" .. hole, r.stdout, 1, true)
        assert.matches("no connection before the timeout", r.stderr, 1, true)
        r = run.srv_run { "connect", "_none._tcp.example.test", "--zone", file }
        assert.equal(3, r.code)
        assert.equal("", r.stdout)
    end)

    it("reports the connection in JSON", function()
        local up = rig:listen("127.0.0.4")
        local r = run.srv_run { "connect", NAME, "--json", "--family", "inet", "--zone", zone_file {
            { name = "up.example.test", port = up, addresses = { "::1", "127.0.0.4" } },
        } }
        assert.equal(0, r.code)
        local out = json.decode(r.stdout)
        assert.same({ "up.example.test", up, "127.0.0.4", "inet" },
                    { out.connected.target, out.connected.port, out.connected.address, out.connected.family })
        assert.equal(1, #out.attempts)
        assert.equal("connected", out.attempts[1].result)
    end)

    it("refuses bad options as usage errors", function()
        run.assert_usage_error(run.srv_run { "connect", NAME, "--family", "ipx" }, "bad value 'ipx' for --family")
        run.assert_usage_error(run.srv_run { "connect" }, "connect takes one NAME")
        run.assert_usage_error(run.srv_run { "connect", NAME, "--attempt-delay", "0" }, "--attempt-delay")
        run.assert_usage_error(run.srv_run { "connect", NAME, "--resolution-delay", "soon" }, "--resolution-delay")
    end)
end)

-- Cases an adversarial review found, each with its problem in a comment.
do
    local srv = require "srv"
    local loopback = require "spec.support.loopback"
    local run = require "spec.support.run"

    local NAME = "_x._tcp.example.test"

    describe("srv-run connect", function()
        -- Problem: `srv-run connect @IP NAME` was a usage error ("connect takes
        -- one NAME") though the docs give @IP[:PORT] as --server for the
        -- command line's options.
        it("takes @IP[:PORT] as --server", function()
            -- Nothing serves DNS on 127.0.0.1:1: a network failure, not usage.
            local r = run.srv_run { "connect", "@127.0.0.1:1", NAME, "--tries", "1", "--timeout", "5" }
            assert.equal(5, r.code)
            assert.not_matches("takes one NAME", r.stderr)
            r = run.srv_run { "connect", NAME, "--zone", "docs/examples/example.net.zone", "@127.0.0.1" }
            assert.equal(2, r.code)
            assert.matches("--server and --zone exclude each other", r.stderr, 1, true)
        end)

        -- Problem: a NAME that is not a service name printed its message twice.
        it("says a usage error once", function()
            local r = run.srv_run { "connect", "example.test", "--zone", "docs/examples/example.net.zone" }
            assert.equal(2, r.code)
            local _, n = r.stderr:gsub("not a _service%._proto%.domain name", "")
            assert.equal(1, n)
        end)
    end)

    describe("left open", function()
        -- Problem: a clock returning nil raised "attempt to perform arithmetic
        -- on a nil value" from lua/srv/cache.lua, and one returning NaN made an
        -- ejected candidate half-open at once.
        it("a resolver clock that returns something other than a number raises at a clear point", function()
            for _, bad in ipairs { false, "now", 0 / 0 } do
                local r = assert(srv.resolver { zone = "docs/examples/example.net.zone", clock = function() return bad end })
                local ok, err = pcall(function() return r:resolve("_xmpp-client._tcp.example.net") end)
                assert.is_false(ok)
                assert.matches("the clock returned .*; a number of seconds expected", err)
                r:close()
            end
        end)

        -- srv-run connect maps a target's failed address lookup (its code,
        -- NXDOMAIN or NODATA) to exit status 3, "no such name or no SRV
        -- records", although the SRV records exist; exit 6 (no connection) may
        -- be what a user expects. A documented choice (docs/lua-api.md,
        -- r:connect failures), so left for the owner to decide.
        pending("srv-run connect exits 6, not 3, when the SRV records exist but no target has an address")
    end)
end
