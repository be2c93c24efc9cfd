-- srv.codes: the result codes, the third value of every failure
-- (docs/lua-api.md, "Conventions"), and what srv reads from them.
--
-- Each code is its own name as a string: srv's modules write codes.NXDOMAIN
-- rather than "NXDOMAIN", so a misspelt code raises where it is written
-- instead of never matching.
local core = require "srv.core"

local M = {
    OK = "OK",                    -- success: in traces and the sources' callbacks, never a failure
    -- from the core (srv_status_code in core/include/srv.h)
    NXDOMAIN = "NXDOMAIN",
    NODATA = "NODATA",
    NOSERVICE = "NOSERVICE",
    SERVFAIL = "SERVFAIL",
    REFUSED = "REFUSED",
    TIMEOUT = "TIMEOUT",
    BADNAME = "BADNAME",
    BADRESP = "BADRESP",
    CANCELLED = "CANCELLED",
    CONNREFUSED = "CONNREFUSED",
    FORMERR = "FORMERR",
    NOTIMP = "NOTIMP",
    NOMEM = "NOMEM",
    PARSE = "PARSE",
    DNSERROR = "DNSERROR",
    SYSTEM = "SYSTEM",
    CONNECT = "CONNECT",          -- r:connect: every connection attempt failed
    -- the Lua layer's own
    POLICY = "POLICY",
    BADURI = "BADURI",
    BADSERVER = "BADSERVER",
    ZONEFILE = "ZONEFILE",        -- srv.resolver{zone = PATH}: the file cannot be read
    NOTINZONE = "NOTINZONE",      -- the offline source: a name in none of its zones
}

setmetatable(M, { __index = function(_, name)
    error("srv: internal: no result code " .. tostring(name), 2)
end })

-- Only these two mean "no SRV records"; every other failure means "could not
-- find out", and no fallback applies to it (docs/lua-api.md, "Conventions").
function M.means_no_records(code)
    return code == M.NXDOMAIN or code == M.NODATA
end

-- The sentence for each code, asked of the core once; the Lua layer's own
-- codes that reach M.message have theirs here.
local sentences = setmetatable({
    NOTINZONE = "in none of the zones of the zone text",
}, { __index = function(t, code)
    local sentence = core.message(code) or code
    t[code] = sentence
    return sentence
end })

-- The apexes a NOTINZONE message names at most.
local ZONES_SHOWN = 5

-- A failure's message: "NAME: sentence". source (the resolver's source,
-- optional): a NOTINZONE from the offline source names the zones it holds,
-- so a typo in the name or the wrong file shows at once.
function M.message(name, code, source)
    if code == M.NOTINZONE and source and source.zones then
        local zones = source:zones()
        local shown = table.concat(zones, ", ", 1, math.min(#zones, ZONES_SHOWN))
        if #zones > ZONES_SHOWN then shown = shown .. string.format(" and %d more", #zones - ZONES_SHOWN) end
        return string.format("%s: in none of the zones of the zone text (%s)", name, shown)
    end
    return name .. ": " .. sentences[code]
end

return M
