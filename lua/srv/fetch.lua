-- srv.fetch: getting answers to a resolver's methods. From the cache or
-- from the source (which joins identical queries in flight); delivered from
-- the event loop (srv.loop), never inside the call that asked. Every
-- function takes the resolver's state (srv.resolver) first.
local names = require "srv.names"
local codes = require "srv.codes"

local M = {}

-- Queues fn(...) for the next delivery (srv.loop).
function M.defer(self, fn, ...)
    if self._closed then
        -- No loop will run again: what a closed resolver still owes (a
        -- CANCELLED to an operation that went on after the close) goes out now.
        return fn(...)
    end
    local ready = self._ready
    ready[#ready + 1] = table.pack(fn, ...)
end
local defer = M.defer

-- Fetching ------------------------------------------------------------------

-- The cache keys of one family's addresses: the name's key and a suffix no
-- name's key holds (a name with a NUL byte is refused, never stored).
local FAMILY_SUFFIX = { inet = "\0inet", inet6 = "\0inet6" }
M.FAMILY_SUFFIX = FAMILY_SUFFIX

-- Gets the answer for (kind, name) from the cache or a new query, and calls
-- cb(code, records, negative_ttl, from, age) later. records belong to the
-- cache: callers copy what they hand out. An identical query in flight is
-- joined by the source itself (docs/lua-api.md, "Sharing identical
-- queries"): every call here asks it.
--
-- With shape, the answer goes to shape(self, cb, name, code, records,
-- negative_ttl, from, age) instead: the public lookups pass the user's
-- callback and a shaping function this way rather than a closure per call,
-- which costs four allocations (the closure and its upvalues) per lookup.
--
-- With refresh (r:watch's refreshes, srv.watch), the source is asked even
-- when the cache holds a fresh answer, and a failure is handed on as it is,
-- never answered from a stale entry; the answer is still stored.
--
-- With family ("inet" or "inet6", kind "addr" only), the addresses of that
-- family alone (an A or an AAAA query: r:connect, RFC 8305 section 3),
-- cached apart from the answer of both families (FAMILY_SUFFIX).
function M.one(self, kind, name, cb, shape, refresh, family)
    if self._closed then
        if shape then
            defer(self, shape, self, cb, name, codes.CANCELLED, nil, 0, "dns", 0)
        else
            defer(self, cb, codes.CANCELLED, nil, 0, "dns", 0)
        end
        return
    end
    local cache = self._caches and self._caches[kind]
    local key
    if cache then
        -- Keys ignore case and a trailing dot so variants share an entry.
        key = names.key(name)
        if family then key = key .. FAMILY_SUFFIX[family] end
        local now = self._clock()
        local e = not refresh and cache:hit(key, now)
        if e then
            if shape then
                defer(self, shape, self, cb, name, e.code, e.records, e.negative_ttl, "cache", now - e.stored)
            else
                defer(self, cb, e.code, e.records, e.negative_ttl, "cache", now - e.stored)
            end
            return
        end
        if not refresh then cache:count_miss() end
    end
    local source = self._source
    local id, _, code
    if kind == "srv" then
        id, _, code = source:submit_srv(name)
        if id then self._asked_srv[id] = cb end
    else
        id, _, code = source:submit_addr(name, family)
        if id then self._asked_addr[id] = cb end
    end
    if not id then
        -- Refused at submission (a NUL byte in the name, out of memory): the
        -- caller still hears of it, from the loop like any answer.
        if shape then
            defer(self, shape, self, cb, name, code or codes.DNSERROR, nil, 0, "dns", 0)
        else
            defer(self, cb, code or codes.DNSERROR, nil, 0, "dns", 0)
        end
        return
    end
    if key then
        self._keys[id] = key
        if refresh then
            local no_stale = self._no_stale or {}
            self._no_stale = no_stale
            no_stale[id] = true
        end
    end
    if shape then
        self._shapes[id] = shape
        self._names[id] = name
    end
end

-- The result of the source's query id (srv.loop calls this for each result
-- fetch hands it): stored in the cache, then given to the caller that asked.
-- A SERVFAIL or TIMEOUT is answered from a stale entry when the cache keeps
-- one. Two callers that missed the cache together both asked (the source
-- shared their query): both store the answer, the second over the first.
function M.complete(self, id, code, records, negative_ttl)
    local kind, cb = "srv", self._asked_srv[id]
    if cb then
        self._asked_srv[id] = nil
    else
        kind, cb = "addr", self._asked_addr[id]
        self._asked_addr[id] = nil
    end
    local from, age = "dns", 0
    local cache = self._caches and self._caches[kind]
    if cache then
        local key = self._keys[id]
        self._keys[id] = nil
        local no_stale = self._no_stale and self._no_stale[id]
        if no_stale then self._no_stale[id] = nil end
        local now = self._clock()
        local stale = (code == codes.SERVFAIL or code == codes.TIMEOUT) and not no_stale
            and cache:stale_entry(key, now)
        if stale then
            code, records, negative_ttl = stale.code, stale.records, stale.negative_ttl
            from, age = "stale", now - stale.stored
        else
            cache:store(key, code, records, negative_ttl, now)
        end
    end
    -- The loop's own protection (xpcall) covers the callback.
    local shape = self._shapes[id]
    if shape then
        local name = self._names[id]
        self._shapes[id], self._names[id] = nil, nil
        return shape(self, cb, name, code, records, negative_ttl or 0, from, age)
    end
    cb(code, records, negative_ttl or 0, from, age)
end

-- The cached answer for (kind, name) when it is fresh: code, records,
-- negative_ttl, age. Used by the blocking calls to answer without a round.
-- family: as M.one's.
function M.cached_one(self, kind, name, family)
    local cache = self._caches and self._caches[kind]
    if not cache then return nil end
    local now = self._clock()
    local key = names.key(name)
    if family then key = key .. FAMILY_SUFFIX[family] end
    local e = cache:hit(key, now)
    if not e then return nil end
    return e.code, e.records, e.negative_ttl, now - e.stored
end

-- Several SRV names at once. results[i] is the answer for list[i]:
-- {code=, records=, negative_ttl=, from=, stored=}, stored being when a
-- stale or cached answer was stored (nil for a fresh DNS answer), and now is
-- the clock when they were gathered: read an answer's age with M.age. The
-- results array is the caller's; an entry of the cache among them is the
-- cache's own and never changes once stored.

-- How many seconds old an answer was at now.
function M.age(now, res)
    local stored = res.stored
    if stored then return now - stored end
    return 0
end

-- Fetches list; cb(results, now) once every name has its answer. refresh:
-- as M.one's.
function M.all(self, list, log, cb, refresh)
    local results, left = {}, #list
    if left == 0 then
        defer(self, cb, results, self._clock())
        return
    end
    for i, name in ipairs(list) do
        if log then log[#log + 1] = { step = "query", name = name, type = "SRV" } end
        M.one(self, "srv", name, function(code, records, negative_ttl, from, age)
            local now = self._clock()
            results[i] = { code = code, records = records, negative_ttl = negative_ttl, from = from,
                           stored = age > 0 and now - age or nil }
            if log then
                log[#log + 1] = { step = "answer", name = name, code = code, from = from,
                                  records = records and #records or 0, negative_ttl = negative_ttl }
            end
            left = left - 1
            if left == 0 then cb(results, now) end
        end, nil, refresh)
    end
end

-- The same from the cache alone: results, now; or nil when any name is not
-- fresh there. keys are the names' cache keys (names.key). This path is the
-- cached r:resolve, which is measured in calls per microsecond; the reading
-- is the cache's own (Cache:fresh_all).
function M.cached_all(self, list, keys, log)
    local caches = self._caches
    if not caches then return nil end
    local now = self._clock()
    local results = caches.srv:fresh_all(keys, now)
    if results and log then
        for i = 1, #results do
            local r = results[i]
            log[#log + 1] = { step = "query", name = list[i], type = "SRV" }
            log[#log + 1] = { step = "answer", name = list[i], code = r.code, from = "cache",
                              records = r.records and #r.records or 0, negative_ttl = r.negative_ttl }
        end
    end
    return results, now
end

return M
