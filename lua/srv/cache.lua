-- srv.cache: SRV answers kept for their TTL.
--
-- Positive answers live for the smallest TTL of the RRset (RFC 2181 5.2);
-- NXDOMAIN and NODATA for the SOA-derived negative TTL the server sent
-- (RFC 2308 5), capped by max_negative_ttl. A TTL of 0 means "use once":
-- nothing is stored. Expired positive answers are kept for `stale` more
-- seconds so a SERVFAIL or a timeout can be answered from them (serve-stale,
-- RFC 8767); they are never served while DNS answers.
local codes = require "srv.codes"

local M = {}

M.defaults = {
    max_negative_ttl = 900,   -- seconds; RFC 2308 suggests 1-3 hours, shorter is safer for services
    stale = 300,              -- seconds an expired positive answer may answer SERVFAIL/TIMEOUT
    max_entries = 10000,      -- beyond this, expired entries go first, then arbitrary ones
}

local Cache = {}
Cache.__index = Cache

function M.new(settings, clock)
    settings = settings or {}
    local c = setmetatable({
        entries = {},
        count = 0,
        clock = clock,
        max_negative_ttl = settings.max_negative_ttl or M.defaults.max_negative_ttl,
        stale = settings.stale or M.defaults.stale,
        max_entries = settings.max_entries or M.defaults.max_entries,
        hits = 0, misses = 0, stale_served = 0,
    }, Cache)
    return c
end

local function min_ttl(records)
    local ttl
    for i = 1, #records do
        local t = records[i].ttl
        if not ttl or t < ttl then ttl = t end
    end
    return ttl or 0
end

-- The entry for key if it has not expired, counted as a hit; else nil,
-- counting nothing.
function Cache:hit(key, now)
    local e = self.entries[key]
    if e and now < e.expires then
        self.hits = self.hits + 1
        return e
    end
    return nil
end

-- Takes back the hit of an entry its reader did not use: srv.resolve's fast
-- path hands such a call to the general path, which reads it again.
function Cache:return_hit() self.hits = self.hits - 1 end

-- The fresh entries of every key, as a new array (read as the results of
-- srv.fetch.all), counted as hits; nil, counting nothing, as soon as one key
-- has none. The fast path of a cached r:resolve.
function Cache:fresh_all(keys, now)
    local entries, n = self.entries, #keys
    local out = {}
    for i = 1, n do
        local e = entries[keys[i]]
        if not e or now >= e.expires then return nil end
        out[i] = e
    end
    self.hits = self.hits + n
    return out
end

function Cache:count_miss() self.misses = self.misses + 1 end

-- An expired positive entry still inside its serve-stale window, else nil.
function Cache:stale_entry(key, now)
    local e = self.entries[key]
    if e and e.positive and now < e.expires + self.stale then
        self.stale_served = self.stale_served + 1
        return e
    end
    return nil
end

-- Makes room: drops what has expired (stale window included), then, if the
-- cache is still above 90% of max_entries, arbitrary entries down to it. The
-- margin keeps a full cache from scanning every entry on every insert.
function Cache:evict(now)
    for key, e in pairs(self.entries) do
        if now >= e.expires + (e.positive and self.stale or 0) then
            self.entries[key] = nil
            self.count = self.count - 1
        end
    end
    -- Room for at least one entry, and a tenth of the cache on big ones.
    local target = self.max_entries - 1 - self.max_entries // 10
    if self.count <= target then return end
    -- Clearing fields while traversing is allowed (lua_next); one pass.
    for key in pairs(self.entries) do
        self.entries[key] = nil
        self.count = self.count - 1
        if self.count <= target then break end
    end
end

-- Stores an answer; returns the entry, or nil when the answer is not cacheable
-- (a TTL of 0, or a failure such as SERVFAIL which must not hide a stale entry).
function Cache:store(key, code, records, negative_ttl, now)
    local ttl, positive
    if code == codes.OK or code == codes.NOSERVICE then
        ttl, positive = min_ttl(records), true
    elseif codes.means_no_records(code) then
        ttl = math.min(negative_ttl or 0, self.max_negative_ttl)
    else
        return nil
    end
    if ttl <= 0 then
        -- A TTL-0 answer replaces what was known but is not kept itself.
        self:flush(key)
        return nil
    end
    if not self.entries[key] then
        if self.count >= self.max_entries then self:evict(now) end
        self.count = self.count + 1
    end
    -- Read as an answer of srv.fetch.all by the cached path: never changed.
    local e = {
        code = code, records = records, negative_ttl = negative_ttl or 0,
        stored = now, expires = now + ttl, positive = positive, from = "cache",
    }
    self.entries[key] = e
    return e
end

function Cache:flush(key)
    if key == nil then
        self.entries, self.count = {}, 0
    elseif self.entries[key] then
        self.entries[key] = nil
        self.count = self.count - 1
    end
end

function Cache:stats()
    return { hits = self.hits, misses = self.misses, stale = self.stale_served, entries = self.count }
end

return M
