-- Findings of the adversarial review of r:watch, srv-run watch, the policy
-- sandbox, names and srv-run's messages: one case per problem, each with
-- the problem in a comment. Offline (the example zone), except where a
-- case says otherwise.
local srv = require "srv"
local run = require "spec.support.run"

local srv_run, write_file = run.srv_run, run.write_file
local ZONE = "docs/examples/example.net.zone"
local NAME = "_xmpp-client._tcp.example.net"

-- A policy whose error message tries to drive the terminal (colour, a
-- carriage return that would overwrite the line).
local HOSTILE = 'return function() error("\\27[31mred\\27[0m\\rfake") end\n'

describe("review: srv-run shows a policy's failure escaped", function()
    -- Problem: srv-run watch printed a policy's error message raw in its
    -- failure line (text mode), escape sequences and all, where lookup
    -- escapes it (docs/policies.md promises it for every message).
    it("in srv-run watch's failure line", function()
        local path = write_file(HOSTILE)
        local out, err = run.interrupt({ "watch", NAME, "--zone", ZONE, "--policy", path }, 1)
        os.remove(path)
        assert.equal("", err)
        assert.matches("failed %(POLICY%): .*\\x1B%[31mred\\x1B%[0m\\x0Dfake", out)
        assert.is_nil(out:find("[\27\r]"))
    end)

    -- Problem: srv-run connect printed a policy's error message raw, and
    -- with srv-run's own frames (lua/runner/...) in its traceback, where
    -- lookup shows the policy's frames only, escaped.
    it("in srv-run connect's message", function()
        local path = write_file(HOSTILE)
        local r = srv_run({ "connect", NAME, "--zone", ZONE, "--policy", path }, { timeout = 30 })
        os.remove(path)
        assert.equal(1, r.code)
        assert.matches("policy failed: .*\\x1B%[31mred\\x1B%[0m\\x0Dfake", r.stderr)
        assert.is_nil(r.stderr:find("[\27\r]"))
        assert.is_nil(r.stderr:find("lua/runner/", 1, true))
    end)
end)

describe("review: usage errors", function()
    -- Problem: a usage error echoed the word of the command line it
    -- quotes (an unknown option, a bad value, a zone file's name) with its
    -- control characters raw.
    it("escape the words of the command line they quote", function()
        local r = srv_run { "lookup", NAME, "--zone", ZONE, "--\27[2J" }
        assert.equal(2, r.code)
        assert.matches("unknown option %-%-\\x1B%[2J\n", r.stderr)
        r = srv_run { "watch", NAME, "--zone", ZONE, "--timeout", "\27]0;x\7" }
        assert.equal(2, r.code)
        assert.matches("bad value '\\x1B%]0;x\\x07' for %-%-timeout", r.stderr)
        assert.is_nil(r.stderr:find("\27", 1, true))
    end)
end)

describe("review: an SRV name with an empty label", function()
    -- Problem: r:resolve and r:watch said "not a _service._proto.domain
    -- name" for a name with an empty label in its domain, where
    -- docs/lua-api.md ("Names") promises the rule it breaks.
    it("says it has an empty label, from r:resolve and r:watch", function()
        local r = assert(srv.resolver { zone = ZONE })
        local empty = "an empty label (a dot first, or two dots in a row)"
        assert.same({ nil, "_x._tcp..example.net: " .. empty, "BADNAME" }, { r:resolve("_x._tcp..example.net") })
        assert.same({ nil, "_x._tcp.a..b: " .. empty, "BADNAME" }, { r:resolve("x", "tcp", "a..b") })
        assert.same({ nil, "._x._tcp.example.net: " .. empty, "BADNAME" },
                    { r:watch("._x._tcp.example.net", function() end) })
        -- what only lacks the _service._proto shape still says that
        assert.same({ nil, 'not a _service._proto.domain name: "example.net"', "BADNAME" },
                    { r:resolve("example.net") })
        r:close()
    end)
end)

describe("review: a watch on a clock that moves backwards", function()
    -- Problem: a refresh's time was a point on the resolver's clock, so a
    -- clock set back (a wall clock given as `clock`, corrected by NTP)
    -- delayed the next refresh by as much as it went back: past max_ttl,
    -- which docs/lua-api.md promises is never exceeded.
    it("still refreshes within max_ttl of the time it was set", function()
        local now = 1000
        local r = assert(srv.resolver { zone = ZONE, clock = function() return now end })
        local w = r:watch(NAME, function() end, { min_ttl = 10, max_ttl = 10, jitter = 0 })
        r:process()
        assert.same({ 1, 10 }, { w:status().refreshes, w:status().next_refresh })
        now = 0                                  -- set back by 1000 seconds
        assert.is_true(w:status().next_refresh <= 10)
        assert.is_true(r:timeout() <= 10)
        now = 10
        while r:timeout() == 0 do r:process() end
        assert.equal(2, w:status().refreshes)
        w:cancel()
        r:close()
    end)
end)

describe("review: a watch callback's error", function()
    -- Problem: the error a raising watch callback raises from r:process
    -- carried two tracebacks (three from a refresh's timer), the later ones
    -- through srv's own frames, where a lookup callback's carries one.
    it("carries one traceback, the callback's", function()
        local now = 0
        local r = assert(srv.resolver { zone = ZONE, clock = function() return now end })
        r:watch(NAME, function() error("raised here") end, { min_ttl = 10, max_ttl = 10, jitter = 0 })
        local ok, err = pcall(r.process, r)
        assert.is_false(ok)
        assert.matches("^spec/review_watch_sandbox_spec%.lua:%d+: raised here\nstack traceback:\n", err)
        assert.equal(1, select(2, err:gsub("stack traceback:", "")))
        now = 10
        local errors = {}
        for _ = 1, 3 do
            ok, err = pcall(r.process, r)
            if not ok then errors[#errors + 1] = err end
        end
        assert.equal(0, #errors)   -- the same set: nothing called
        ok, err = pcall(r.close, r)  -- CANCELLED: the callback raises once more
        assert.is_false(ok)
        assert.equal(1, select(2, err:gsub("stack traceback:", "")))
    end)
end)

describe("review: ctx.resolver in the sandbox", function()
    -- Problem: a bad argument to ctx.resolver:mark_down or mark_up raised
    -- at a line of srv-run's sandbox (lua/runner/sandbox.lua), not at the
    -- policy's line, as every other programmer error does.
    it("raises a bad argument to mark_down and mark_up at the policy's line", function()
        for _, call in ipairs { 'ctx.resolver:mark_down("server1.example.net", "x")',
                                'ctx.resolver:mark_up("server1.example.net", 0)' } do
            local path = write_file("return function(cands, ctx)\n  " .. call .. "\n  return cands\nend\n")
            local r = srv_run({ "lookup", NAME, "--zone", ZONE, "--policy", path }, { timeout = 30 })
            os.remove(path)
            assert.equal(1, r.code)
            assert.matches("policy failed: " .. path:gsub("%p", "%%%0") .. ":2: bad argument #2 to 'mark_", r.stderr)
            assert.is_nil(r.stderr:find("sandbox.lua", 1, true))
        end
    end)
end)

describe("review: Ctrl-C in srv-run watch", function()
    -- Problem: SIGINT that came while the policy ran was caught with the
    -- policy's errors: the watch printed "failed (POLICY): ...
    -- interrupted!" and went on, so Ctrl-C did not end it (docs/srv-run.md:
    -- it runs "until it is interrupted ... which ends it with status 0").
    it("ends the watch with status 0 when it comes while the policy runs", function()
        -- a policy that takes most of the time (a tenth of a second or more
        -- a call; natively, also when the specs run under valgrind)
        local path = write_file("return function(c) local x = 0 for i = 1, 3e6 do x = x + i end return c end\n")
        local out, err = run.interrupt({ "watch", NAME, "--zone", ZONE, "--policy", path, "--json",
                                         "--min-ttl", "0.001", "--max-ttl", "0.001", "--jitter", "0" }, 1.5)
        os.remove(path)
        assert.equal("", err)
        assert.matches("status=0\n$", out)
        assert.is_nil(out:find("still-running", 1, true))
        assert.is_nil(out:find('"failure"', 1, true))
    end)
end)

describe("review: srv-run watch on a name outside the zone file", function()
    -- Problem: a NAME in none of the zones of --zone, a usage error (exit
    -- status 2) for lookup and by docs/srv-run.md for watch too, was watched
    -- for ever as a failure instead.
    it("exits with status 2 when the name is in none of the zones from the start", function()
        local r = srv_run({ "watch", "_x._tcp.example.org", "--zone", ZONE }, { timeout = 20 })
        assert.same({ 2, "" }, { r.code, r.stdout })
        assert.matches("^[^\n]*: _x%._tcp%.example%.org: in none of the zones of the zone text %(example%.net%)\nusage: ",
                       r.stderr)
        r = srv_run({ "watch", "_x._tcp.example.org", "--zone", ZONE, "--json" }, { timeout = 20 })
        assert.equal(2, r.code)
        assert.matches('"code":"NOTINZONE"', r.stdout)
        assert.matches('"event":"failure"', r.stdout)
    end)
end)

describe("review: a watcher that joins during a failure streak", function()
    -- Problem: a watcher that joined its group while the refreshes failed
    -- was counted as having seen the group's last set: its first set call
    -- came with nothing in `added`, so a pool built from the diffs (as in
    -- docs/long-running.md) never opened those candidates, where
    -- docs/lua-api.md says the first call has every candidate in `added`.
    it("gets every candidate in `added` on its first set", function()
        local path = os.tmpname()
        local function serve(origin, records)
            local f = assert(io.open(path, "w"))
            f:write("$ORIGIN ", origin, "\n@ 60 IN SOA ns hostmaster 1 3600 600 86400 60\n", records)
            f:close()
        end
        local function targets(list)
            local out = {}
            for i, c in ipairs(list or {}) do out[i] = c.target end
            table.sort(out)
            return out
        end
        local SIP = "_sip._tcp 60 IN SRV 10 60 5060 a\n_sip._tcp 60 IN SRV 10 40 5060 b\n"
        serve("example.com.", SIP)
        local now = 0
        local r = assert(srv.resolver { zone = path, clock = function() return now end })
        local function at(t)
            now = t
            while r:timeout() == 0 do r:process() end
        end
        r:watch("_sip._tcp.example.com", function() end, { jitter = 0 })
        at(0)
        serve("example.org.", "")                -- the name leaves the file: failures
        at(60)
        local calls = {}
        local late = r:watch("_sip._tcp.example.com", function(set, diff, code, stale)
            calls[#calls + 1] = set and { "set", targets(diff.added) } or { code, targets(stale) }
        end, { jitter = 0 })
        at(61)
        assert.same({ { "NOTINZONE", { "a.example.com", "b.example.com" } } }, calls)
        serve("example.com.", SIP)               -- back, unchanged
        at(100)
        assert.same({ "set", { "a.example.com", "b.example.com" } }, calls[2])
        late:cancel()
        r:close()
        os.remove(path)
    end)
end)

describe("review: addresses a sandboxed policy returns", function()
    -- Problem: a number (or boolean) in a returned candidate's addresses
    -- was kept and shown as an address ("addresses=5"), where
    -- docs/policies.md says only a list of strings is copied.
    it("keep the strings only", function()
        local path = write_file('return function(c) c[1].addresses = { 5, "192.0.2.7", true } return c end\n')
        local r = srv_run({ "lookup", NAME, "--zone", ZONE, "--policy", path, "--seed", "1" }, { timeout = 30 })
        os.remove(path)
        assert.same({ 0, "" }, { r.code, r.stderr })
        assert.matches("\n5 50 5222 server1%.example%.net%. srv addresses=192%.0%.2%.7\n", r.stdout)
    end)
end)

describe("review: a misspelt srv-run option", function()
    it("is told the option it is near, as a Lua options table is", function()
        local r = srv_run({ "watch", NAME, "--zone", ZONE, "--min-tll", "1" }, { timeout = 30 })
        assert.equal(2, r.code)
        assert.matches("unknown option %-%-min%-tll; did you mean %-%-min%-ttl%?", r.stderr)
        r = srv_run({ "lookup", NAME, "--zone", ZONE, "--bogus" }, { timeout = 30 })
        assert.equal(2, r.code)
        assert.matches("unknown option %-%-bogus\n", r.stderr)
    end)
end)
