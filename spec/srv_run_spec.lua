-- srv-run, the runner: scripts, `lookup` with every option, exit statuses.
-- Each case runs build/srv-run as a separate process (spec/support/run.lua).
local json = require "dkjson"
local socket = require "socket"
local run = require "spec.support.run"
local env = require "spec.support.env"

local srv_run, rows, targets = run.srv_run, run.rows, run.targets
local assert_usage_error, write_file = run.assert_usage_error, run.write_file
local quote, read_file = run.quote, run.read_file
local ZONE = "docs/examples/example.net.zone"
local NAME = "_xmpp-client._tcp.example.net"

describe("srv-run SCRIPT", function()
    it("runs the script with arg and ... set as lua5.4 sets them", function()
        local path = write_file('print(arg[-1] ~= nil, arg[0] == ..., select("#", ...), ...)\n'
                                .. 'print(arg[0], arg[1], arg[2], #arg)\n')
        local r = srv_run { path, "one", "two words" }
        os.remove(path)
        assert.equal(0, r.code)
        assert.equal(string.format("true\tfalse\t2\tone\ttwo words\n%s\tone\ttwo words\t2\n", path), r.stdout)
    end)

    it("has srv built in, whatever LUA_PATH and LUA_CPATH say", function()
        local r = srv_run({ "-" }, {
            stdin = 'local srv = require "srv"; print(type(srv.resolver), package.loaded["srv.core"] ~= nil)',
            env = { LUA_PATH = "/nonexistent/?.lua", LUA_CPATH = "/nonexistent/?.so" },
        })
        assert.same({ 0, "function\ttrue\n", "" }, { r.code, r.stdout, r.stderr })
    end)

    it("reads the script from standard input for -, and takes a script after --", function()
        local r = srv_run({ "-", "x" }, { stdin = 'print("stdin", ...)' })
        assert.same({ 0, "stdin\tx\n" }, { r.code, r.stdout })
        local path = write_file('print("after --", ...)')
        r = srv_run { "--", path, "--zone" }
        os.remove(path)
        assert.same({ 0, "after --\t--zone\n" }, { r.code, r.stdout })
    end)

    it("prints an error with its traceback and exits 1", function()
        local r = srv_run({ "-" }, { stdin = 'local function inner() error("boom") end\ninner()\n' })
        assert.equal(1, r.code)
        assert.truthy(r.stderr:match("^[^\n]*srv%-run: stdin:1: boom\nstack traceback:\n"), r.stderr)
        assert.truthy(r.stderr:find("in local 'inner'", 1, true), r.stderr)
        -- the runner's own frames are left out
        assert.falsy(r.stderr:find("lua/runner/script.lua", 1, true), r.stderr)
    end)

    it("reports error objects that are not strings, syntax errors and missing files", function()
        local r = srv_run({ "-" }, { stdin = "error({})" })
        assert.same({ 1, true }, { r.code, r.stderr:find("(error object is a table value)", 1, true) ~= nil })
        r = srv_run({ "-" }, { stdin = "print(" })
        assert.same({ 1, true }, { r.code, r.stderr:find("stdin:1:", 1, true) ~= nil })
        r = srv_run { "/nonexistent/script.lua" }
        assert.same({ 1, true }, { r.code, r.stderr:find("cannot open /nonexistent/script.lua", 1, true) ~= nil })
    end)

    it("passes os.exit statuses through", function()
        assert.equal(7, srv_run({ "-" }, { stdin = "os.exit(7)" }).code)
        assert.equal(0, srv_run({ "-" }, { stdin = "os.exit(true)" }).code)
        assert.equal(1, srv_run({ "-" }, { stdin = "os.exit(false)" }).code)
    end)

    -- srv-run has coroutine.resume and coroutine.wrap of its own, to know
    -- the running coroutine on SIGINT (lua/runner/srv-run.c,
    -- resume_tracked): they must still close a failed coroutine's
    -- to-be-closed variables, put the caller's position in the error, and
    -- name no srv-run internals in a bad argument.
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
        local r = srv_run { path }
        os.remove(path)
        assert.equal(expected, r.stdout .. r.stderr)
    end)

    it("runs the tasks a script spawns concurrently and waits for them after the chunk", function()
        local r = srv_run({ "-", env.server }, { stdin = [[
            local srv = require "srv"
            local r = assert(srv.resolver { servers = { ... }, cache = false })
            local started, finished = 0, 0
            for _, name in ipairs { "_xmpp-client._tcp.example.net", "_xmpp-server._tcp.example.net",
                                    "_sip._tcp.port0.lua.test" } do
                srv.spawn(function()
                    started = started + 1
                    local records = assert(r:lookup(name))
                    finished = finished + 1
                    -- every task had started before the first answer came
                    print(name, #records, started)
                end)
            end
            print("chunk done", finished)
        ]] })
        assert.equal(0, r.code, r.stderr)
        local lines = {}
        for line in r.stdout:gmatch("[^\n]+") do lines[#lines + 1] = line end
        assert.equal("chunk done\t0", lines[1])
        table.sort(lines)
        assert.same({ "_sip._tcp.port0.lua.test\t2\t3", "_xmpp-client._tcp.example.net\t5\t3",
                      "_xmpp-server._tcp.example.net\t5\t3", "chunk done\t0" }, lines)
    end)

    -- Waiting once after the chunk is not enough: srv.wait() with no
    -- argument waits for the tasks unfinished when it was called.
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

    it("reports a failed task nobody waited for, and exits 1", function()
        local r = srv_run({ "-" }, { stdin = [[
            local srv = require "srv"
            srv.spawn(function() error("task failed") end)
            print("chunk done")
        ]] })
        assert.same({ 1, "chunk done\n" }, { r.code, r.stdout })
        assert.truthy(r.stderr:find("stdin:2: task failed", 1, true), r.stderr)
    end)

    it("reports every failed task nobody waited for", function()
        local r = srv_run({ "-" }, { stdin = [[
            local srv = require "srv"
            srv.spawn(function() error("first", 0) end)
            srv.spawn(function() error("second", 0) end)
        ]] })
        assert.equal(1, r.code)
        assert.truthy(r.stderr:find("srv%-run: first\n.*srv%-run: second\n"), r.stderr)
    end)

    it("reports every task that failed unobserved after the chunk returned, oldest first", function()
        local r = srv_run({ "-", ZONE }, { stdin = [[
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

    -- A task's error value is nil for error(nil): that must not read as
    -- "no more failures".
    it("exits 1 when an unobserved task fails with error(nil), and still reports the other failed tasks", function()
        local r = srv_run({ "-" }, { stdin = [[
            local srv = require "srv"
            srv.spawn(function() error(nil) end)
            srv.spawn(function() error("second task failed") end)
        ]] })
        assert.equal(1, r.code, r.stderr)
        assert.truthy(r.stderr:find("second task failed", 1, true), r.stderr)
    end)

    it("reports an unobserved task's non-string error as '(error object is a table value)', as for the chunk", function()
        local r = srv_run({ "-" }, { stdin = [[
            local srv = require "srv"
            srv.spawn(function() error({}) end)
        ]] })
        assert.equal(1, r.code)
        assert.truthy(r.stderr:find("(error object is a table value)", 1, true), r.stderr)
        assert.falsy(r.stderr:find("table: 0x", 1, true), r.stderr)
    end)

    it("does not report a failed task the script looked at", function()
        local r = srv_run({ "-" }, { stdin = [[
            local srv = require "srv"
            local t = srv.spawn(function() error("seen", 0) end)
            local ok, err = t:result()
            print(ok, (err:match("^[^\n]*")))
        ]] })
        assert.same({ 0, "false\tseen\n", "" }, { r.code, r.stdout, r.stderr })
    end)

    it("exits 130 on SIGINT", function()
        local path = write_file("print('looping') io.stdout:flush() while true do end")
        local out, err = run.interrupt { path }
        os.remove(path)
        assert.equal("looping\nstatus=130\n", out)
        assert.truthy(err:find("srv-run: interrupted!\nstack traceback:", 1, true), err)
    end)

    -- A task runs in a coroutine, and hooks are per thread: SIGINT must
    -- reach the one running, not only the main thread
    -- (lua/runner/srv-run.c, on_sigint).
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

    -- srv-run.c tracks the running coroutine for on_sigint around each
    -- resume (resume_tracked, running_thread); a resume that fails (a bad
    -- argument, caught by the script's pcall) must put the previous one
    -- back.
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

    -- The same with a coroutine that is then collected: a running_thread
    -- left dangling would have on_sigint's lua_sethook write into freed
    -- memory (valgrind: "Invalid write ... lua_sethook"). A resume whose
    -- results fill the stack makes putting the previous one back overflow.
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

describe("srv-run interrupted while a task waits on DNS", function()
    it("exits 130 without running the task again during shutdown", function()
        local silent = assert(socket.udp())
        assert(silent:setsockname("127.0.0.1", 0))
        local _, port = silent:getsockname()
        local path = write_file(string.format([[
            local srv = require "srv"
            local r = srv.resolver { servers = { "127.0.0.1:%d" }, timeout = 30 }
            srv.spawn(function()
                local _, msg = r:lookup("_xmpp-client._tcp.example.net")
                print("task resumed: " .. tostring(msg))
            end)
            print("waiting") io.stdout:flush()
        ]], port))
        local out, err = run.interrupt { path }
        silent:close()
        os.remove(path)
        assert.equal("waiting\nstatus=130\n", out)
        assert.truthy(err:find("interrupted!", 1, true), err)
    end)
end)

describe("srv-run with no command or a bad one", function()
    it("prints a usage error and exits 2", function()
        assert_usage_error(srv_run {}, "no script or command given")
        assert_usage_error(srv_run { "--bogus" }, "unknown option --bogus")
        assert_usage_error(srv_run { "--" }, "no script given after --")
    end)

    -- A first word that is no file but a lookup without its command, or
    -- the command misspelt: a usage error that suggests it.
    it("suggests lookup for a first word that is no file but a name, a server or lookup misspelt", function()
        local r = srv_run { "lokup", NAME, "--zone", ZONE }
        assert_usage_error(r, "no script or command 'lokup'; did you mean 'srv-run lookup " .. NAME .. " --zone " .. ZONE .. "'?")
        r = srv_run { "conect", NAME, "--zone", ZONE }
        assert_usage_error(r, "no script or command 'conect'; did you mean 'srv-run connect " .. NAME .. " --zone " .. ZONE .. "'?")
        r = srv_run { "wach", NAME }
        assert_usage_error(r, "no script or command 'wach'; did you mean 'srv-run watch " .. NAME .. "'?")
        r = srv_run { NAME, "--zone", ZONE }
        assert_usage_error(r, "to look a name up: 'srv-run lookup " .. NAME .. " --zone " .. ZONE .. "'")
        assert_usage_error(srv_run { "@127.0.0.1", NAME }, "to look a name up: 'srv-run lookup @127.0.0.1 " .. NAME .. "'")
        -- a file of that name is a script, and -- forces one
        local dir = os.tmpname()
        os.remove(dir)
        assert(os.execute("mkdir " .. dir))
        local f = assert(io.open(dir .. "/lokup", "w"))
        f:write('print("script", ...)')
        f:close()
        local pipe = assert(io.popen("cd " .. dir .. " && " .. quote(run.SRV_RUN:match("^/") and run.SRV_RUN or os.getenv("PWD") .. "/" .. run.SRV_RUN)
                                     .. " lokup x; echo status=$?"))
        local out = pipe:read("a")
        pipe:close()
        os.execute("rm -rf " .. dir)
        assert.equal("script\tx\nstatus=0\n", out)
        r = srv_run { "--", "lokup" }
        assert.same({ 1, true }, { r.code, r.stderr:find("cannot open lokup", 1, true) ~= nil })
    end)

    it("prints help and version on stdout", function()
        local help = srv_run { "--help" }
        assert.same({ 0, "" }, { help.code, help.stderr })
        assert.truthy(help.stdout:find("srv-run lookup NAME [OPTIONS]", 1, true))
        assert.equal(help.stdout, srv_run({ "-h" }).stdout)
        assert.equal(help.stdout, srv_run({ "lookup", "--help" }).stdout)
        local version = srv_run { "--version" }
        assert.equal(0, version.code)
        assert.truthy(version.stdout:match("^srv%-run %d+%.%d+%.%d+ %(Lua 5%.4%.%d+, c%-ares %d+%.%d+%.%d+%)\n$"),
                      version.stdout)
    end)
end)

describe("srv-run lookup", function()
    it("prints the candidates in RFC 2782 order, one a line, from a zone file", function()
        local r = srv_run { "lookup", NAME, "--zone", ZONE, "--seed", "1" }
        assert.same({ 0, "" }, { r.code, r.stderr })
        local lines = {}
        for line in r.stdout:gmatch("[^\n]+") do lines[#lines + 1] = line end
        assert.equal(";; " .. NAME .. ": 5 candidates, in the order to try them", lines[1])
        assert.equal("5 50 5222 server1.example.net. srv", lines[2])
        assert.equal("15 0 5222 backup.example.net. srv", lines[6])
        local middle = { lines[3], lines[4], lines[5] }
        table.sort(middle)
        assert.same({ "10 10 5222 server3.example.net. srv", "10 10 5222 server4.example.net. srv",
                      "10 30 5222 server2.example.net. srv" }, middle)
    end)

    it("asks a DNS server with --server, and takes NAME as three words", function()
        local one = srv_run { "lookup", NAME, "--server", env.server, "--seed", "3" }
        local three = srv_run { "lookup", "xmpp-client", "_tcp", "example.net", "--server", env.server, "--seed", "3" }
        assert.same({ 0, 0 }, { one.code, three.code })
        assert.equal(one.stdout, three.stdout)
        local got = targets(one.stdout)
        assert.equal("server1.example.net.", got[1])
        assert.equal("backup.example.net.", got[5])
    end)

    it("gives the same order for the same --seed, and different orders across seeds", function()
        local base = { "lookup", NAME, "--zone", ZONE, "--seed" }
        local function order(seed)
            local words = table.move(base, 1, #base, 1, {})
            words[#words + 1] = tostring(seed)
            return table.concat(targets(srv_run(words).stdout), " ")
        end
        assert.equal(order(5), order(5))
        local seen = {}
        for seed = 1, 12 do seen[order(seed)] = true end
        local distinct = 0
        for _ in pairs(seen) do distinct = distinct + 1 end
        assert.is_true(distinct >= 3, "orders seen: " .. distinct)
    end)

    -- knotd does not send the records in the zone file's order: the seeded
    -- draw must depend on the records, not on the order of the answer
    -- (docs/overview.md, "Seeds").
    it("gives the same order for the same --seed from --zone and from knotd serving that file", function()
        local differ = {}
        for _, query in ipairs {
            { NAME }, { "--xmpp", "client", "example.net" }, { "--turn", "turn:example.net" },
        } do
            for seed = 1, 12 do
                local zone = table.move(query, 1, #query, 6, { "lookup", "--seed", seed, "--zone", ZONE })
                local server = table.move(query, 1, #query, 6, { "lookup", "--seed", seed, "--server", env.server })
                local from_zone, from_server = srv_run(zone), srv_run(server)
                assert.same({ 0, 0 }, { from_zone.code, from_server.code }, from_zone.stderr .. from_server.stderr)
                if from_zone.stdout ~= from_server.stdout then
                    differ[#differ + 1] = table.concat(query, " ") .. " --seed " .. seed
                end
            end
        end
        assert.same({}, differ)
    end)

    it("gives the same order for the same --seed whatever order the zone file lists the records in", function()
        local lines = {}
        for line in io.lines(ZONE) do lines[#lines + 1] = line end
        -- the same file with its SRV records in reverse order
        local shuffled = {}
        for _, line in ipairs(lines) do
            if not line:match("^_") then shuffled[#shuffled + 1] = line end
        end
        for i = #lines, 1, -1 do
            if lines[i]:match("^_") then shuffled[#shuffled + 1] = lines[i] end
        end
        local reversed = write_file(table.concat(shuffled, "\n") .. "\n")
        local differ = {}
        for seed = 1, 12 do
            local a = srv_run { "lookup", NAME, "--zone", ZONE, "--seed", seed }
            local b = srv_run { "lookup", NAME, "--zone", reversed, "--seed", seed }
            assert.same({ 0, 0 }, { a.code, b.code }, a.stderr .. b.stderr)
            if a.stdout ~= b.stdout then differ[#differ + 1] = seed end
        end
        os.remove(reversed)
        assert.same({}, differ)
    end)

    it("takes @IP:PORT for --server, as dig writes it", function()
        local at = srv_run { "lookup", "@" .. env.server, NAME, "--seed", "3" }
        local server = srv_run { "lookup", NAME, "--server", env.server, "--seed", "3" }
        assert.same({ 0, 0 }, { at.code, server.code }, at.stderr)
        assert.equal(server.stdout, at.stdout)
        assert.equal("server1.example.net.", targets(at.stdout)[1])
        assert_usage_error(srv_run { "lookup", "@300.1.2.3", NAME }, "bad server address '300.1.2.3'")
        assert_usage_error(srv_run { "lookup", "@127.0.0.1", NAME, "--zone", ZONE }, "--server and --zone exclude each other")
        assert_usage_error(srv_run { "lookup", "@", NAME }, "@ needs a value")
        -- after --, a word is a NAME word
        assert_usage_error(srv_run { "lookup", "--zone", ZONE, "--", "@127.0.0.1" }, "not a _service._proto.domain name")
    end)

    it("adds the targets' addresses with --addresses", function()
        local r = srv_run { "lookup", NAME, "--zone", ZONE, "--addresses", "--seed", "1" }
        assert.equal(0, r.code)
        local by_target = {}
        for _, row in ipairs(rows(r.stdout)) do by_target[row[4]] = row[6] end
        assert.equal("addresses=192.0.2.11", by_target["server1.example.net."])
        assert.equal("addresses=192.0.2.15,2001:db8::15", by_target["backup.example.net."])
    end)

    it("puts --down targets last: with a port, and without (every port)", function()
        for _, down in ipairs { "server1.example.net", "server1.example.net:5222", "SERVER1.example.net." } do
            local r = srv_run { "lookup", NAME, "--zone", ZONE, "--down", down }
            local got = targets(r.stdout)
            assert.same({ 0, "server1.example.net.", "backup.example.net." }, { r.code, got[5], got[4] })
            assert.equal("down=yes", rows(r.stdout)[5][6])
        end
        -- another port: not this candidate
        local r = srv_run { "lookup", NAME, "--zone", ZONE, "--down", "server1.example.net:5269" }
        assert.equal("server1.example.net.", targets(r.stdout)[1])
        -- repeatable
        r = srv_run { "lookup", NAME, "--zone", ZONE, "--down", "server1.example.net", "--down", "backup.example.net" }
        local got = targets(r.stdout)
        -- down targets keep their RFC order among themselves
        assert.same({ "server1.example.net.", "backup.example.net." }, { got[4], got[5] })
    end)

    it("applies a --policy script", function()
        local path = write_file([[
            local srv = require "srv"
            return srv.policy { exclude = "server1.example.net", pin = "backup.example.net",
                                fallback = "relay.example.org:443" }
        ]])
        local r = srv_run { "lookup", NAME, "--zone", ZONE, "--policy", path }
        os.remove(path)
        assert.equal(0, r.code, r.stderr)
        local got = targets(r.stdout)
        assert.same({ "backup.example.net.", "relay.example.org." }, { got[1], got[5] })
        assert.same({ "65535", "0", "443", "relay.example.org.", "policy" }, rows(r.stdout)[5])
    end)

    it("exits 1 for a policy script that fails to load, returns no policy, or fails while resolving", function()
        local cases = {
            { "return 42", "returned number, not a policy" },
            { "error('cannot start', 0)", "cannot start" },
            { "return function() error('inside', 0) end", "policy failed: inside" },
            { "return function() return {} end", "the policy left no candidates" },
            { "syntax error here", "syntax error" },
        }
        for _, case in ipairs(cases) do
            local path = write_file(case[1])
            local r = srv_run { "lookup", NAME, "--zone", ZONE, "--policy", path }
            os.remove(path)
            assert.equal(1, r.code, case[1])
            assert.truthy(r.stderr:find(case[2], 1, true), r.stderr)
        end
        local r = srv_run { "lookup", NAME, "--zone", ZONE, "--policy", "/nonexistent/policy.lua" }
        assert.same({ 1, true }, { r.code, r.stderr:find("/nonexistent/policy.lua", 1, true) ~= nil })
    end)

    -- srv checks only a candidate's target, port, priority and weight: the
    -- output must cope with whatever a policy left in the other fields.
    it("reports a policy's malformed candidate field without an internal error from lua/runner/", function()
        local policy = write_file('return function(c) c[1].addresses = "192.0.2.1" return c end')
        local r = srv_run { "lookup", NAME, "--zone", ZONE, "--policy", policy }
        os.remove(policy)
        assert.is_true(r.code == 0 or r.code == 1, "exit status " .. tostring(r.code))
        assert.falsy(r.stderr:find("lua/runner/", 1, true), r.stderr)
        assert.falsy(r.stderr:find("attempt to", 1, true), r.stderr)
        assert.falsy(r.stderr:find("bad argument", 1, true), r.stderr)
    end)

    it("resolves XMPP with --xmpp client|server DOMAIN, direct TLS included", function()
        local r = srv_run { "lookup", "--xmpp", "client", "example.net", "--zone", ZONE, "--seed", "1" }
        assert.equal(0, r.code)
        local tls = {}
        for _, row in ipairs(rows(r.stdout)) do
            if row[6] == "tls=yes" then tls[#tls + 1] = row[4] .. row[3] end
        end
        assert.same({ "example.net.5223" }, tls)
        r = srv_run { "lookup", "--xmpp", "server", "example.net", "--zone", ZONE }
        assert.same({ 0, "5269" }, { r.code, rows(r.stdout)[1][3] })
    end)

    it("resolves TURN and STUN URIs with --turn and --stun", function()
        local r = srv_run { "lookup", "--turn", "turn:example.net", "--zone", ZONE, "--seed", "1" }
        assert.equal(0, r.code)
        local transports = {}
        for i, row in ipairs(rows(r.stdout)) do transports[i] = row[6] end
        assert.same({ "transport=udp", "transport=udp", "transport=tcp", "transport=tls" }, transports)
        r = srv_run { "lookup", "--stun", "stuns:example.net", "--zone", ZONE }
        assert.same({ { "5", "0", "5349", "server.example.net.", "srv", "transport=tls" } }, rows(r.stdout))
    end)

    it("falls back to the domain on NXDOMAIN, and exits 3 with --no-fallback", function()
        local r = srv_run { "lookup", "_xmpp-client._tcp.missing.example.net", "--zone", ZONE }
        assert.same({ 0, { { "0", "0", "5222", "missing.example.net.", "fallback" } } }, { r.code, rows(r.stdout) })
        r = srv_run { "lookup", "_xmpp-client._tcp.missing.example.net", "--zone", ZONE, "--no-fallback" }
        assert.same({ 3, "" }, { r.code, r.stdout })
        assert.truthy(r.stderr:find("_xmpp-client._tcp.missing.example.net: domain name not found", 1, true))
    end)

    it("exits 3 for NODATA, 4 for NOSERVICE and 5 for a refused query, against knotd", function()
        local r = srv_run { "lookup", "_sip._tcp.port0.lua.test", "--server", env.server, "--no-fallback" }
        assert.equal(0, r.code, r.stderr)
        -- a TXT record and no SRV at the name: NODATA, returned with --no-fallback
        r = srv_run { "lookup", "_xmpp-client._tcp.nodata.srv.test", "--server", env.server, "--no-fallback" }
        assert.same({ 3, true }, { r.code, r.stderr:find("no SRV records at this name", 1, true) ~= nil })
        r = srv_run { "lookup", "_xmpps-client._tcp.notls.lua.test", "--server", env.server }
        assert.same({ 4, true }, { r.code, r.stderr:find("service decidedly not available", 1, true) ~= nil })
        r = srv_run { "lookup", "_xmpp-client._tcp.example.org", "--server", env.server }
        assert.same({ 5, true }, { r.code, r.stderr:find("refused", 1, true) ~= nil })
    end)

    it("exits 5 when the server does not answer within --timeout", function()
        local silent = assert(socket.udp())
        assert(silent:setsockname("127.0.0.1", 0))
        local _, port = silent:getsockname()
        local started = socket.gettime()
        local r = srv_run { "lookup", NAME, "--server", "127.0.0.1:" .. port, "--timeout", "0.1" }
        silent:close()
        assert.same({ 5, "" }, { r.code, r.stdout })
        assert.truthy(r.stderr:find("no answer before the timeout", 1, true), r.stderr)
        assert.is_true(socket.gettime() - started < 10)
    end)

    it("exits 2 for a bad name, a bad server, and an unreadable or broken zone file", function()
        assert_usage_error(srv_run { "lookup", "not-an-srv-name", "--zone", ZONE }, "not a _service._proto.domain name")
        assert_usage_error(srv_run { "lookup", NAME, "--server", "300.1.2.3" }, "bad server address '300.1.2.3'")
        assert_usage_error(srv_run { "lookup", NAME, "--zone", "/nonexistent.zone" }, "cannot read the zone file")
        local broken = write_file("this is not a zone\n")
        local r = srv_run { "lookup", NAME, "--zone", broken }
        os.remove(broken)
        assert.same({ 2, true }, { r.code, r.stderr:find("PARSE", 1, true) ~= nil })
    end)

    it("exits 2 with a one-line error and the usage for every bad command line", function()
        local cases = {
            { { "lookup" }, "no NAME given" },
            { { "lookup", "a", "b" }, "NAME is one word" },
            { { "lookup", NAME, "--bogus" }, "unknown option --bogus" },
            { { "lookup", NAME, "-x" }, "unknown option -x" },
            { { "lookup", NAME, "--seed" }, "--seed needs a value" },
            { { "lookup", NAME, "--seed", "x" }, "bad value 'x' for --seed" },
            { { "lookup", NAME, "--seed", "1.5" }, "bad value '1.5' for --seed: integer expected" },
            { { "lookup", NAME, "--seed=1", "--seed=2" }, "--seed given twice" },
            { { "lookup", NAME, "--json=yes" }, "--json takes no value" },
            { { "lookup", NAME, "--timeout", "0" }, "bad value '0' for --timeout" },
            { { "lookup", NAME, "--timeout", "nan" }, "bad value 'nan' for --timeout" },
            { { "lookup", NAME, "--simulate", "0" }, "bad value '0' for --simulate" },
            { { "lookup", NAME, "--simulate", "ten" }, "bad value 'ten' for --simulate" },
            { { "lookup", NAME, "--down", "server1.example.net:0" }, "bad value 'server1.example.net:0' for --down" },
            { { "lookup", NAME, "--down", "server1.example.net:70000" }, "for --down" },
            { { "lookup", NAME, "--down", "server1.example.net:abc" }, "bad value 'server1.example.net:abc' for --down" },
            { { "lookup", NAME, "--tries", "-1" }, "bad value '-1' for --tries: integer of at least 1 expected" },
            { { "lookup", NAME, "--simulate", "-3" }, "bad value '-3' for --simulate: integer of at least 1 expected" },
            { { "lookup", NAME, "--zone", ZONE, "--server", "127.0.0.1" }, "--server and --zone exclude each other" },
            { { "lookup", NAME, "--simulate", "10", "--explain" }, "--simulate and --explain exclude each other" },
            { { "lookup", "--xmpp", "peer", "example.net" }, "bad value 'peer' for --xmpp" },
            { { "lookup", "--xmpp", "client" }, "--xmpp client needs one DOMAIN" },
            { { "lookup", "--turn", "turn:example.net", NAME }, "--turn takes the URI, no NAME" },
            { { "lookup", "--turn", "turn:x", "--stun", "stun:x" }, "exclude each other" },
            -- an option is never the value of the one before it
            { { "lookup", "--turn", "--zone", ZONE }, "--turn needs a value, and --zone is an option" },
            { { "lookup", NAME, "--policy", "--json" }, "--policy needs a value, and --json is an option" },
        }
        for _, case in ipairs(cases) do assert_usage_error(srv_run(case[1]), case[2]) end
    end)

    it("prints JSON that parses back, for candidates and for failures", function()
        local r = srv_run { "lookup", NAME, "--zone", ZONE, "--json", "--addresses", "--seed", "1" }
        assert.equal(0, r.code)
        local doc = assert(json.decode(r.stdout))
        assert.equal(NAME, doc.name)
        assert.equal(5, #doc.candidates)
        assert.same({ target = "server1.example.net", port = 5222, priority = 5, weight = 50, ttl = 86400,
                      source = "srv", addresses = { "192.0.2.11" } }, doc.candidates[1])
        r = srv_run { "lookup", "_foo._tcp.example.net", "--zone", ZONE, "--json" }
        assert.equal(3, r.code)
        assert.equal('{"code":"NXDOMAIN","error":"_foo._tcp.example.net: domain name not found",'
                     .. '"name":"_foo._tcp.example.net"}\n', r.stdout)
        assert.same({ name = "_foo._tcp.example.net", code = "NXDOMAIN",
                      error = "_foo._tcp.example.net: domain name not found" }, json.decode(r.stdout))
    end)

    -- JSON text is UTF-8; the bytes of a name that are not are escaped as
    -- \udcXX, never replaced (docs/srv-run.md, "JSON output").
    it("writes the bytes of a name that are not UTF-8 as \\udcXX in JSON, losing none", function()
        local name = "_x._tcp.caf\xc3\xa9\xff\xc3.example.net"
        local r = srv_run { "lookup", name, "--zone", ZONE, "--json" }
        assert.equal(3, r.code, r.stderr)
        assert.truthy(r.stdout:find('"name":"_x._tcp.caf\xc3\xa9\\udcff\\udcc3.example.net"', 1, true), r.stdout)
        assert.falsy(r.stdout:find("\u{FFFD}", 1, true), r.stdout)
        -- dkjson reads \udcXX as the three bytes of a surrogate; the
        -- reader's recipe of docs/srv-run.md turns them back into the byte
        local decoded = json.decode(r.stdout).name:gsub("\xED([\xB2\xB3])([\x80-\xBF])", function(high, low)
            return string.char((high:byte() - 0xB0) << 6 | (low:byte() & 0x3F))
        end)
        assert.equal(name, decoded)
        assert.truthy(utf8.len(r.stdout), "the output is UTF-8")
    end)

    it("gives up on a silent server after --tries rounds", function()
        local silent = assert(socket.udp())
        assert(silent:setsockname("127.0.0.1", 0))
        local _, port = silent:getsockname()
        local started = socket.gettime()
        local r = srv_run { "lookup", NAME, "--server", "127.0.0.1:" .. port, "--timeout", "0.2", "--tries", "1" }
        local elapsed = socket.gettime() - started
        silent:close()
        assert.equal(5, r.code)
        -- one try of 0.2 s, not 0.2 + 0.4 (the default 2 tries on c-ares 1.18)
        assert.is_true(elapsed < 1.2, "took " .. elapsed .. " s")
        assert_usage_error(srv_run { "lookup", NAME, "--tries", "0" }, "bad value '0' for --tries")
    end)

    it("says on stderr which server it still waits for after a second, leaving --json stdout alone", function()
        local silent = assert(socket.udp())
        assert(silent:setsockname("127.0.0.1", 0))
        local _, port = silent:getsockname()
        local server = "127.0.0.1:" .. port
        local r = srv_run { "lookup", NAME, "--server", server, "--timeout", "1.5", "--tries", "1", "--json" }
        silent:close()
        assert.same({ 5, { name = NAME, code = "TIMEOUT", error = NAME .. ": no answer before the timeout" } },
                    { r.code, (json.decode(r.stdout)) })
        -- each line starts with the runner as it was called (build/srv-run, or another build's)
        assert.equal("srv-run: " .. NAME .. ": still waiting for an answer from " .. server .. "\n"
                     .. "srv-run: " .. NAME .. ": no answer before the timeout\n",
                     (r.stderr:gsub("[^\n]*/srv%-run: ", "srv-run: ")))
        -- an answer within the second: nothing on stderr
        r = srv_run { "lookup", NAME, "--server", env.server }
        assert.same({ 0, "" }, { r.code, r.stderr })
    end)

    -- The ranges of srv.resolver's options (docs/lua-api.md): a seed is any
    -- integer, as srv.resolver{seed = -1} takes it.
    it("takes any integer as --seed, as srv.resolver does", function()
        local r = srv_run { "lookup", NAME, "--zone", ZONE, "--seed", "-1" }
        local script = srv_run({ "-", ZONE }, { stdin = [[
            local srv = require "srv"
            local r = assert(srv.resolver { zone = ..., seed = -1 })
            for _, c in ipairs(assert(r:resolve("_xmpp-client._tcp.example.net"))) do print(c.target) end
        ]] })
        assert.same({ 0, 0 }, { r.code, script.code }, r.stderr .. script.stderr)
        local targets = {}
        for target in r.stdout:gmatch("\n%d+ %d+ %d+ (%S-)%.? ") do targets[#targets + 1] = target end
        local expected = {}
        for target in script.stdout:gmatch("[^\n]+") do expected[#expected + 1] = target end
        assert.same(expected, targets)
    end)

    it("names the zone file that cannot be read or parsed", function()
        assert_usage_error(srv_run { "lookup", NAME, "--zone", "docs/examples" },
                           "cannot read the zone file: docs/examples: Is a directory")
        local broken = write_file("x y z\n")
        assert_usage_error(srv_run { "lookup", NAME, "--zone", broken }, broken .. ": PARSE: line 1")
        os.remove(broken)
    end)

    it("refuses an empty word of NAME, and exits 2 for a domain that is no domain", function()
        assert_usage_error(srv_run { "lookup", "", "", "" }, "NAME as three words: the service is empty")
        assert_usage_error(srv_run { "lookup", "xmpp-client", "tcp", "", "--zone", ZONE },
                           "NAME as three words: the domain is empty")
        assert_usage_error(srv_run { "lookup", "", "--zone", ZONE }, "not a _service._proto.domain name")
        assert_usage_error(srv_run { "lookup", "--xmpp", "client", "user@chat.test", "--zone", ZONE },
                           "user@chat.test: a JID, not a domain: give its domain part (chat.test)")
        assert_usage_error(srv_run { "lookup", "--xmpp", "client", "_xmpp-client._tcp.chat.test", "--zone", ZONE },
                           "not a domain: give the domain alone (chat.test)")
    end)

    it("exits 2, naming the zones, for a name outside the zones of --zone, and refuses an empty zone file", function()
        local r = srv_run { "lookup", "_xmpp-client._tcp.example.org", "--zone", ZONE }
        assert.same({ 2, "" }, { r.code, r.stdout })
        assert.truthy(r.stderr:find("_xmpp-client._tcp.example.org: in none of the zones of the zone text "
                                    .. "(example.net)\n", 1, true), r.stderr)
        r = srv_run { "lookup", "--xmpp", "client", "example.org", "--zone", ZONE, "--json" }
        assert.same({ 2, "NOTINZONE" }, { r.code, json.decode(r.stdout).code })
        local empty = write_file("")
        assert_usage_error(srv_run { "lookup", NAME, "--zone", empty }, empty .. ": PARSE: the zone file holds no records")
        os.remove(empty)
    end)

    it("takes three words only when service and proto are plain words", function()
        -- "--" ends the options: the rest are operands, and must not become a name
        assert_usage_error(srv_run { "lookup", "--", NAME, "--zone", ZONE }, "NAME is one word")
    end)

    it("warns about a --down that matches no candidate", function()
        local r = srv_run { "lookup", NAME, "--zone", ZONE, "--down", "sever1.example.net" }
        assert.same({ 0, "server1.example.net." }, { r.code, targets(r.stdout)[1] })
        assert.truthy(r.stderr:find("warning: --down sever1.example.net: no such candidate", 1, true), r.stderr)
    end)

    -- --down resolves once more to find the candidates it names: that must
    -- not use up the seeded shuffle of the lookup itself.
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

    it("knows the hosts a policy excludes and the ones it adds for --down", function()
        -- exclude_fallback.lua drops server1 and adds relay.example.org on 5222 and 443
        local r = srv_run { "lookup", NAME, "--zone", ZONE, "--policy", "scripts/exclude_fallback.lua",
                            "--down", "server1.example.net", "--down", "relay.example.org:5222" }
        assert.same({ 0, "" }, { r.code, r.stderr })
        local rows = run.rows(r.stdout)
        assert.equal("relay.example.org.", rows[#rows][4])
        assert.same({ "443", "5222" }, { rows[#rows - 1][3], rows[#rows][3] })  -- the one down goes last
    end)

    it("exits 2 for a URI srv does not resolve", function()
        assert_usage_error(srv_run { "lookup", "--turn", "http://example.net", "--zone", ZONE },
                           'unsupported scheme "http"')
        assert_usage_error(srv_run { "lookup", "--stun", "turn:example.net", "--zone", ZONE },
                           "resolve_stun takes stun: and stuns: URIs, not turn:")
    end)

    describe("--simulate", function()
        local DRAWS = 20000
        -- 5 standard deviations of a share p over DRAWS draws, at least 0.005.
        local function bound(p) return math.max(0.005, 5 * math.sqrt(p * (1 - p) / DRAWS)) end

        -- TURN with a transport that has no SRV records, and one
        -- target:port listed at two priorities.
        local zone
        setup(function()
            zone = write_file [[
$ORIGIN simulate.test.
$TTL 300
@ IN SOA ns.simulate.test. hostmaster.simulate.test. 1 3600 600 86400 300
@ IN NS ns.simulate.test.
ns IN A 127.0.0.1
_turn._udp IN SRV 5 50 3478 u1.simulate.test.
_turn._udp IN SRV 5 50 3478 u2.simulate.test.
_turns._tcp IN SRV 5 0 5349 s1.simulate.test.
_dup._tcp IN SRV 1 10 80 d.simulate.test.
_dup._tcp IN SRV 1 10 80 e.simulate.test.
_dup._tcp IN SRV 2 10 80 d.simulate.test.
]]
        end)
        teardown(function() os.remove(zone) end)

        local function simulate(...)
            local words = { "lookup", NAME, "--zone", ZONE, "--simulate", tostring(DRAWS), "--json", ... }
            local r = srv_run(words)
            assert.equal(0, r.code, r.stderr)
            local doc = assert(json.decode(r.stdout))
            local by_target = {}
            for _, t in ipairs(doc.targets) do by_target[t.target:match("^[^.]+")] = t end
            return by_target, doc, r.stdout
        end

        it("puts server1 first every time, and shares the rest as the RFC predicts", function()
            local t, doc = simulate()
            assert.equal(DRAWS, doc.draws)
            assert.equal(1, t.server1.first)
            assert.same({ 1, 0, 0, 0, 0 }, t.server1.predicted)
            assert.same({ 0, 0, 0, 0, 1 }, t.backup.observed)
            for _, name in ipairs { "server2", "server3", "server4" } do
                for position = 1, 5 do
                    local p = t[name].predicted[position]
                    assert.is_true(math.abs(t[name].observed[position] - p) <= bound(p),
                                   string.format("%s #%d: %.4f vs %.4f", name, position, t[name].observed[position], p))
                end
            end
            assert.near(0.6, t.server2.predicted[2], 1e-12)
            assert.near(0.35, t.server3.predicted[3], 1e-12)
        end)

        it("shares the first place 60/20/20 among server2/3/4 with server1 down, backup never first", function()
            local t, _, doc_text = simulate("--down", "server1.example.net")
            assert.near(0.6, t.server2.first, bound(0.6))
            assert.near(0.2, t.server3.first, bound(0.2))
            assert.near(0.2, t.server4.first, bound(0.2))
            assert.same({ 0.6, 0.2, 0.2 }, { t.server2.predicted[1], t.server3.predicted[1], t.server4.predicted[1] })
            -- the shortest form that reads back: 0.6, not 0.59999999999999998
            assert.truthy(doc_text:find('"predicted":[0.6,0.3,0.1,0,0]', 1, true), doc_text)
            assert.equal(0, t.backup.first)
            assert.same({ 0, 0, 0, 1, 0 }, t.backup.observed)
            assert.same({ 0, 0, 0, 0, 1 }, t.server1.observed)
        end)

        it("prints a table of observed and predicted shares", function()
            local r = srv_run { "lookup", NAME, "--zone", ZONE, "--simulate", "1000", "--seed", "2" }
            assert.equal(0, r.code)
            assert.truthy(r.stdout:find(";; " .. NAME .. ": 1000 draws, seed 2\n", 1, true), r.stdout)
            assert.truthy(r.stdout:find("\nserver1.example.net:5222 100.00%% %(100.0%%%)"), r.stdout)
            assert.truthy(r.stdout:find("\nbackup.example.net:5222 +0.00%% %(0.0%%%)"), r.stdout)
        end)

        it("fails like a lookup when the name does not resolve", function()
            local r = srv_run { "lookup", "_foo._tcp.example.net", "--zone", ZONE, "--simulate", "10" }
            assert.same({ 3, "" }, { r.code, r.stdout })
        end)

        -- The prediction counts the fallback of a transport without SRV
        -- records among the positions, as the draws do.
        it("predicts the positions of a TURN list in which one transport fell back", function()
            local r = srv_run { "lookup", "--turn", "turn:simulate.test", "--zone", zone, "--simulate", DRAWS, "--json" }
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

        -- Rows and predictions are per record, not per target:port.
        it("keeps two records with the same target:port apart: shares of a row sum to at most 100%", function()
            local r = srv_run { "lookup", "_dup._tcp.simulate.test", "--zone", zone, "--simulate", DRAWS, "--json" }
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
    end)

    describe("--explain", function()
        it("says why each candidate is where it is, and what was left out", function()
            local path = write_file([[
                local srv = require "srv"
                return srv.policy { exclude = "server2.example.net", pin = "backup.example.net",
                                    fallback = "relay.example.org:443" }
            ]])
            local r = srv_run { "lookup", NAME, "--zone", ZONE, "--explain", "--policy", path,
                                "--down", "server1.example.net" }
            os.remove(path)
            assert.equal(0, r.code, r.stderr)
            local expect = {
                "pinned first by the policy (pin)",
                "weight 10 of the priority's 50: first among its 3 records 20.0% of the time",
                "appended by the policy as a fallback (fallback)",
                "marked down: moved behind the up candidates",
                ";; left out: server2.example.net:5222: removed by the policy (exclude)",
                "priority 15: the only usable record of this priority",
            }
            for _, text in ipairs(expect) do assert.truthy(r.stdout:find(text, 1, true), text .. "\n" .. r.stdout) end
            -- the candidate lines are unchanged: explanations are comments
            assert.same({ "backup.example.net.", "relay.example.org.", "server1.example.net." },
                        { targets(r.stdout)[1], targets(r.stdout)[4], targets(r.stdout)[5] })
        end)

        -- Only records of the answer are merged by priority and weight
        -- (XEP-0368); a direct-TLS host a policy adds is appended.
        it("says a direct-TLS fallback of a policy was appended, not merged", function()
            local path = write_file([[
                local srv = require "srv"
                return srv.policy { fallback = { target = "tls.example.org", port = 5223, tls = true } }
            ]])
            local r = srv_run { "lookup", "--xmpp", "client", "example.net", "--zone", ZONE, "--explain",
                                "--policy", path, "--json" }
            os.remove(path)
            assert.equal(0, r.code, r.stderr)
            local why = {}
            for _, c in ipairs(json.decode(r.stdout).candidates) do why[c.target .. ":" .. c.port] = c.why end
            assert.same({ "priority 5, weight 0: after the weighted records of its priority, in random order",
                          "direct TLS (XEP-0368): merged with the STARTTLS records by priority and weight" },
                        why["example.net:5223"])
            assert.same({ "direct TLS (XEP-0368): not from the SRV answer, so not merged with its records",
                          "appended by the policy as a fallback (fallback)" },
                        why["tls.example.org:5223"])
        end)

        it("explains fallbacks, skipped records and what a policy function moved", function()
            local r = srv_run { "lookup", "_sip._tcp.port0.lua.test", "--server", env.server, "--explain" }
            assert.equal(0, r.code)
            assert.truthy(r.stdout:find(";; left out: a.lua.test:0: port 0", 1, true), r.stdout)
            r = srv_run { "lookup", "_xmpp-client._tcp.missing.example.net", "--zone", ZONE, "--explain" }
            assert.truthy(r.stdout:find(";   fallback: NXDOMAIN", 1, true), r.stdout)
            local path = write_file("return function(c) table.insert(c, 1, table.remove(c)) return c end")
            r = srv_run { "lookup", NAME, "--zone", ZONE, "--explain", "--policy", path }
            os.remove(path)
            assert.truthy(r.stdout:find("the policy moved it from #5 to #1", 1, true), r.stdout)
        end)

        it("says what a function in a chain moved, and not what a pin only shifted", function()
            -- the pin puts backup first, shifting everyone by one; then the
            -- function moves the last candidate to second place
            local path = write_file([[
                local srv = require "srv"
                return srv.chain(srv.policy { pin = "backup.example.net" }, function(c)
                    table.insert(c, 2, table.remove(c))
                    return c
                end)
            ]])
            local r = srv_run { "lookup", NAME, "--zone", ZONE, "--seed", "1", "--explain", "--policy", path }
            os.remove(path)
            assert.equal(0, r.code, r.stderr)
            local moves = {}
            for line in r.stdout:gmatch("the policy moved it from #%d+ to #%d+") do moves[#moves + 1] = line end
            assert.same({ "the policy moved it from #4 to #2" }, moves)
            assert.truthy(r.stdout:find("pinned first by the policy (pin)", 1, true), r.stdout)
        end)

        it("adds why and left_out to the JSON", function()
            local r = srv_run { "lookup", "_sip._tcp.port0.lua.test", "--server", env.server, "--explain", "--json" }
            local doc = assert(json.decode(r.stdout))
            assert.same({ "a.lua.test:0: port 0" }, doc.left_out)
            assert.same({ "priority 1: the only usable record of this priority" }, doc.candidates[1].why)
        end)

        -- On a STUN/TURN list one target:port is on several transports: a
        -- policy rule is noted for the candidate it acted on, transport
        -- and all.
        it("names a policy rule only under the candidate it acted on, not its other transports", function()
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
    end)
end)

describe("srv-run outside the checkout", function()
    it("runs from a copy in another directory, with the checkout out of reach", function()
        local dir = os.tmpname()
        os.remove(dir)
        assert(os.execute("mkdir " .. dir .. " && cp " .. run.SRV_RUN .. " " .. dir .. "/srv-run && cp " .. ZONE .. " " .. dir))
        local pipe = assert(io.popen(string.format(
            "cd %s && env -u LUA_PATH -u LUA_CPATH ./srv-run lookup %s --zone example.net.zone --seed 1 2>&1; echo status=$?",
            dir, NAME)))
        local out = pipe:read("a")
        pipe:close()
        os.execute("rm -rf " .. dir)
        assert.truthy(out:find("5 50 5222 server1.example.net. srv\n", 1, true), out)
        assert.truthy(out:find("\nstatus=0\n$"), out)
    end)
end)

describe("make demo", function()
    -- With unshare (root, or user namespaces) the demo runs with no network
    -- device at all but loopback, down: proof that it needs none.
    local isolate = os.execute("unshare -n true 2>/dev/null") and "unshare -n " or ""

    -- make -n prints what a fresh build would run (recursive makes run, with -n too).
    it("builds srv-run and not the C tests or the C demo, which it does not use", function()
        local dir = os.tmpname()
        os.remove(dir)
        local pipe = assert(io.popen("make -n --no-print-directory demo BUILD=" .. quote(dir) .. " 2>&1; echo status=$?"))
        local out = pipe:read("a")
        pipe:close()
        os.execute("rm -rf " .. quote(dir))
        assert.truthy(out:find("\nstatus=0\n$"), out)
        assert.truthy(out:find(dir .. "/srv-run", 1, true), out)
        assert.falsy(out:find(dir .. "/tests/", 1, true), "builds the C tests")
        assert.falsy(out:find(dir .. "/srv-demo", 1, true), "builds the C demo")
    end)

    it("shows a lookup, --explain, --simulate with and without server1, and a policy, offline", function()
        local pipe = assert(io.popen(isolate .. "sh docs/examples/demo.sh " .. run.SRV_RUN .. " 2>&1; echo status=$?"))
        local out = pipe:read("a")
        pipe:close()
        assert.truthy(out:find("\nstatus=0\n$"), out)
        for _, text in ipairs {
            "$ srv-run lookup _xmpp-client._tcp.example.net --zone docs/examples/example.net.zone --addresses\n",
            "5 50 5222 server1.example.net. srv addresses=192.0.2.11\n",
            "first among its 3 records 60.0% of the time",
            "server1.example.net:5222 100.00% (100.0%)",
            "--simulate 100000 --down server1.example.net\n",
            "pinned first by the policy (pin)",
            "5 0 5223 example.net. srv tls=yes",
            "transport=udp",
        } do
            assert.truthy(out:find(text, 1, true), text)
        end
    end)
end)

-- Cases an adversarial review found, each with its problem in a comment.
do
    local srv = require "srv"
    local run = require "spec.support.run"

    local srv_run = run.srv_run
    local ZONE = "docs/examples/example.net.zone"
    local NAME = "_xmpp-client._tcp.example.net"

    -- Bytes of Lua memory calls(count) allocates per call, the collector
    -- stopped: what a call leaves for the collector, counted, not timed.
    local function bytes_per_call(calls, count)
        collectgarbage()
        collectgarbage("stop")
        local before = collectgarbage("count")
        calls(count)
        local after = collectgarbage("count")
        collectgarbage("restart")
        return (after - before) * 1024 / count
    end

    describe("a misspelt srv-run option", function()
        -- Problem: the runnable scripts take the source options through
        -- srv.run.source (docs/scripts.md), but a misspelt one reached the
        -- script's own parser, which knows only its own options: "unknown
        -- option --zome" with no suggestion, where srv-run lookup says "did you
        -- mean --zone?".
        it("in a script that parses its own options is told the source option it is near", function()
            local r = srv_run({ "scripts/batch.lua", "--zome", ZONE, "example.net" }, { timeout = 30 })
            assert.equal(2, r.code)
            assert.matches("unknown option %-%-zome; did you mean %-%-zone%?", r.stderr)
        end)

        -- Problem: xmpp_client.lua and health.lua looked at their first word
        -- only: a misspelt option after the domain was "one domain only", and
        -- one before it had no suggestion.
        it("in a script that takes operands only is told the option it is near, wherever it is", function()
            local r = srv_run({ "scripts/xmpp_client.lua", "example.net", "--zone", ZONE, "--sed", "1" },
                              { timeout = 30 })
            assert.equal(2, r.code)
            assert.matches("unknown option %-%-sed; did you mean %-%-seed%?", r.stderr)
            r = srv_run({ "scripts/health.lua", "--zone", ZONE, "--tires", "2", NAME }, { timeout = 30 })
            assert.equal(2, r.code)
            assert.matches("unknown option %-%-tires; did you mean %-%-tries%?", r.stderr)
        end)

        -- Problem: srv-run's own options (--help, --version) had no suggestion.
        it("before any command is told srv-run's own option it is near", function()
            local r = srv_run({ "--verison" }, { timeout = 30 })
            assert.equal(2, r.code)
            assert.matches("unknown option %-%-verison; did you mean %-%-version%?", r.stderr)
        end)

        -- Problem: an option written with one dash (-json) had no suggestion,
        -- though every srv-run option has two.
        it("with one dash is told the two-dash option it is near", function()
            local r = srv_run({ "lookup", NAME, "--zone", ZONE, "-json" }, { timeout = 30 })
            assert.equal(2, r.code)
            assert.matches("unknown option %-json; did you mean %-%-json%?", r.stderr)
        end)
    end)
end

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

    describe("usage errors", function()
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

    describe("a misspelt srv-run option", function()
        it("is told the option it is near, as a Lua options table is", function()
            local r = srv_run({ "watch", NAME, "--zone", ZONE, "--min-tll", "1" }, { timeout = 30 })
            assert.equal(2, r.code)
            assert.matches("unknown option %-%-min%-tll; did you mean %-%-min%-ttl%?", r.stderr)
            r = srv_run({ "lookup", NAME, "--zone", ZONE, "--bogus" }, { timeout = 30 })
            assert.equal(2, r.code)
            assert.matches("unknown option %-%-bogus\n", r.stderr)
        end)
    end)
end
