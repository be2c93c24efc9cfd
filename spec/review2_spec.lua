-- Second review of the recent changes (socket reset, the --policy sandbox,
-- srv-run's coroutine tracking, the task scheduler). One case per bug
-- found; each fails on the code as reviewed and states in its name what
-- should happen instead. Every DNS server is on 127.0.0.1 (bad_dns, knotd,
-- or a SERVFAIL server this spec starts); every process signalled is one
-- this spec started.
local srv = require "srv"
local socket = require "socket"
local run = require "spec.support.run"
local env = require "spec.support.env"
local bad_dns = require "spec.support.bad_dns_server"

local ZONE = "docs/examples/example.net.zone"
local NAME = "_xmpp-client._tcp.example.net"

local quote, write_file, read_file = run.quote, run.write_file, run.read_file

-- srv-run WORDS under `timeout SECONDS`: a policy that escapes its budget
-- must not hang the spec. { stdout, stderr, code } (124: killed by timeout).
local function srv_run_bounded(words, seconds)
    local parts = { "timeout", tostring(seconds or 20), quote(run.SRV_RUN) }
    for _, w in ipairs(words) do parts[#parts + 1] = quote(w) end
    local err_file = os.tmpname()
    local pipe = assert(io.popen(table.concat(parts, " ") .. " </dev/null 2>" .. quote(err_file), "r"))
    local stdout = pipe:read("a")
    local _, _, code = pipe:close()
    local stderr = read_file(err_file)
    os.remove(err_file)
    return { stdout = stdout, stderr = stderr, code = code }
end

-- `srv-run lookup NAME --zone ZONE --policy FILE --budget 10000` with the
-- policy text given. ESCAPE is Lua code that runs 3,000,000+ instructions
-- (far over the budget of 10,000) and then says so on stderr: if "ESCAPED"
-- shows, policy code ran past its budget.
local ESCAPE = 'for i = 1, 1e6 do end io_write_escaped()'
local function run_policy(text)
    text = "local function io_write_escaped() print('ESCAPED') end\n" .. text
    local path = write_file(text)
    local r = srv_run_bounded({ "lookup", NAME, "--zone", ZONE, "--policy", path, "--budget", "10000" })
    os.remove(path)
    return r
end

local function assert_budget_held(r)
    assert.falsy(r.stderr:find("ESCAPED", 1, true), "policy code ran past its budget:\n" .. r.stderr)
    assert.are_not.equal(124, r.code, "srv-run hung (killed by timeout)")
end

-- The two records of bad_dns's "ok" answer, and knotd's wildcard answer
-- (spec/fixtures/bad.test.zone), as "target:port" lists.
local OK2 = { "a.ok.bad.test:5222", "b.ok.bad.test:5269" }

local function endpoints(list)
    if not list then return nil end
    local out = {}
    for i, c in ipairs(list) do out[i] = c.target .. ":" .. c.port end
    return out
end

-- A DNS server on 127.0.0.1 that answers every UDP query SERVFAIL (same ID,
-- question echoed). Same command line as spec/support/bad_dns.lua
-- (PORTFILE [PARENT_PID]), so bad_dns_server.start runs it.
local SERVFAIL_SERVER = [=[
local socket = require "socket"
local port_file, parent = arg[1], tonumber(arg[2])
local udp = assert(socket.udp())
assert(udp:setsockname("127.0.0.1", 0))
local _, port = udp:getsockname()
local f = assert(io.open(port_file .. ".tmp", "w")) f:write(port, "\n") f:close()
os.rename(port_file .. ".tmp", port_file)
udp:settimeout(0.5)
local last = socket.gettime()
while true do
    local q, ip, qport = udp:receivefrom()
    if q and #q >= 12 then
        local i = 13
        while q:byte(i) and q:byte(i) ~= 0 do i = i + q:byte(i) + 1 end
        udp:sendto(q:sub(1, 2) .. string.char(0x80 | (q:byte(3) & 0x79), 0x82) .. q:sub(5, 6)
                   .. "\0\0\0\0\0\0" .. q:sub(13, i + 4), ip, qport)
    end
    if parent and socket.gettime() - last > 1 then
        last = socket.gettime()
        local p = io.open("/proc/" .. parent .. "/stat")
        if not p then os.exit(0) end
        p:close()
    end
end
]=]

describe("review2: sockets reopened after a timeout", function()
    local bad

    setup(function() bad = bad_dns.start() end)
    teardown(function() bad:stop() end)

    -- core/src/resolver.c complete() sets reset_sockets only when the
    -- FINAL status is TIMEOUT. A timeout on the fallback channel ends as the
    -- first server's SERVFAIL (after_fallback), so the fallback channel's
    -- desynchronised TCP stream is kept for good: every later TCP query that
    -- fails over to that server times out there and ends SERVFAIL.
    it("reopens the fallback server's TCP connection after a query timed out on it", function()
        local script = write_file(SERVFAIL_SERVER)
        local first = bad_dns.start(script)
        local r = assert(srv.resolver { servers = { first.address, bad.address }, timeout = 0.5, tries = 1,
                                        cache = false })
        local ok, err = pcall(function()
            -- first: SERVFAIL; the fallback (bad_dns) answers over TCP
            assert.same(OK2, endpoints(r:lookup(bad_dns.name("tc", "_sip._tcp.fb-before"))))
            -- half an answer over the fallback's TCP connection: a timeout there
            local _, _, code = r:lookup(bad_dns.name("tc-partial", "_sip._tcp.fb-partial"))
            assert.equal("SERVFAIL", code)
            -- nothing in flight now: the next TCP query must get a fresh connection
            local cands, msg = r:lookup(bad_dns.name("tc", "_sip._tcp.fb-after"))
            assert.same(OK2, endpoints(cands), msg)
        end)
        r:close()
        first:stop()
        os.remove(script)
        assert(ok, err)
    end)

    -- The same flag, within one channel: the first server times out (half a
    -- TCP answer), c-ares moves on to the second, which answers: the final
    -- status is OK, no reset, and every later TCP query to the first server
    -- costs a full timeout before the second answers it.
    it("reopens the first server's TCP connection after a timeout c-ares failed over from", function()
        assert(env.server, "SRV_TEST_SERVER is not set: run the specs through spec/support/with-knotd.sh")
        local r = assert(srv.resolver { servers = { bad.address, env.server }, timeout = 0.5, tries = 1,
                                        cache = false })
        local ok, err = pcall(function()
            assert.same(OK2, endpoints(r:lookup(bad_dns.name("tc", "_sip._tcp.fo-before"))))
            -- bad_dns sends half an answer and times out; knotd answers
            assert.truthy(r:lookup(bad_dns.name("tc-partial", "_sip._tcp.fo-partial")))
            -- idle now: bad_dns must answer the next TCP query, at once
            local started = socket.gettime()
            local cands = r:lookup(bad_dns.name("tc", "_sip._tcp.fo-after"))
            local took = socket.gettime() - started
            if env.cares_reads_first then
                -- c-ares 1.34 ranks servers by their recent failures: after
                -- the timeout, knotd is asked first for a while
                assert.truthy(cands)
            else
                assert.same(OK2, endpoints(cands))
            end
            assert.truthy(took < 0.4, string.format("took %.2f s: a timeout on the old connection", took))
        end)
        r:close()
        assert(ok, err)
    end)
end)

describe("review2: the --policy sandbox", function()
    -- lua/srv/run/sandbox.lua: the budget's error object is a plain table
    -- { used = N } and coroutine.resume (a plain copy) hands it to the
    -- policy when a coroutine runs out; the hook reads budget.used.
    it("keeps the budget when a policy gets the budget's error object from coroutine.resume", function()
        local r = run_policy([[
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
        local r = srv_run_bounded({ "lookup", NAME, "--zone", ZONE, "--policy", path, "--budget", "10000" }, 10)
        os.remove(path)
        assert.equal(1, r.code, "exit status (124: hung, killed by timeout)")
        assert.truthy(r.stderr:find("budget", 1, true), r.stderr)
    end)

    -- srv.spawn (lua/srv/task.lua) makes its coroutine with the real
    -- coroutine.create: a Lua hook is per thread, so the task has none.
    it("does not run a task the policy spawns outside the budget", function()
        assert_budget_held(run_policy("require('srv').spawn(function() " .. ESCAPE .. " end)\n"
                                      .. "return function(c) return c end"))
        assert_budget_held(run_policy("return function(c) require('srv').spawn(function() " .. ESCAPE
                                      .. " end) return c end"))
    end)

    -- A callback given to ctx.resolver runs when the runner steps or closes
    -- the resolver, after the policy's budget ended (budget_done).
    it("does not run a policy's resolver callback outside the budget", function()
        assert_budget_held(run_policy("return function(c, ctx) ctx.resolver:lookup_async('_x._tcp.example.net', "
                                      .. "function() " .. ESCAPE .. " end) return c end"))
    end)

    -- getmetatable(ctx.resolver) is lua/srv/resolver.lua's resolver_mt,
    -- shared with the runner's resolvers: the __gc check of the sandbox's
    -- setmetatable is bypassed by changing the metatable that has one.
    it("does not let a policy change the metatable of the runner's resolvers (__gc, methods)", function()
        assert_budget_held(run_policy("return function(c, ctx) getmetatable(ctx.resolver).__gc = function() "
                                      .. ESCAPE .. " end return c end"))
        assert_budget_held(run_policy("return function(c, ctx) getmetatable(ctx.resolver).__index.close = "
                                      .. "function() " .. ESCAPE .. " end return c end"))
    end)

    -- require hands the policy the runner's own module tables.
    it("does not let a policy replace functions of srv modules the runner calls", function()
        assert_budget_held(run_policy([[
            local names = require("srv.names")
            local key = names.key
            names.key = function(n) ]] .. ESCAPE .. [[ names.key = key return key(n) end
            return function(c) return c end
        ]]))
    end)

    -- What the policy returns is read after budget_done: lua/srv/run/lookup.lua
    -- endpoints() (ipairs: __index), format.lua word() (tostring: __tostring),
    -- options.is_callable (getmetatable: __metatable, then .__call: __index).
    it("does not run metamethods of what the policy returns outside the budget", function()
        assert_budget_held(run_policy("local t = setmetatable({}, {__tostring = function() " .. ESCAPE
                                      .. " return 'udp' end}) return function(c) c[1].transport = t return c end"))
        assert_budget_held(run_policy("return function(c) return setmetatable({}, {__index = function(_, i) "
                                      .. "if i == 1 then " .. ESCAPE .. " end return c[i] end}) end"))
        assert_budget_held(run_policy("local f = function(c) return c end return setmetatable({}, "
                                      .. "{__call = function(_, ...) return f(...) end, __metatable = "
                                      .. "setmetatable({}, {__index = function() " .. ESCAPE .. " return f end})})"))
    end)

    -- docs/srv-run.md: "Not there: io ... the sandbox keeps a policy from
    -- reaching outside srv-run". srv.resolver{zone = PATH} reads any file
    -- (lua/srv/zone_source.lua zone_text), and a parse error quotes it.
    it("does not let a policy read files through srv.resolver{zone = PATH}", function()
        local secret = write_file("host 3600 TOPSECRETWORD data\n")
        local r = run_policy("print(select(2, require('srv').resolver { zone = " .. string.format("%q", secret)
                             .. " })) return function(c) return c end")
        os.remove(secret)
        assert.falsy(r.stderr:find("TOPSECRETWORD", 1, true), r.stderr)
    end)

    -- lua/runner/srv-run.c: on_sigint replaces the running coroutine's hook
    -- (the budget's) with stop_hook, which removes every hook before it
    -- raises "interrupted!"; the sandbox's pcall catches that error like
    -- any other. A policy that catches it then runs with no budget at all.
    it("keeps the budget of a policy that catches the Ctrl-C error with pcall", function()
        -- Without SIGINT this policy runs out of its budget in about 1.5 s.
        local path = write_file("return function(c) while true do pcall(function() while true do end end) end end")
        local pipe = assert(io.popen(string.format(
            "exec 2>/dev/null; %s lookup %s --zone %s --policy %s --budget 300000000 >/dev/null 2>&1 & pid=$!; "
            .. "sleep 0.3; kill -INT $pid; i=0; "
            .. "while kill -0 $pid 2>/dev/null && [ $i -lt 80 ]; do sleep 0.1; i=$((i+1)); done; "
            .. "if kill -0 $pid 2>/dev/null; then echo still-running; kill -KILL $pid; fi; wait $pid",
            quote(run.SRV_RUN), quote(NAME), quote(ZONE), quote(path))))
        local out = pipe:read("a")
        pipe:close()
        os.remove(path)
        assert.equal("", out, "the policy ran on for 8 s after Ctrl-C, past its budget")
    end)

    it("does not let a policy send DNS queries to a server of its choosing", function()
        local listener = assert(socket.udp())
        assert(listener:setsockname("127.0.0.1", 0))
        local _, port = listener:getsockname()
        run_policy("require('srv').resolver { servers = { '127.0.0.1:" .. port .. "' }, timeout = 0.2, "
                   .. "tries = 1 }:lookup('_x._tcp.exfiltrated.example') return function(c) return c end")
        listener:settimeout(0)
        local got = listener:receive()
        listener:close()
        assert.is_nil(got, "the policy's query reached 127.0.0.1:" .. port)
    end)
end)

describe("review2: srv-run scripts", function()
    -- lua/srv/task.lua M.wait() marks every target observed and raises the
    -- first failed one in pairs(unfinished) order; lua/srv/run/script.lua
    -- reports only that one (an arbitrary one) and the others are lost.
    it("reports every task that failed unobserved after the chunk returned, oldest first", function()
        local r = run.srv_run({ "-", ZONE }, { stdin = [[
            local srv = require "srv"
            local r = assert(srv.resolver { zone = ... })
            for i = 1, 8 do
                srv.spawn(function()
                    r:lookup("_xmpp-client._tcp.example.net")
                    error("task " .. i .. " failed", 0)
                end)
            end
        ]] })
        assert.equal(1, r.code)
        local reported = {}
        for i in r.stderr:gmatch("task (%d) failed") do reported[#reported + 1] = tonumber(i) end
        assert.same({ 1, 2, 3, 4, 5, 6, 7, 8 }, reported)
    end)

    -- lua/srv/run/main.lua replaces coroutine.wrap with a Lua function that
    -- does error((...), 0): no lua_closethread (to-be-closed variables of a
    -- failed coroutine are never closed) and no luaL_where (the caller's
    -- position is missing); a bad argument names srv-run's internals.
    it("runs coroutine.wrap and coroutine.resume as lua5.4 does", function()
        local script = [[
            local h = coroutine.wrap(function()
                local x <close> = setmetatable({}, { __close = function() print("closed x") end })
                error("inner")
            end)
            print(pcall(h))
            local f = coroutine.wrap(function() error("boom") end)
            print(pcall(function() f() end))
            local g = coroutine.wrap(function() end)
            g()
            print(pcall(function() g() end))
            print(pcall(coroutine.wrap, 42))
            print(pcall(coroutine.resume, 42))
        ]]
        local path = write_file(script)
        local pipe = assert(io.popen("lua5.4 " .. quote(path) .. " 2>&1"))
        local expected = pipe:read("a")
        pipe:close()
        local r = run.srv_run { path }
        os.remove(path)
        assert.equal(expected, r.stdout .. r.stderr)
    end)

    -- lua/srv/run/main.lua resume(): set_running(co) runs before
    -- real_resume(co, ...); when that raises (a bad argument, caught by the
    -- script's pcall) set_running(previous) never runs, and srv-run.c's
    -- running_thread says "main thread" while the task goes on.
    it("stops a task at the first SIGINT after a failed coroutine.resume inside it", function()
        local path = write_file([[
            local srv = require "srv"
            srv.spawn(function()
                pcall(coroutine.resume, "not a coroutine")
                print("spinning") io.stdout:flush()
                while true do end
            end)
        ]])
        local out, err = run.interrupt({ path }, 0.5, 2)
        os.remove(path)
        assert.equal("spinning\nstatus=130\n", out)
        assert.truthy(err:find("interrupted!", 1, true), err)
    end)

    -- The same gap with a coroutine that is then collected: running_thread
    -- dangles, and on_sigint's lua_sethook writes into freed memory
    -- (valgrind: "Invalid write ... lua_sethook"). A resume whose results
    -- fill the stack makes the call set_running(previous) overflow.
    it("keeps no pointer to a collected coroutine for SIGINT (valgrind clean)", function()
        if os.execute("command -v valgrind >/dev/null 2>&1") ~= true then
            pending("valgrind not installed")
            return
        end
        local path = write_file([[
            io.stdout:setvbuf("no")
            local function f()
                local co = coroutine.create(function() return table.unpack({}, 1, 999960) end)
                pcall(coroutine.resume, co)
            end
            f()
            collectgarbage() collectgarbage()
            print("ready")
            local t = os.clock() while os.clock() - t < 60 do end
        ]])
        local log = os.tmpname()
        local pipe = assert(io.popen(string.format(
            "exec 2>/dev/null; valgrind --error-exitcode=99 %s %s >%s 2>&1 & pid=$!; i=0; "
            .. "while ! grep -q ready %s && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done; "
            .. "sleep 0.5; kill -INT $pid; wait $pid; echo status=$?",
            run.SRV_RUN, path, log, log)))
        local out = pipe:read("a")
        pipe:close()
        local text = read_file(log)
        os.remove(path)
        os.remove(log)
        local first = text:match("==%d+== (Invalid [^\n]*\n[^\n]*\n[^\n]*)")
        assert.is_nil(first, "valgrind: " .. tostring(first))
        assert.equal("status=130\n", out)
    end)
end)
