-- srv.resolver: the resolver object of the Lua API.
--
-- It sits on a source (the C resolver of srv.core, or srv.zone_source for
-- answers from a zone file) and adds what is policy rather than mechanism:
-- the cache, sharing of identical queries in flight, health marks, the
-- policies, and the blocking/async/task-aware forms of every call.
--
-- Every answer reaches Lua callbacks from step()/run()/process() (never from
-- inside the call that submitted it), so callbacks see the same order of
-- events whether an answer came from DNS or from the cache.
local core = require "srv.core"
local cache_mod = require "srv.cache"
local record = require "srv.record"
local names = require "srv.names"
local task = require "srv.task"
local argcheck = require "srv.argcheck"

local M = {}

-- A resolver is two tables. The state holds everything and is what the
-- methods work on; the callbacks the sources hold refer to it. The public
-- object users get is a proxy to it, referred to by nothing inside srv
-- (the state reaches it through a weak table), so a resolver its user
-- dropped is collected even with queries in flight, and its finalizer
-- closes it: the pending callbacks get CANCELLED instead of waiting forever.
local Resolver = {}          -- methods, on the state
M.methods = Resolver
local state_mt = { __index = Resolver }
local resolver_mt = { __name = "srv.resolver" }   -- the public object
M.metatable = resolver_mt

M.DEFAULT_DOWN_SECONDS = 30  -- how long mark_down lasts when no duration is given

-- Argument checks -----------------------------------------------------------

local arg_error = argcheck.arg_error

local function check_type(value, expected, n, fname)
    if type(value) ~= expected then
        arg_error(n, fname, string.format("%s expected, got %s", expected, type(value)))
    end
end

local function is_callable(f)
    if type(f) == "function" then return true end
    local mt = getmetatable(f)
    return type(mt) == "table" and mt.__call ~= nil
end
M.is_callable = is_callable

local function field_error(fname, field, msg)
    argcheck.raise(string.format("bad argument #1 to '%s' (field '%s': %s)", fname, field, msg))
end

local function opt_field(opts, field, expected, fname)
    local v = opts[field]
    if v ~= nil and type(v) ~= expected then
        field_error(fname, field, string.format("%s expected, got %s", expected, type(v)))
    end
    return v
end

local function opt_integer(opts, field, min, fname)
    local v = opts[field]
    if v == nil then return nil end
    if math.type(v) ~= "integer" or v < min then
        field_error(fname, field, string.format("integer >= %d expected, got %s", min, tostring(v)))
    end
    return v
end

-- "192.0.2.1", "192.0.2.1:53", "[2001:db8::1]:53" or "2001:db8::1" to the
-- form c-ares' server list takes; nil, message for anything else.
local function server_entry(text)
    local host, port = text:match("^%[([%x:%.]+)%]:(%d+)$")
    if not host then host = text:match("^%[([%x:%.]+)%]$") end
    if host then
        if not host:find(":") then return nil end
        return "[" .. host .. "]:" .. (port or "53"), port
    end
    host, port = text:match("^(%d+%.%d+%.%d+%.%d+):(%d+)$")
    if not host then host = text:match("^(%d+%.%d+%.%d+%.%d+)$") end
    if host then
        for octet in host:gmatch("%d+") do
            if tonumber(octet) > 255 then return nil end
        end
        return host .. ":" .. (port or "53"), port
    end
    if text:match("^[%x:%.]+$") and text:find(":.*:") then
        return "[" .. text .. "]:53"
    end
    return nil
end

local function servers_csv(servers)
    if servers == nil then return nil end
    if type(servers) == "string" then servers = { servers } end
    if type(servers) ~= "table" then
        field_error("resolver", "servers", "list of strings expected, got " .. type(servers))
    end
    local out = {}
    for i, text in ipairs(servers) do
        if type(text) ~= "string" then
            field_error("resolver", "servers", string.format("entry %d: string expected, got %s", i, type(text)))
        end
        local entry, port = server_entry(text)
        local p = port and tonumber(port)
        if not entry or (p and (p < 1 or p > 65535)) then
            return nil, string.format("bad server address '%s' (expected ip, ip:port or [ipv6]:port)", text)
        end
        out[#out + 1] = entry
    end
    if #out == 0 then return nil end
    return table.concat(out, ",")
end

-- Construction --------------------------------------------------------------

local function open_source(opts)
    if opts.zone ~= nil then
        local zone_source = require "srv.zone_source"
        return zone_source.new(opts.zone)
    end
    local csv, err = servers_csv(opts.servers)
    if err then return nil, err, "BADSERVER" end
    return core.new {
        servers = csv, timeout = opts.timeout, tries = opts.tries,
        max_inflight = opts.max_inflight, edns = opts.edns,
    }
end

function M.new(opts)
    if opts == nil then opts = {} end
    check_type(opts, "table", 1, "resolver")
    local timeout = opt_field(opts, "timeout", "number", "resolver")
    if timeout and not (timeout > 0) then field_error("resolver", "timeout", "positive number expected") end
    opt_integer(opts, "tries", 1, "resolver")
    opt_integer(opts, "max_inflight", 1, "resolver")
    local seed = opts.seed
    if seed ~= nil and math.type(seed) ~= "integer" then
        field_error("resolver", "seed", "integer expected, got " .. type(seed))
    end
    opt_field(opts, "zone", "string", "resolver")
    opt_field(opts, "edns", "boolean", "resolver")
    local cache_opt = opts.cache
    if cache_opt ~= nil and type(cache_opt) ~= "boolean" and type(cache_opt) ~= "table" then
        field_error("resolver", "cache", "boolean or table expected, got " .. type(cache_opt))
    end
    if type(cache_opt) == "table" then
        for field, min in pairs { max_negative_ttl = 0, stale = 0, max_entries = 1 } do
            local v = cache_opt[field]
            if v ~= nil and (type(v) ~= "number" or v < min or v ~= v) then
                field_error("resolver", "cache." .. field, string.format("number >= %d expected, got %s", min, tostring(v)))
            end
        end
    end
    local clock = opts.clock
    if clock ~= nil and not is_callable(clock) then field_error("resolver", "clock", "function expected") end
    if opts.policy ~= nil and not is_callable(opts.policy) then
        field_error("resolver", "policy", "function or srv.policy expected")
    end

    local source, msg, code = open_source(opts)
    if not source then return nil, msg, code end

    clock = clock or core.now
    local self = setmetatable({
        _source = source,
        _rng = core.rng(seed),
        _clock = clock,
        _ready = {},
        _scratch = {},
        _inflight = { srv = {}, addr = {} },
        _down = {},
        _policy = opts.policy,
        _queries = 0,
        _shared = 0,
        _closed = false,
    }, state_mt)
    if cache_opt ~= false then
        local settings = type(cache_opt) == "table" and cache_opt or nil
        self._caches = { srv = cache_mod.new(settings, clock), addr = cache_mod.new(settings, clock) }
    end
    local public = setmetatable({ self }, resolver_mt)
    self._public = setmetatable({ public }, { __mode = "v" })
    return public
end

-- The object the user holds (for ctx.resolver), or nil once collected.
function Resolver:_public_object()
    return self._public[1]
end

-- Delivery ------------------------------------------------------------------

local traceback = debug.traceback

-- Runs fns with the same arguments, each protected; raises the first error
-- after all have run, so one failing callback never starves the others.
local function call_all(fns, ...)
    local first
    for i = 1, #fns do
        local ok, err = xpcall(fns[i], traceback, ...)
        if not ok and first == nil then first = err end
    end
    if first ~= nil then error(first, 0) end
end

function Resolver:_defer(fn, ...)
    if self._closed then
        -- No loop will run again: what a closed resolver still owes (a
        -- CANCELLED to an operation that went on after the close) goes out now.
        return fn(...)
    end
    local ready = self._ready
    ready[#ready + 1] = table.pack(fn, ...)
end

function Resolver:_drain()
    local ready = self._ready
    if #ready == 0 then return 0 end
    self._ready = {}
    local first
    for i = 1, #ready do
        local item = ready[i]
        local ok, err = xpcall(item[1], traceback, table.unpack(item, 2, item.n))
        if not ok and first == nil then first = err end
    end
    if first ~= nil then error(first, 0) end
    return #ready
end

-- Fetching ------------------------------------------------------------------

-- Gets the answer for (kind, name) from the cache, a query already in
-- flight, or a new query, and calls cb(code, records, negative_ttl, from,
-- age) later. records belong to the cache: callers copy what they hand out.
function Resolver:_fetch(kind, name, cb)
    if self._closed then
        self:_defer(cb, "CANCELLED", nil, 0, "dns", 0)
        return
    end
    local cache = self._caches and self._caches[kind]
    -- Keys ignore case and a trailing dot so variants share an entry. Without
    -- a cache the key only decides which queries in flight are shared, and
    -- the name as given is enough (normalising costs more than it saves when
    -- names rarely repeat).
    local key = cache and names.key(name) or name
    if cache then
        local now = self._clock()
        local e = cache:fresh(key, now)
        if e then
            cache:count_hit()
            self:_defer(cb, e.code, e.records, e.negative_ttl, "cache", now - e.stored)
            return
        end
        cache:count_miss()
    end
    local inflight = self._inflight[kind]
    local waiting = inflight[key]
    if waiting then
        -- Concurrent identical queries share one DNS query. One waiter is
        -- kept as the function itself, more as a list (the common case
        -- allocates nothing).
        if type(waiting) == "table" and not getmetatable(waiting) then
            waiting[#waiting + 1] = cb
        else
            inflight[key] = { waiting, cb }
        end
        self._shared = self._shared + 1
        return
    end
    inflight[key] = cb
    self._queries = self._queries + 1
    local source = self._source
    local submit = kind == "srv" and source.query_srv or source.query_addr
    local ok, msg, code = submit(source, name, function(code, records, negative_ttl)
        local waiters = inflight[key]
        inflight[key] = nil
        local from, age = "dns", 0
        if cache then
            local now = self._clock()
            local stale = (code == "SERVFAIL" or code == "TIMEOUT") and cache:stale_entry(key, now)
            if stale then
                code, records, negative_ttl = stale.code, stale.records, stale.negative_ttl
                from, age = "stale", now - stale.stored
            else
                cache:store(key, code, records, negative_ttl, now)
            end
        end
        if type(waiters) == "table" and not getmetatable(waiters) then
            call_all(waiters, code, records, negative_ttl or 0, from, age)
        else
            -- One waiter: the source's own protection (pcall) covers it.
            waiters(code, records, negative_ttl or 0, from, age)
        end
    end)
    if not ok then
        local waiters = inflight[key]
        inflight[key] = nil
        if type(waiters) ~= "table" or getmetatable(waiters) then waiters = { waiters } end
        for i = 1, #waiters do self:_defer(waiters[i], code or "DNSERROR", nil, 0, "dns", 0) end
        return msg
    end
end

-- The cached answer for (kind, name) when it is fresh: code, records,
-- negative_ttl, age. Used by the blocking calls to answer without a round.
function Resolver:_cached(kind, name)
    local cache = self._caches and self._caches[kind]
    if not cache then return nil end
    local now = self._clock()
    local e = cache:fresh(names.key(name), now)
    if not e then return nil end
    cache:count_hit()
    return e.code, e.records, e.negative_ttl, now - e.stored
end

-- Fetches several SRV names at once; cb(results) with results[i] =
-- {code=, records=, negative_ttl=, from=, age=} in the order of names.
function Resolver:_fetch_all(list, log, cb)
    local results, left = {}, #list
    if left == 0 then
        self:_defer(cb, results)
        return
    end
    for i, name in ipairs(list) do
        if log then log[#log + 1] = { step = "query", name = name, type = "SRV" } end
        self:_fetch("srv", name, function(code, records, negative_ttl, from, age)
            results[i] = { code = code, records = records, negative_ttl = negative_ttl, from = from, age = age }
            if log then
                log[#log + 1] = { step = "answer", name = name, code = code, from = from,
                                  records = records and #records or 0, negative_ttl = negative_ttl }
            end
            left = left - 1
            if left == 0 then cb(results) end
        end)
    end
end

-- The same from the cache alone, or nil when any name is not fresh there;
-- keys are the names' cache keys (names.key). The result tables are the
-- resolver's scratch space, reused by the next call: compute functions read
-- them before anything (a policy) can make another resolution. This path is
-- the cached r:resolve, which is measured in calls per microsecond.
function M.cached_all(self, list, keys, log)
    local cache = self._caches
    if not cache then return nil end
    cache = cache.srv
    local now = self._clock()
    local scratch, entries = self._scratch, cache.entries
    local n = #keys
    for i = 1, n do
        local e = entries[keys[i]]   -- cache:fresh, inlined
        if not e or now >= e.expires then return nil end
        -- The entry itself serves as the result (it has code, records,
        -- negative_ttl and from = "cache"); only its age is per call.
        e.age = now - e.stored
        scratch[i] = e
    end
    scratch[n + 1] = nil
    cache.hits = cache.hits + n
    if log then
        for i = 1, n do
            local r = scratch[i]
            log[#log + 1] = { step = "query", name = list[i], type = "SRV" }
            log[#log + 1] = { step = "answer", name = list[i], code = r.code, from = "cache",
                              records = r.records and #r.records or 0, negative_ttl = r.negative_ttl }
        end
    end
    return scratch
end

-- Blocking ------------------------------------------------------------------

-- Runs start(cb) and returns what cb receives. Inside a task (srv.spawn) the
-- task is suspended and srv.wait drives the loop; elsewhere this resolver is
-- stepped until the answer is there.
function Resolver:_await(start)
    local t = task.current()
    if t then
        start(function(...) task.resume(t, ...) end)
        return task.suspend(t, self)
    end
    local results
    start(function(...) results = table.pack(...) end)
    while not results do
        if self._closed then argcheck.raise("attempt to use a closed resolver") end
        self:step()
    end
    return table.unpack(results, 1, results.n)
end

-- Lookups -------------------------------------------------------------------

-- The sentence for each code, asked of the core once.
local sentences = setmetatable({}, { __index = function(t, code)
    local sentence = core.message(code) or code
    t[code] = sentence
    return sentence
end })

local function message(name, code)
    return name .. ": " .. sentences[code]
end
M.message = message

local function lookup_result(name, code, records, age)
    if code == "OK" then return record.copy_list(records, age) end
    return nil, message(name, code), code
end

function Resolver:lookup_async(name, cb)
    if type(name) ~= "string" then check_type(name, "string", 1, "lookup_async") end
    if type(cb) ~= "function" and not is_callable(cb) then
        arg_error(2, "lookup_async", "function expected, got " .. type(cb))
    end
    self:_fetch("srv", name, function(code, records, _, _, age)
        cb(lookup_result(name, code, records, age))
    end)
end

function Resolver:lookup(name)
    check_type(name, "string", 1, "lookup")
    local code, records, _, age = self:_cached("srv", name)
    if code then return lookup_result(name, code, records, age) end
    return self:_await(function(cb) self:lookup_async(name, cb) end)
end

-- Addresses (A and AAAA together) of a name: cb(list of strings) or
-- cb(nil, msg, code).
local function address_list(name, code, addresses)
    if code ~= "OK" then return nil, message(name, code), code end
    local out = {}
    for i = 1, #addresses do out[i] = addresses[i].address end
    return out
end

-- "[2001:db8::1]" is how an IPv6 literal is written next to a port; the
-- address itself has no brackets.
local function unbracket(name)
    return name:match("^%[([%x:%.]+)%]$") or name
end
M.unbracket = unbracket

-- Unchecked, for the resolve machinery, which may run on after a close.
function Resolver:_addresses_async(name, cb)
    name = unbracket(name)
    self:_fetch("addr", name, function(code, addresses)
        cb(address_list(name, code, addresses))
    end)
end

function Resolver:addresses_async(name, cb)
    check_type(name, "string", 1, "addresses_async")
    if not is_callable(cb) then arg_error(2, "addresses_async", "function expected, got " .. type(cb)) end
    self:_addresses_async(name, cb)
end

function Resolver:addresses(name)
    check_type(name, "string", 1, "addresses")
    name = unbracket(name)
    local code, addresses = self:_cached("addr", name)
    if code then return address_list(name, code, addresses) end
    return self:_await(function(cb) self:_addresses_async(name, cb) end)
end

-- The event loop --------------------------------------------------------------

function Resolver:process()
    local n = self._source:process()
    return n + self:_drain()
end

function Resolver:step(timeout)
    if timeout ~= nil and type(timeout) ~= "number" then
        arg_error(1, "step", "number expected, got " .. type(timeout))
    end
    local n
    if #self._ready > 0 then
        n = self._source:process()
    else
        n = self._source:step(timeout)
    end
    return n + self:_drain()
end

-- A raising callback does not stop the run: the rest still get their
-- answers, then the first error is raised (as the binding's run does).
function Resolver:run()
    local first
    while not self._closed and (self._source:pending() > 0 or #self._ready > 0) do
        local ok, err = pcall(self.step, self)
        if not ok and first == nil then first = err end
    end
    if first ~= nil then error(first, 0) end
    return true
end

function Resolver:pending()
    return self._source:pending() + #self._ready
end

function Resolver:pollfd() return self._source:pollfd() end
function Resolver:events() return self._source:events() end

function Resolver:timeout()
    if #self._ready > 0 then return 0 end
    return self._source:timeout()
end

-- Health ------------------------------------------------------------------------

local function health_key(target, port)
    return names.key(target) .. "|" .. port
end

function Resolver:mark_down(target, port, seconds)
    check_type(target, "string", 1, "mark_down")
    if math.type(port) ~= "integer" then arg_error(2, "mark_down", "integer expected, got " .. type(port)) end
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

function Resolver:mark_up(target, port)
    check_type(target, "string", 1, "mark_up")
    if math.type(port) ~= "integer" then arg_error(2, "mark_up", "integer expected, got " .. type(port)) end
    self._down[health_key(target, port)] = nil
    return true
end

-- Moves marked-down candidates behind every up candidate, keeping the order
-- inside each group: a down server is still tried, after all the others.
function Resolver:_apply_health(cands, log)
    if next(self._down) == nil then return cands end
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
            if log then
                log[#log + 1] = { step = "health", target = c.target, port = c.port,
                                  reason = "marked down: moved behind the up candidates" }
            end
        else
            up[#up + 1] = c
        end
    end
    if #down == 0 then return cands end
    for i = 1, #down do up[#up + 1] = down[i] end
    return up
end

function Resolver:set_policy(policy)
    if policy ~= nil and not is_callable(policy) then
        arg_error(1, "set_policy", "function or srv.policy expected, got " .. type(policy))
    end
    self._policy = policy
    return true
end

-- Cache -------------------------------------------------------------------------

function Resolver:flush(name)
    if name ~= nil then check_type(name, "string", 1, "flush") end
    if self._caches then
        local key = name and names.key(name)
        self._caches.srv:flush(key)
        self._caches.addr:flush(key)
    end
    return true
end

function Resolver:stats()
    local s = { hits = 0, misses = 0, stale = 0, entries = 0 }
    if self._caches then
        for _, cache in pairs(self._caches) do
            local c = cache:stats()
            s.hits, s.misses = s.hits + c.hits, s.misses + c.misses
            s.stale, s.entries = s.stale + c.stale, s.entries + c.entries
        end
    end
    s.queries = self._queries
    s.shared = self._shared
    s.pending = self:pending()
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
    local ok, err = pcall(self._source.close, self._source)
    -- Answers that were waiting in the queue still go out; so do the
    -- CANCELLED failures the source just produced.
    while #self._ready > 0 do
        local drained, derr = pcall(Resolver._drain, self)
        if not drained and ok then ok, err = false, derr end
    end
    if not ok then error(err, 0) end
    return true
end

resolver_mt.__close = function(public) return close(public[1]) end
resolver_mt.__gc = function(public)
    local ok, err = pcall(close, public[1])
    if not ok then warn("srv: error while collecting a resolver: ", tostring(err)) end
end
resolver_mt.__tostring = function(public)
    if public[1]._closed then return "srv.resolver (closed)" end
    return string.format("srv.resolver (%p)", public)
end

-- Every public method checks its receiver and refuses a closed resolver, as
-- Lua's file methods do.
-- The blocking calls take at most four arguments; their wrappers name them
-- instead of passing `...` on, which costs a vararg frame per call (the
-- cached r:resolve is measured per microsecond).
local FIXED_ARITY = { resolve = true, lookup = true, addresses = true,
                      resolve_xmpp = true, resolve_turn = true, resolve_stun = true }

function M.install(methods)
    local index = {}
    for name, fn in pairs(methods) do
        if FIXED_ARITY[name] then
            index[name] = function(public, a, b, c, d)
                if getmetatable(public) ~= resolver_mt then
                    arg_error(1, name, "srv.resolver expected, got " .. type(public))
                end
                local self = public[1]
                if self._closed then argcheck.raise("attempt to use a closed resolver") end
                return fn(self, a, b, c, d)
            end
        elseif name:sub(1, 1) ~= "_" then
            index[name] = function(public, ...)
                if getmetatable(public) ~= resolver_mt then
                    arg_error(1, name, "srv.resolver expected, got " .. type(public))
                end
                local self = public[1]
                if self._closed then argcheck.raise("attempt to use a closed resolver") end
                return fn(self, ...)
            end
        end
    end
    index.close = function(public)
        if getmetatable(public) ~= resolver_mt then
            arg_error(1, "close", "srv.resolver expected, got " .. type(public))
        end
        return close(public[1])
    end
    resolver_mt.__index = index
end

return M
