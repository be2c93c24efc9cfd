-- Review of srv-run: one case per bug found. Each case fails on the code as
-- reviewed and states, in its name, what srv-run should do instead.
-- Every lookup answers from a zone file (no network); the SIGINT case only
-- signals a process this spec started.
local json = require "dkjson"
local run = require "spec.support.run"

local srv_run, rows = run.srv_run, run.rows
local ZONE = "docs/examples/example.net.zone"
local NAME = "_xmpp-client._tcp.example.net"

local write_file = run.write_file

-- A zone of this spec's own: TURN with a transport that has no SRV records,
-- and one target:port listed at two priorities.
local REVIEW_ZONE = [[
$ORIGIN review.test.
$TTL 300
@ IN SOA ns.review.test. hostmaster.review.test. 1 3600 600 86400 300
@ IN NS ns.review.test.
ns IN A 127.0.0.1
_turn._udp IN SRV 5 50 3478 u1.review.test.
_turn._udp IN SRV 5 50 3478 u2.review.test.
_turns._tcp IN SRV 5 0 5349 s1.review.test.
_dup._tcp IN SRV 1 10 80 d.review.test.
_dup._tcp IN SRV 1 10 80 e.review.test.
_dup._tcp IN SRV 2 10 80 d.review.test.
]]

local DRAWS = 4000
-- 5 standard deviations of a share p over DRAWS draws, at least 0.01.
local function bound(p) return math.max(0.01, 5 * math.sqrt(p * (1 - p) / DRAWS)) end

describe("srv-run review", function()
    local zone
    setup(function() zone = write_file(REVIEW_ZONE) end)
    teardown(function() os.remove(zone) end)

    -- lua/runner/script.lua runs srv.wait() once; task.wait() with no
    -- argument only waits for the tasks unfinished when it was called.
    it("waits for tasks spawned by tasks after the chunk returned, and reports their failures", function()
        local script = [[
            local srv = require "srv"
            local r = assert(srv.resolver { zone = ..., cache = false })
            srv.spawn(function()
                assert(r:resolve("_xmpp-client._tcp.example.net"))
                srv.spawn(function()
                    local cands, msg = r:resolve("_xmpp-server._tcp.example.net")
                    print("inner", cands and #cands or msg)
                end)
            end)
        ]]
        local r = srv_run({ "-", ZONE }, { stdin = script })
        assert.same({ 0, "inner\t5\n" }, { r.code, r.stdout })

        local failing = script:gsub('print%("inner", cands and #cands or msg%)', 'error("inner task failed")')
        r = srv_run({ "-", ZONE }, { stdin = failing })
        assert.equal(1, r.code, r.stderr)
        assert.truthy(r.stderr:find("inner task failed", 1, true), r.stderr)
    end)

    -- lua/srv/task.lua unobserved_failure returns t.error, which is nil for
    -- error(nil); lua/runner/script.lua's `for failure in
    -- task.unobserved_failure` then stops, and later failures are lost too.
    it("exits 1 when an unobserved task fails with error(nil), and still reports the other failed tasks", function()
        local r = srv_run({ "-" }, { stdin = [[
            local srv = require "srv"
            srv.spawn(function() error(nil) end)
            srv.spawn(function() error("second task failed") end)
        ]] })
        assert.equal(1, r.code, r.stderr)
        assert.truthy(r.stderr:find("second task failed", 1, true), r.stderr)
    end)

    -- lua/runner/script.lua report() prints tostring(err) for unobserved
    -- task failures, not what the traceback handler gives the chunk's errors.
    it("reports an unobserved task's non-string error as '(error object is a table value)', as for the chunk", function()
        local r = srv_run({ "-" }, { stdin = [[
            local srv = require "srv"
            srv.spawn(function() error({}) end)
        ]] })
        assert.equal(1, r.code)
        assert.truthy(r.stderr:find("(error object is a table value)", 1, true), r.stderr)
        assert.falsy(r.stderr:find("table: 0x", 1, true), r.stderr)
    end)

    -- lua/runner/srv-run.c on_sigint sets the hook on the main thread only;
    -- a task (or a --no-sandbox policy) runs in a coroutine with no hook.
    it("stops Lua code running inside a task at the first SIGINT: exit 130, 'interrupted!'", function()
        local path = write_file([[
            local srv = require "srv"
            srv.spawn(function()
                print("spinning") io.stdout:flush()
                while true do end
            end)
        ]])
        local out, err = run.interrupt { path }
        os.remove(path)
        assert.equal("spinning\nstatus=130\n", out)
        assert.truthy(err:find("interrupted!", 1, true), err)
    end)

    -- lua/runner/lookup.lua mark_down resolves once more before the
    -- lookup, on the same resolver: the shuffle of that resolution uses up
    -- the seeded random generator.
    it("gives the same order for the same --seed with a --down that matches nothing", function()
        local differ = {}
        for seed = 1, 8 do
            local plain = srv_run { "lookup", NAME, "--zone", ZONE, "--seed", seed }
            local down = srv_run { "lookup", NAME, "--zone", ZONE, "--seed", seed, "--down", "nothere.example.net" }
            assert.same({ 0, 0 }, { plain.code, down.code })
            if plain.stdout ~= down.stdout then differ[#differ + 1] = seed end
        end
        assert.same({}, differ)
    end)

    -- lua/runner/simulate.lua prediction() and lua/runner/predict.lua
    -- positions() count only the SRV records: the fallback of a transport
    -- without records takes a position they do not know about.
    it("--simulate predicts the positions of a TURN list in which one transport fell back", function()
        local r = srv_run { "lookup", "--turn", "turn:review.test", "--zone", zone, "--simulate", DRAWS, "--json" }
        assert.equal(0, r.code, r.stderr)
        local doc = assert(json.decode(r.stdout))
        local tls
        for _, t in ipairs(doc.targets) do
            if t.transport == "tls" then tls = t end
            if t.predicted then
                for position, observed in ipairs(t.observed) do
                    local p = t.predicted[position] or 0
                    assert.is_true(math.abs(observed - p) <= bound(p),
                        string.format("%s/%s #%d: observed %.3f, predicted %.3f",
                                      t.target, t.transport, position, observed, p))
                end
            end
        end
        assert.truthy(tls and tls.predicted, "the tls record has a prediction")
        assert.same({ 0, 0, 0, 1 }, tls.observed)
    end)

    -- lua/runner/simulate.lua keys rows and predictions by target:port:
    -- two records of one target:port share one row and one prediction.
    it("--simulate keeps two records with the same target:port apart: shares of a row sum to at most 100%", function()
        local r = srv_run { "lookup", "_dup._tcp.review.test", "--zone", zone, "--simulate", DRAWS, "--json" }
        assert.equal(0, r.code, r.stderr)
        local doc = assert(json.decode(r.stdout))
        for _, t in ipairs(doc.targets) do
            local sum = 0
            for _, share in ipairs(t.observed) do sum = sum + share end
            assert.is_true(sum <= 1 + 1e-9, string.format("%s:%d is in %.0f%% of the positions", t.target, t.port, 100 * sum))
            if t.predicted then
                for position, observed in ipairs(t.observed) do
                    local p = t.predicted[position] or 0
                    assert.is_true(math.abs(observed - p) <= bound(p),
                        string.format("%s #%d: observed %.3f, predicted %.3f", t.target, position, observed, p))
                end
            end
        end
    end)

    -- lua/srv/policy.lua note() records target and port only, and
    -- lua/runner/explain.lua keys the rules by target|port: on a STUN/TURN
    -- list one target:port is on several transports.
    it("--explain names a policy rule only under the candidate it acted on, not its other transports", function()
        local policy = write_file([[
            local srv = require "srv"
            return srv.policy { prefer = function(c) return c.transport == "tcp" end }
        ]])
        local r = srv_run { "lookup", "--stun", "stun:example.net", "--zone", ZONE, "--explain", "--policy", policy }
        os.remove(policy)
        assert.equal(0, r.code, r.stderr)
        local doc = {}
        local current
        for line in r.stdout:gmatch("[^\n]+") do
            if not line:match("^;") then
                current = line:match("transport=(%a+)")
                doc[current] = {}
            elseif current and line:match("^;   ") then
                table.insert(doc[current], line)
            end
        end
        local function has_prefer(transport)
            for _, line in ipairs(doc[transport] or {}) do
                if line:find("(prefer)", 1, true) then return true end
            end
            return false
        end
        assert.is_true(has_prefer("tcp"), r.stdout)
        assert.is_false(has_prefer("udp"), r.stdout)
    end)

    -- lua/runner/sandbox.lua is_allowed_module accepts any "srv.*" name
    -- and hands it to the real require, whose searchers then load a Lua
    -- file (or a C library) from package.path/package.cpath with the full
    -- global environment: io, os.execute, everything the sandbox withholds.
    it("a sandboxed --policy cannot require an srv.* module from package.path, only srv's built-in ones", function()
        local dir = os.tmpname()
        os.remove(dir)
        assert(os.execute("mkdir -p '" .. dir .. "/srv'"))
        local module = assert(io.open(dir .. "/srv/review_escape.lua", "w"))
        module:write('io.stdout:write("ESCAPED ", tostring(os.execute ~= nil), "\\n") return {}\n')
        module:close()
        local policy = write_file('require "srv.review_escape"\nreturn function(c) return c end\n')
        local r = srv_run({ "lookup", NAME, "--zone", ZONE, "--policy", policy },
                          { env = { LUA_PATH = dir .. "/?.lua" } })
        os.remove(policy)
        os.remove(dir .. "/srv/review_escape.lua")
        os.remove(dir .. "/srv")
        os.remove(dir)
        assert.falsy(r.stdout:find("ESCAPED", 1, true), r.stdout)
        assert.equal(1, r.code, r.stderr)
        assert.truthy(r.stderr:find("not available to a sandboxed policy", 1, true), r.stderr)
    end)

    -- lua/runner/format.lua candidate_line: table.concat(c.addresses) and
    -- ".." on fields a policy may have set to anything (srv validates only
    -- target, port, priority and weight).
    it("reports a policy's malformed candidate field without an internal error from lua/runner/", function()
        local policy = write_file('return function(c) c[1].addresses = "192.0.2.1" return c end')
        local r = srv_run { "lookup", NAME, "--zone", ZONE, "--policy", policy }
        os.remove(policy)
        assert.is_true(r.code == 0 or r.code == 1, "exit status " .. tostring(r.code))
        assert.falsy(r.stderr:find("lua/runner/", 1, true), r.stderr)
        assert.falsy(r.stderr:find("attempt to", 1, true), r.stderr)
        assert.falsy(r.stderr:find("bad argument", 1, true), r.stderr)
    end)
end)
