-- r:watch: a service's set kept in step with DNS, and the resolver's timers
-- it runs on. Time is the resolver's injectable clock wherever it matters;
-- the DNS changes are real ones, made to knotd's copy of
-- spec/fixtures/watch.test.zone and reloaded with knotc.
local srv = require "srv"
local core = require "srv.core"
local env = require "spec.support.env"

local NAME = "_svc._tcp.watch.test"

-- A zone file the offline resolver reads, rewritten by the spec.
local function zone_text(serial, records, ttl)
    local lines = {
        "$ORIGIN watch.test.",
        string.format("@ 1 IN SOA ns.watch.test. hostmaster.watch.test. %d 3600 600 86400 1", serial),
        "@ 1 IN NS ns.watch.test.",
        "ns 1 IN A 127.0.0.1",
    }
    for _, rec in ipairs(records) do
        lines[#lines + 1] = string.format("_svc._tcp %d IN SRV %d %d %d %s.watch.test.", ttl or 1,
                                          rec.priority, rec.weight, rec.port, rec.target)
    end
    return table.concat(lines, "\n") .. "\n"
end

local function write(path, text)
    local f = assert(io.open(path, "w"))
    assert(f:write(text))
    assert(f:close())
end

-- "target:port/priority/weight" of each candidate, sorted.
local function shown(list)
    local out = {}
    for i, c in ipairs(list) do
        out[i] = string.format("%s:%d/%d/%d", c.target:match("^[^.]+"), c.port, c.priority, c.weight)
    end
    table.sort(out)
    return out
end

-- A watcher's callback that records every call.
local function recorder()
    local calls = {}
    local function cb(set, ...)
        local call = { set = set, n = select("#", ...), ... }
        calls[#calls + 1] = call
    end
    return calls, cb
end

-- Drives the resolver until the refresh under way has its result (pump: a
-- proxy between the resolver and knotd).
local function drive(r, w, pump)
    local rounds = 0
    while w:status().next_refresh == nil do
        rounds = rounds + 1
        assert(rounds < 4000, "the refresh did not complete")
        if pump then pump:pump() end
        r:step(0.005)
    end
end

-- Moves the clock to the watch's next refresh, and drives the resolver until
-- that refresh has its result.
local function refresh_now(r, w, clock, pump)
    clock.advance(w:status().next_refresh)
    r:process()                                   -- the timer: the query goes out
    drive(r, w, pump)
end

local TIMING = { min_ttl = 1, max_ttl = 2, jitter = 0, failure_refresh = 1 }

describe("r:watch, offline", function()
    local path = os.tmpname()
    local clock, r
    before_each(function()
        write(path, zone_text(1, { { target = "a", port = 5222, priority = 10, weight = 10 },
                                   { target = "b", port = 5222, priority = 20, weight = 0 } }, 60))
        clock = env.clock()
        r = assert(srv.resolver { zone = path, seed = 1, clock = clock.now })
    end)
    after_each(function() r:close() end)
    teardown(function() os.remove(path) end)

    local function settle(w)
        local rounds = 0
        while w:status().next_refresh == nil do
            rounds = rounds + 1
            assert(rounds < 100)
            r:process()
        end
    end

    it("calls back with the first set, every candidate added, from the loop", function()
        local calls, cb = recorder()
        local w = assert(r:watch(NAME, cb))
        assert.same({}, calls)
        assert.equal(0, r:timeout())
        settle(w)
        assert.equal(1, #calls)
        assert.same({ "a:5222/10/10", "b:5222/20/0" }, shown(calls[1].set))
        assert.same({ "a:5222/10/10", "b:5222/20/0" }, shown(calls[1][1].added))
        assert.same({ {}, {} }, { calls[1][1].removed, calls[1][1].changed })
        assert.equal("srv", calls[1].set[1].source)
        assert.is_false(w:status().stale)
    end)

    it("refreshes when the TTL runs out, clamped to min_ttl and max_ttl", function()
        local _, cb = recorder()
        local w = r:watch(NAME, cb, { min_ttl = 1, max_ttl = 100, jitter = 0 })
        settle(w)
        assert.equal(60, w:status().next_refresh)
        assert.equal(60, r:timeout())
        local short = r:watch(NAME, cb, { min_ttl = 1, max_ttl = 7, jitter = 0 })
        settle(short)
        assert.equal(7, short:status().next_refresh)
        write(path, zone_text(2, { { target = "a", port = 5222, priority = 10, weight = 10 } }, 0))
        refresh_now(r, short, clock)
        assert.equal(1, short:status().next_refresh)   -- TTL 0: min_ttl
        assert.equal(1, r:timeout())
    end)

    it("spreads refreshes by up to jitter of the wait", function()
        local _, cb = recorder()
        local waits = {}
        for i = 1, 20 do
            local w = r:watch(NAME, cb, { max_ttl = 10, jitter = 0.5, failure_refresh = i })
            settle(w)
            waits[i] = w:status().next_refresh
            assert.is_true(waits[i] >= 10 and waits[i] < 15, tostring(waits[i]))
        end
        table.sort(waits)
        assert.is_true(waits[20] - waits[1] > 1)
    end)

    it("calls nothing when nothing changed, and the changes when something did", function()
        local calls, cb = recorder()
        local w = r:watch(NAME, cb, TIMING)
        settle(w)
        refresh_now(r, w, clock)
        refresh_now(r, w, clock)
        assert.equal(1, #calls)
        assert.equal(3, w:status().refreshes)
        write(path, zone_text(2, { { target = "a", port = 5222, priority = 10, weight = 30 },
                                   { target = "c", port = 5269, priority = 20, weight = 5 } }, 60))
        refresh_now(r, w, clock)
        assert.equal(2, #calls)
        local diff = calls[2][1]
        assert.same({ "c:5269/20/5" }, shown(diff.added))
        assert.same({ "b:5222/20/0" }, shown(diff.removed))
        assert.same({ "a:5222/10/30" }, shown(diff.changed))
        assert.same({ "a:5222/10/30", "c:5269/20/5" }, shown(calls[2].set))
        assert.same(shown(calls[2].set), shown(w:status().set))
    end)

    it("tells apart two records of one target and port, and sees new addresses as a change", function()
        local calls, cb = recorder()
        local function publish(serial, a, second_weight)
            write(path, zone_text(serial, { { target = "a", port = 5222, priority = 10, weight = 1 },
                                            { target = "a", port = 5222, priority = 20, weight = second_weight } }, 60)
                        .. "a 60 IN A " .. a .. "\n")
        end
        publish(1, "192.0.2.1", 1)
        local w = r:watch(NAME, cb, { min_ttl = 1, max_ttl = 2, jitter = 0, addresses = true })
        settle(w)
        assert.same({ "a:5222/10/1", "a:5222/20/1" }, shown(calls[1].set))
        assert.same({ "192.0.2.1" }, calls[1].set[1].addresses)
        publish(2, "192.0.2.1", 7)                   -- the second record reweighted
        r:flush()
        refresh_now(r, w, clock)
        assert.same({ {}, {}, { "a:5222/20/7" } },
                    { calls[2][1].added, calls[2][1].removed, shown(calls[2][1].changed) })
        publish(3, "192.0.2.2", 7)                   -- a new address: both changed
        r:flush()
        refresh_now(r, w, clock)
        assert.same({ "a:5222/10/1", "a:5222/20/7" }, shown(calls[3][1].changed))
        assert.same({ "192.0.2.2" }, calls[3][1].changed[1].addresses)
        refresh_now(r, w, clock)
        assert.equal(3, #calls)
    end)

    it("counts NXDOMAIN and NODATA after a good set as a change: to the fallback, or to nothing", function()
        local calls, cb = recorder()
        local xmpp = "_xmpp-client._tcp.watch.test"
        write(path, zone_text(1, {}, 60) .. "_xmpp-client._tcp 60 IN SRV 0 0 5222 x.watch.test.\n")
        local w = r:watch(NAME, cb, TIMING)
        local wx = r:watch(xmpp, cb, TIMING)
        settle(w)
        settle(wx)
        assert.same({}, calls[1].set)                          -- _svc: NXDOMAIN, no default port
        assert.same({ "x:5222/0/0" }, shown(calls[2].set))
        write(path, zone_text(2, {}, 60) .. "_xmpp-client._tcp 60 IN TXT \"none\"\n")
        refresh_now(r, wx, clock)
        assert.equal(3, #calls)
        assert.same({ "watch:5222/0/0" }, shown(calls[3].set))   -- NODATA: the fallback
        assert.equal("fallback", calls[3].set[1].source)
        assert.same({ "x:5222/0/0" }, shown(calls[3][1].removed))
        local nofb = r:watch(xmpp, cb, { fallback = false, min_ttl = 1, max_ttl = 2, jitter = 0 })
        settle(nofb)
        assert.same({}, calls[4].set)
    end)

    it("stops calling once cancelled, also from inside the callback", function()
        local count = 0
        local w
        w = r:watch(NAME, function()
            count = count + 1
            assert.is_true(w:cancel())
        end, TIMING)
        r:process()
        r:process()
        assert.equal(1, count)
        assert.is_true(w:cancel())
        assert.is_true(w:status().cancelled)
        assert.equal(0, r:pending())
        assert.is_nil(r:timeout())
        assert.matches("^srv.watcher %(_svc._tcp.watch.test, cancelled%)$", tostring(w))
    end)

    it("shares one refresh between the watchers of one name with the same options", function()
        local calls, cb = recorder()
        local watchers = {}
        for i = 1, 10 do watchers[i] = r:watch(NAME, cb, TIMING) end
        local other = r:watch(NAME, cb, { min_ttl = 3, max_ttl = 3, jitter = 0 })
        settle(watchers[1])
        settle(other)
        assert.equal(11, #calls)
        assert.equal(2, r:stats().queries)
        -- A late watcher gets the set the others have, without a query.
        local late_calls, late_cb = recorder()
        r:watch(NAME, late_cb, TIMING)
        r:process()
        assert.equal(1, #late_calls)
        assert.same(shown(calls[1].set), shown(late_calls[1].set))
        assert.equal(2, r:stats().queries)
    end)

    it("keeps the other watchers going when a callback raises, then raises its error", function()
        local calls, cb = recorder()
        local raising = r:watch(NAME, function() error("callback fails") end, TIMING)
        local w = r:watch(NAME, cb, TIMING)
        assert.has_error(function() r:process() end)
        raising:cancel()
        assert.equal(1, #calls)
        assert.is_number(w:status().next_refresh)
    end)

    it("ends every watch with CANCELLED when the resolver closes", function()
        local calls, cb = recorder()
        local w = r:watch(NAME, cb, TIMING)
        settle(w)
        r:close()
        assert.equal(2, #calls)
        assert.same({ nil, 3, "CANCELLED" }, { calls[2].set, calls[2].n, calls[2][2] })
        assert.same(shown(calls[1].set), shown(calls[2][3]))
        assert.is_true(w:status().cancelled)
    end)

    it("returns nil, msg, code for a name r:resolve refuses, and raises on bad arguments", function()
        assert.same({ nil, 'not a _service._proto.domain name: "watch.test"', "BADNAME" },
                    { r:watch("watch.test", function() end) })
        assert.has_error(function() r:watch(NAME) end,
                         "bad argument #2 to 'watch' (function expected, got nil)")
        assert.has_error(function() r:watch(NAME, print, { min_tll = 1 }) end,
                         "bad argument #3 to 'watch' (unknown option 'min_tll'; did you mean 'min_ttl'?)")
        assert.has_error(function() r:watch(NAME, print, { min_ttl = 10, max_ttl = 5 }) end,
                         "bad argument #3 to 'watch' (max_ttl (5) is below min_ttl (10))")
        assert.has_error(function() r:watch(NAME, print, { jitter = 2 }) end,
                         "bad argument #3 to 'watch' (field 'jitter': number 0..1 expected, got 2)")
        assert.has_error(function() r:watch(NAME, print, { fallback = 1 }) end,
                         "bad argument #3 to 'watch' (field 'fallback': boolean expected, got number)")
        assert.has_error(function() srv.resolver { zone = path }.watch(42) end)
        local w = r:watch(NAME, function() end)
        assert.has_error(function() w.cancel(42) end,
                         "bad argument #1 to 'cancel' (srv.watcher expected, got number)")
    end)
end)

describe("r:watch in every loop", function()
    local path = os.tmpname()
    teardown(function() os.remove(path) end)

    -- A zone whose every edit the watch should see, on the real clock: the
    -- waits are short (max_ttl), the run ends when the callback cancels.
    local function edit_later(serial, target)
        write(path, zone_text(serial, { { target = target, port = 5222, priority = 0, weight = 0 } }, 60))
    end

    it("runs in r:run() until the last watcher is cancelled", function()
        edit_later(1, "a")
        local r <close> = assert(srv.resolver { zone = path })
        local seen = {}
        local w
        w = r:watch(NAME, function(set)
            seen[#seen + 1] = set[1].target:match("^[^.]+")
            if #seen == 1 then edit_later(2, "b") else w:cancel() end
        end, { min_ttl = 0.05, max_ttl = 0.05, jitter = 0 })
        local t0 = core.now()
        assert.is_true(r:run())
        assert.same({ "a", "b" }, seen)
        assert.is_true(core.now() - t0 >= 0.05)
    end)

    it("runs while tasks wait on the resolver (srv.wait)", function()
        edit_later(1, "a")
        local now = 0
        local r <close> = assert(srv.resolver { zone = path, cache = false, clock = function() return now end })
        local seen = {}
        r:watch(NAME, function(set) if set then seen[#seen + 1] = set[1].target:match("^[^.]+") end end,
                { min_ttl = 1, max_ttl = 1, jitter = 0 })
        local t = srv.spawn(function()
            local first = r:resolve(NAME)[1].target
            edit_later(2, "b")
            now = 5
            local lookups = 0
            -- Each blocking call suspends the task while srv.wait drives r,
            -- and the watch's refresh with it.
            while #seen < 2 do
                assert(r:lookup(NAME))
                lookups = lookups + 1
            end
            return first, lookups
        end)
        local first, lookups = srv.wait(t)
        assert.same({ "a.watch.test", { "a", "b" } }, { first, seen })
        assert.is_true(lookups <= 3)
    end)

    it("tells a loop of its own when to wake up: r:timeout() and r:pending()", function()
        edit_later(1, "a")
        local now = 0
        local r <close> = assert(srv.resolver { zone = path, clock = function() return now end })
        local seen = 0
        local w = r:watch(NAME, function() seen = seen + 1 end, { min_ttl = 1, max_ttl = 4, jitter = 0 })
        assert.is_nil(r:pollfd())
        while r:timeout() == 0 do r:process() end
        assert.same({ 1, 4, 1 }, { seen, r:timeout(), r:pending() })
        now = 4
        assert.equal(0, r:timeout())
        edit_later(2, "b")
        while r:timeout() == 0 do r:process() end
        assert.same({ 2, 4 }, { seen, r:timeout() })
        w:cancel()
        assert.same({ 0 }, { r:pending(), r:timeout() })
    end)
end)

describe("r:watch against knotd", function()
    local zone_path = os.getenv("SRV_TEST_ZONES") and os.getenv("SRV_TEST_ZONES") .. "/watch.test.zone"
    local socket_path = os.getenv("SRV_TEST_KNOTC_SOCKET")
    local serial = 100
    local knotc = "/usr/sbin/knotc"
    if not io.open(knotc) then knotc = "knotc" end

    -- Serves records at NAME (knotd's copy of the zone, then a blocking reload).
    local function serve(records)
        assert(zone_path, "SRV_TEST_ZONES is not set: run the specs through spec/support/with-knotd.sh")
        serial = serial + 1
        write(zone_path, zone_text(serial, records))
        local ok = os.execute(string.format("%s -s %q -b zone-reload watch.test >/dev/null", knotc, socket_path))
        assert(ok, "knotc zone-reload failed")
    end

    local INITIAL = { { target = "a", port = 5222, priority = 10, weight = 10 },
                      { target = "b", port = 5222, priority = 20, weight = 0 } }
    teardown(function() if zone_path then serve(INITIAL) end end)

    it("gives, by replaying the diffs, exactly the served set after each of 50 random edits", function()
        serve(INITIAL)
        local clock = env.clock()
        local r <close> = env.resolver { clock = clock.now, seed = 15 }
        local replayed, calls = {}, 0
        local function key(c) return c.target:match("^[^.]+") .. ":" .. c.port end
        local w = r:watch(NAME, function(set, diff, code)
            if code == "CANCELLED" then return end     -- r closes at the end
            assert(set, diff)
            calls = calls + 1
            for _, c in ipairs(diff.removed) do
                assert(replayed[key(c)], "removed twice")
                replayed[key(c)] = nil
            end
            for _, c in ipairs(diff.added) do
                assert(not replayed[key(c)], "added twice")
                replayed[key(c)] = string.format("%d/%d", c.priority, c.weight)
            end
            for _, c in ipairs(diff.changed) do
                assert(replayed[key(c)], "changed but not there")
                replayed[key(c)] = string.format("%d/%d", c.priority, c.weight)
            end
        end, TIMING)
        drive(r, w)
        local function served_as_map(records)
            local out = {}
            for _, rec in ipairs(records) do out[rec.target .. ":" .. rec.port] = rec.priority .. "/" .. rec.weight end
            return out
        end
        assert.same(served_as_map(INITIAL), replayed)

        local rng = core.rng(15)
        local function pick(n) return rng:below(n) + 1 end
        local records, next_name = INITIAL, 0
        local function fresh()
            next_name = next_name + 1
            return { target = "t" .. next_name, port = 5222 + pick(3), priority = pick(4) * 10, weight = pick(5) - 1 }
        end
        local kinds = { "add", "remove", "reweight", "reprioritise", "replace", "remove_all" }
        local changes_expected = 0
        for _ = 1, 50 do
            local before = served_as_map(records)
            local copy = {}
            for i, rec in ipairs(records) do
                copy[i] = { target = rec.target, port = rec.port, priority = rec.priority, weight = rec.weight }
            end
            local kind = kinds[pick(#kinds)]
            if #copy == 0 and kind ~= "replace" then kind = "add" end
            if kind == "add" then
                copy[#copy + 1] = fresh()
            elseif kind == "remove" then
                table.remove(copy, pick(#copy))
            elseif kind == "reweight" then
                copy[pick(#copy)].weight = pick(5) - 1
            elseif kind == "reprioritise" then
                copy[pick(#copy)].priority = pick(4) * 10
            elseif kind == "replace" then
                copy = {}
                for i = 1, pick(3) do copy[i] = fresh() end
            else
                copy = {}
            end
            records = copy
            serve(records)
            refresh_now(r, w, clock)
            local served = served_as_map(records)
            assert.same(served, replayed)
            local changed = false
            for k, v in pairs(served) do if before[k] ~= v then changed = true end end
            for k in pairs(before) do if served[k] == nil then changed = true end end
            if changed then changes_expected = changes_expected + 1 end
        end
        -- One call for the first set, then one per edit that changed the set.
        assert.equal(1 + changes_expected, calls)
    end)

    it("sends one query per refresh for 100 watchers of one name", function()
        serve(INITIAL)
        local clock = env.clock()
        local r <close> = env.resolver { clock = clock.now }
        local calls = 0
        local watchers = {}
        for i = 1, 100 do watchers[i] = r:watch(NAME, function() calls = calls + 1 end, TIMING) end
        local before = { queries = 0, shared = 0 }
        drive(r, watchers[1])
        assert.same({ 1, 0, 100 }, { r:stats().queries - before.queries, r:stats().shared - before.shared, calls })
        for round = 1, 3 do
            if round == 2 then serve({ { target = "c", port = 5222, priority = 0, weight = 0 } }) end
            refresh_now(r, watchers[1], clock)
            assert.equal(1 + round, r:stats().queries - before.queries)
        end
        assert.equal(200, calls)                  -- the edit reached every watcher, once
        assert.equal(0, r:stats().shared - before.shared)
    end)

    it("keeps the last good set through an outage, marked stale, and recovers within one failure_refresh", function()
        serve(INITIAL)
        local proxy = require("spec.support.proxy").new(env.server)
        local clock = env.clock()
        local r <close> = assert(srv.resolver { servers = proxy.address, timeout = 1, tries = 1,
                                                clock = clock.now })
        local calls, cb = recorder()
        local w = r:watch(NAME, cb, { min_ttl = 1, max_ttl = 2, jitter = 0, failure_refresh = 3 })
        drive(r, w, proxy)
        assert.same({ "a:5222/10/10", "b:5222/20/0" }, shown(calls[1].set))

        proxy.mode = "servfail"
        refresh_now(r, w, clock, proxy)
        assert.equal(2, #calls)
        local failure = calls[2]
        assert.same({ nil, "SERVFAIL" }, { failure.set, failure[2] })
        assert.equal(NAME .. ": server failure", failure[1])
        assert.equal(calls[1].set, failure[3])    -- the last good set, as the callback saw it
        local status = w:status()
        assert.same({ true, 1, 3 }, { status.stale, status.failures, status.next_refresh })
        assert.equal(calls[1].set, status.set)

        proxy.mode = "silent"                      -- the same streak: no new call
        refresh_now(r, w, clock, proxy)
        assert.equal(2, #calls)
        assert.same({ true, 2, 6 }, { w:status().stale, w:status().failures, w:status().next_refresh })

        proxy.mode = "forward"                     -- back: the next retry recovers
        serve({ { target = "a", port = 5222, priority = 10, weight = 10 } })
        refresh_now(r, w, clock, proxy)
        assert.equal(3, #calls)
        assert.same({ "a:5222/10/10" }, shown(calls[3].set))
        assert.same({ {}, { "b:5222/20/0" }, {} },
                    { calls[3][1].added, shown(calls[3][1].removed), calls[3][1].changed })
        assert.same({ false, 0 }, { w:status().stale, w:status().failures })

        -- One failure, the server back before the retry: recovered after one
        -- failure_refresh, with a call (an empty diff) that ends the streak.
        proxy.mode = "servfail"
        refresh_now(r, w, clock, proxy)
        assert.equal(3, w:status().next_refresh)
        proxy.mode = "forward"
        refresh_now(r, w, clock, proxy)
        assert.equal(5, #calls)
        assert.same({ {}, {}, {} }, { calls[5][1].added, calls[5][1].removed, calls[5][1].changed })
        assert.is_false(w:status().stale)
        proxy:close()
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

    describe("a watch on a clock that moves backwards", function()
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

    describe("a watch callback's error", function()
        -- Problem: the error a raising watch callback raises from r:process
        -- carried two tracebacks (three from a refresh's timer), the later ones
        -- through srv's own frames, where a lookup callback's carries one.
        it("carries one traceback, the callback's", function()
            local now = 0
            local r = assert(srv.resolver { zone = ZONE, clock = function() return now end })
            r:watch(NAME, function() error("raised here") end, { min_ttl = 10, max_ttl = 10, jitter = 0 })
            local ok, err = pcall(r.process, r)
            assert.is_false(ok)
            assert.matches("^spec/watch_spec%.lua:%d+: raised here\nstack traceback:\n", err)
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

    describe("a watcher that joins during a failure streak", function()
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
end
