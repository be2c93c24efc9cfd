-- srv.lookup: r:lookup and r:addresses (and their async forms): the raw
-- answers, as record tables and address strings. Every function takes the
-- resolver's state (srv.resolver) first.
local codes = require "srv.codes"
local record = require "srv.record"
local options = require "srv.options"
local fetch = require "srv.fetch"
local loop = require "srv.loop"
local names = require "srv.names"

local arg_error, check_type, is_callable = options.arg_error, options.check_type, options.is_callable
local message = codes.message
local fetch_one, cached_one, await = fetch.one, fetch.cached_one, loop.await

local M = {}

-- A failure's message. A name the source refused (BADNAME) is checked again
-- here to say which rule it breaks (docs/lua-api.md, "Names"): only then, so
-- a good name costs nothing.
local function failure(self, name, code)
    if code == codes.BADNAME then
        local why = names.problem(name)
        if why then return nil, names.show(name) .. ": " .. why, code end
    end
    return nil, message(name, code, self._source), code
end

-- records belong to the cache when there is one (copied, their TTLs
-- counted down by age); a DNS answer without a cache belongs to nobody else
-- (the source makes each query's its own) and is handed out as it is.
local function lookup_result(self, name, code, records, age, owned)
    if code == codes.OK then
        if owned then return record.adopt_list(records) end
        return record.copy_list(records, age)
    end
    return failure(self, name, code)
end

-- fetch.one's shape for the lookups: the answer as lookup_async gives it.
local function deliver_lookup(self, cb, name, code, records, _, from, age)
    return cb(lookup_result(self, name, code, records, age, from == "dns" and not self._caches))
end

function M.lookup_async(self, name, cb)
    if type(name) ~= "string" then check_type(name, "string", 1, "lookup_async") end
    if type(cb) ~= "function" and not is_callable(cb) then
        arg_error(2, "lookup_async", "function expected, got " .. type(cb))
    end
    fetch_one(self, "srv", name, cb, deliver_lookup)
end

local lookup_async = M.lookup_async

function M.lookup(self, name)
    check_type(name, "string", 1, "lookup")
    local code, records, _, age = cached_one(self, "srv", name)
    if code then return lookup_result(self, name, code, records, age) end
    return await(self, function(cb) lookup_async(self, name, cb) end)
end

-- Addresses (A and AAAA together) of a name: cb(list of strings) or
-- cb(nil, msg, code).
-- The core's NODATA sentence speaks of SRV records; an address lookup's
-- NODATA is about A and AAAA.
local ADDRESS_NODATA = "no A or AAAA records at this name"

local function address_list(self, name, code, addresses)
    if code == codes.NODATA then return nil, name .. ": " .. ADDRESS_NODATA, code end
    if code ~= codes.OK then return failure(self, name, code) end
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

-- fetch.one's shape for the address lookups.
local function deliver_addresses(self, cb, name, code, addresses)
    return cb(address_list(self, name, code, addresses))
end

-- addresses_async without the argument checks, for the resolve machinery,
-- which may run on after a close.
function M.fetch_addresses(self, name, cb)
    fetch_one(self, "addr", unbracket(name), cb, deliver_addresses)
end
local fetch_addresses = M.fetch_addresses

function M.addresses_async(self, name, cb)
    check_type(name, "string", 1, "addresses_async")
    if not is_callable(cb) then arg_error(2, "addresses_async", "function expected, got " .. type(cb)) end
    fetch_addresses(self, name, cb)
end

function M.addresses(self, name)
    check_type(name, "string", 1, "addresses")
    name = unbracket(name)
    local code, addresses = cached_one(self, "addr", name)
    if code then return address_list(self, name, code, addresses) end
    return await(self, function(cb) fetch_addresses(self, name, cb) end)
end

return M
