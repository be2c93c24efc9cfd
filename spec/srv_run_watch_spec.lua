-- srv-run watch: the set, then each change with its time, until SIGINT.
-- Each case runs build/srv-run as a separate process, edits its zone while
-- it runs, then interrupts it.
local json = require "dkjson"
local run = require "spec.support.run"
local env = require "spec.support.env"

local quote, write_file = run.quote, run.write_file
local NAME = "_svc._tcp.watch.test"

local function zone(serial, records)
    local lines = { "$ORIGIN watch.test.",
                    "@ 1 IN SOA ns.watch.test. hostmaster.watch.test. " .. serial .. " 3600 600 86400 1",
                    "@ 1 IN NS ns.watch.test.", "ns 1 IN A 127.0.0.1" }
    for _, rec in ipairs(records) do lines[#lines + 1] = "_svc._tcp 1 IN SRV " .. rec end
    return table.concat(lines, "\n") .. "\n"
end

-- Runs srv-run with words in the background; after each of steps (shell
-- commands) it waits `pause` seconds (srv-run runs natively, also when the
-- specs run under valgrind); then SIGINT. Returns stdout, stderr and
-- the exit status (nil when it had to be killed).
local function watch_while(words, steps, pause)
    local parts = { quote(run.SRV_RUN) }
    for _, word in ipairs(words) do parts[#parts + 1] = quote(word) end
    local script = { "exec 2>/dev/null", string.format("%s 2>%%s & pid=$!", table.concat(parts, " ")),
                     "sleep " .. pause }
    for _, step in ipairs(steps) do
        script[#script + 1] = step
        script[#script + 1] = "sleep " .. pause
    end
    script[#script + 1] = "kill -INT $pid; i=0; while kill -0 $pid 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; "
        .. "i=$((i+1)); done; if kill -0 $pid 2>/dev/null; then kill -KILL $pid; fi; wait $pid; echo status=$?"
    local err_file = os.tmpname()
    local pipe = assert(io.popen((table.concat(script, "\n"):gsub("%%s", quote(err_file), 1))))
    local out = pipe:read("a")
    pipe:close()
    local err = run.read_file(err_file)
    os.remove(err_file)
    local status = tonumber(out:match("status=(%d+)\n$"))
    return out:gsub("status=%d+\n$", ""), err, status
end

local function rewrite(path, text)
    return string.format("printf '%%s' %s > %s", quote(text), quote(path))
end

describe("srv-run watch", function()
    it("prints the set, then each change with its time, and exits 0 on SIGINT", function()
        local path = write_file(zone(1, { "10 10 5222 a", "20 0 5222 b" }))
        local out, err, status = watch_while(
            { "watch", NAME, "--zone", path, "--min-ttl", "0.1", "--max-ttl", "0.1", "--seed", "1" },
            { rewrite(path, zone(2, { "10 30 5222 a", "20 0 5223 c" })),
              rewrite(path, zone(3, {})) }, 1)
        os.remove(path)
        assert.same({ 0, "" }, { status, err })
        local stamp = "%d%d%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%dZ"
        local expected = {
            "^;; " .. stamp .. " _svc%._tcp%.watch%.test: 2 candidates$",
            "^10 10 5222 a%.watch%.test%. srv$",
            "^20 0 5222 b%.watch%.test%. srv$",
            "^;; " .. stamp .. " _svc%._tcp%.watch%.test: 1 added, 1 removed, 1 changed; 2 candidates now$",
            "^%+ 20 0 5223 c%.watch%.test%. srv$",
            "^%- 20 0 5222 b%.watch%.test%. srv$",
            "^~ 10 30 5222 a%.watch%.test%. srv$",
            "^;; " .. stamp .. " _svc%._tcp%.watch%.test: 0 added, 2 removed, 0 changed; 0 candidates now$",
            "^%- ",
            "^%- ",
        }
        local lines = {}
        for line in out:gmatch("[^\n]+") do lines[#lines + 1] = line end
        assert.equal(#expected, #lines, out)
        for i, pattern in ipairs(expected) do assert.matches(pattern, lines[i]) end
    end)

    it("prints one JSON object per line with --json, against knotd", function()
        local zones, socket_path = os.getenv("SRV_TEST_ZONES"), os.getenv("SRV_TEST_KNOTC_SOCKET")
        assert(zones, "SRV_TEST_ZONES is not set: run the specs through spec/support/with-knotd.sh")
        local knotc = io.open("/usr/sbin/knotc") and "/usr/sbin/knotc" or "knotc"
        local file = zones .. "/watch.test.zone"
        local function serve(serial, records)
            return rewrite(file, zone(serial, records)) .. string.format(
                "; %s -s %s -b zone-reload watch.test >/dev/null", knotc, quote(socket_path))
        end
        local out, err, status = watch_while(
            { "watch", NAME, "--server", env.server, "--json", "--min-ttl", "0.1", "--max-ttl", "0.1",
              "--failure-refresh", "0.1", "--timeout", "0.5", "--tries", "1" },
            { serve(1000, { "10 10 5222 a" }), serve(1001, { "10 10 5222 a", "20 5 5222 b" }) }, 1)
        -- Put back what the other specs expect.
        os.execute(serve(1003, { "10 10 5222 a", "20 0 5222 b" }))
        assert.same({ 0, "" }, { status, err })
        local events = {}
        for line in out:gmatch("[^\n]+") do
            local e = assert(json.decode(line), line)
            assert.matches("^%d%d%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%dZ$", e.time)
            assert.equal(NAME, e.name)
            events[#events + 1] = e
        end
        assert.equal(3, #events, out)
        local function shown(list)
            local text = {}
            for i, c in ipairs(list) do text[i] = c.target .. "/" .. c.weight end
            table.sort(text)
            return table.concat(text, " ")
        end
        assert.same({ "set", "a.watch.test/10 b.watch.test/0" }, { events[1].event, shown(events[1].candidates) })
        assert.same({ "change", "", "b.watch.test/0", "", "a.watch.test/10" },
                    { events[2].event, shown(events[2].added), shown(events[2].removed),
                      shown(events[2].changed), shown(events[2].candidates) })
        assert.same({ "change", "b.watch.test/5", "", "" },
                    { events[3].event, shown(events[3].added), shown(events[3].removed), shown(events[3].changed) })
    end)

    it("prints a failure as an event, and goes on", function()
        -- Nothing listens on port 1 of the loopback: every refresh fails.
        local out, err, status = watch_while(
            { "watch", NAME, "--server", "127.0.0.1:1", "--json", "--timeout", "0.2", "--tries", "1",
              "--failure-refresh", "0.1" }, {}, 0.8)
        assert.same({ 0, "" }, { status, err })
        local first = assert(json.decode(out:match("^[^\n]+")), out)
        assert.same({ "failure", nil }, { first.event, first.stale })
        assert.matches("^_svc%._tcp%.watch%.test: ", first.error)
        assert.is_string(first.code)
        assert.equal(1, select(2, out:gsub("\n", "")), out)     -- once per failure streak
        out, err, status = watch_while(
            { "watch", NAME, "--server", "127.0.0.1:1", "--timeout", "0.2", "--tries", "1",
              "--failure-refresh", "0.1" }, {}, 0.8)
        assert.same({ 0, "" }, { status, err })
        assert.matches("^;; %d%d%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%dZ _svc%._tcp%.watch%.test: failed %(%u+%): "
                       .. "_svc%._tcp%.watch%.test: [^\n]+\n$", out)
    end)

    -- docs/srv-run.md's examples: what they print before SIGINT, but the time.
    local doc_blocks = require "spec.support.doc_blocks"
    for _, example in ipairs(doc_blocks.watch_examples(run.read_file("docs/srv-run.md"))) do
        it("prints what docs/srv-run.md shows at line " .. example.line, function()
            local out, err, status = watch_while(example.words, {}, 0.8)
            assert.same({ 0, "" }, { status, err })
            local stamp = "%d%d%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%dZ"
            assert.equal(example.output:gsub(stamp, "TIME"), (out:gsub(stamp, "TIME")))
        end)
    end

    it("refuses what it cannot watch as usage errors", function()
        for _, case in ipairs {
            { "no NAME given", "watch" },
            { 'not a _service._proto.domain name: "example.net"', "watch", "example.net", "--zone",
              "docs/examples/example.net.zone" },
            { "unknown option --xmpp", "watch", NAME, "--xmpp", "client" },
            { "unknown option --explain", "watch", NAME, "--explain" },
            { "bad value '2' for --jitter: a number from 0 to 1 expected", "watch", NAME, "--jitter", "2" },
            { "--max-ttl (5) is below --min-ttl (10)", "watch", NAME, "--min-ttl", "10", "--max-ttl", "5" },
        } do
            run.assert_usage_error(run.srv_run(table.move(case, 2, #case, 1, {})), case[1])
        end
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

    describe("Ctrl-C in srv-run watch", function()
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

    describe("srv-run watch on a name outside the zone file", function()
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
end
