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
