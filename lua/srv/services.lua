-- srv.services: what srv knows about service names, ports and host names.
--
-- Pure Lua, no DNS. Programmer errors (wrong argument types) raise in
-- luaL_argerror style; operational failures return nil, message, code.

local names = require "srv.names"
local codes = require "srv.codes"

local M = {}

-- Services with an SRV label and the ports their RFCs (or IANA's service
-- name registry) assign. The first entry of each list is the default used
-- when no protocol is given. `tls` means the connection starts with (D)TLS
-- at once, so the client must not speak the protocol in the clear first.
M.known = {
    -- RFC 6120 §3.2.1 (client) and §3.2.2 (server): XMPP over TCP with STARTTLS.
    ["xmpp-client"]  = { { proto = "tcp", port = 5222, tls = false } },
    ["xmpp-server"]  = { { proto = "tcp", port = 5269, tls = false } },
    -- XEP-0368 (direct TLS); 5223/5270 are the conventional ports it names.
    ["xmpps-client"] = { { proto = "tcp", port = 5223, tls = true } },
    ["xmpps-server"] = { { proto = "tcp", port = 5270, tls = true } },

    -- RFC 5389 §9 (kept by RFC 8489): STUN over UDP and TCP on 3478, over TLS
    -- on 5349; RFC 7350 §4 adds DTLS as `_stuns._udp` on 5349.
    stun  = { { proto = "udp", port = 3478, tls = false },
              { proto = "tcp", port = 3478, tls = false } },
    stuns = { { proto = "tcp", port = 5349, tls = true },
              { proto = "udp", port = 5349, tls = true } },
    -- RFC 5766 §6.1 (kept by RFC 8656): TURN uses the STUN ports; RFC 7350 §4
    -- adds DTLS as `_turns._udp`.
    turn  = { { proto = "udp", port = 3478, tls = false },
              { proto = "tcp", port = 3478, tls = false } },
    turns = { { proto = "tcp", port = 5349, tls = true },
              { proto = "udp", port = 5349, tls = true } },

    -- RFC 3261 §19.1.2 and RFC 3263 §4.2: SIP on 5060, SIPS (TLS) on 5061.
    sip  = { { proto = "udp", port = 5060, tls = false },
             { proto = "tcp", port = 5060, tls = false } },
    sips = { { proto = "tcp", port = 5061, tls = true } },

    -- RFC 6186 §3.1-3.3: mail submission and access; RFC 8314 §3.3 adds
    -- submission over implicit TLS.
    imap        = { { proto = "tcp", port = 143, tls = false } },
    imaps       = { { proto = "tcp", port = 993, tls = true } },
    pop3        = { { proto = "tcp", port = 110, tls = false } },
    pop3s       = { { proto = "tcp", port = 995, tls = true } },
    submission  = { { proto = "tcp", port = 587, tls = false } },
    submissions = { { proto = "tcp", port = 465, tls = true } },

    -- RFC 4511 §5: LDAP on 389 (the `_ldap._tcp` label is RFC 2782's example).
    ldap = { { proto = "tcp", port = 389, tls = false } },
    -- RFC 4120 §7.2.3: Kerberos KDCs over UDP and TCP on 88.
    kerberos = { { proto = "udp", port = 88, tls = false },
                 { proto = "tcp", port = 88, tls = false } },
    -- RFC 6764 §3: CalDAV and CardDAV over HTTP and HTTPS.
    caldav   = { { proto = "tcp", port = 80, tls = false } },
    caldavs  = { { proto = "tcp", port = 443, tls = true } },
    carddav  = { { proto = "tcp", port = 80, tls = false } },
    carddavs = { { proto = "tcp", port = 443, tls = true } },
}

local function type_error(position, func, expected, value)
    return string.format("bad argument #%d to '%s' (%s expected, got %s)",
                         position, func, expected, type(value))
end

-- Service and protocol labels are compared without their underscore and
-- case-insensitively (DNS labels are, RFC 4343).
local function bare_label(label)
    return (label:gsub("^_", "")):lower()
end

function M.default_port(service, proto)
    if type(service) ~= "string" then
        error(type_error(1, "default_port", "string", service), 2)
    end
    if proto ~= nil and type(proto) ~= "string" then
        error(type_error(2, "default_port", "string or nil", proto), 2)
    end
    local entries = M.known[bare_label(service)]
    if not entries then return nil end
    if proto == nil then return entries[1].port end
    local wanted = bare_label(proto)
    for _, entry in ipairs(entries) do
        if entry.proto == wanted then return entry.port end
    end
    return nil
end

-- A label of an SRV owner name: letters, digits and hyphens (RFC 6335 §5.1
-- for service names; protocol labels follow the same shape).
local LABEL = "[%w%-]+"

function M.split(name)
    if type(name) ~= "string" then
        error(type_error(1, "split", "string", name), 2)
    end
    local service, proto, domain =
        name:match("^_(" .. LABEL .. ")%._(" .. LABEL .. ")%.(.+)$")
    if service then domain = domain:gsub("%.$", "") end
    if not service or domain == "" or domain:find("^%.") or domain:find("%.%.") then
        -- A name that breaks a rule of every name says which (an empty
        -- label, a long label: docs/lua-api.md, "Names"); one that only
        -- lacks the _service._proto shape says that.
        local why = name ~= "" and name ~= "." and names.problem(name)
        if why then return nil, names.show(name) .. ": " .. why, codes.BADNAME end
        return nil, string.format("not a _service._proto.domain name: %q", name), codes.BADNAME
    end
    return service:lower(), proto:lower(), domain
end

function M.join(service, proto, domain)
    if type(service) ~= "string" then error(type_error(1, "join", "string", service), 2) end
    if type(proto) ~= "string" then error(type_error(2, "join", "string", proto), 2) end
    if type(domain) ~= "string" then error(type_error(3, "join", "string", domain), 2) end
    return "_" .. service:gsub("^_", "") .. "._" .. proto:gsub("^_", "") .. "."
        .. domain:gsub("%.$", "")
end

-- RFC 3986 §3.2.2 dec-octet: 0..255 without leading zeros, so "010" is not
-- read as octal by one program and decimal by another.
local function is_dec_octet(text)
    if not text:match("^%d%d?%d?$") then return false end
    if #text > 1 and text:sub(1, 1) == "0" then return false end
    return tonumber(text) <= 255
end

local function is_ipv4(text)
    local a, b, c, d = text:match("^(%d+)%.(%d+)%.(%d+)%.(%d+)$")
    return a ~= nil and is_dec_octet(a) and is_dec_octet(b)
        and is_dec_octet(c) and is_dec_octet(d)
end

-- Counts the 16-bit groups in one side of an IPv6 address (RFC 4291 §2.2);
-- an embedded IPv4 address is allowed only as the last item and counts as two.
local function count_ipv6_groups(side, is_last_side)
    if side == "" then return 0 end
    local groups = {}
    for group in (side .. ":"):gmatch("([^:]*):") do groups[#groups + 1] = group end
    local count = 0
    for i, group in ipairs(groups) do
        if group:match("^%x%x?%x?%x?$") then
            count = count + 1
        elseif i == #groups and is_last_side and is_ipv4(group) then
            count = count + 2
        else
            return nil
        end
    end
    return count
end

local function is_ipv6(text)
    if text:find("[^%x:%.]") then return false end
    local head, tail = text:match("^(.-)::(.*)$")
    if head then
        if tail:find("::", 1, true) then return false end
        local head_count = count_ipv6_groups(head, false)
        local tail_count = count_ipv6_groups(tail, true)
        return head_count ~= nil and tail_count ~= nil and head_count + tail_count <= 7
    end
    return count_ipv6_groups(text, true) == 8
end

function M.is_ip_literal(host)
    if type(host) ~= "string" then
        error(type_error(1, "is_ip_literal", "string", host), 2)
    end
    local bracketed = host:match("^%[(.*)%]$")
    if bracketed then
        return is_ipv6(bracketed) and "inet6" or nil
    end
    if is_ipv4(host) then return "inet" end
    if is_ipv6(host) then return "inet6" end
    return nil
end

function M.normalize_name(name)
    if type(name) ~= "string" then
        error(type_error(1, "normalize_name", "string", name), 2)
    end
    return names.key(name)
end

return M
