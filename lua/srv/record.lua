-- srv.record: the tables srv hands out for SRV records.
--
-- A record is a plain table {name=, target=, priority=, weight=, port=, ttl=}
-- whose metatable only adds __tostring (presentation format), so users can
-- index, copy and compare records like any table.
local M = {}

-- A final dot after an odd number of backslashes ("a\.") is part of the
-- last label, not the root.
local function absolute(name)
    local backslashes = name:match("(\\*)%.$")
    if name == "." or (backslashes and #backslashes % 2 == 0) then return name end
    return name .. "."
end

local record_mt = { __name = "srv.record" }

function record_mt.__tostring(r)
    local rdata = string.format("IN SRV %d %d %d %s", r.priority, r.weight, r.port, absolute(r.target))
    if r.name then
        return string.format("%s %d %s", absolute(r.name), r.ttl or 0, rdata)
    end
    return string.format("%d %s", r.ttl or 0, rdata)
end

M.metatable = record_mt

-- A fresh record table from a source record; age (seconds, >= 0) is taken
-- off the TTL so cached answers count down as DNS caches do (RFC 1035 3.2.1).
function M.copy(r, age)
    local ttl = r.ttl
    if age and age >= 1 then
        ttl = ttl - (age // 1)
        if ttl < 0 then ttl = 0 end
        ttl = math.tointeger(ttl) or ttl
    end
    return setmetatable({
        name = r.name, target = r.target, priority = r.priority,
        weight = r.weight, port = r.port, ttl = ttl,
    }, record_mt)
end

function M.copy_list(records, age)
    local out = {}
    for i = 1, #records do out[i] = M.copy(records[i], age) end
    return out
end

-- Gives plain record tables (from srv.core) the record metatable, in place.
function M.adopt_list(records)
    for i = 1, #records do setmetatable(records[i], record_mt) end
    return records
end

return M
