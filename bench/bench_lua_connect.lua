-- bench_lua_connect.lua - r:connect (Happy Eyeballs over SRV) on loopback.
--
--   lua5.4 bench/bench_lua_connect.lua   (LUA_PATH/LUA_CPATH as for the specs,
--                                         plus spec/?.lua for the loopback rig)
--
-- Every endpoint is on 127.0.0.0/8 (spec/support/loopback.lua). Prints:
--   1. A highest-priority target whose two addresses are blackholed, a
--      lower one up: r:connect's time to connect, next to its target
--      (attempt delay x 2 skipped + 50 ms), and the sequential strategy
--      (one blocking connect per address, each waiting its connect timeout,
--      as libstrophe does) with a 1 s timeout, far shorter than any OS
--      default (over a minute of SYN retries).
--   2. Every target up, weights 60/30/10 in one priority: which target each
--      of RACES races connected to, against RFC 2782's shares (chi-square,
--      2 degrees of freedom: p > 0.001 means below 13.82).
--   3. CPU per race (each the best of REPEATS batches): r:connect, minus
--      r:resolve with addresses (the same resolution, cached), minus a bare
--      luasocket socket+connect+close on the same address: what the
--      connection machinery adds (target <= 5 us).
--   4. Sockets open before and after the RACES races.
-- Not a test: prints PASS or MISS beside each target and exits 0.
local srv = require "srv"
local socket = require "socket"
local loopback = require "support.loopback"

local RACES = tonumber(os.getenv("SRV_BENCH_CONNECT_RACES")) or 10000
local NAME = "_bench._tcp.example.test"
local DELAY = 0.25
local SEQUENTIAL_TIMEOUT = 1
local REPEATS = 7

local function verdict(ok) return ok and "PASS" or "MISS" end

local rig = loopback.new()

-- 1. Blackholed top target -------------------------------------------------
do
    -- One port for the zone: each address gets its own endpoint on it.
    local port = rig:listen("127.0.1.3")
    rig:blackhole("127.0.1.1", port)
    rig:blackhole("127.0.1.2", port)
    local r = assert(srv.resolver { zone_text = loopback.zone(NAME, {
        { name = "top.example.test", priority = 10, port = port, addresses = { "127.0.1.1", "127.0.1.2" } },
        { name = "low.example.test", priority = 20, port = port, addresses = { "127.0.1.3" } },
    }) })
    assert(r:resolve(NAME, { addresses = true }))   -- cached: the race alone is timed
    local t0 = socket.gettime()
    local conn = assert(r:connect(NAME, { attempt_delay = DELAY }))
    local happy = socket.gettime() - t0
    assert(conn.target == "low.example.test")
    conn:close()
    local target = DELAY * 2 + 0.05
    print(string.format("blackholed top target (2 addresses), attempt delay %.2f s:", DELAY))
    print(string.format("  r:connect              %.3f s   target <= %.3f s  %s", happy, target,
                        verdict(happy <= target)))
    t0 = socket.gettime()
    for _, address in ipairs { "127.0.1.1", "127.0.1.2", "127.0.1.3" } do
        local s = socket.tcp4()
        s:settimeout(SEQUENTIAL_TIMEOUT)
        local ok = s:connect(address, port)
        s:close()
        if ok then break end
    end
    local sequential = socket.gettime() - t0
    print(string.format("  sequential (%g s each)  %.3f s   (%.1f x r:connect)", SEQUENTIAL_TIMEOUT, sequential,
                        sequential / happy))
    r:close()
end

-- 2, 3, 4. Every target up -----------------------------------------------------
do
    local weights = { 60, 30, 10 }
    local targets, servers = {}, {}
    local port = rig:listen("127.0.2.1")
    servers[1] = rig.sockets[#rig.sockets]
    for i = 2, 3 do
        rig:listen("127.0.2." .. i, port)
        servers[i] = rig.sockets[#rig.sockets]
    end
    for i, w in ipairs(weights) do
        targets[i] = { name = "t" .. i .. ".example.test", priority = 10, weight = w, port = port,
                       addresses = { "127.0.2." .. i } }
    end
    for _, s in ipairs(servers) do s:settimeout(0) end
    local function drain()
        for _, s in ipairs(servers) do
            while true do
                local c = s:accept()
                if not c then break end
                c:close()
            end
        end
    end
    -- With the zone's SOA, as every served zone has one: r:connect asks A and
    -- AAAA apart (RFC 8305 section 3), and the missing AAAA is cached only
    -- with the negative TTL the SOA gives (RFC 2308).
    local soa = "example.test. 60 IN SOA ns.example.test. hostmaster.example.test. 1 3600 600 86400 60\n"
    local r = assert(srv.resolver { zone_text = soa .. loopback.zone(NAME, targets) })
    assert(r:resolve(NAME, { addresses = true }))
    local before = loopback.open_fds()
    local counts = {}
    local cpu0 = os.clock()
    for i = 1, RACES do
        local conn = assert(r:connect(NAME))
        counts[conn.target] = (counts[conn.target] or 0) + 1
        conn:close()
        if i % 32 == 0 then drain() end
    end
    local connect_cpu = (os.clock() - cpu0) / RACES
    drain()
    local after = loopback.open_fds()
    local chi2, shares = 0, {}
    for i, w in ipairs(weights) do
        local expected = RACES * w / 100
        local seen = counts[targets[i].name] or 0
        chi2 = chi2 + (seen - expected) ^ 2 / expected
        shares[#shares + 1] = string.format("%s %.3f (RFC 2782: %.2f)", targets[i].name, seen / RACES, w / 100)
    end
    print(string.format("all up, weights 60/30/10, %d races: first connected %s", RACES, table.concat(shares, ", ")))
    print(string.format("  chi-square %.2f, 2 degrees of freedom: p > 0.001 needs < 13.82  %s", chi2,
                        verdict(chi2 < 13.82)))

    -- CPU per call: the best of REPEATS batches (the machine is shared).
    local function best(fn)
        local n, fastest = 2000, math.huge
        for _ = 1, REPEATS do
            local cpu = os.clock()
            fn(n)
            fastest = math.min(fastest, (os.clock() - cpu) / n)
            drain()
        end
        return fastest
    end
    connect_cpu = best(function(n)
        for i = 1, n do
            assert(r:connect(NAME)):close()
            if i % 32 == 0 then drain() end
        end
    end)
    local resolve_cpu = best(function(n)
        for _ = 1, n do assert(r:resolve(NAME, { addresses = true })) end
    end)
    local socket_cpu = best(function(n)
        for i = 1, n do
            local s = socket.tcp4()
            s:settimeout(0)
            s:connect("127.0.2.1", port)
            s:close()
            if i % 32 == 0 then drain() end
        end
    end)
    local overhead = connect_cpu - resolve_cpu - socket_cpu
    print(string.format("CPU per race: r:connect %.1f us = resolve %.1f us + socket/connect/close %.1f us + %.1f us",
                        connect_cpu * 1e6, resolve_cpu * 1e6, socket_cpu * 1e6, overhead * 1e6))
    print(string.format("  the connection machinery adds %.1f us per race: target <= 5 us  %s", overhead * 1e6,
                        verdict(overhead <= 5e-6)))
    print(string.format("sockets open before %d races: %d, after: %d  %s", RACES, before, after,
                        verdict(before == after)))
    r:close()
end

rig:close()
