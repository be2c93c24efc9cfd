-- srv.connect: r:connect and r:connect_async, Happy Eyeballs over SRV
-- (docs/lua-api.md, "r:connect"). Every function takes the resolver's state
-- (srv.resolver) first.
--
-- The resolution is r:resolve's (or r:resolve_xmpp's), then each target's
-- A and AAAA asked apart (RFC 8305 section 3: the race starts on the AAAA
-- answer, or on the A answer once the resolution delay has passed without
-- it; later addresses join the running race); the race is the core's
-- (srv_connect_t: RFC 8305 attempt delay, families interleaved, a failed
-- attempt starting the next at once). This module
-- feeds the candidates in their order, runs the `ready` hook on every
-- connected socket in a task, and turns the outcome into a connection
-- object. The race is driven by the resolver's loop (srv.loop), beside its
-- queries: r:connect blocks (or suspends its task) as r:resolve does.
local core = require "srv.core"
local options = require "srv.options"
local argcheck = require "srv.argcheck"
local codes = require "srv.codes"
local fetch = require "srv.fetch"
local loop = require "srv.loop"
local task = require "srv.task"
local resolve = require "srv.resolve"
local xmpp = require "srv.xmpp"
local health = require "srv.health"
local names = require "srv.names"
local candidates = require "srv.candidates"
local services = require "srv.services"
local lookup = require "srv.lookup"

local M = {}

local arg_error, is_callable = options.arg_error, options.is_callable
local defer = fetch.defer
local record = health.record
local trace = candidates.trace

-- docs/lua-api.md, "r:connect": the race's own options, then those handed
-- to the resolution.
local OPTION_NAMES = options.names { "attempt_delay", "resolution_delay", "timeout", "connect_timeout",
                                     "family", "ready",
                                     "on_attempt", "xmpp", "policy", "port", "fallback", "strict",
                                     "trace", "transports" }
local RESOLVE_OPTIONS = { "policy", "port", "fallback", "strict", "trace", "transports" }
local FAMILIES = { any = true, inet = true, inet6 = true }
local XMPP_KINDS = { client = true, server = true }
local DEFAULT_TIMEOUT = 30
-- RFC 8305 section 3: how long an A answer waits for the AAAA answer.
local DEFAULT_RESOLUTION_DELAY = 0.05
-- Results of failed attempts, reported to on_attempt.
local FAILED = { refused = true, timeout = true, failed = true, rejected = true }

local NO_OPTIONS = setmetatable({}, { __newindex = function() error("srv: internal: options are read-only", 2) end })

local function read_options(opts, n, fname)
    if opts == nil then return NO_OPTIONS end
    if type(opts) ~= "table" then arg_error(n, fname, "table expected, got " .. type(opts)) end
    local problem = options.unknown_option(opts, OPTION_NAMES)
    if problem then arg_error(n, fname, problem) end
    for _, field in ipairs { "attempt_delay", "timeout", "connect_timeout" } do
        local v = opts[field]
        if v ~= nil and (type(v) ~= "number" or not (v > 0) or v == math.huge) then
            arg_error(n, fname, string.format("field '%s': positive number of seconds expected, got %s",
                                              field, options.describe(v)))
        end
    end
    local v = opts.resolution_delay
    if v ~= nil and (type(v) ~= "number" or not (v >= 0) or v == math.huge) then
        arg_error(n, fname, "field 'resolution_delay': number of seconds >= 0 expected, got "
                            .. options.describe(v))
    end
    if opts.family ~= nil and not FAMILIES[opts.family] then
        arg_error(n, fname, "field 'family': \"any\", \"inet\" or \"inet6\" expected, got "
                            .. tostring(opts.family))
    end
    if opts.xmpp ~= nil and not XMPP_KINDS[opts.xmpp] then
        arg_error(n, fname, "field 'xmpp': \"client\" or \"server\" expected, got " .. tostring(opts.xmpp))
    end
    for _, field in ipairs { "ready", "on_attempt" } do
        if opts[field] ~= nil and not is_callable(opts[field]) then
            arg_error(n, fname, string.format("field '%s': function expected, got %s", field, type(opts[field])))
        end
    end
    return opts
end

-- Connections ---------------------------------------------------------------

local conn_methods = {}
local conn_mt = { __name = "srv.connection", __index = conn_methods }

local function check_conn(conn, fname)
    if getmetatable(conn) ~= conn_mt then
        arg_error(1, fname, "srv.connection expected, got " .. type(conn))
    end
end

-- The descriptor, still the connection's; nil once detached or closed.
-- While `ready` looks at a socket, it is the race's.
function conn_methods.fd(conn)
    check_conn(conn, "fd")
    if conn._offer_fd then return conn._offer_fd end
    return conn._socket and conn._socket:fd()
end

-- The descriptor, now the caller's to close.
function conn_methods.detach(conn)
    check_conn(conn, "detach")
    if conn._offer_fd then argcheck.raise("attempt to detach a socket the race still owns (inside ready)") end
    return conn._socket and conn._socket:detach()
end

-- Closes an undetached descriptor; safe twice.
function conn_methods.close(conn)
    check_conn(conn, "close")
    if conn._offer_fd then argcheck.raise("attempt to close a socket the race still owns (inside ready)") end
    if conn._socket then conn._socket:close() end
    return true
end

-- The srv.socket inside closes an undetached descriptor when collected.
conn_mt.__close = function(conn)
    if conn._socket then conn._socket:close() end
end

conn_mt.__tostring = function(conn)
    return string.format("srv.connection (%s %s port %d)", conn.target, conn.address, conn.port)
end

-- The race --------------------------------------------------------------------

-- One race from start to callback. advance() is what the loop calls after
-- the sockets had their chance (srv.loop).
local driver_methods = {}
local driver_mt = { __index = driver_methods }

-- The attempts as users see them: target and port from the candidate,
-- times from the start of the call, ready's reasons; and the candidate
-- number of each.
local function attempts_of(d)
    local list, numbers = d.race:attempts(d.offset, d.cands)
    local reasons = d.reasons
    if reasons then
        for i, why in pairs(reasons) do list[i].error = why end
    end
    return list, numbers
end

local function describe_attempts(list)
    local parts = {}
    for _, a in ipairs(list) do
        local text = string.format("%s %s port %d %s", a.target, a.address, a.port, a.result)
        if a.error then text = text .. " (" .. a.error .. ")" end
        parts[#parts + 1] = text
    end
    return table.concat(parts, "; ")
end

local function new_conn(d, n, list, numbers, elapsed)
    local a = list[n]
    return setmetatable({
        target = a.target, port = a.port, address = a.address, family = a.family,
        candidate = d.cands[numbers[n]], attempts = list, elapsed = elapsed,
    }, conn_mt)
end

-- Runs the ready hook on a connected socket, in a task: it may wait.
local function offer(d, n, fd)
    local list, numbers = attempts_of(d)
    local conn = new_conn(d, n, list, numbers, d.clock() - d.t0)
    conn._offer_fd = fd
    local offered = d.offered
    if not offered then
        offered = {}
        d.offered = offered
    end
    offered[conn] = true
    task.spawn(function()
        local ok, verdict, msg = pcall(d.ready, conn)
        conn._offer_fd = nil
        offered[conn] = nil
        if d.finished then return end
        if ok and verdict then
            d.accepted = conn
            d.race:accept(n)
        else
            if not ok then msg = tostring(verdict) end
            local reasons = d.reasons
            if not reasons then
                reasons = {}
                d.reasons = reasons
            end
            reasons[n] = msg ~= nil and tostring(msg) or "not ready"
            d.race:reject(n)
        end
        d:advance()
    end)
end

-- What the race says of each candidate it tried, to the resolver's passive
-- health (docs/lua-api.md, "Passive health"): one outcome per candidate and
-- race, not one per address, so a target with four dead addresses is one
-- failure, as a target with one. A candidate succeeded when one of its
-- attempts connected and was accepted (rtt: that attempt's connect time);
-- it failed when none did and at least one was refused, timed out, failed
-- or was rejected by `ready`; attempts the race cancelled say nothing, and
-- a race cancelled as a whole (r:close) reports nothing.
local function feed_health(d, list, numbers, winner)
    local self, cands = d.self, d.cands
    local count = #list
    if count == 1 then
        -- The usual race on a healthy service: one attempt, one report.
        local a = list[1]
        local c = cands[numbers[1]]
        if winner == 1 then
            return record(self, c.target, c.port, true, a.ended and a.ended - a.started or nil, c)
        elseif FAILED[a.result] then
            return record(self, c.target, c.port, false, nil, c)
        end
        return
    end
    local outcome = {}
    for i = 1, count do
        local n = numbers[i]
        if i == winner then
            outcome[n] = true
        elseif outcome[n] == nil and FAILED[list[i].result] then
            outcome[n] = false
        end
    end
    -- Passive health keeps one state per target and port: two candidates
    -- holding the same (XMPP's _xmpp-* and _xmpps-* names may) are one
    -- report, a success when either succeeded.
    local reported = {}
    for n, ok in pairs(outcome) do
        local c = cands[n]
        local key = names.key(c.target) .. "|" .. c.port
        local other = reported[key]
        if other == nil or (ok and not outcome[other]) then reported[key] = n end
    end
    for _, n in pairs(reported) do
        local ok, rtt = outcome[n], nil
        if ok then
            local a = list[winner]
            rtt = a.ended and a.ended - a.started or nil
        end
        local c = cands[n]
        record(self, c.target, c.port, ok, rtt, c)
    end
end

-- on_attempt for each failed attempt, then the caller's callback. An
-- on_attempt that raises neither stops the others nor the callback: the
-- result still goes out, then the first error is raised (docs/lua-api.md,
-- "Conventions": a callback that raises does not stop the others).
local function report(d, list, conn, msg, code)
    local on_attempt, first = d.on_attempt, nil
    if on_attempt then
        for _, a in ipairs(list) do
            if FAILED[a.result] then
                local ok, err = pcall(on_attempt, a)
                if not ok and first == nil then first = err end
            end
        end
    end
    d.cb(conn, msg, code)
    if first ~= nil then error(first, 0) end
end

local OK, CONNECT, TIMEOUT, CANCELLED = codes.OK, codes.CONNECT, codes.TIMEOUT, codes.CANCELLED

function driver_methods.advance(d)
    if d.finished or d.advancing then return end
    local race = d.race
    local done, code, winner = race:process()
    if d.ready then
        d.advancing = true
        while true do
            local n, fd = race:offer()
            if not n then break end
            offer(d, n, fd)
            if d.finished then return end
        end
        d.advancing = false
        done, code, winner = race:done()
    end
    if not done or d.finished then return end
    d.finished = true
    local self = d.self
    self._races[d] = nil
    if d.watched then loop.unwatch_race(self, d) end
    -- A ready still running (it waits) sees its socket closed with the
    -- race: conn:fd() is nil from now on, not a descriptor number the
    -- system may give to something else.
    if d.offered then
        for conn in pairs(d.offered) do conn._offer_fd = nil end
    end
    local list, numbers = attempts_of(d)
    local conn, msg
    if code ~= CANCELLED then feed_health(d, list, numbers, winner) end
    if code == OK then
        local elapsed = d.clock() - d.t0
        conn = d.accepted
        if conn then
            conn.attempts, conn.elapsed = list, elapsed
        else
            conn = new_conn(d, winner, list, numbers, elapsed)
        end
        conn._socket = race:take()
    elseif code == CONNECT then
        msg = string.format("%s: every connection attempt failed: %s", d.name, describe_attempts(list))
    elseif code == TIMEOUT then
        msg = string.format("%s: no connection before the timeout (%g s): %s", d.name, d.timeout,
                            describe_attempts(list))
    else
        msg = string.format("%s: connection race cancelled", d.name)
    end
    race:close()
    if conn then code = nil end
    if d.starting then
        -- Over before start_race returned: it runs inside a delivery (the
        -- resolution's callback), where the result may go out at once.
        return report(d, list, conn, msg, code)
    end
    defer(self, report, d, list, conn, msg, code)
end

function driver_methods.cancel(d)
    if d.finished then return end
    d.race:cancel()
    d:advance()
end

-- The race over the candidates' addresses, in their order; more: lookups
-- are still out (their addresses join later). Returns the driver, or nil
-- when the race ended before it began.
local function start_race(self, name, cands, opts, t0, cb, more)
    local clock = core.now
    local elapsed = clock() - t0
    local timeout = opts.timeout or DEFAULT_TIMEOUT
    local remaining = timeout - elapsed
    if remaining <= 0 then
        return cb(nil, string.format("%s: no connection before the timeout (%g s)", name, timeout), codes.TIMEOUT)
    end
    local ready = opts.ready
    local race = core.race(opts.attempt_delay, remaining, opts.connect_timeout, ready ~= nil)
    local family = opts.family
    if family == "any" then family = nil end
    if assert(race:add_candidates(cands, family)) == 0 and not more then
        race:close()
        -- Nothing to try: the resolution's own failure when there is one.
        local lookup_failures = {}
        for _, c in ipairs(cands) do
            if c.address_error then
                lookup_failures[#lookup_failures + 1] = c.target .. " " .. c.address_error
            end
        end
        local first = cands[1] and cands[1].address_error
        local why = #lookup_failures > 0 and table.concat(lookup_failures, "; ")
                    or ("no " .. (family and family .. " " or "") .. "address")
        return cb(nil, string.format("%s: no address to connect to (%s)", name, why),
                  first or codes.CONNECT)
    end
    local d = setmetatable({
        self = self, race = race, cands = cands, name = name, cb = cb, clock = clock, t0 = t0,
        offset = elapsed, timeout = timeout, ready = ready, on_attempt = opts.on_attempt,
    }, driver_mt)
    self._races[d] = true
    if more then race:expect_more(true) end
    race:start()
    if self._poller then loop.watch_race(self, d) end
    d.starting = true
    d:advance()
    d.starting = false
    return d
end

-- Addresses (RFC 8305 section 3) --------------------------------------------

-- One target's A and AAAA lookups, shared by the candidates naming it.
-- How a failure of one family is reported (docs/lua-api.md, "r:connect"):
-- it is not, while the other family gives addresses (the trace says it); a
-- target without any address gets address_error as r:resolve's addresses
-- say it: NXDOMAIN from either, else the failure of either, else NODATA.
local function target_error(t)
    local e4, e6 = t.errors.inet, t.errors.inet6
    if e4 == codes.NXDOMAIN or e6 == codes.NXDOMAIN then return codes.NXDOMAIN end
    if e6 and e6 ~= codes.NODATA then return e6 end
    if e4 and e4 ~= codes.NODATA then return e4 end
    return e4 or e6 or codes.NODATA
end

-- Whether target t lets the race start: every answer in; or a positive
-- AAAA answer (the race starts at once); or a positive A answer and the
-- resolution delay passed without the AAAA answer.
local function target_ready(t)
    if t.left == 0 then return true end
    if t.found.inet6 then return true end
    return t.found.inet and t.delay_passed
end

local function maybe_start(g)
    if g.started then return end
    if g.left > 0 then
        if g.count == 0 then return end
        for _, t in ipairs(g.targets) do
            if not target_ready(t) then return end
        end
    end
    g.started = true
    for _, t in ipairs(g.targets) do
        if t.timer then loop.cancel(g.self, t.timer) end
        t.timer = nil
        if t.left == 0 and t.count == 0 then
            -- With one family asked (opts.family), its NODATA says nothing of
            -- the name: the race says "no inet6 address", as a filter would.
            local code = target_error(t)
            if code == codes.NODATA and g.opts.family and g.opts.family ~= "any" then code = nil end
            for _, n in ipairs(t.numbers) do g.cands[n].address_error = code end
        end
    end
    if g.self._closed then
        return g.cb(nil, g.name .. ": connection race cancelled", codes.CANCELLED)
    end
    g.d = start_race(g.self, g.name, g.cands, g.opts, g.t0, g.cb, g.left > 0)
end

-- One family's answer for target t: its addresses go to each candidate of
-- the target and, once the race runs, into it.
local function on_answer(g, t, family, code, records)
    g.left, t.left = g.left - 1, t.left - 1
    -- A race already over (or that never began) wants no more addresses.
    if g.started and not (g.d and not g.d.finished) then return end
    local count = 0
    if code == codes.OK and records then
        local race = g.d and g.d.race
        for _, rec in ipairs(records) do
            local address = rec.address
            count = count + 1
            for _, n in ipairs(t.numbers) do
                local c = g.cands[n]
                local list = c.addresses
                list[#list + 1] = address
                if race then assert(race:add(n, address, c.port)) end
            end
        end
    end
    if count > 0 then
        t.found[family] = true
        t.count, g.count = t.count + count, g.count + count
    else
        t.errors[family] = code
    end
    if g.log then
        trace(g.log, { step = "addresses", target = t.target, family = family, code = code, count = count })
    end
    local d = g.d
    if d then
        if g.left == 0 then d.race:expect_more(false) end
        return d:advance()
    end
    if family == "inet" and count > 0 and not t.found.inet6 and t.left > 0 then
        -- The resolver's clock, as every timer (srv.loop); the race's own
        -- times are the monotonic clock's.
        t.timer = loop.at(g.self, g.self._clock() + g.delay, function()
            t.timer = nil
            t.delay_passed = true
            maybe_start(g)
        end)
    end
    maybe_start(g)
end

-- The families asked, in the order asked: AAAA first (RFC 8305 section 3).
local BOTH_FAMILIES, ONLY_INET, ONLY_INET6 = { "inet6", "inet" }, { "inet" }, { "inet6" }

-- Looks up the candidates' addresses and starts the race on them.
local function gather(self, name, cands, opts, t0, cb)
    cands = candidates.copy_all(cands, {})
    -- AAAA asked first: RFC 8305 section 3 sends it first.
    local families = opts.family == "inet" and ONLY_INET or opts.family == "inet6" and ONLY_INET6
                     or BOTH_FAMILIES
    local g = { self = self, name = name, cands = cands, opts = opts, t0 = t0, cb = cb, log = opts.trace,
                delay = opts.resolution_delay or DEFAULT_RESOLUTION_DELAY, targets = {}, left = 0,
                count = 0 }
    local by_key = {}
    for n, c in ipairs(cands) do
        c.addresses, c.address_error = {}, nil
        local key = names.key(c.target)
        local t = by_key[key]
        if not t then
            t = { target = c.target, numbers = {}, found = {}, errors = {}, left = 0, count = 0 }
            by_key[key] = t
            g.targets[#g.targets + 1] = t
        end
        t.numbers[#t.numbers + 1] = n
    end
    for _, t in ipairs(g.targets) do
        local host = lookup.unbracket(t.target)
        if services.is_ip_literal(host) then
            for _, n in ipairs(t.numbers) do cands[n].addresses[1] = host end
            -- Counted only when the race may try it (opts.family).
            if #families == 2 or families[1] == (host:find(":", 1, true) and "inet6" or "inet") then
                t.count, g.count = 1, g.count + 1
            end
        else
            t.left = #families
            g.left = g.left + #families
        end
    end
    if g.left == 0 then return maybe_start(g) end
    -- Fresh answers in the cache are taken at once (this runs from a
    -- delivery already, as the resolution's callback); the others asked.
    local cached_one = fetch.cached_one
    for _, t in ipairs(g.targets) do
        if t.left > 0 then
            local host = lookup.unbracket(t.target)
            for _, family in ipairs(families) do
                local code, records = cached_one(self, "addr", host, family)
                if code then
                    on_answer(g, t, family, code, records)
                else
                    fetch.one(self, "addr", host, function(answer, list)
                        on_answer(g, t, family, answer, list)
                    end, nil, nil, family)
                end
            end
        end
    end
end

-- The resolution's options (its addresses are gathered here); nil when the
-- call sets none of them.
local function resolve_options(opts)
    if opts == NO_OPTIONS then return nil end
    local any = false
    for _, field in ipairs(RESOLVE_OPTIONS) do
        if opts[field] ~= nil then any = true break end
    end
    if not any then return nil end
    local r = {}
    for _, field in ipairs(RESOLVE_OPTIONS) do r[field] = opts[field] end
    return r
end

-- opts: checked already (read_options); fname: the method called, which
-- errors in the resolution's options name.
local function connect_async(self, fname, name, opts, cb)
    -- The race's times (timeout, elapsed, attempts) are real time, on the
    -- monotonic clock: the resolver's `clock` is the cache's and health's
    -- (docs/lua-api.md, srv.resolver), and a test moves it by hand.
    local t0 = core.now()
    local function resolved(cands, msg, code)
        if not cands then return cb(nil, msg, code) end
        if self._closed then
            return cb(nil, name .. ": connection race cancelled", codes.CANCELLED)
        end
        gather(self, name, cands, opts, t0, cb)
    end
    if opts.xmpp then
        xmpp.resolve_xmpp_async(self, name, opts.xmpp, resolve_options(opts), resolved)
    else
        resolve.resolve_name_async(self, fname, name, resolve_options(opts), resolved)
    end
end

function M.connect_async(self, name, opts, cb, ...)
    if cb == nil and is_callable(opts) then opts, cb = nil, opts end
    if not is_callable(cb) then arg_error(3, "connect_async", "function expected, got " .. type(cb)) end
    if select("#", ...) > 0 then arg_error(4, "connect_async", "no value expected") end
    if type(name) ~= "string" then arg_error(1, "connect_async", "string expected, got " .. type(name)) end
    connect_async(self, "connect_async", name, read_options(opts, 2, "connect_async"), cb)
end

function M.connect(self, name, opts)
    if type(name) ~= "string" then arg_error(1, "connect", "string expected, got " .. type(name)) end
    opts = read_options(opts, 2, "connect")
    return loop.await(self, function(cb) connect_async(self, "connect", name, opts, cb) end)
end

-- r:close(): every race still running ends CANCELLED, its sockets closed.
function M.cancel_all(self)
    local list = {}
    for d in pairs(self._races) do list[#list + 1] = d end
    for _, d in ipairs(list) do d:cancel() end
end

return M
