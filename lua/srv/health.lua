-- srv.health: the health of targets and ports, and what it does to the order
-- of candidates (docs/lua-api.md, "Health" and "Passive health").
--
-- Two kinds of state, both per target and port:
--   - manual marks (r:mark_down / r:mark_up): down for a while;
--   - passive state (r:report): consecutive failures eject a candidate for a
--     time that grows with each ejection; after it, one trial decides.
-- Both move candidates behind the healthy ones (they stay in the list: a
-- down server is still tried, last). Every function takes the resolver's
-- state (srv.resolver) first.
local names = require "srv.names"
local options = require "srv.options"
local candidates = require "srv.candidates"

local arg_error, check_type, field_error = options.arg_error, options.check_type, options.field_error
local floor, min, max = math.floor, math.min, math.max
local service_of = candidates.service_of

-- The port argument as an integer (5222.0 is 5222), or raises.
local function check_port(port, fname, n)
    local p = options.to_port(port)
    if not p then arg_error(n or 2, fname, "port 1..65535 expected, got " .. options.describe(port)) end
    return p
end

local M = {}

M.DEFAULT_DOWN_SECONDS = 30  -- how long mark_down lasts when no duration is given

-- Settings -------------------------------------------------------------------

-- srv.resolver{health = {...}} (docs/lua-api.md, "Passive health").
M.DEFAULTS = { consecutive_failures = 5, base_ejection = 30, max_ejection = 300, max_ejected_percent = 50 }
local SETTINGS = options.names { "consecutive_failures", "base_ejection", "max_ejection", "max_ejected_percent" }

-- The settings of srv.resolver's `health` option, checked, defaults filled in.
function M.settings(opt)
    local s = {}
    for k, v in pairs(M.DEFAULTS) do s[k] = v end
    if opt == nil then return s end
    if type(opt) ~= "table" then field_error("resolver", "health", "table expected, got " .. type(opt)) end
    local problem = options.unknown_option(opt, SETTINGS)
    if problem then field_error("resolver", "health", problem) end
    s.consecutive_failures = options.opt_integer(opt, "consecutive_failures", 1, "resolver",
                                                 "health.consecutive_failures") or s.consecutive_failures
    local function number(field, ok, expected)
        local v = opt[field]
        if v == nil then return end
        if type(v) ~= "number" or not ok(v) then
            field_error("resolver", "health." .. field, expected .. " expected, got " .. options.describe(v))
        end
        s[field] = v
    end
    number("base_ejection", function(v) return v > 0 and v < math.huge end, "number > 0")
    number("max_ejection", function(v) return v > 0 and v < math.huge end, "number > 0")
    number("max_ejected_percent", function(v) return v >= 0 and v <= 100 end, "number 0..100")
    if s.max_ejection < s.base_ejection then
        field_error("resolver", "health.max_ejection", string.format(
            "%s is less than base_ejection (%s)", options.describe(s.max_ejection), options.describe(s.base_ejection)))
    end
    return s
end

-- Manual marks -----------------------------------------------------------------

local function health_key(target, port)
    return names.key(target) .. "|" .. port
end

-- The passive state of a target and port, or nil: self._passive is
-- names.key(target) -> port -> entry, so that r:report, called once per
-- connection attempt, builds no key string.
local function entry_of(self, target, port)
    local by_port = self._passive[names.key(target)]
    return by_port and by_port[port]
end

local restore, forget_if_idle

function M.mark_down(self, target, port, seconds)
    check_type(target, "string", 1, "mark_down")
    port = check_port(port, "mark_down")
    if seconds ~= nil and (type(seconds) ~= "number" or seconds ~= seconds) then
        arg_error(3, "mark_down", "number expected, got " .. (seconds ~= seconds and "nan" or type(seconds)))
    end
    seconds = seconds or M.DEFAULT_DOWN_SECONDS
    local key = health_key(target, port)
    if seconds <= 0 then
        self._down[key] = nil
    else
        self._down[key] = self._clock() + seconds
    end
    return true
end

-- mark_up is the operator's word that the target is up: it clears the mark,
-- and restores a candidate passive health had ejected.
function M.mark_up(self, target, port)
    check_type(target, "string", 1, "mark_up")
    port = check_port(port, "mark_up")
    self._down[health_key(target, port)] = nil
    local e = entry_of(self, target, port)
    if e then
        if e.out then restore(self, e, self._clock()) end
        e.failures, e.ejections, e.restored_at = 0, 0, nil
        forget_if_idle(self, e)
    end
    return true
end

-- Passive state ------------------------------------------------------------------
--
-- An entry: {target =, port =, failures = consecutive failures,
-- ejections = times ejected (what the next ejection time is measured by),
-- out = ejected or half-open, until_ = end of the ejection, trial_at = when
-- the half-open trial was let through, restored_at = when it came back,
-- rtt = smoothed round-trip time, service = the candidates of the service it
-- was last reported from (for max_ejected_percent)}.

-- Ejections left on the count: each base_ejection seconds a restored
-- candidate stays up takes one off. A clock set back (a user's clock may
-- be, docs/lua-api.md, srv.resolver's `clock`) takes none off, and adds
-- none.
local function ejections_now(e, now, base)
    local n = e.ejections
    if n > 0 and e.restored_at then
        n = max(0, n - floor(max(0, now - e.restored_at) / base))
    end
    return n
end

local function eject(self, e, now, count)
    local s = self._health
    e.ejections = count
    e.until_ = now + min(s.base_ejection * count, s.max_ejection)
    if not e.out then
        e.out = true
        self._out = self._out + 1
    end
    e.failures, e.trial_at, e.restored_at = 0, nil, nil
end

function restore(self, e, now)
    e.out = false
    self._out = self._out - 1
    e.failures, e.until_, e.trial_at, e.restored_at = 0, nil, nil, now
end

-- Whether one more candidate of e's service may be ejected: at most
-- max_ejected_percent of the service's distinct targets and ports may be out
-- at once, and always at least one (unless the percentage is 0). A candidate
-- of no known service (reported only by target and port, or added by a
-- policy) is a service of its own.
local function may_eject(self, e)
    local percent = self._health.max_ejected_percent
    if percent <= 0 then return false end
    local list = e.service
    if not list then return true end
    local seen, n, out = {}, 0, 0
    for i = 1, #list do
        local c = list[i]
        local tkey = names.key(c.target)
        local by_port = seen[tkey]
        if not by_port then
            by_port = {}
            seen[tkey] = by_port
        end
        if not by_port[c.port] then
            by_port[c.port] = true
            n = n + 1
            local other = entry_of(self, c.target, c.port)
            if other and other ~= e and other.out then out = out + 1 end
        end
    end
    return out + 1 <= max(1, floor(n * percent / 100))
end

local function new_entry(self, target, port)
    local tkey = names.key(target)
    local by_port = self._passive[tkey]
    if not by_port then
        by_port = {}
        self._passive[tkey] = by_port
    end
    local n = #target
    if n > 1 and target:byte(n) == 46 then target = target:sub(1, n - 1) end
    local e = { target = target, port = port, failures = 0, ejections = 0, out = false }
    by_port[port] = e
    return e
end

-- Drops an entry that has nothing left to remember (no failures, no
-- ejection on the count, no round-trip time).
function forget_if_idle(self, e)
    if e.rtt == nil and not e.out and e.failures == 0
        and (e.ejections == 0 or ejections_now(e, self._clock(), self._health.base_ejection) == 0) then
        local tkey = names.key(e.target)
        local by_port = self._passive[tkey]
        by_port[e.port] = nil
        if next(by_port) == nil then self._passive[tkey] = nil end
    end
end

-- r:report(candidate, ok [, rtt]) or r:report(target, port, ok [, rtt]).
-- Called once per connection attempt: a success on a candidate srv knows
-- nothing about is a table look-up and no more.
function M.report(self, a, b, c, d, e)
    local target, port, ok, rtt, n_ok, cand
    if type(a) == "table" then
        if d ~= nil then arg_error(4, "report", "no value expected") end
        target, port, ok, rtt, n_ok = a.target, a.port, b, c, 2
        if type(target) ~= "string" then
            arg_error(1, "report", "candidate with a string target expected, got target " .. options.describe(target))
        end
        if math.type(port) ~= "integer" or port < 1 or port > 65535 then
            local p = options.to_port(port)
            if not p then
                arg_error(1, "report", "candidate with a port 1..65535 expected, got port " .. options.describe(port))
            end
            port = p
        end
        cand = a
    else
        check_type(a, "string", 1, "report")
        if e ~= nil then arg_error(5, "report", "no value expected") end
        target, port, ok, rtt, n_ok = a, b, c, d, 3
        if math.type(port) ~= "integer" or port < 1 or port > 65535 then port = check_port(port, "report") end
    end
    if type(ok) ~= "boolean" then arg_error(n_ok, "report", "boolean expected, got " .. type(ok)) end
    if rtt ~= nil and (type(rtt) ~= "number" or not (rtt >= 0 and rtt < math.huge)) then
        arg_error(n_ok + 1, "report", "number >= 0 expected, got " .. options.describe(rtt))
    end
    return M.record(self, target, port, ok, rtt, cand)
end

-- r:report's work on arguments known to be good: srv.connect reports its
-- own candidates through it, once per race.
function M.record(self, target, port, ok, rtt, cand)
    local by_port = self._passive[names.key(target)]
    local e = by_port and by_port[port]
    if ok then
        if not e then
            if rtt == nil then return true end
            e = new_entry(self, target, port)
        end
        if rtt then
            -- Smoothed as TCP smooths its round-trip time (RFC 6298 2.2, 2.3).
            local srtt = e.rtt
            e.rtt = srtt and srtt + (rtt - srtt) / 8 or rtt
        end
        if e.out then
            restore(self, e, self._clock())
        else
            e.failures = 0
            if e.rtt == nil then forget_if_idle(self, e) end
        end
        return true
    end

    if not e then e = new_entry(self, target, port) end
    if cand then e.service = service_of[cand] or e.service end
    local now = self._clock()
    if e.out then
        -- Still ejected: nothing new. After the ejection time the first
        -- report decides, and this failure ejects it again, for longer.
        if now >= e.until_ then eject(self, e, now, e.ejections + 1) end
        return true
    end
    e.failures = e.failures + 1
    if e.failures >= self._health.consecutive_failures and may_eject(self, e) then
        eject(self, e, now, ejections_now(e, now, self._health.base_ejection) + 1)
    end
    return true
end

-- What r:health returns for one entry (and for a target and port srv knows
-- nothing about: e and down_until nil).
local function view(self, target, port, e, down_until, now)
    local v = { target = target, port = port, state = "healthy", failures = 0, ejections = 0 }
    if e then
        v.failures, v.rtt = e.failures, e.rtt
        v.ejections = ejections_now(e, now, self._health.base_ejection)
        if e.out then
            if now < e.until_ then
                v.state, v.ejected_for = "ejected", e.until_ - now
            else
                v.state = "half-open"
                v.trial = e.trial_at ~= nil and now - e.trial_at < self._health.base_ejection
            end
        end
    end
    if down_until and now < down_until then v.down = down_until - now end
    return v
end

local function by_target_then_port(x, y)
    local kx, ky = names.key(x.target), names.key(y.target)
    if kx ~= ky then return kx < ky end
    return x.port < y.port
end

-- r:health(target, port) -> one state; r:health(target) -> the states of
-- every port srv knows for the target; r:health() -> every state it holds.
function M.health(self, target, port)
    local now = self._clock()
    if target ~= nil then check_type(target, "string", 1, "health") end
    if port ~= nil then
        port = check_port(port, "health")
        if target == nil then arg_error(1, "health", "string expected, got nil") end
        local shown = target
        local e = entry_of(self, target, port)
        if e then shown = e.target end
        return view(self, shown, port, e, self._down[health_key(target, port)], now)
    end
    local out, seen = {}, {}
    local wanted = target and names.key(target)
    for tkey, by_port in pairs(self._passive) do
        if not wanted or tkey == wanted then
            for p, e in pairs(by_port) do
                local key = tkey .. "|" .. p
                seen[key] = true
                out[#out + 1] = view(self, e.target, p, e, self._down[key], now)
            end
        end
    end
    for key, until_ in pairs(self._down) do
        if not seen[key] and now < until_ then
            local tkey, p = key:match("^(.*)|(%d+)$")
            if not wanted or tkey == wanted then
                out[#out + 1] = view(self, tkey, math.tointeger(tonumber(p)), nil, until_, now)
            end
        end
    end
    table.sort(out, by_target_then_port)
    return out
end

-- Ordering -----------------------------------------------------------------------

local function trace(log, c, state, reason)
    if log then
        log[#log + 1] = { step = "health", target = c.target, port = c.port, state = state, reason = reason }
    end
end

local MARKED_DOWN = "marked down: moved behind the up candidates"

-- Manual marks only (no candidate has passive state): marked-down
-- candidates go behind every up candidate, keeping the order inside each
-- group.
local function apply_marks(self, cands, log)
    local now = self._clock()
    local up, down = {}, {}
    for i = 1, #cands do
        local c = cands[i]
        local key = health_key(c.target, c.port)
        local until_ = self._down[key]
        if until_ and now >= until_ then
            self._down[key] = nil
            until_ = nil
        end
        if until_ then
            down[#down + 1] = c
            if log then log[#log + 1] = { step = "health", target = c.target, port = c.port, reason = MARKED_DOWN } end
        else
            up[#up + 1] = c
        end
    end
    if #down == 0 then return cands end
    for i = 1, #down do up[#up + 1] = down[i] end
    return up
end

-- Seconds left, as the trace says them: whole seconds, rounded up, so the
-- reason does not change with the milliseconds a call takes ("30 s left"
-- just after a 30 s ejection, not "29.9999 s").
local function seconds(x)
    return string.format("%d s", math.ceil(x - 1e-9))
end

-- The order with passive state: healthy candidates (and those let through:
-- a half-open trial, a priority in panic) in their places, then the ejected
-- ones, then the marked-down ones, each group in the order it had. A
-- manual mark wins over the passive state.
local function apply_passive(self, cands, log)
    local now = self._clock()
    local base = self._health.base_ejection
    local n = #cands
    local marked, passive = {}, {}   -- by index: marked down; "out" or "trial"
    local any = false
    local granted = {}               -- entries given their trial by this call
    for i = 1, n do
        local c = cands[i]
        local key = health_key(c.target, c.port)
        local until_ = self._down[key]
        if until_ and now >= until_ then
            self._down[key] = nil
            until_ = nil
        end
        marked[i] = until_ ~= nil
        local e = entry_of(self, c.target, c.port)
        if e and e.out then
            any = true
            if now < e.until_ or marked[i] then
                passive[i] = "out"
            elseif granted[e] or not e.trial_at or now - e.trial_at >= base then
                -- Half-open: the first resolution after the ejection time
                -- lets one trial through (again after base_ejection
                -- seconds without a report on it).
                granted[e] = true
                e.trial_at = now
                passive[i] = "trial"
            else
                passive[i] = "out"
            end
        elseif marked[i] then
            any = true
        end
    end
    if not any then return cands end

    -- Panic: a priority (of one transport) whose every candidate is out is
    -- ordered as if healthy.
    local group_out = {}
    for i = 1, n do
        local c = cands[i]
        local g = tostring(c.transport) .. "|" .. tostring(c.priority)
        group_out[g] = (group_out[g] ~= false) and passive[i] == "out"
    end

    local front, ejected, down = {}, {}, {}
    for i = 1, n do
        local c = cands[i]
        local state = passive[i]
        local e = state and entry_of(self, c.target, c.port)
        if marked[i] then
            down[#down + 1] = c
            if log then log[#log + 1] = { step = "health", target = c.target, port = c.port, reason = MARKED_DOWN } end
        elseif state == "out" and group_out[tostring(c.transport) .. "|" .. tostring(c.priority)] then
            front[#front + 1] = c
            trace(log, c, "panic", string.format(
                "ejected, as is every candidate of priority %s: ordered as if healthy (panic)", tostring(c.priority)))
        elseif state == "out" then
            ejected[#ejected + 1] = c
            if now < e.until_ then
                trace(log, c, "ejected", string.format(
                    "ejected (ejection %d, %s left): moved behind the healthy candidates", e.ejections,
                    seconds(e.until_ - now)))
            else
                trace(log, c, "half-open", "half-open, its trial let through and not reported yet: " ..
                      "moved behind the healthy candidates")
            end
        else
            front[#front + 1] = c
            if state == "trial" then
                trace(log, c, "trial", "half-open: its ejection is over, one trial let through in its place")
            end
        end
    end
    if #ejected == 0 and #down == 0 then return front end
    for i = 1, #ejected do front[#front + 1] = ejected[i] end
    for i = 1, #down do front[#front + 1] = down[i] end
    return front
end

-- The candidates in the order health gives them. Costs nothing when no
-- candidate is marked down or ejected.
function M.apply(self, cands, log)
    if self._out == 0 then
        if next(self._down) == nil then return cands end
        return apply_marks(self, cands, log)
    end
    return apply_passive(self, cands, log)
end

return M
