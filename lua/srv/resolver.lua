-- srv.resolver: the resolver object of the Lua API.
--
-- It sits on a source (the C resolver of srv.core, or srv.zone_source for
-- answers from a zone file) and adds what is policy rather than mechanism:
-- the cache, health marks, the policies, and the blocking/async/task-aware
-- forms of every call. Identical queries in flight are the source's to share.
--
-- Every answer reaches Lua callbacks from step()/run()/process() (never from
-- inside the call that submitted it), through the one delivery loop of
-- srv.loop, so callbacks see the same order of events whether an answer came
-- from DNS, a zone file or the cache.
--
-- The methods are plain functions of the modules below, each taking the
-- resolver's state first; METHODS (at the end) lists every public one.
local core = require "srv.core"
local cache_mod = require "srv.cache"
local names = require "srv.names"
local argcheck = require "srv.argcheck"
local options = require "srv.options"
local codes = require "srv.codes"
local loop = require "srv.loop"
local lookup = require "srv.lookup"
local fetch = require "srv.fetch"
local health = require "srv.health"
local resolve = require "srv.resolve"
local xmpp = require "srv.xmpp"
local turn = require "srv.turn"
local connect = require "srv.connect"
local watch = require "srv.watch"

local M = {}

-- A resolver is two tables. The state holds everything and is what the
-- methods work on; the callbacks the sources hold refer to it. The public
-- object users get is a proxy to it, referred to by nothing inside srv
-- (the state reaches it through a weak table), so a resolver its user
-- dropped is collected even with queries in flight, and its finalizer
-- closes it: the pending callbacks get CANCELLED instead of waiting forever.
-- The state's own methods are what srv.wait drives a task's resolver with
-- (srv.task).
local state_mt = { __index = { step = loop.step, timeout = loop.timeout } }
local resolver_mt = { __name = "srv.resolver" }   -- the public object
-- public object -> state. Weak keys (an ephemeron): the state lives as long
-- as its public object does, and users cannot reach it through the object.
local state_of = setmetatable({}, { __mode = "k" })
M.metatable = resolver_mt

local arg_error, check_type, is_callable = options.arg_error, options.check_type, options.is_callable
local field_error, opt_field, opt_integer = options.field_error, options.opt_field, options.opt_integer
local servers_csv = options.servers_csv

-- Construction --------------------------------------------------------------

local OPTIONS = options.names { "servers", "timeout", "tries", "seed", "zone", "zone_text", "cache",
                                "max_inflight", "edns", "clock", "policy", "health" }
local CACHE_SETTINGS = options.names { "max_negative_ttl", "stale", "max_entries" }

local function open_source(opts, tries, max_inflight)
    if opts.zone ~= nil or opts.zone_text ~= nil then
        local zone_source = require "srv.zone_source"
        if opts.zone ~= nil then return zone_source.open(opts.zone) end
        return zone_source.new(opts.zone_text)
    end
    local csv, err = servers_csv(opts.servers)
    if err then return nil, err, codes.BADSERVER end
    return core.new {
        servers = csv, timeout = opts.timeout, tries = tries,
        max_inflight = max_inflight, edns = opts.edns,
    }
end

-- The cache settings, checked, with integers as integers; nil for none.
local function cache_settings(cache_opt)
    if type(cache_opt) ~= "table" then return nil end
    local problem = options.unknown_option(cache_opt, CACHE_SETTINGS)
    if problem then field_error("resolver", "cache", problem) end
    local settings = {}
    for field, min in pairs { max_negative_ttl = 0, stale = 0 } do
        local v = cache_opt[field]
        if v ~= nil and (type(v) ~= "number" or v < min or v ~= v) then
            field_error("resolver", "cache." .. field,
                        string.format("number >= %d expected, got %s", min, options.describe(v)))
        end
        settings[field] = v
    end
    settings.max_entries = opt_integer(cache_opt, "max_entries", 1, "resolver", "cache.max_entries")
    return settings
end

function M.new(opts)
    if opts == nil then opts = {} end
    check_type(opts, "table", 1, "resolver")
    local problem = options.unknown_option(opts, OPTIONS)
    if problem then arg_error(1, "resolver", problem) end
    local timeout = opt_field(opts, "timeout", "number", "resolver")
    if timeout and not (timeout > 0) then field_error("resolver", "timeout", "positive number expected") end
    local tries = opt_integer(opts, "tries", 1, "resolver")
    local max_inflight = opt_integer(opts, "max_inflight", 1, "resolver")
    local seed = opts.seed
    if seed ~= nil then
        seed = options.to_integer(opts.seed)
        if not seed then
            field_error("resolver", "seed", "integer expected, got " .. options.describe(opts.seed))
        end
    end
    opt_field(opts, "zone", "string", "resolver")
    opt_field(opts, "zone_text", "string", "resolver")
    if opts.zone ~= nil and opts.zone_text ~= nil then
        arg_error(1, "resolver", "zone and zone_text exclude each other")
    end
    opt_field(opts, "edns", "boolean", "resolver")
    local cache_opt = opts.cache
    if cache_opt ~= nil and type(cache_opt) ~= "boolean" and type(cache_opt) ~= "table" then
        field_error("resolver", "cache", "boolean or table expected, got " .. type(cache_opt))
    end
    local settings = cache_settings(cache_opt)
    local health_settings = health.settings(opts.health)
    local clock = opts.clock
    if clock ~= nil and not is_callable(clock) then field_error("resolver", "clock", "function expected") end
    if opts.policy ~= nil and not is_callable(opts.policy) then
        field_error("resolver", "policy", "function or srv.policy expected")
    end

    local source, msg, code = open_source(opts, tries, max_inflight)
    if not source then return nil, msg, code end

    if clock then
        -- A user's clock is read everywhere (cache, health, watches, timers):
        -- one that returns something other than a number fails here, with
        -- a message that says so, not deep inside them.
        local user_clock = clock
        clock = function()
            local now = user_clock()
            if type(now) ~= "number" or now ~= now then
                error(string.format("srv.resolver: the clock returned %s; a number of seconds expected",
                                    options.describe(now)), 2)
            end
            return now
        end
    else
        clock = core.now
    end
    local self = setmetatable({
        _source = source,
        _rng = core.rng(seed),
        _clock = clock,
        _ready = {},
        _handed_out = 0,    -- results srv.loop has handed to srv.fetch (counts deliveries)
        _fetched = false,
        _asked_srv = {},    -- the source's query id -> the callback of its answer
        _asked_addr = {},
        _keys = {},         -- the source's query id -> its cache key (with a cache)
        _shapes = {},       -- the source's query id -> how its answer is handed out (srv.fetch.one)
        _names = {},        -- the source's query id -> the name asked, when it has a shape
        _down = {},         -- manual marks: "target|port" -> until (srv.health)
        _passive = {},      -- passive health: target key -> port -> entry
        _out = 0,           -- passive entries ejected or half-open
        _health = health_settings,
        _policy = opts.policy,
        _races = {},        -- connection races running (srv.connect)
        _poller = nil,      -- what r:pollfd() hands out, once asked (srv.loop)
        _closed = false,
    }, state_mt)
    if cache_opt ~= false then
        self._caches = { srv = cache_mod.new(settings, clock), addr = cache_mod.new(settings, clock) }
    end
    local public = setmetatable({}, resolver_mt)
    state_of[public] = self
    -- The object the user holds (for ctx.resolver), or nil once collected.
    self._public = setmetatable({ public }, { __mode = "v" })
    return public
end

local function set_policy(self, policy)
    if policy ~= nil and not is_callable(policy) then
        arg_error(1, "set_policy", "function or srv.policy expected, got " .. type(policy))
    end
    self._policy = policy
    return true
end

-- Cache -------------------------------------------------------------------------

local function flush(self, name)
    if name ~= nil then check_type(name, "string", 1, "flush") end
    if self._caches then
        local key = name and names.key(name)
        self._caches.srv:flush(key)
        self._caches.addr:flush(key)
        if key then
            -- r:connect's addresses of one family (srv.fetch).
            for _, suffix in pairs(fetch.FAMILY_SUFFIX) do self._caches.addr:flush(key .. suffix) end
        end
    end
    return true
end

local function stats(self)
    local s = { hits = 0, misses = 0, stale = 0, entries = 0 }
    if self._caches then
        for _, cache in pairs(self._caches) do
            local c = cache:stats()
            s.hits, s.misses = s.hits + c.hits, s.misses + c.misses
            s.stale, s.entries = s.stale + c.stale, s.entries + c.entries
        end
    end
    s.queries, s.shared = self._source:stats()
    s.pending = loop.pending(self)
    local down, now = 0, self._clock()
    for _, until_ in pairs(self._down) do
        if now < until_ then down = down + 1 end
    end
    s.down = down
    s.cache = self._caches ~= nil
    return s
end


-- Closing -------------------------------------------------------------------

-- One close for close(), __close and __gc; safe twice. Pending callbacks run
-- (CANCELLED unless their answer had already arrived) before it returns.
local function close(self)
    if self._closed then return true end
    self._closed = true
    local ok, err = pcall(connect.cancel_all, self)
    local closed, close_err = pcall(self._source.close, self._source)
    if ok then ok, err = closed, close_err end
    if self._poller then self._poller:close() end
    -- Answers that were waiting still go out; so do the CANCELLED failures
    -- the source just produced, and what their callbacks defer.
    repeat
        local delivered, ran = pcall(loop.deliver, self)
        if not delivered and ok then ok, err = false, ran end
    until delivered and ran == 0
    if not ok then error(err, 0) end
    return true
end

resolver_mt.__close = function(public) return close(state_of[public]) end
resolver_mt.__gc = function(public)
    local ok, err = pcall(close, state_of[public])
    if not ok then warn("srv: error while collecting a resolver: ", tostring(err)) end
end
resolver_mt.__tostring = function(public)
    if state_of[public]._closed then return "srv.resolver (closed)" end
    return string.format("srv.resolver (%p)", public)
end

-- Returns all but its first argument. The wrappers call methods through it
-- (not as a tail call) so that the user's object stays on the stack while
-- its method runs: a resolver whose method is running is not garbage, even
-- when the user holds it nowhere else (srv.resolver{...}:lookup(name)).
local function keep(_, ...)
    return ...
end

-- Every public method of a resolver (docs/lua-api.md), each a function of
-- the state; each also has its most arguments in MAX_ARGS below.
local METHODS = {
    lookup = lookup.lookup,
    lookup_async = lookup.lookup_async,
    addresses = lookup.addresses,
    addresses_async = lookup.addresses_async,
    resolve = resolve.resolve,
    resolve_async = resolve.resolve_async,
    resolve_xmpp = xmpp.resolve_xmpp,
    resolve_xmpp_async = xmpp.resolve_xmpp_async,
    resolve_turn = turn.resolve_turn,
    resolve_turn_async = turn.resolve_turn_async,
    resolve_stun = turn.resolve_stun,
    resolve_stun_async = turn.resolve_stun_async,
    connect = connect.connect,
    connect_async = connect.connect_async,
    mark_down = health.mark_down,
    mark_up = health.mark_up,
    report = health.report,
    health = health.health,
    watch = watch.watch,
    set_policy = set_policy,
    flush = flush,
    stats = stats,
    process = loop.process,
    step = loop.step,
    run = loop.run,
    pending = loop.pending,
    pollfd = loop.pollfd,
    events = loop.events,
    timeout = loop.timeout,
    close = close,
}

-- These take at most four arguments; their wrappers name five instead of
-- passing `...` on, which costs a vararg frame per call (the cached
-- r:resolve and the lookups are measured per microsecond). The fifth is
-- checked (MAX_ARGS); a sixth or later is not seen.
local FIXED_ARITY = { resolve = true, lookup = true, addresses = true,
                      resolve_xmpp = true, resolve_turn = true, resolve_stun = true,
                      lookup_async = true, addresses_async = true, report = true }
-- Of those, the ones that return one value, or nil, message, code: their
-- wrappers keep the results in locals instead of calling keep().
local ONE_RESULT = { resolve = true, lookup = true, addresses = true,
                     resolve_xmpp = true, resolve_turn = true, resolve_stun = true }
-- And the ones that return nothing: their wrappers need no keep() either.
local NO_RESULT = { lookup_async = true, addresses_async = true }

local function receiver_error(name, public)
    arg_error(1, name, "srv.resolver expected, got " .. type(public))
end

-- The most arguments each method takes (docs/lua-api.md), callbacks
-- included: a value past them is a mistake the call would otherwise hide
-- (r:resolve(name, nil, nil, opts) ignoring opts), so it raises.
local MAX_ARGS = {
    lookup = 1, addresses = 1, lookup_async = 2, addresses_async = 2,
    resolve = 4, resolve_async = 5,           -- (service, proto, domain, opts [, cb])
    resolve_xmpp = 3, resolve_xmpp_async = 4, resolve_turn = 2, resolve_turn_async = 3,
    resolve_stun = 2, resolve_stun_async = 3, connect = 2, connect_async = 3,
    mark_down = 3, mark_up = 2, report = 4, health = 2, watch = 3,
    set_policy = 1, flush = 1, stats = 0, process = 0, step = 1, run = 0, pending = 0,
    pollfd = 0, events = 0, timeout = 0, close = 0,
}

-- Raises for the first value given past max (position: the first of ...).
local function surplus_error(name, max, ...)
    for i = 1, select("#", ...) do
        if select(i, ...) ~= nil then arg_error(max + i, name, "no value expected") end
    end
end

-- The public object's methods: each checks its receiver (state_of knows
-- resolvers only) and, all but close, refuses a closed resolver, as Lua's
-- file methods do; then it calls the state's function.
local index = {}
for name, fn in pairs(METHODS) do
    local max = assert(MAX_ARGS[name], name)
    if name == "close" then
        index[name] = function(public, ...)
            local self = state_of[public]
            if not self then receiver_error(name, public) end
            if select("#", ...) > 0 then surplus_error(name, 0, ...) end
            return fn(self)
        end
    elseif FIXED_ARITY[name] then
        local one_result, no_result = ONE_RESULT[name], NO_RESULT[name]
        index[name] = function(public, a, b, c, d, e)
            local self = state_of[public]
            if not self then receiver_error(name, public) end
            if self._closed then argcheck.raise("attempt to use a closed resolver") end
            if e ~= nil or (max < 4 and (d ~= nil or (max < 3 and (c ~= nil or (max < 2 and b ~= nil))))) then
                surplus_error(name, max, select(max + 1, a, b, c, d, e))
            end
            if no_result then
                fn(self, a, b, c, d)   -- not a tail call, as below
                return
            end
            if not one_result then return keep(public, fn(self, a, b, c, d)) end
            -- Not a tail call: public stays on the stack while fn runs (keep).
            local value, msg, code = fn(self, a, b, c, d)
            if value ~= nil then return value end
            return nil, msg, code
        end
    else
        index[name] = function(public, ...)
            local self = state_of[public]
            if not self then receiver_error(name, public) end
            if self._closed then argcheck.raise("attempt to use a closed resolver") end
            if select("#", ...) > max then surplus_error(name, max, select(max + 1, ...)) end
            return keep(public, fn(self, ...))
        end
    end
end
resolver_mt.__index = index

return M
