-- srv.uri: STUN and TURN URIs (RFC 7064, RFC 7065) and the SRV lookups
-- they call for (RFC 5928 §3, RFC 7350 §4).
--
-- Pure Lua, no DNS. Programmer errors raise in luaL_argerror style; a
-- malformed URI returns nil, message, "BADURI".

local services = require("srv.services")
local codes = require "srv.codes"
local names = require "srv.names"

local M = {}

-- RFC 7064 §3.2 and RFC 7065 §3.2: the "s" schemes set <secure>.
local SECURE = { stun = false, stuns = true, turn = false, turns = true }

-- RFC 5389 §9 / RFC 5766 §6.1 default ports: 3478 in the clear, 5349 for
-- (D)TLS (RFC 7350 §4 gives DTLS the TLS port).
local PLAIN_PORT, SECURE_PORT = 3478, 5349

local function type_error(position, func, expected, value)
    return string.format("bad argument #%d to '%s' (%s expected, got %s)",
                         position, func, expected, type(value))
end

local function bad_uri(text, problem)
    return nil, string.format("bad URI %q: %s", text, problem), codes.BADURI
end

-- RFC 3986 §3.2.2 reg-name, narrowed to what can be looked up in the DNS:
-- labels of letters, digits, '-' and '_', one optional trailing dot.
local function is_host_name(host)
    local name = host:gsub("%.$", "")
    if name == "" or #name > 253 then return false end
    for label in (name .. "."):gmatch("([^.]*)%.") do
        if not label:match("^[%w_%-]+$") or #label > 63 then return false end
    end
    -- A name made of digits and dots is a mistyped IPv4 address, not a host
    -- name (RFC 3696 §2: top-level domains are not all-numeric).
    return not name:match("^[%d.]+$")
end

-- Splits "host[:port]" (host may be "[v6]") into host, port text or nil,
-- and a problem description.
local function split_host_port(authority)
    local v6, after = authority:match("^%[([^%]]*)%](.*)$")
    if v6 then
        if after == "" then return "[" .. v6 .. "]", nil end
        local port = after:match("^:(.*)$")
        if not port then return nil, nil, "unexpected text after ']'" end
        return "[" .. v6 .. "]", port
    end
    local host, port = authority:match("^([^:]*):(.*)$")
    if host then return host, port end
    return authority, nil
end

local function parse_port(text)
    if text == "" then return nil, "empty port" end
    if not text:match("^%d+$") or #text > 5 then return nil, "bad port " .. text end
    local port = tonumber(text)
    if port < 1 or port > 65535 then return nil, "port " .. text .. " out of range 1..65535" end
    return port
end

-- Checks a host and says which kind it is: "inet", "inet6" or "name".
local function classify_host(host, bare)
    if host == "" then return nil, "empty host" end
    local v6 = host:match("^%[(.*)%]$")
    if v6 then
        if services.is_ip_literal(v6) ~= "inet6" then return nil, "bad IPv6 address " .. host end
        return "inet6", v6
    end
    local ip = services.is_ip_literal(host)
    if ip == "inet" or (bare and ip == "inet6") then return ip, host:lower() end
    if host:find(":", 1, true) then return nil, "an IPv6 address needs [brackets]" end
    if host:match("^[%d.]+$") then return nil, "bad IPv4 address " .. host end
    -- docs/lua-api.md, "Names": what is wrong, rather than "bad host name".
    local why = names.domain_problem(host)
    if why then return nil, "host " .. names.show(host) .. ": " .. why end
    if not is_host_name(host) then return nil, "bad host name " .. host end
    return "name", host:lower()
end

-- RFC 7065 §3.1: turnURI = scheme ":" host [ ":" port ] [ "?transport=" transport ].
-- Only "udp" and "tcp" are accepted: no other transport has a defined
-- meaning (RFC 7065 leaves transport-ext for later documents).
local function parse_query(scheme, query)
    if scheme == "stun" or scheme == "stuns" then
        return nil, "a " .. scheme .. " URI takes no query (RFC 7064 §3.1)"
    end
    local transport = query:lower():match("^transport=(.*)$")
    if not transport then return nil, "unknown query " .. query end
    if transport ~= "udp" and transport ~= "tcp" then
        return nil, "transport must be udp or tcp, got " .. transport
    end
    return transport
end

local function parse_uri(text)
    local scheme, rest = text:match("^(%a[%w+.%-]*):(.*)$")
    if not scheme then return bad_uri(text, "no scheme") end
    scheme = scheme:lower()  -- RFC 3986 §3.1: schemes are case-insensitive
    if SECURE[scheme] == nil then return bad_uri(text, "unknown scheme " .. scheme) end

    -- RFC 7064/7065 URIs have no authority: "stun://host" would carry a
    -- path, and userinfo, paths and fragments have no meaning here.
    if rest:find("#", 1, true) then return bad_uri(text, "fragments are not allowed") end
    if rest:find("/", 1, true) then return bad_uri(text, "paths are not allowed") end
    if rest:find("@", 1, true) then return bad_uri(text, "userinfo is not allowed") end

    local authority, query = rest:match("^([^?]*)%?(.*)$")
    authority = authority or rest
    local transport
    if query then
        local problem
        transport, problem = parse_query(scheme, query)
        if not transport then return bad_uri(text, problem) end
    end

    local host_text, port_text, problem = split_host_port(authority)
    if not host_text then return bad_uri(text, problem) end
    local kind, host = classify_host(host_text)
    if not kind then return bad_uri(text, host) end
    local port
    if port_text then
        port, problem = parse_port(port_text)
        if not port then return bad_uri(text, problem) end
    end

    return {
        scheme = scheme,
        host = host,
        port = port,
        transport = transport,
        secure = SECURE[scheme],
        ip = kind ~= "name" and kind or nil,
    }
end

function M.parse(text)
    if type(text) ~= "string" then error(type_error(1, "parse", "string", text), 2) end
    return parse_uri(text)
end

-- A target is what a user types: a full URI, or just a domain to which
-- default_scheme applies ("example.net" with "turn" means turn:example.net).
function M.parse_target(text, default_scheme)
    if type(text) ~= "string" then error(type_error(1, "parse_target", "string", text), 2) end
    if default_scheme ~= nil and (type(default_scheme) ~= "string"
                                  or SECURE[default_scheme:lower()] == nil) then
        error("bad argument #2 to 'parse_target' (stun, stuns, turn, turns or nil expected, got "
              .. (type(default_scheme) == "string" and string.format("%q", default_scheme)
                  or type(default_scheme)) .. ")", 2)
    end
    local scheme = text:match("^(%a[%w+.%-]*):")
    if scheme and SECURE[scheme:lower()] ~= nil then return parse_uri(text) end

    -- "http://x", "sip:x": a scheme srv does not resolve. ("host:3478" is
    -- a bare target with a port, below.)
    if scheme and text:find("^%a[%w+.%-]*://") or (scheme and not scheme:find(".", 1, true)
                                                    and not text:find("^[^:]*:%d+$")) then
        return bad_uri(text, string.format("unsupported scheme %q (stun, stuns, turn or turns expected)", scheme))
    end
    if text:find(":", 1, true) and services.is_ip_literal(text) == nil then
        return bad_uri(text, "a bare target is a host only; write scheme:host:port for a port")
    end
    local kind, host = classify_host(text, true)
    if not kind then return bad_uri(text, host) end
    default_scheme = default_scheme and default_scheme:lower()
    return {
        scheme = default_scheme,
        host = host,
        secure = default_scheme ~= nil and SECURE[default_scheme] or false,
        ip = kind ~= "name" and kind or nil,
    }
end

-- How one transport is reached, per RFC 5928 §3 (its S-NAPTR tags turn.udp,
-- turn.tcp, turn.tls map to these SRV labels when no NAPTR is published) and
-- RFC 7350 §4 (DTLS).
local TRANSPORTS = {
    udp  = { suffix = "",  proto = "udp", secure = false },
    tcp  = { suffix = "",  proto = "tcp", secure = false },
    tls  = { suffix = "s", proto = "tcp", secure = true },
    dtls = { suffix = "s", proto = "udp", secure = true },
}
local DEFAULT_TRANSPORTS = { "udp", "tcp", "tls", "dtls" }

-- Which transports a URI allows. RFC 5928 §3:
--   <secure> false, no <transport>  -> udp, tcp and tls (asking for more
--       security than the URI requires is allowed);
--   <secure> false, transport=udp   -> udp;  transport=tcp -> tcp;
--   <secure> true,  no <transport> or transport=tcp -> tls.
-- RFC 7350 §4: <secure> true with transport=udp means DTLS; without a
-- transport, DTLS is tried only when the caller lists "dtls" itself.
-- RFC 7064 gives stun/stuns no transport parameter; srv applies the same
-- rule to them so that one rule covers all four schemes.
local function allowed_transports(uri, caller_listed_dtls)
    if uri.secure then
        if uri.transport == "udp" then return { dtls = true } end
        if uri.transport == "tcp" then return { tls = true } end
        return { tls = true, dtls = caller_listed_dtls }
    end
    if uri.transport then return { [uri.transport] = true } end
    return { udp = true, tcp = true, tls = true }
end

local function check_transports(transports)
    if transports == nil then return DEFAULT_TRANSPORTS, false end
    if type(transports) ~= "table" then
        return nil, "list of transports expected, got " .. type(transports)
    end
    local listed_dtls = false
    for i, transport in ipairs(transports) do
        if TRANSPORTS[transport] == nil then
            return nil, string.format("transport #%d must be udp, tcp, tls or dtls", i)
        end
        if transport == "dtls" then listed_dtls = true end
    end
    return transports, listed_dtls
end

-- The SRV lookups to make, in the caller's order of preference. With an
-- explicit port or an IP literal no SRV lookup is made (RFC 5928 §3: the
-- port is used as is, and a literal needs no resolution); the plan then
-- gives host and port per transport and `no_srv = true`.
function M.candidates_plan(uri_or_text, transports)
    local uri = uri_or_text
    if type(uri_or_text) == "string" then
        local message, code
        uri, message, code = parse_uri(uri_or_text)
        if not uri then return nil, message, code end
    elseif type(uri_or_text) ~= "table" then
        error(type_error(1, "candidates_plan", "string or parsed URI", uri_or_text), 2)
    end
    if SECURE[uri.scheme] == nil or type(uri.host) ~= "string" then
        error("bad argument #1 to 'candidates_plan' (URI with a stun, stuns, turn or turns scheme expected)", 2)
    end
    local order, listed_dtls_or_problem = check_transports(transports)
    if not order then
        error("bad argument #2 to 'candidates_plan' (" .. listed_dtls_or_problem .. ")", 2)
    end
    local listed_dtls = listed_dtls_or_problem

    local base = uri.scheme:gsub("s$", "")  -- "stuns" -> "stun", "turns" -> "turn"
    local allowed = allowed_transports(uri, listed_dtls)
    local no_srv = uri.port ~= nil or uri.ip ~= nil
    local plan, seen = { no_srv = no_srv }, {}
    for _, transport in ipairs(order) do
        if allowed[transport] and not seen[transport] then
            seen[transport] = true
            local how = TRANSPORTS[transport]
            local service = base .. how.suffix
            local default_port = how.secure and SECURE_PORT or PLAIN_PORT
            local step = {
                service = service,
                proto = how.proto,
                transport = transport,
                default_port = default_port,
                host = uri.host,
                no_srv = no_srv,
            }
            if no_srv then
                step.port = uri.port or default_port
            else
                step.name = services.join(service, how.proto, uri.host)
            end
            plan[#plan + 1] = step
        end
    end
    return plan
end

return M
