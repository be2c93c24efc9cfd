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


M.arg_error = arg_error
M.check_type = check_type
M.is_callable = is_callable
M.field_error = field_error
M.opt_field = opt_field
M.opt_integer = opt_integer
M.servers_csv = servers_csv

return M
