-- srv.watch: r:watch(name, cb [, opts]) -> w, a service's candidate set kept
-- in step with DNS (docs/lua-api.md, "Watching a service";
-- docs/long-running.md). Every function takes the resolver's state
-- (srv.resolver) first.
--
-- Watchers of one name with the same options are one group: the group
-- refreshes (one query, asked of the source even when the cache holds the
-- name: fetch's refresh mode) and hands the result to each of its watchers,
-- which compare it with the set their callback last saw. Refreshes run on
-- the resolver's timers (srv.loop), so whatever drives the resolver drives
-- the watches.
local fetch = require "srv.fetch"
local loop = require "srv.loop"
local resolve = require "srv.resolve"
local candidates = require "srv.candidates"
local names = require "srv.names"
local options = require "srv.options"
local codes = require "srv.codes"
local core = require "srv.core"

local arg_error, is_callable = options.arg_error, options.is_callable
local traceback = debug.traceback

local M = {}

-- Seconds (docs/lua-api.md, "Watching a service").
M.defaults = {
    min_ttl = 5,            -- never refresh more often: a TTL of 0 must not mean a query per call
    max_ttl = 3600,         -- never less often: a day-long TTL still sees changes within the hour
    jitter = 0.1,           -- each wait is lengthened by up to this fraction, at random
    failure_refresh = 5,    -- the first retry after a failure; it doubles per failure in a row
}
-- Retries after failures in a row wait at most this many failure_refresh.
M.MAX_BACKOFF = 8

local WATCH_OPTIONS = { "min_ttl", "max_ttl", "jitter", "failure_refresh" }
local RESOLVE_OPTIONS = { "fallback", "port", "addresses", "strict", "policy" }
local OPTION_NAMES = options.names { "min_ttl", "max_ttl", "jitter", "failure_refresh",
                                     "fallback", "port", "addresses", "strict", "policy" }

-- The watch's settings, checked: the timing ones with their defaults, and
-- the options r:resolve takes (nil when there are none).
local function read_options(opts)
    if opts == nil then opts = {} end
    if type(opts) ~= "table" then arg_error(3, "watch", "table expected, got " .. type(opts)) end
    local problem = options.unknown_option(opts, OPTION_NAMES)
    if problem then arg_error(3, "watch", problem) end
    local settings = {}
    for _, field in ipairs(WATCH_OPTIONS) do
        local v = opts[field]
        if v == nil then
            v = M.defaults[field]
        elseif type(v) ~= "number" or v ~= v or v < 0 or v == math.huge then
            arg_error(3, "watch", string.format("field '%s': number >= 0 expected, got %s", field,
                                                options.describe(v)))
        end
        settings[field] = v
    end
    if settings.jitter > 1 then
        arg_error(3, "watch", "field 'jitter': number 0..1 expected, got " .. settings.jitter)
    end
    if settings.failure_refresh <= 0 then
        arg_error(3, "watch", "field 'failure_refresh': positive number expected, got 0")
    end
    if settings.max_ttl < settings.min_ttl then
        arg_error(3, "watch", string.format("max_ttl (%s) is below min_ttl (%s)", settings.max_ttl, settings.min_ttl))
    end
    local resolve_opts
    for _, field in ipairs(RESOLVE_OPTIONS) do
        if opts[field] ~= nil then
            resolve_opts = resolve_opts or {}
            resolve_opts[field] = opts[field]
        end
    end
    if resolve_opts then resolve_opts = resolve.read_options(resolve_opts, 3, "watch") end
    for _, field in ipairs(RESOLVE_OPTIONS) do
        settings[field] = resolve_opts and resolve_opts[field]
    end
    return settings, resolve_opts
end

local function same_settings(a, b)
    for field in pairs(OPTION_NAMES.set) do
        if a[field] ~= b[field] then return false end
    end
    return true
end

-- Comparing sets -------------------------------------------------------------

local function address_text(c)
    local list = c.addresses
    if not list then return nil end
    local sorted = table.move(list, 1, #list, 1, {})
    table.sort(sorted)
    return table.concat(sorted, " ")
end

-- Candidates by identity: target (as names compare) and port, and transport
-- and TLS for the calls that set them. Two records with the same target and
-- port are told apart by priority and weight, in that order.
local function index(set)
    local by_base, bases = {}, {}
    for _, c in ipairs(set) do
        local base = names.key(c.target) .. "|" .. c.port .. "|" .. tostring(c.transport) .. "|" .. tostring(c.tls)
        local list = by_base[base]
        if not list then
            list = {}
            by_base[base] = list
            bases[#bases + 1] = base
        end
        list[#list + 1] = c
    end
    local by_key = {}
    for _, base in ipairs(bases) do
        local list = by_base[base]
        if #list > 1 then
            table.sort(list, function(a, b)
                if a.priority ~= b.priority then return a.priority < b.priority end
                return a.weight < b.weight
            end)
        end
        for i, c in ipairs(list) do
            by_key[i == 1 and base or (base .. "#" .. i)] = c
        end
    end
    return by_key
end

local function same(a, b)
    return a.priority == b.priority and a.weight == b.weight and a.source == b.source
        and address_text(a) == address_text(b) and a.address_error == b.address_error
end

-- {added, removed, changed} from old to new, each in the order of its set
-- (removed in the old one's); nil when nothing changed.
local function diff(old, new)
    local before, after = index(old), index(new)
    local added, removed, changed = {}, {}, {}
    local key_of = {}
    for key, c in pairs(after) do key_of[c] = key end
    for _, c in ipairs(new) do
        local previous = before[key_of[c]]
        if not previous then
            added[#added + 1] = c
        elseif not same(previous, c) then
            changed[#changed + 1] = c
        end
    end
    local old_key = {}
    for key, c in pairs(before) do old_key[c] = key end
    for _, c in ipairs(old) do
        if not after[old_key[c]] then removed[#removed + 1] = c end
    end
    if #added + #removed + #changed == 0 then return nil end
    return { added = added, removed = removed, changed = changed }
end
M.diff = diff

-- Groups and their refreshes -------------------------------------------------

-- A number in [0, 1) from the watches' own generator, seeded once from the
-- resolver's so that a seeded resolver gives the same refresh times.
local function uniform(self)
    local rng = self._watch_rng
    if not rng then
        rng = core.rng(self._rng:next())
        self._watch_rng = rng
    end
    return rng:below(1000000) / 1000000
end

-- How long the answers stay valid: the smallest TTL among them, counted from
-- now; nil when there is none (no query was needed, or every one failed).
local function answer_ttl(results, now)
    local ttl
    for _, res in ipairs(results) do
        local t
        if res.code == codes.OK or res.code == codes.NOSERVICE then
            for _, rec in ipairs(res.records or {}) do
                if not t or rec.ttl < t then t = rec.ttl end
            end
        elseif codes.means_no_records(res.code) then
            t = res.negative_ttl or 0
        end
        if t then
            t = t - fetch.age(now, res)
            if not ttl or t < ttl then ttl = t end
        end
    end
    return ttl
end

-- A failure whose outcome is an answer after all: no records, or the
-- service decidedly not available, make the set empty.
local function is_answer(code)
    return codes.means_no_records(code) or code == codes.NOSERVICE
end

local refresh

local function schedule(self, group, wait)
    local jitter = group.settings.jitter
    if jitter > 0 then wait = wait * (1 + jitter * uniform(self)) end
    group.timer = loop.at(self, self._clock() + wait, function()
        group.timer = nil
        refresh(self, group)
    end)
end

local function remove_group(self, group)
    group.dead = true
    if group.timer then
        loop.cancel(self, group.timer)
        group.timer = nil
    end
    local list = self._watch_groups[group.key]
    for i = #list, 1, -1 do
        if list[i] == group then table.remove(list, i) end
    end
    if #list == 0 then self._watch_groups[group.key] = nil end
end

-- Calls w's callback, protected; the first error is kept in errors.
local function call(w, errors, ...)
    local ok, err = xpcall(w.cb, traceback, ...)
    if not ok and errors.first == nil then errors.first = err end
end

-- What w's callback must hear of its group's state: the set when it differs
-- from what it saw (always after a failure, and the first time), or the
-- failure once per failure streak.
local function notify(w, errors)
    local group = w.group
    if group.failing then
        if not w.failing or group.code == codes.CANCELLED then
            w.failing = true
            -- A watcher that joined during the streak is told the group's
            -- last set as the stale one, but has not had it as a set: its
            -- first set call still has every candidate in `added`.
            call(w, errors, nil, group.msg, group.code, w.seen or group.set)
        end
    elseif group.set then
        local set = group.set
        local d = w.seen == nil and { added = table.move(set, 1, #set, 1, {}), removed = {}, changed = {} }
            or diff(w.seen, set)
        if d or w.failing then
            w.seen, w.failing = set, false
            call(w, errors, set, d or { added = {}, removed = {}, changed = {} })
        end
    end
end

local function dispatch(self, group)
    local errors = {}
    for _, w in ipairs(table.move(group.watchers, 1, #group.watchers, 1, {})) do
        if not w.cancelled then notify(w, errors) end
    end
    if group.code == codes.CANCELLED then
        for _, w in ipairs(group.watchers) do w.cancelled = true end
        if not group.dead then remove_group(self, group) end
    end
    if errors.first ~= nil then error(errors.first, 0) end
end

local function settle(self, group, set, ttl)
    group.in_flight = false
    if group.dead then return end
    local s = group.settings
    group.refreshes = group.refreshes + 1
    if set then
        group.set, group.failing, group.failures, group.msg, group.code = set, false, 0, nil, nil
        local wait = ttl or s.max_ttl
        if wait < s.min_ttl then wait = s.min_ttl end
        if wait > s.max_ttl then wait = s.max_ttl end
        schedule(self, group, wait)
    else
        group.failures = group.failures + 1
        group.failing = true
        if group.code ~= codes.CANCELLED then
            local wait = s.failure_refresh * (1 << math.min(group.failures - 1, 30))
            local most = s.failure_refresh * M.MAX_BACKOFF
            schedule(self, group, wait < most and wait or most)
        end
    end
    dispatch(self, group)
end

function refresh(self, group)
    if group.dead then return end
    group.in_flight = true
    local reload = self._source.reload
    if reload and not self._closed then reload(self._source) end
    local plan = group.plan
    fetch.all(self, plan.names, nil, function(results, now)
        local ttl = answer_ttl(results, now)
        local cands, msg, code = plan.compute(self, results, plan, now)
        if not cands then
            if is_answer(code) then return settle(self, group, {}, ttl) end
            group.msg, group.code = msg, code
            return settle(self, group, nil)
        end
        if not plan.opts.addresses then return settle(self, group, cands, ttl) end
        resolve.add_addresses(self, (candidates.copy_all(cands, {})), nil, function(with_addresses)
            settle(self, group, with_addresses, ttl)
        end)
    end, true)
end

-- The watcher object -----------------------------------------------------------

local watcher_mt = { __name = "srv.watcher" }
watcher_mt.__index = watcher_mt

local function check_watcher(w, fname)
    if getmetatable(w) ~= watcher_mt then
        arg_error(1, fname, "srv.watcher expected, got " .. type(w))
    end
end

-- Stops the watch: its callback is not called again. Safe twice, also from
-- inside the callback.
function watcher_mt.cancel(w)
    check_watcher(w, "cancel")
    if w.cancelled then return true end
    w.cancelled = true
    local group = w.group
    for i, other in ipairs(group.watchers) do
        if other == w then
            table.remove(group.watchers, i)
            break
        end
    end
    if #group.watchers == 0 and not group.dead then remove_group(group.self, group) end
    return true
end

-- {set =, stale =, failures =, refreshes =, next_refresh =, cancelled =}:
-- the set the callback last saw, whether it is the last good one kept
-- through failures, the failures in a row, the refreshes so far, and the
-- seconds until the next one (nil while one is under way, and once
-- cancelled).
function watcher_mt.status(w)
    check_watcher(w, "status")
    local group = w.group
    local self = group.self
    local next_refresh
    if group.timer and not w.cancelled then
        local now = self._clock()
        next_refresh = loop.rebase(group.timer, now) - now
        if next_refresh < 0 then next_refresh = 0 end
    end
    return { set = w.seen, stale = w.seen ~= nil and group.failing and not w.cancelled or false,
             failures = group.failures, refreshes = group.refreshes,
             next_refresh = next_refresh, cancelled = w.cancelled }
end

function watcher_mt.__tostring(w)
    return string.format("srv.watcher (%s%s)", w.group.plan.name, w.cancelled and ", cancelled" or "")
end

-- r:watch ----------------------------------------------------------------------

function M.watch(self, name, cb, opts)
    if type(name) ~= "string" then arg_error(1, "watch", "string expected, got " .. type(name)) end
    if not is_callable(cb) then arg_error(2, "watch", "function expected, got " .. type(cb)) end
    local settings, resolve_opts = read_options(opts)
    local plan, msg, code = resolve.plan("watch", name, resolve_opts)
    if not plan then return nil, msg, code end

    local groups = self._watch_groups
    if not groups then
        groups = {}
        self._watch_groups = groups
    end
    local key = names.key(name)
    local list = groups[key]
    if not list then
        list = {}
        groups[key] = list
    end
    local group
    for _, g in ipairs(list) do
        if same_settings(g.settings, settings) then group = g end
    end
    local w = setmetatable({ cb = cb, cancelled = false, failing = false }, watcher_mt)
    if group then
        w.group = group
        group.watchers[#group.watchers + 1] = w
        -- The current state, from the loop like every callback; a watcher
        -- whose group has a refresh under way and no result yet waits for it.
        if group.set or group.failing then
            fetch.defer(self, function()
                if w.cancelled or w.seen ~= nil or w.failing then return end
                local errors = {}
                notify(w, errors)
                if errors.first ~= nil then error(errors.first, 0) end
            end)
        end
    else
        group = { self = self, key = key, plan = plan, settings = settings, watchers = { w },
                  failures = 0, refreshes = 0, failing = false }
        w.group = group
        list[#list + 1] = group
        refresh(self, group)
    end
    return w
end

return M
