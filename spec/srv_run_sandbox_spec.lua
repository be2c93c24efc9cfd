-- srv-run's policy sandbox (lua/runner/sandbox.lua, docs/srv-run.md "The
-- policy sandbox"): how a failing policy is reported, what a sandboxed
-- policy can reach, and the instruction budget that bounds it. Each case
-- runs build/srv-run lookup on docs/examples/example.net.zone as a process
-- of its own (spec/support/run.lua). The one DNS query a policy tries is
-- aimed at a socket this spec binds on 127.0.0.1; every process signalled
-- is one this spec started.
local socket = require "socket"
local run = require "spec.support.run"

local srv_run, targets = run.srv_run, run.targets
local assert_usage_error, write_file, quote = run.assert_usage_error, run.write_file, run.quote
local ZONE = "docs/examples/example.net.zone"
local NAME = "_xmpp-client._tcp.example.net"

-- `srv-run lookup NAME --zone ZONE --policy FILE WORDS...` with the policy
-- file's text given; killed after 60 s (exit 124) should the policy escape
-- the sandbox's limits and spin.
local function with_policy(body, ...)
    local path = write_file(body)
    local r = srv_run({ "lookup", NAME, "--zone", ZONE, "--policy", path, ... }, { timeout = 60 })
    os.remove(path)
    return r
end

-- cases: { policy file text, what stderr must say }; each exits 1.
local function assert_policies_fail(cases)
    for _, case in ipairs(cases) do
        local r = with_policy(case[1])
        assert.equal(1, r.code, case[1])
        assert.truthy(r.stderr:find(case[2], 1, true), case[1] .. "\n" .. r.stderr)
    end
end

-- The same with --budget 10000, killed after 20 s (exit 124) should the
-- policy escape its budget and spin. ESCAPE is Lua code that runs a
-- million loop rounds (far over the budget of 10,000 instructions) and
-- then says so on stderr (print, in the sandbox): if "ESCAPED" shows,
-- policy code ran past its budget.
local ESCAPE = 'for i = 1, 1e6 do end io_write_escaped()'
local function with_small_budget(body)
    body = "local function io_write_escaped() print('ESCAPED') end\n" .. body
    local path = write_file(body)
    local r = srv_run({ "lookup", NAME, "--zone", ZONE, "--policy", path, "--budget", "10000" }, { timeout = 20 })
    os.remove(path)
    return r
end

local function assert_budget_held(r)
    assert.falsy(r.stderr:find("ESCAPED", 1, true), "policy code ran past its budget:\n" .. r.stderr)
    assert.are_not.equal(124, r.code, "srv-run hung (killed by timeout)")
end

describe("srv-run's policy sandbox", function()
    it("shows a failing policy's own frames, not srv's", function()
        for _, extra in ipairs { {}, { "--no-sandbox" } } do
            for _, body in ipairs {
                "local function inner() error('boom') end\nreturn function(c) inner() return c end",
                "local x\nreturn x.y",
            } do
                local r = with_policy(body, table.unpack(extra))
                assert.equal(1, r.code, r.stderr)
                assert.truthy(r.stderr:find("stack traceback:\n", 1, true), r.stderr)
                assert.truthy(r.stderr:find(":[12]: in "), r.stderr)       -- the policy's lines
                assert.falsy(r.stderr:find("lua/srv", 1, true), r.stderr)
                assert.falsy(r.stderr:find("lua/runner", 1, true), r.stderr)
                assert.falsy(r.stderr:find("xpcall", 1, true), r.stderr)
            end
        end
    end)

    it("points an argument error of srv.policy{} and friends at the policy file's line", function()
        for _, extra in ipairs { {}, { "--no-sandbox" } } do
            for _, case in ipairs {
                -- a tail call at the file's end leaves no caller frame in Lua
                { 'local srv = require "srv"\n\nreturn srv.policy { pinn = "x" }\n',
                  ":3: bad argument #1 to 'policy' (unknown option 'pinn'; did you mean 'pin'?)" },
                { 'local srv = require "srv"\nreturn srv.chain(\n  srv.policy { pin = "a" },\n  srv.policy { exclude = 5 })\n',
                  ":4: bad argument #1 to 'policy' (exclude: " },
                { 'local srv = require "srv"\nlocal m = srv.matcher(42)\n', ":2: bad argument #1 to 'matcher'" },
                { 'local srv = require "srv"\nreturn function(c)\n  return srv.policy { prefer = 1 }(c)\nend\n',
                  ":3: bad argument #1 to 'policy' (prefer: " },
            } do
                local r = with_policy(case[1], table.unpack(extra))
                assert.equal(1, r.code, r.stderr)
                assert.truthy(r.stderr:find(case[2], 1, true), table.concat(extra) .. " " .. case[1] .. "\n" .. r.stderr)
            end
        end
    end)

    it("says in --explain which pin or exclude matched no candidate", function()
        local body = 'return require("srv").policy { pin = { "nosuch.example.net", "server3.example.net" }, '
            .. 'exclude = { "typo.example.net", "server2.example.net" } }'
        for _, extra in ipairs { {}, { "--no-sandbox" } } do
            local r = with_policy(body, "--explain", table.unpack(extra))
            assert.equal(0, r.code, r.stderr)
            assert.truthy(r.stdout:find(";; note: the policy's exclude typo.example.net matched no candidate\n"
                                        .. ";; note: the policy's pin nosuch.example.net matched no candidate\n", 1, true),
                          r.stdout)
            assert.falsy(r.stdout:find("server3.example.net matched", 1, true), r.stdout)
            local j = with_policy(body, "--explain", "--json", table.unpack(extra))
            assert.truthy(j.stdout:find('"the policy\'s pin nosuch.example.net matched no candidate"', 1, true), j.stdout)
        end
    end)

    it("reports a policy that yields, returns no list, or uses the resolver after closing it", function()
        local cases = {
            { "return function(c) coroutine.yield() return c end", "a policy must not yield" },
            { "return function(c) return 'x' end", "policy returned" },
            -- ctx.resolver offers lookups and health marks, nothing that ends it
            { "return function(c, ctx) ctx.resolver:close() end",
              "attempt to call a nil value (method 'close')" },
        }
        assert_policies_fail(cases)
    end)

    describe("what a policy can reach", function()
        it("offers no way to run commands, open files, load C modules or bytecode", function()
            local cases = {
                { 'os.execute("true")', "attempt to call a nil value (field 'execute')" },
                { 'io.open("/etc/hostname")', "attempt to index a nil value (global 'io')" },
                { 'return require("socket")', "module 'socket' is not available to a sandboxed policy" },
                { 'return require("srv.core")', "module 'srv.core' is not available to a sandboxed policy" },
                { 'return require("srv.run.script")', "module 'srv.run.script' is not available" },
                { 'return require("srv.names")', "module 'srv.names' is not available" },
                { 'return require("srv").resolver { zone = "/etc/hostname" }', "attempt to call a nil value (field 'resolver')" },
                { 'return assert(load(string.dump(function() end)))', "attempt to load a binary chunk" },
                { 'return debug.getinfo(1)', "attempt to index a nil value (global 'debug')" },
                { 'return package.loadlib("x", "y")', "attempt to index a nil value (global 'package')" },
                { 'return dofile("/etc/hostname")', "attempt to call a nil value (global 'dofile')" },
                { 'getmetatable("").__index = {}', "attempt to index a nil value" },
                -- a finalizer would run later, outside the budget
                { 'setmetatable({}, { __gc = function() while true do end end })',
                  "a sandboxed policy cannot set __gc" },
            }
            assert_policies_fail(cases)
        end)

        it("gives a policy srv, its Lua modules and the safe standard library", function()
            local r = with_policy([[
                local srv = require "srv"
                assert(not pcall(require, "srv.names"))
                assert(srv.resolver == nil and srv.spawn == nil)
                assert(string.format("%d", 1) == "1" and math.max(1, 2) == 2 and #table.pack(1, 2) == 2)
                local is_server2 = srv.matcher("SERVER2.example.net.")
                return srv.chain(srv.policy { pin = "backup.example.net" }, function(c)
                    local ok, err = pcall(error, "caught")
                    assert(not ok and err == "caught")
                    local kept = {}
                    for _, candidate in ipairs(c) do
                        if not is_server2(candidate) then kept[#kept + 1] = candidate end
                    end
                    return kept
                end)
            ]])
            assert.same({ 0, "backup.example.net.", 4 }, { r.code, targets(r.stdout)[1], #targets(r.stdout) }, r.stderr)
        end)

        it("gives a policy no environment: os.getenv is not there", function()
            -- the attack: a secret hex-encoded into a lookup name reaches the DNS server
            local r = srv_run({ "lookup", NAME, "--zone", ZONE, "--policy", write_file([[
                return function(c, ctx)
                    local secret = os.getenv("DB_PASSWORD")
                    ctx.resolver:lookup("_x._tcp." .. secret:gsub(".", function(ch)
                        return string.format("%02x", ch:byte()) end) .. ".example.net")
                    return c
                end]]) }, { env = { DB_PASSWORD = "hunter2" } })
            assert.equal(1, r.code, r.stderr)
            assert.truthy(r.stderr:find("attempt to call a nil value (field 'getenv')", 1, true), r.stderr)
            assert.falsy((r.stdout .. r.stderr):find("68756e74657232", 1, true))
            local keys = with_policy("for k in pairs(os) do print('os.' .. k) end return function(c) return c end")
            assert.equal(0, keys.code, keys.stderr)
            assert.same({ "os.clock", "os.date", "os.difftime", "os.time" }, (function()
                local list = {}
                for k in keys.stderr:gmatch("os%.%w+") do list[#list + 1] = k end
                table.sort(list)
                return list
            end)())
        end)

        it("gives the file the --policy-arg settings as its argument, sandboxed or not", function()
            for _, extra in ipairs { {}, { "--no-sandbox" } } do
                local r = with_policy([[
                    local settings = ...
                    local say = io and function(...) io.stderr:write(table.concat({ ... }, "\t"), "\n") end or print
                    say("pin=" .. tostring(settings.pin), "x=" .. tostring(settings.x))
                    return require("srv").policy { pin = settings.pin }]],
                    "--policy-arg", "pin=backup.example.net", "--policy-arg", "x=a=b", table.unpack(extra))
                assert.equal(0, r.code, r.stderr)
                assert.truthy(r.stderr:find("pin=backup.example.net\tx=a=b"), r.stderr)
                assert.equal("backup.example.net.", targets(r.stdout)[1])
            end
            local none = with_policy("assert(type(...) == 'table' and next(...) == nil) return function(c) return c end")
            assert.equal(0, none.code, none.stderr)
            for _, words in ipairs {
                { "--policy-arg", "pin" }, { "--policy-arg", "=x" }, { "--policy-arg", "a=1", "--policy-arg", "a=2" },
            } do
                assert_usage_error(with_policy("return function(c) return c end", table.unpack(words)), "--policy-arg")
            end
            assert_usage_error(srv_run { "lookup", NAME, "--zone", ZONE, "--policy-arg", "a=1" }, "--policy-arg needs --policy")
        end)

        it("runs the file with all of Lua and no budget with --no-sandbox", function()
            local r = with_policy([[
                local f = assert(io.open("docs/examples/example.net.zone"))
                f:close()
                return function(c) return c end
            ]], "--no-sandbox")
            assert.same({ 0, "" }, { r.code, r.stderr })
            assert_usage_error(with_policy("return nil", "--budget", "0"), "bad value '0' for --budget")
        end)

        -- docs/srv-run.md: the sandbox keeps a policy from reaching outside
        -- srv-run. srv.resolver{zone = PATH} would read any file, and a
        -- parse error quotes it.
        it("does not let a policy read files through srv.resolver{zone = PATH}", function()
            local secret = write_file("host 3600 TOPSECRETWORD data\n")
            local r = with_small_budget("print(select(2, require('srv').resolver { zone = "
                                        .. string.format("%q", secret) .. " })) return function(c) return c end")
            os.remove(secret)
            assert.falsy(r.stderr:find("TOPSECRETWORD", 1, true), r.stderr)
        end)

        it("does not let a policy send DNS queries to a server of its choosing", function()
            local listener = assert(socket.udp())
            assert(listener:setsockname("127.0.0.1", 0))
            local _, port = listener:getsockname()
            with_small_budget("require('srv').resolver { servers = { '127.0.0.1:" .. port .. "' }, timeout = 0.2, "
                              .. "tries = 1 }:lookup('_x._tcp.exfiltrated.example') return function(c) return c end")
            listener:settimeout(0)
            local got = listener:receive()
            listener:close()
            assert.is_nil(got, "the policy's query reached 127.0.0.1:" .. port)
        end)

        -- The real require would search package.path and package.cpath for
        -- an srv.* name, and load a Lua file (or a C library) from there
        -- with the full global environment: io, os.execute, everything the
        -- sandbox withholds.
        it("does not let a policy require an srv.* module from package.path, only srv's built-in ones", function()
            local dir = os.tmpname()
            os.remove(dir)
            assert(os.execute("mkdir -p '" .. dir .. "/srv'"))
            local module = assert(io.open(dir .. "/srv/policy_escape.lua", "w"))
            module:write('io.stdout:write("ESCAPED ", tostring(os.execute ~= nil), "\\n") return {}\n')
            module:close()
            local policy = write_file('require "srv.policy_escape"\nreturn function(c) return c end\n')
            local r = srv_run({ "lookup", NAME, "--zone", ZONE, "--policy", policy },
                              { env = { LUA_PATH = dir .. "/?.lua" } })
            os.remove(policy)
            os.remove(dir .. "/srv/policy_escape.lua")
            os.remove(dir .. "/srv")
            os.remove(dir)
            assert.falsy(r.stdout:find("ESCAPED", 1, true), r.stdout)
            assert.equal(1, r.code, r.stderr)
            assert.truthy(r.stderr:find("not available to a sandboxed policy", 1, true), r.stderr)
        end)
    end)

    describe("what srv-run reports", function()
        it("comes from what srv saw, not from a trace or fields the policy forged", function()
            local r = with_policy([[
                return function(c, ctx)
                    local out = {}
                    for _, x in ipairs(c) do
                        if x.target == "backup.example.net" then table.insert(out, 1, x) else out[#out + 1] = x end
                    end
                    table.insert(out, 2, { target = "evil.example.org", port = 5222, priority = 5, weight = 50,
                                           source = "srv" })
                    for _, x in ipairs(out) do x.down = true end
                    ctx.trace[#ctx.trace + 1] = { step = "health", target = "server1.example.net", port = 5222,
                                                  reason = "marked down: moved behind the up candidates" }
                    ctx.trace[#ctx.trace + 1] = { step = "skip", target = "server9.example.net", port = 5222,
                                                  reason = "unusable" }
                    ctx.trace[#ctx.trace + 1] = { step = "policy", rule = "pin", target = "nowhere.example.net",
                                                  port = 5222, reason = "!" }
                    return out
                end]], "--explain", "--seed", "1")
            assert.equal(0, r.code, r.stderr)
            assert.falsy(r.stdout:find("down", 1, true), r.stdout)
            assert.falsy(r.stdout:find("server9", 1, true), r.stdout)
            assert.truthy(r.stdout:find("15 0 5222 backup.example.net. srv\n;   priority 15: the only usable record of this priority\n;   the policy moved it from #5 to #1\n", 1, true), r.stdout)
            assert.truthy(r.stdout:find("5 50 5222 evil.example.org. srv\n;   added by the policy\n", 1, true), r.stdout)
        end)

        it("takes back a policy's health marks after its call: each --simulate draw starts from srv-run's", function()
            local r = with_policy([[
                local calls = 0
                return function(c, ctx)
                    calls = calls + 1
                    -- call 1 finds what --down names (lua/runner/lookup.lua), call 2 is the first draw
                    if calls <= 2 then
                        ctx.resolver:mark_down("server1.example.net", 5222)
                        ctx.resolver:mark_up("backup.example.net", 5222)
                    end
                    return c
                end]], "--simulate", "40", "--json", "--down", "backup.example.net")
            assert.equal(0, r.code, r.stderr)
            local json = require "dkjson"
            local out = assert(json.decode(r.stdout))
            local first, last = {}, {}
            for _, t in ipairs(out.targets) do first[t.target], last[t.target] = t.first, t.observed[#t.observed] end
            -- server1 (priority 5) is first in every draw but the one whose policy marked it down
            assert.is_true(first["server1.example.net"] >= 39 / 40, r.stdout)
            -- backup stays down (--down) after the policy's mark_up
            assert.is_true(last["backup.example.net"] >= 39 / 40, r.stdout)
        end)
    end)

    describe("the time and memory limits", function()
        it("does not crash on 25,000 coroutines each closing the previous one from __close", function()
            local body = [[
                local previous
                for i = 1, 25000 do
                    local p = previous
                    local co = coroutine.create(function()
                        local x <close> = setmetatable({}, { __close = function() if p then coroutine.close(p) end end })
                        coroutine.yield()
                    end)
                    coroutine.resume(co)
                    previous = co
                end
                print(coroutine.close(previous))
                return function(c) return c end]]
            for _, extra in ipairs { {}, { "--budget", "2000000" } } do
                local r = with_policy(body, table.unpack(extra))
                -- the closes past the 100th nested one fail (srv-run's limit), caught by __close
                assert.same({ 0, "true\n" }, { r.code, r.stderr })
            end
        end)

        it("stops a policy at its wall-time limit, in Lua code or stuck inside one C function", function()
            for _, case in ipairs {
                { "return function(c) while true do pcall(function() while true do end end) end end",
                  "_xmpp-client._tcp.example.net: policy failed: the policy ran past its time limit of 1 seconds "
                  .. "(srv-run's limit)" },
                { "while true do end", "the policy ran past its time limit of 1 seconds (srv-run's limit)" },
                -- backtracking that never ends, in one call of string.find
                { 'return function(c) string.find(("a"):rep(40), ("a*"):rep(40) .. "b") return c end',
                  "_xmpp-client._tcp.example.net: policy failed: the policy ran past its time limit of 1 seconds "
                  .. "inside one C function (srv-run's limit); srv-run stopped it" },
                { 'string.find(("a"):rep(40), ("a*"):rep(40) .. "b")',
                  ": the policy ran past its time limit of 1 seconds inside one C function" },
            } do
                local began = socket.gettime()
                local r = with_policy(case[1], "--budget", "100000000000", "--policy-seconds", "1")
                local took = socket.gettime() - began
                assert.equal(1, r.code, case[1] .. "\n" .. r.stderr)
                assert.truthy(r.stderr:find(case[2], 1, true), case[1] .. "\n" .. r.stderr)
                assert.is_true(took < 15, took .. " s")
            end
        end)

        it("stops a policy at its memory limit, whatever it catches with pcall", function()
            for _, case in ipairs {
                { 'local t = {} for i = 1, 3 do t[i] = string.rep("x", 1 << 30) end', {},
                  "the policy used more than 256 MiB of memory (srv-run's limit)" },
                { 'local t = {} for i = 1, 3 do t[i] = string.rep("x", 1 << 30) end', { "--budget", "1000" },
                  "the policy used more than 256 MiB of memory (srv-run's limit)" },
                { "return function(c) local t = {} while true do pcall(function() t[#t + 1] = ('x'):rep(1 << 24) "
                  .. "end) end end", { "--policy-memory", "64" },
                  "policy failed: the policy used more than 64 MiB of memory (srv-run's limit)" },
                -- what a policy keeps from one call to the next counts
                { "local kept = {} return function(c) kept[#kept + 1] = ('x'):rep(20 << 20) .. #kept return c end",
                  { "--policy-memory", "64", "--simulate", "10" },
                  "policy failed: the policy used more than 64 MiB of memory (srv-run's limit)" },
            } do
                local r = with_policy(case[1], table.unpack(case[2]))
                assert.equal(1, r.code, case[1] .. "\n" .. r.stderr)
                assert.truthy(r.stderr:find(case[3], 1, true), case[1] .. "\n" .. r.stderr)
            end
        end)

        it("takes --policy-seconds and --policy-memory with the sandbox only", function()
            for _, words in ipairs { { "--policy-seconds", "1" }, { "--policy-memory", "10" } } do
                assert_usage_error(with_policy("return function(c) return c end", "--no-sandbox", table.unpack(words)),
                                   words[1] .. " and --no-sandbox exclude each other")
            end
            assert_usage_error(with_policy("return function(c) return c end", "--policy-seconds", "0"),
                               "bad value '0' for --policy-seconds")
            assert_usage_error(with_policy("return function(c) return c end", "--policy-memory", "0"),
                               "bad value '0' for --policy-memory")
        end)
    end)

    describe("the library path", function()
        -- The sandbox is srv-run's: its module needs srv-run's C side
        -- (srv.run.guard), which no other Lua has, and it is never
        -- installed, so a Lua program cannot run a policy through it with
        -- none of srv-run's guards (Ctrl-C, the policy thread).
        it("cannot be loaded from another Lua, by require or from its file", function()
            local command = [[lua5.4 -e 'package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
                for _, name in ipairs { "format", "script", "exit" } do
                    package.preload["srv.run." .. name] = loadfile("lua/runner/" .. name .. ".lua")
                end
                print(pcall(require, "srv.run.sandbox"))
                print(pcall(dofile, "lua/runner/sandbox.lua"))' 2>&1]]
            local pipe = assert(io.popen(command))
            local out = pipe:read("a")
            pipe:close()
            assert.truthy(out:find("^false\tmodule 'srv.run.sandbox' not found"), out)
            assert.truthy(out:find("\nfalse\t[^\n]*module 'srv.run.guard' not found"), out)
            assert.falsy(out:find("\ntrue"), out)
        end)

        it("does not let a policy keep its thread past a call", function()
            local r = with_small_budget([[
                local saved, calls = nil, 0
                return function(c)
                    calls = calls + 1
                    if calls == 1 then
                        saved = coroutine.running()
                        pcall(coroutine.yield)
                        return c
                    end
                    coroutine.resume(saved)
                    coroutine.resume(coroutine.create(function() ]] .. ESCAPE .. [[ end))
                    return c
                end]])
            assert_budget_held(r)
            assert.equal(1, r.code, r.stderr)
            assert.truthy(r.stderr:find("policy failed: a policy must not yield", 1, true), r.stderr)
        end)
    end)

    describe("srv-run's own work on what a policy returns", function()
        it("reads no more than 1,000 trace entries, up to the first gap", function()
            -- a trace doubled with table.move (4 million entries), then made sparse
            local r = with_policy([[
                return function(c, ctx)
                    local t = ctx.trace
                    t[1] = { step = "policy", rule = "pin", target = "server1.example.net", port = 5222 }
                    for _ = 1, 22 do table.move(t, 1, #t, #t + 1) end
                    for k = 0, 62 do t[1 << k] = t[1] end
                    return c
                end]], "--explain")
            assert.equal(0, r.code, r.stderr)
            assert.is_true(#r.stdout < 4000, #r.stdout .. " octets of output")
            assert.truthy(r.stdout:find("pinned first by the policy (pin)\n", 1, true), r.stdout)
        end)

        it("fails with POLICY when a policy returns more than srv-run's limits", function()
            local cases = {
                { "local out = {} for i = 1, 5000 do out[i] = { target = 't' .. i .. '.example.net', port = 1, "
                  .. "priority = 1, weight = 1 } end return out", "more than 256 candidates" },
                { "c[1].target = ('a'):rep(2000) .. '.example.net' return c", "more than 1024 octets in one string" },
                { "for i = 1, 40 do c[1]['f' .. i] = i end return c", "more than 32 fields in a candidate" },
                { "local a = {} for i = 1, 100 do a[i] = '192.0.2.' .. i end c[1].addresses = a return c",
                  "more than 64 addresses in a candidate" },
                { "local out = {} for i = 1, 100 do local x = { target = 't' .. i .. '.example.net', port = 1, "
                  .. "priority = 1, weight = 1 } for j = 1, 20 do x['f' .. j] = ('x'):rep(1000) .. j end "
                  .. "out[i] = x end return out",
                  "more than 1048576 octets of strings in all" },
            }
            for _, case in ipairs(cases) do
                for _, extra in ipairs { {}, { "--simulate", "2" }, { "--addresses" } } do
                    local r = with_policy("return function(c) " .. case[1] .. " end", table.unpack(extra))
                    assert.equal(1, r.code, r.stderr)
                    assert.truthy(r.stderr:find("policy failed: the policy returned " .. case[2] .. " (srv-run's limit)",
                                                1, true), r.stderr)
                    assert.equal("", r.stdout)
                end
            end
        end)
    end)

    describe("a policy's lookups", function()
        it("are bounded in number per call", function()
            local r = with_policy([[
                return function(c, ctx)
                    for i = 1, 1000 do ctx.resolver:lookup("_x._tcp.n" .. i .. ".example.net") end
                    return c
                end]])
            assert.equal(1, r.code, r.stderr)
            assert.truthy(r.stderr:find("policy failed: the policy made more than 64 lookups in one call "
                                        .. "(srv-run's limit)", 1, true), r.stderr)
        end)

        it("are bounded in waiting per call, against a server that never answers", function()
            local bad_dns = require "spec.support.bad_dns_server"
            local server = bad_dns.start()
            local path = write_file([[
                return function(c, ctx)
                    for i = 1, 3 do ctx.resolver:addresses("q" .. i .. ".silent.bad.test") end
                    return c
                end]])
            local began = socket.gettime()
            local r = srv_run({ "lookup", "_xmpp-client._tcp.ok.bad.test", "--server", server.address,
                                "--timeout", "30", "--tries", "1", "--policy", path }, { timeout = 50 })
            local took = socket.gettime() - began
            server:stop()
            os.remove(path)
            assert.equal(1, r.code, r.stderr)
            assert.truthy(r.stderr:find("policy failed: the policy's lookups waited more than 5 seconds in one "
                                        .. "call (srv-run's limit)", 1, true), r.stderr)
            assert.is_true(took < 25, took .. " s")
        end)
    end)

    describe("what reaches the terminal", function()
        -- ESC (clear the screen, OSC 52 to set the clipboard), BEL, CR (rewrite the
        -- line), C1 CSI (U+009B), a bidi override (U+202E), a byte that is not UTF-8
        local RAW = { "\27", "\7", "\r", "\u{9B}", "\u{202E}", "\xff" }
        local HOSTILE = [[local bad = "\27[2J\27]52;c;aGk=\7\r\u{9B}31m\u{202E}\xff"
]]
        local function assert_escaped(r, where)
            for _, raw in ipairs(RAW) do
                assert.falsy(r.stdout:find(raw, 1, true), where .. ": raw " .. string.format("%q", raw) .. " on stdout")
                assert.falsy(r.stderr:find(raw, 1, true), where .. ": raw " .. string.format("%q", raw) .. " on stderr")
            end
        end

        it("escapes the strings of a policy's candidates in text, --explain and --simulate", function()
            local body = HOSTILE .. [[
                print("from print: " .. bad .. "\nsecond line")
                return function(c)
                    local evil = { target = "evil" .. bad .. ".example.org", port = 5222, priority = 0, weight = 0,
                                   source = "srv" .. bad, transport = "udp" .. bad, address_error = bad,
                                   addresses = { "192.0.2.1" .. bad } }
                    table.insert(c, 1, evil)
                    return c
                end]]
            for _, extra in ipairs { {}, { "--explain" }, { "--simulate", "3" } } do
                local r = with_policy(body, table.unpack(extra))
                local where = table.concat(extra, " ")
                assert.equal(0, r.code, r.stderr)
                assert_escaped(r, where)
                assert.truthy(r.stderr:find("from print: \\x1B[2J\\x1B]52;c;aGk=\\x07\\x0D\\u{9B}31m\\u{202E}\\xFF\nsecond line", 1, true), r.stderr)
                assert.truthy(r.stdout:find("evil\\x1B[2J", 1, true), r.stdout)
            end
        end)

        it("escapes a policy's error message, at load time and per call", function()
            for _, body in ipairs {
                HOSTILE .. "error(bad, 0)",
                HOSTILE .. "return function(c) error('policy says ' .. bad, 0) end",
                HOSTILE .. "return function(c) return { { target = bad, priority = 0, weight = 0 } } end",
            } do
                local r = with_policy(body)
                assert.equal(1, r.code, r.stderr)
                assert_escaped(r, body)
                assert.truthy(r.stderr:find("\\x1B[2J", 1, true), r.stderr)
            end
        end)
    end)

    describe("the instruction budget", function()
        it("stops a policy that never returns, at load time or per call", function()
            for _, body in ipairs {
                "while true do end",
                "return function(c) while true do end end",
                -- pcall cannot swallow the budget's error
                "return function(c) while true do pcall(function() while true do end end) end end",
                -- nor can a coroutine escape it
                "return function(c) coroutine.wrap(function() while true do end end)() end",
                "return function(c) local co = coroutine.create(function() while true do end end)"
                    .. " while true do coroutine.resume(co) end end",
            } do
                local started = os.time()
                local r = with_policy(body, "--budget", "2000000")
                assert.equal(1, r.code, body)
                assert.truthy(r.stderr:find("the policy ran out of its budget of 2000000 instructions", 1, true),
                              body .. "\n" .. r.stderr)
                assert.is_true(os.time() - started < 30)
            end
        end)

        -- A to-be-closed variable whose __close raises replaces the error
        -- being propagated (Lua 5.4 manual, 3.3.8): the budget's error,
        -- replaced so, would be caught by the pcall around it. Once spent,
        -- the budget stays spent: every further instruction raises again.
        it("keeps the budget spent when a __close handler replaces its error inside pcall", function()
            local SPIN = [[
                local function spin()
                    local guard <close> = setmetatable({}, { __close = function() error("replaced", 0) end })
                    while true do end
                end
            ]]
            for _, body in ipairs {
                SPIN .. "return function(c) while true do pcall(spin) end end",
                SPIN .. "while true do pcall(spin) end",
                SPIN .. "return function(c) while true do xpcall(spin, function(e) return e end) end end",
                SPIN .. "return function(c) while true do coroutine.close(coroutine.create(function() "
                     .. "local guard <close> = setmetatable({}, { __close = function() error('x', 0) end }) "
                     .. "coroutine.yield() end)) pcall(spin) end end",
            } do
                local r = with_policy(body, "--budget", "100000")
                assert.equal(1, r.code, body .. "\n" .. r.stderr)
                assert.truthy(r.stderr:find("the policy ran out of its budget of 100000 instructions", 1, true),
                              body .. "\n" .. r.stderr)
                assert.falsy(r.stderr:find("replaced", 1, true), r.stderr)
            end
        end)

        -- A coroutine that runs out of the budget hands the budget's error
        -- object to whoever resumed it: a policy that gets it and changes it
        -- must not win its budget back.
        it("keeps the budget when a policy gets the budget's error object from coroutine.resume", function()
            local r = with_small_budget([[
                return function(c)
                    local _, budget = coroutine.resume(coroutine.create(function() while true do end end))
                    budget.used = -math.huge
                    ]] .. ESCAPE .. [[
                    return c
                end
            ]])
            assert_budget_held(r)
            assert.equal(1, r.code, r.stderr)
        end)

        it("keeps the budget while the policy file loads, whatever it does with the budget's error object", function()
            local path = write_file([[
                local _, budget = coroutine.resume(coroutine.create(function() while true do end end))
                budget.used = -math.huge
                while true do end
            ]])
            local r = srv_run({ "lookup", NAME, "--zone", ZONE, "--policy", path, "--budget", "10000" },
                              { timeout = 10 })
            os.remove(path)
            assert.equal(1, r.code, "exit status (124: hung, killed by timeout)")
            assert.truthy(r.stderr:find("budget", 1, true), r.stderr)
        end)

        -- A task is a coroutine of its own, which the budget's hook (set per
        -- thread) would not follow.
        it("does not run a task the policy spawns outside the budget", function()
            assert_budget_held(with_small_budget("require('srv').spawn(function() " .. ESCAPE .. " end)\n"
                                                 .. "return function(c) return c end"))
            assert_budget_held(with_small_budget("return function(c) require('srv').spawn(function() " .. ESCAPE
                                                 .. " end) return c end"))
        end)

        -- A callback given to ctx.resolver would run when the runner steps
        -- or closes its resolver, after the policy's budget ended.
        it("does not run a policy's resolver callback outside the budget", function()
            assert_budget_held(with_small_budget("return function(c, ctx) ctx.resolver:lookup_async("
                                                 .. "'_x._tcp.example.net', function() " .. ESCAPE
                                                 .. " end) return c end"))
        end)

        -- The runner's resolvers share one metatable: a __gc or a method
        -- the policy put there would run outside the budget.
        it("does not let a policy change the metatable of the runner's resolvers (__gc, methods)", function()
            assert_budget_held(with_small_budget("return function(c, ctx) getmetatable(ctx.resolver).__gc = "
                                                 .. "function() " .. ESCAPE .. " end return c end"))
            assert_budget_held(with_small_budget("return function(c, ctx) getmetatable(ctx.resolver).__index.close = "
                                                 .. "function() " .. ESCAPE .. " end return c end"))
        end)

        -- srv's modules are the runner's too: a function the policy replaced
        -- in one would run when the runner calls it.
        it("does not let a policy replace functions of srv modules the runner calls", function()
            assert_budget_held(with_small_budget([[
                local names = require("srv.names")
                local key = names.key
                names.key = function(n) ]] .. ESCAPE .. [[ names.key = key return key(n) end
                return function(c) return c end
            ]]))
        end)

        -- The runner reads what the policy returns after the budget ended:
        -- ipairs (__index), tostring (__tostring), the callable check
        -- (__metatable, then __call through __index).
        it("does not run metamethods of what the policy returns outside the budget", function()
            assert_budget_held(with_small_budget("local t = setmetatable({}, {__tostring = function() " .. ESCAPE
                                                 .. " return 'udp' end}) return function(c) c[1].transport = t "
                                                 .. "return c end"))
            assert_budget_held(with_small_budget("return function(c) return setmetatable({}, {__index = "
                                                 .. "function(_, i) if i == 1 then " .. ESCAPE .. " end "
                                                 .. "return c[i] end}) end"))
            assert_budget_held(with_small_budget("local f = function(c) return c end return setmetatable({}, "
                                                 .. "{__call = function(_, ...) return f(...) end, __metatable = "
                                                 .. "setmetatable({}, {__index = function() " .. ESCAPE
                                                 .. " return f end})})"))
        end)

        -- On Ctrl-C srv-run raises "interrupted!" in the running code
        -- (lua/runner/srv-run.c, on_sigint, stop_hook, which removes every
        -- hook first): a policy that catches it with pcall must not run on
        -- with no budget at all.
        -- A __close handler that raises replaces "interrupted!" as it
        -- replaces the budget's error: Ctrl-C, too, must stay raised.
        it("stops a policy at the first Ctrl-C, whatever it catches with pcall", function()
            for _, body in ipairs {
                -- Without SIGINT this one runs out of its budget in about 1.5 s.
                "return function(c) while true do pcall(function() while true do end end) end end",
                -- This one never does.
                "local function spin() local guard <close> = setmetatable({}, { __close = function() "
                    .. "error('replaced', 0) end }) while true do end end\n"
                    .. "return function(c) while true do pcall(spin) end end",
            } do
                local path = write_file(body)
                local out = run.interrupt({ "lookup", NAME, "--zone", ZONE, "--policy", path,
                                            "--budget", "300000000" }, 0.3, 8)
                os.remove(path)
                assert.equal("status=130\n", out, body)
            end
        end)
    end)
end)

-- Cases an adversarial review found, each with its problem in a comment.
do
    local srv = require "srv"
    local run = require "spec.support.run"

    local srv_run, write_file = run.srv_run, run.write_file
    local ZONE = "docs/examples/example.net.zone"
    local NAME = "_xmpp-client._tcp.example.net"

    -- A policy whose error message tries to drive the terminal (colour, a
    -- carriage return that would overwrite the line).
    local HOSTILE = 'return function() error("\\27[31mred\\27[0m\\rfake") end\n'

    describe("srv-run shows a policy's failure escaped", function()
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

    describe("ctx.resolver in the sandbox", function()
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

    describe("addresses a sandboxed policy returns", function()
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
end
