-- r:connect against the loopback rig (spec/support/loopback.lua): the
-- RFC 8305 and XEP-0495 rules of the race, the ready hook, cancellation,
-- descriptors, and using the descriptor from luasocket. Every target is on
-- 127.0.0.0/8 or ::1, named by zone text. Timings keep wide margins
-- (SLACK) so that they hold under valgrind on a busy machine.
local srv = require "srv"
local loopback = require "spec.support.loopback"
local socket = require "socket"

local NAME = "_x._tcp.example.test"
local SLACK = 0.4

local function resolver_for(targets)
    return assert(srv.resolver { zone_text = loopback.zone(NAME, targets) })
end

local function results(conn)
    local out = {}
    for i, a in ipairs(conn.attempts) do out[i] = a.result end
    return out
end

local function addresses(list)
    local out = {}
    for i, a in ipairs(list) do out[i] = a.address .. " " .. a.port end
    return out
end

-- luasocket on a descriptor srv hands over (docs/lua-api.md, "Using the
-- descriptor"): a client object around it.
local function luasocket_client(fd)
    local s = socket.tcp()
    s:close()             -- luasocket 3.1 opens no descriptor until needed
    s:setfd(fd)
    debug.setmetatable(s, debug.getregistry()["tcp{client}"])
    return s
end

describe("r:connect", function()
    local rig, r
    before_each(function() rig = loopback.new() end)
    after_each(function()
        if r then r:close() end
        r = nil
        rig:close()
    end)

    it("has a rig whose blackhole really drops SYNs on this kernel", function()
        local port = rig:blackhole("127.0.0.5")
        assert.is_true(loopback.still_connecting("127.0.0.5", port, 0.3))
    end)

    it("connects to the first target and says what it connected to", function()
        local port = rig:listen("127.0.0.2")
        r = resolver_for { { name = "a.example.test", port = port, addresses = { "127.0.0.2" } } }
        local conn = assert(r:connect(NAME))
        assert.equal("a.example.test", conn.target)
        assert.equal(port, conn.port)
        assert.equal("127.0.0.2", conn.address)
        assert.equal("inet", conn.family)
        assert.equal("a.example.test", conn.candidate.target)
        assert.is_true(conn.elapsed >= 0 and conn.elapsed < 1)
        assert.equal("number", math.type(conn:fd()) and "number")
        assert.same({ "connected" }, results(conn))
        local a = conn.attempts[1]
        assert.same({ "a.example.test", port, "127.0.0.2", "inet" }, { a.target, a.port, a.address, a.family })
        assert.is_true(a.started <= a.ended)
        conn:close()
        assert.is_nil(conn:fd())
    end)

    it("starts the next attempt one attempt delay after a blackholed one (RFC 8305 5)", function()
        local hole, up = rig:blackhole("127.0.0.5"), rig:listen("127.0.0.6")
        r = resolver_for {
            { name = "down.example.test", priority = 10, port = hole, addresses = { "127.0.0.5" } },
            { name = "up.example.test", priority = 20, port = up, addresses = { "127.0.0.6" } },
        }
        local conn = assert(r:connect(NAME, { attempt_delay = 0.5 }))
        assert.equal("up.example.test", conn.target)
        assert.same({ "cancelled", "connected" }, results(conn))
        local second = conn.attempts[2].started - conn.attempts[1].started
        assert.is_true(second >= 0.5 and second < 0.5 + SLACK, "second attempt after " .. second)
        assert.is_true(conn.elapsed < 0.5 + SLACK)
        conn:close()
    end)

    it("starts the next attempt at once when one is refused", function()
        local refused, up = rig:refuse("127.0.0.3"), rig:listen("127.0.0.4")
        r = resolver_for {
            { name = "down.example.test", priority = 10, port = refused, addresses = { "127.0.0.3" } },
            { name = "up.example.test", priority = 20, port = up, addresses = { "127.0.0.4" } },
        }
        local conn = assert(r:connect(NAME, { attempt_delay = 2 }))
        assert.same({ "refused", "connected" }, results(conn))
        assert.is_true(conn.elapsed < SLACK)
        conn:close()
    end)

    it("reports each candidate's outcome to passive health, once per race, and ejects a dead target", function()
        local refused, up = rig:refuse("127.0.0.3"), rig:listen("127.0.0.4")
        r = assert(srv.resolver {
            zone_text = loopback.zone(NAME, {
                -- One priority (a lone ejected priority keeps its place:
                -- docs/lua-api.md, "Passive health", panic); weight 0 goes
                -- after the weighted record, so down is tried first.
                { name = "down.example.test", priority = 10, weight = 100, port = refused,
                  addresses = { "127.0.0.3", "::1" } },
                { name = "up.example.test", priority = 10, weight = 0, port = up, addresses = { "127.0.0.4" } },
            }),
            health = { consecutive_failures = 2 },
        })
        -- Both of down's addresses refuse: one failure of the candidate.
        local conn = assert(r:connect(NAME, { attempt_delay = 2 }))
        assert.same({ "refused", "refused", "connected" }, results(conn))
        conn:close()
        local down = r:health("down.example.test", refused)
        assert.same({ "healthy", 1 }, { down.state, down.failures })
        local healthy = r:health("up.example.test", up)
        assert.equal("healthy", healthy.state)
        assert.is_number(healthy.rtt)
        -- The second race's failure is the second in a row: ejected, so the
        -- third race starts with the healthy target.
        assert(r:connect(NAME, { family = "inet", attempt_delay = 2 })):close()
        assert.equal("ejected", r:health("down.example.test", refused).state)
        conn = assert(r:connect(NAME, { family = "inet", attempt_delay = 2 }))
        assert.same({ "connected" }, results(conn))
        conn:close()
    end)

    it("tries a lower priority only after every address of the higher one, each a delay apart", function()
        local hole1, hole2 = rig:blackhole("127.0.0.5"), rig:blackhole("127.0.0.7")
        local up = rig:listen("127.0.0.8")
        r = resolver_for {
            { name = "top.example.test", priority = 10, port = hole1, addresses = { "127.0.0.5" } },
            { name = "top2.example.test", priority = 10, port = hole2, addresses = { "127.0.0.7" } },
            { name = "low.example.test", priority = 20, port = up, addresses = { "127.0.0.8" } },
        }
        local conn = assert(r:connect(NAME, { attempt_delay = 0.3 }))
        assert.equal("low.example.test", conn.target)
        assert.equal(3, #conn.attempts)
        assert.equal("low.example.test", conn.attempts[3].target)
        assert.same({ "cancelled", "cancelled", "connected" }, results(conn))
        local third = conn.attempts[3].started - conn.attempts[1].started
        assert.is_true(third >= 0.6 and third < 0.6 + SLACK, "third attempt after " .. third)
        conn:close()
    end)

    it("races every address of every target, and lists each when all fail", function()
        local p1 = rig:refuse("127.0.0.9")
        rig:refuse("127.0.0.10", p1)   -- a target's addresses share its port
        local p4 = rig:refuse("127.0.0.11")
        r = resolver_for {
            { name = "a.example.test", priority = 10, port = p1, addresses = { "127.0.0.9", "127.0.0.10" } },
            { name = "b.example.test", priority = 20, port = p4, addresses = { "127.0.0.11" } },
        }
        local conn, msg, code = r:connect(NAME)
        assert.is_nil(conn)
        assert.equal("CONNECT", code)
        assert.matches("every connection attempt failed", msg, 1, true)
        assert.matches("a.example.test 127.0.0.9 port " .. p1 .. " refused", msg, 1, true)
        assert.matches("a.example.test 127.0.0.10 port " .. p1 .. " refused", msg, 1, true)
        assert.matches("b.example.test 127.0.0.11 port " .. p4 .. " refused", msg, 1, true)
    end)

    it("interleaves the families of a target, IPv6 first (RFC 8305 4)", function()
        local up = rig:listen("127.0.0.12")
        -- The target's port, refused on its other addresses.
        rig:refuse("::1", up)
        rig:refuse("127.0.0.13", up)
        local attempts
        r = resolver_for {
            { name = "a.example.test", port = up, addresses = { "127.0.0.13", "127.0.0.12", "::1" } },
        }
        local conn = assert(r:connect(NAME, { on_attempt = function(a)
            attempts = attempts or {}
            attempts[#attempts + 1] = a.address
        end }))
        assert.same({ "::1 " .. up, "127.0.0.13 " .. up, "127.0.0.12 " .. up }, addresses(conn.attempts))
        assert.same({ "inet6", "inet", "inet" }, { conn.attempts[1].family, conn.attempts[2].family,
                                                  conn.attempts[3].family })
        assert.same({ "::1", "127.0.0.13" }, attempts)   -- on_attempt: each failed attempt
        conn:close()
    end)

    it("keeps to one family when asked", function()
        local up = rig:listen("127.0.0.14")
        r = resolver_for { { name = "a.example.test", port = up, addresses = { "::1", "127.0.0.14" } } }
        local conn = assert(r:connect(NAME, { family = "inet" }))
        assert.same({ "127.0.0.14 " .. up }, addresses(conn.attempts))
        conn:close()
        assert.same({ nil, NAME .. ": no address to connect to (no inet6 address)", "CONNECT" },
                    { (resolver_for { { name = "b.example.test", port = up, addresses = { "127.0.0.14" } } })
                        :connect(NAME, { family = "inet6" }) })
    end)

    it("fails with TIMEOUT when nothing answers in time, and an attempt timeout moves on", function()
        local hole, up = rig:blackhole("127.0.0.5"), rig:listen("127.0.0.15")
        r = resolver_for { { name = "down.example.test", port = hole, addresses = { "127.0.0.5" } } }
        local conn, msg, code = r:connect(NAME, { timeout = 0.5 })
        assert.is_nil(conn)
        assert.equal("TIMEOUT", code)
        assert.matches("down.example.test 127.0.0.5 port " .. hole .. " timeout", msg, 1, true)
        r:close()
        r = resolver_for {
            { name = "down.example.test", priority = 10, port = hole, addresses = { "127.0.0.5" } },
            { name = "up.example.test", priority = 20, port = up, addresses = { "127.0.0.15" } },
        }
        conn = assert(r:connect(NAME, { attempt_delay = 2, connect_timeout = 0.3 }))
        assert.same({ "timeout", "connected" }, results(conn))
        assert.is_true(conn.elapsed < 0.3 + SLACK)
        conn:close()
    end)

    it("lets ready reject a socket that connects but is no use, and a slower one win", function()
        local closing = rig:serve("close", "127.0.0.16")
        local greeting = rig:serve("greet", "127.0.0.17")
        r = resolver_for {
            { name = "fast.example.test", priority = 10, port = closing, addresses = { "127.0.0.16" } },
            { name = "slow.example.test", priority = 20, port = greeting, addresses = { "127.0.0.17" } },
        }
        local seen = {}
        local conn = assert(r:connect(NAME, { ready = function(c)
            seen[#seen + 1] = c.target
            local s = luasocket_client(c:fd())
            s:settimeout(2)
            local line, err = s:receive("*l")
            s:setfd(-1)          -- the descriptor stays srv's
            if line ~= "hello" then return nil, "no greeting: " .. tostring(err) end
            return true
        end }))
        assert.same({ "fast.example.test", "slow.example.test" }, seen)
        assert.equal("slow.example.test", conn.target)
        assert.same({ "rejected", "connected" }, results(conn))
        assert.equal("no greeting: closed", conn.attempts[1].error)
        conn:close()
    end)

    it("connects first to targets in RFC 2782 weight order when all are up (XEP-0495)", function()
        local port = rig:listen("127.0.0.23")
        local servers = { rig.sockets[#rig.sockets] }
        for i = 24, 25 do
            rig:listen("127.0.0." .. i, port)
            servers[#servers + 1] = rig.sockets[#rig.sockets]
        end
        for _, server in ipairs(servers) do server:settimeout(0) end
        local weights = { 60, 30, 10 }
        local targets = {}
        for i, w in ipairs(weights) do
            targets[i] = { name = "t" .. i .. ".example.test", weight = w, port = port,
                           addresses = { "127.0.0." .. (22 + i) } }
        end
        r = assert(srv.resolver { zone_text = loopback.zone(NAME, targets), seed = 3 })
        local races, counts = 1000, {}
        for i = 1, races do
            local conn = assert(r:connect(NAME))
            counts[conn.target] = (counts[conn.target] or 0) + 1
            assert.equal(1, #conn.attempts)   -- all up: the first attempt wins
            conn:close()
            if i % 16 == 0 then
                for _, server in ipairs(servers) do
                    while true do
                        local c = server:accept()
                        if not c then break end
                        c:close()
                    end
                end
            end
        end
        local chi2 = 0
        for i, w in ipairs(weights) do
            local expected = races * w / 100
            chi2 = chi2 + ((counts[targets[i].name] or 0) - expected) ^ 2 / expected
        end
        assert.is_true(chi2 < 13.82, "chi-square " .. chi2 .. " (2 degrees of freedom, p > 0.001)")
    end)

    it("ends a race with CANCELLED when the resolver closes, leaving no descriptor", function()
        local hole = rig:blackhole("127.0.0.5")
        r = resolver_for { { name = "down.example.test", port = hole, addresses = { "127.0.0.5" } } }
        local before = loopback.open_fds()
        local got
        r:connect_async(NAME, { attempt_delay = 0.1 }, function(...) got = table.pack(...) end)
        r:step(0.2)
        r:step(0.2)
        assert.is_nil(got)
        r:close()
        assert.same({ nil, NAME .. ": connection race cancelled", "CANCELLED", n = 3 }, got)
        assert.equal(before, loopback.open_fds())
    end)

    it("leaves no descriptor behind over many races", function()
        local refused, up = rig:refuse("127.0.0.18"), rig:listen("127.0.0.19")
        r = resolver_for {
            { name = "down.example.test", priority = 10, port = refused, addresses = { "127.0.0.18" } },
            { name = "up.example.test", priority = 20, port = up, addresses = { "127.0.0.19" } },
        }
        local server = rig.sockets[#rig.sockets]
        server:settimeout(0)
        local before = loopback.open_fds()
        for i = 1, 100 do
            local conn = assert(r:connect(NAME))
            if i % 2 == 0 then conn:close() end   -- the others: __gc
            local accepted = server:accept()
            if accepted then accepted:close() end
        end
        collectgarbage()
        collectgarbage()
        assert.equal(before, loopback.open_fds())
    end)

    it("hands the descriptor over with detach, and closes it at the end of a to-be-closed block", function()
        local up = rig:listen("127.0.0.20")
        r = resolver_for { { name = "a.example.test", port = up, addresses = { "127.0.0.20" } } }
        local conn = assert(r:connect(NAME))
        local fd = conn:detach()
        assert.equal("number", type(fd))
        assert.is_nil(conn:fd())
        assert.is_nil(conn:detach())
        local s = luasocket_client(fd)   -- now luasocket's to close
        assert.equal("127.0.0.20", (s:getpeername()))
        s:close()
        local before = loopback.open_fds()
        do
            local c <close> = assert(r:connect(NAME))
            assert.is_true(c:fd() >= 0)
        end
        assert.equal(before, loopback.open_fds())
    end)

    it("runs in tasks, several at once, and async with a callback", function()
        local up = rig:listen("127.0.0.21")
        r = resolver_for { { name = "a.example.test", port = up, addresses = { "127.0.0.21" } } }
        local t1 = srv.spawn(function() return assert(r:connect(NAME)).address end)
        local t2 = srv.spawn(function() return assert(r:connect(NAME)).address end)
        assert.is_true(srv.wait(t1, t2))
        assert.same({ true, "127.0.0.21" }, { t1:result() })
        local got
        r:connect_async(NAME, nil, function(conn) got = conn end)
        r:run()
        assert.equal("127.0.0.21", got.address)
        got:close()
    end)

    it("wakes a loop watching r:pollfd() when a race's socket connects (cqueues.poll)", function()
        -- The only attempt hangs (SYN dropped) until the listener's queue is
        -- freed; the kernel's SYN sent again a second later then connects.
        -- A loop woken only by r:timeout() would sleep until the race's
        -- timeout (8 s) before it noticed.
        local cqueues = require "cqueues"
        local hole, listener = rig:blackhole("127.0.0.22")
        r = resolver_for { { name = "a.example.test", port = hole, addresses = { "127.0.0.22" } } }
        local before = loopback.open_fds()
        local got, fds = nil, {}
        r:connect_async(NAME, { timeout = 8 }, function(...) got = table.pack(...) end)
        local cq = cqueues.new()
        cq:wrap(function()
            while r:pending() > 0 do
                cqueues.poll(r)
                fds[#fds + 1] = r:pollfd() or false
                r:process()
            end
        end)
        cq:wrap(function()
            listener:settimeout(0)
            while not got do
                cqueues.sleep(0.2)
                local accepted = listener:accept()
                if accepted then accepted:close() end
            end
        end)
        assert(cq:loop())
        local conn = assert(got[1], got[2])
        assert.equal("127.0.0.22", conn.address)
        assert.is_true(conn.elapsed < 8 - 2 * SLACK - 2, "connected after " .. conn.elapsed)
        -- The descriptor: none for an offline resolver until the race runs,
        -- then one (the same each time), none once it is over.
        assert.is_false(fds[1])
        local descriptors = {}
        for _, fd in ipairs(fds) do
            if fd and fd ~= descriptors[#descriptors] then descriptors[#descriptors + 1] = fd end
        end
        assert.equal(1, #descriptors)
        assert.is_nil(r:pollfd())
        assert.is_nil(r:events())
        conn:close()
        r:close()
        r = nil
        assert.equal(before, loopback.open_fds())
    end)

    it("passes resolution failures through unchanged", function()
        r = resolver_for { { name = "a.example.test", port = 1, addresses = { "127.0.0.1" } } }
        local conn, msg, code = r:connect("_nothing._tcp.example.test")
        assert.is_nil(conn)
        assert.equal("NXDOMAIN", code)
        assert.equal("_nothing._tcp.example.test: domain name not found", msg)
    end)

    it("checks its options strictly", function()
        r = resolver_for { { name = "a.example.test", port = 1, addresses = { "127.0.0.1" } } }
        assert.has_error(function() r:connect(NAME, { attempt_dealy = 1 }) end)
        local ok, err = pcall(r.connect, r, NAME, { attempt_dealy = 1 })
        assert.is_false(ok)
        assert.matches("did you mean 'attempt_delay'", err, 1, true)
        assert.matches("field 'family'", select(2, pcall(r.connect, r, NAME, { family = "ipx" })), 1, true)
        assert.matches("field 'timeout'", select(2, pcall(r.connect, r, NAME, { timeout = -1 })), 1, true)
        for _, bad in ipairs { -0.1, "0.05", 0 / 0, math.huge } do
            assert.matches("field 'resolution_delay': number of seconds >= 0 expected",
                           select(2, pcall(r.connect, r, NAME, { resolution_delay = bad })), 1, true)
        end
        assert.matches("did you mean 'resolution_delay'",
                       select(2, pcall(r.connect, r, NAME, { resolution_dealy = 1 })), 1, true)
        assert.matches("field 'ready'", select(2, pcall(r.connect, r, NAME, { ready = 1 })), 1, true)
        assert.matches("function expected", select(2, pcall(r.connect_async, r, NAME, {})), 1, true)
    end)
end)

-- RFC 8305 section 3 against a DNS server that answers one family late
-- (spec/support/bad_dns.lua, "lo-6late-N" and "lo-4late-N": A 127.0.0.1,
-- AAAA ::1, no SRV records, so r:connect falls back to the name on `port`).
describe("r:connect's resolution delay", function()
    local bad_dns = require "spec.support.bad_dns_server"
    local server, rig, r
    setup(function() server = bad_dns.start() end)
    teardown(function() server:stop() end)
    before_each(function()
        rig = loopback.new()
        r = assert(srv.resolver { servers = server.address })
    end)
    after_each(function()
        r:close()
        rig:close()
    end)

    it("starts on the A answer once resolution_delay has passed, and a late AAAA answer joins the race", function()
        local port = rig:refuse("127.0.0.1")
        rig:listen("::1", port)
        local log = {}
        local conn = assert(r:connect("_x._tcp.r1.lo-6late-1500.bad.test",
                                      { port = port, resolution_delay = 0.3, trace = log }))
        assert.same({ "127.0.0.1", "::1" }, { conn.attempts[1].address, conn.attempts[2].address })
        assert.same({ "refused", "connected" }, results(conn))
        -- The IPv4 attempt waited for the resolution delay, not for the AAAA answer.
        assert.is_true(conn.attempts[1].started >= 0.28, "started " .. conn.attempts[1].started)
        assert.is_true(conn.attempts[1].started < 1.2, "started " .. conn.attempts[1].started)
        -- The IPv6 address joined the race when it came.
        assert.is_true(conn.attempts[2].started >= 1.45, "started " .. conn.attempts[2].started)
        assert.same({ "127.0.0.1", "::1" }, conn.candidate.addresses)
        local steps = {}
        for _, e in ipairs(log) do
            if e.step == "addresses" then steps[#steps + 1] = e.family .. " " .. e.code .. " " .. e.count end
        end
        assert.same({ "inet OK 1", "inet6 OK 1" }, steps)
        conn:close()
    end)

    it("races a late IPv6 address against a pending IPv4 attempt", function()
        local port = rig:blackhole("127.0.0.1")
        rig:listen("::1", port)
        local conn = assert(r:connect("_x._tcp.r2.lo-6late-1000.bad.test",
                                      { port = port, resolution_delay = 0.1, attempt_delay = 0.2 }))
        assert.equal("::1", conn.address)
        assert.same({ "cancelled", "connected" }, results(conn))
        assert.is_true(conn.attempts[1].started < 0.9, "started " .. conn.attempts[1].started)
        assert.is_true(conn.attempts[2].started >= 0.95, "started " .. conn.attempts[2].started)
        conn:close()
    end)

    it("starts at once on the AAAA answer, without waiting for the A answer", function()
        local port = rig:listen("::1")
        local conn = assert(r:connect("_x._tcp.r3.lo-4late-3000.bad.test", { port = port }))
        assert.equal("::1", conn.address)
        assert.equal("inet6", conn.family)
        assert.same({ "connected" }, results(conn))
        assert.is_true(conn.elapsed < 2, "elapsed " .. conn.elapsed)
        conn:close()
    end)

    it("goes on with IPv4 when the AAAA lookup fails, and the trace says so", function()
        local port = rig:listen("127.0.0.1")
        local log = {}
        local conn = assert(r:connect("_x._tcp.r5.lo-6servfail.bad.test", { port = port, trace = log }))
        assert.equal("127.0.0.1", conn.address)
        assert.same({ "connected" }, results(conn))
        assert.is_nil(conn.candidate.address_error)
        local steps = {}
        for _, e in ipairs(log) do
            if e.step == "addresses" then steps[e.family] = e.code .. " " .. e.count end
        end
        assert.same({ inet = "OK 1", inet6 = "SERVFAIL 0" }, steps)
        conn:close()
    end)

    it("asks AAAA alone with family = \"inet6\" and waits for it, whatever the resolution delay", function()
        -- family = "inet6" asks AAAA alone: no resolution delay at all.
        local port = rig:listen("::1")
        local t0 = socket.gettime()
        local conn = assert(r:connect("_x._tcp.r4.lo-6late-600.bad.test", { port = port, family = "inet6",
                                                                             resolution_delay = 0 }))
        assert.equal("::1", conn.address)
        assert.same({ "connected" }, results(conn))
        assert.is_true(socket.gettime() - t0 >= 0.55)
        conn:close()
    end)
end)

-- Cases an adversarial review found, each with its problem in a comment.
do
    local srv = require "srv"
    local loopback = require "spec.support.loopback"
    local run = require "spec.support.run"

    local NAME = "_x._tcp.example.test"

    describe("r:connect", function()
        local rig
        before_each(function() rig = loopback.new() end)
        after_each(function() rig:close() end)

        local function resolver_for(targets, opts)
            opts = opts or {}
            opts.zone_text = loopback.zone(NAME, targets)
            return assert(srv.resolver(opts))
        end

        -- Problem: an on_attempt that raised lost the connect_async callback
        -- (and the connection in it).
        it("still calls connect_async's callback when on_attempt raises, then raises", function()
            local up = rig:listen("127.0.0.2")
            rig:refuse("127.0.0.3", up)
            local r = resolver_for {
                { name = "down.example.test", priority = 1, port = up, addresses = { "127.0.0.3" } },
                { name = "up.example.test", priority = 2, port = up, addresses = { "127.0.0.2" } },
            }
            local got
            r:connect_async(NAME, { on_attempt = function() error("on_attempt failed") end },
                            function(conn, msg, code) got = { conn, msg, code } end)
            local ok, err = pcall(r.run, r)
            assert.is_false(ok)
            assert.matches("on_attempt failed", err)
            assert.is_not_nil(got)
            assert.equal("up.example.test", got[1].target)
            got[1]:close()
            r:close()
        end)

        -- Problem: a bad resolution option given to connect raised naming
        -- 'resolve_async', a method the caller never called.
        it("names connect and connect_async in errors about the resolution's options", function()
            local r = resolver_for { { name = "up.example.test", port = 1, addresses = { "127.0.0.2" } } }
            local ok, err = pcall(function() local _ = r:connect(NAME, { port = 0 }) end)
            assert.is_false(ok)
            assert.matches("^[^:]*connect_spec%.lua:%d+: bad argument #2 to 'connect' %(field 'port'", err)
            ok, err = pcall(function() r:connect_async(NAME, { fallback = 1 }, print) end)
            assert.is_false(ok)
            assert.matches("bad argument #2 to 'connect_async' %(field 'fallback'", err)
            r:close()
        end)

        -- Problem: r:process() never advanced a race, so a program driving
        -- the resolver from its own loop (sleep r:timeout(), then r:process())
        -- spun at r:timeout() == 0 past the deadline, its callback never run.
        it("ends a race driven by r:process() alone at its timeout", function()
            local bh = rig:blackhole("127.0.0.5")
            local r = resolver_for { { name = "bh.example.test", port = bh, addresses = { "127.0.0.5" } } }
            local got
            r:connect_async(NAME, { timeout = 0.5 }, function(conn, msg, code) got = { conn, msg, code } end)
            local started = require("srv.core").now()
            while not got and require("srv.core").now() - started < 10 do
                require("socket").sleep(math.max(r:timeout() or 0.1, 0.01))
                r:process()
            end
            assert.is_not_nil(got)
            assert.equal("TIMEOUT", got[3])
            assert.equal(0, r:pending())
            r:close()
        end)

        -- Problem: the race timed itself on the resolver's injectable clock,
        -- so a test that moved its clock between connect_async and r:run() got
        -- TIMEOUT without one attempt, and a clock set back gave a negative
        -- elapsed time.
        it("times the race in real time, whatever the resolver's clock", function()
            local up = rig:listen("127.0.0.2")
            local now = 0
            local r = resolver_for({ { name = "up.example.test", port = up, addresses = { "127.0.0.2" } } },
                                   { clock = function() return now end })
            local got
            r:connect_async(NAME, nil, function(conn, msg, code) got = { conn, msg, code } end)
            now = 60
            r:run()
            assert.equal("up.example.test", got[1] and got[1].target, got[2])
            got[1]:close()
            r:connect_async(NAME, nil, function(conn, msg, code) got = { conn, msg, code } end)
            now = 0
            r:run()
            assert.is_true(got[1].elapsed >= 0)
            assert.is_true(got[1].attempts[1].started >= 0)
            got[1]:close()
            r:close()
        end)

        -- Problem: a ready hook still waiting when its race ended got, from
        -- conn:fd(), the number of a descriptor the race had closed (one the
        -- system may reuse for anything).
        it("gives a ready hook that outlives its race no descriptor", function()
            local up = rig:listen("127.0.0.2")
            local r = resolver_for { { name = "a.example.test", port = up, addresses = { "127.0.0.2" } } }
            -- A DNS server that never answers, for the hook to wait on.
            local silent = assert(require("socket").udp())
            assert(silent:setsockname("127.0.0.1", 0))
            local _, silent_port = silent:getsockname()
            local r2 = assert(srv.resolver { servers = "127.0.0.1:" .. silent_port, timeout = 5, tries = 1 })
            local fd_after = "not run"
            local t = srv.spawn(function()
                return select(3, r:connect(NAME, { timeout = 0.3, ready = function(conn)
                    r2:lookup("_a._tcp.example.test")
                    fd_after = conn:fd()
                    return true
                end }))
            end)
            assert.equal("TIMEOUT", srv.wait(t))
            r2:close()
            assert.is_nil(fd_after)
            silent:close()
            r:close()
        end)

        -- Problem: the XMPP merge may hold one target and port twice (under
        -- _xmpp-client and _xmpps-client); passive health counted one dead
        -- endpoint as two failures in one race.
        it("reports one target and port once per race, even when two candidates share it (XMPP)", function()
            local up = rig:listen("127.0.0.2")
            rig:refuse("127.0.0.3", up)
            local r = assert(srv.resolver { zone_text = string.format([[
_xmpp-client._tcp.example.test. 60 IN SRV 10 1 %d down.example.test.
_xmpps-client._tcp.example.test. 60 IN SRV 10 1 %d down.example.test.
_xmpp-client._tcp.example.test. 60 IN SRV 20 1 %d up.example.test.
down.example.test. 60 IN A 127.0.0.3
up.example.test. 60 IN A 127.0.0.2
]], up, up, up) })
            local conn = assert(r:connect("example.test", { xmpp = "client" }))
            assert.equal("up.example.test", conn.target)
            conn:close()
            assert.equal(1, r:health("down.example.test", up).failures)
            r:close()
        end)
    end)
end
