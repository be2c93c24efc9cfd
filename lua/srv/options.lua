-- srv.options: checking what users pass in, luaL_check*-style: a wrong
-- type raises and names the argument or field; the message blames the
-- caller's line (srv.argcheck).
local argcheck = require "srv.argcheck"

local M = {}

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

-- A value as the message names it: a number as written, else its type.
local function describe(v)
    return type(v) == "number" and tostring(v) or type(v)
end
M.describe = describe

-- The integer a number stands for, as math.tointeger reads it (2.0 is 2:
-- configuration decoded from JSON has such floats), else nil. Strings are
-- not numbers here, as for every other option (docs/lua-api.md, "Conventions").
local function to_integer(v)
    if math.type(v) == "integer" then return v end
    if math.type(v) == "float" then return math.tointeger(v) end
    return nil
end
M.to_integer = to_integer

-- opts[field] as an integer >= min, nil when absent; raises otherwise,
-- naming the field as label (default: field).
local function opt_integer(opts, field, min, fname, label)
    local v = opts[field]
    if v == nil then return nil end
    local n = to_integer(v)
    if not n or n < min then
        field_error(fname, label or field, string.format("integer >= %d expected, got %s", min, describe(v)))
    end
    return n
end

-- A port 1..65535 as an integer, or nil.
function M.to_port(v)
    local n = to_integer(v)
    if n and n >= 1 and n <= 65535 then return n end
    return nil
end

-- Option names ---------------------------------------------------------------

-- Levenshtein distance between two strings.
local function distance(a, b)
    local previous = {}
    for j = 0, #b do previous[j] = j end
    for i = 1, #a do
        local current = { [0] = i }
        local ai = a:byte(i)
        for j = 1, #b do
            local cost = ai == b:byte(j) and 0 or 1
            current[j] = math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
        end
        previous = current
    end
    return previous[#b]
end

-- The known name nearest to name, when it is near enough to be a typo of it.
local function nearest(name, known)
    local best, best_distance
    for _, candidate in ipairs(known) do
        local d = distance(name:lower(), candidate)
        if not best_distance or d < best_distance then best, best_distance = candidate, d end
    end
    if best_distance and best_distance <= 2 and best_distance * 2 <= #name then return best end
    return nil
end

M.nearest = nearest

-- Every known name, sorted, for nearest() to try in a fixed order; and a set.
function M.names(list)
    local sorted, set = table.move(list, 1, #list, 1, {}), {}
    table.sort(sorted)
    for _, name in ipairs(sorted) do set[name] = true end
    return { list = sorted, set = set }
end

-- nil when every key of t is a known option name (known: from M.names), else
-- the problem: "unknown option 'timout'; did you mean 'timeout'?". An unknown
-- name raises rather than being ignored (docs/lua-api.md, "Conventions"): a
-- misspelt `servers` would otherwise send queries to the system's resolvers.
function M.unknown_option(t, known)
    local unknown
    for key in pairs(t) do
        if not known.set[key] then
            local shown = type(key) == "string" and ("'" .. key .. "'") or ("[" .. tostring(key) .. "]")
            -- The first in a fixed order, so the message is the same every run.
            if not unknown or shown < unknown.shown then unknown = { key = key, shown = shown } end
        end
    end
    if not unknown then return nil end
    local guess = type(unknown.key) == "string" and nearest(unknown.key, known.list)
    if guess then return string.format("unknown option %s; did you mean '%s'?", unknown.shown, guess) end
    return "unknown option " .. unknown.shown
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
    -- An empty list is a mistake, not a wish for the system's resolvers.
    if #out == 0 then
        field_error("resolver", "servers", "empty list (leave servers out to ask the system's resolvers)")
    end
    return table.concat(out, ",")
end


M.arg_error = arg_error
M.check_type = check_type
M.is_callable = is_callable
M.field_error = field_error
M.opt_field = opt_field
M.opt_integer = opt_integer
M.servers_csv = servers_csv

return M
