-- srv.names: the small facts about domain names the Lua layer needs.
local M = {}

-- Lower case, one trailing dot removed (the root stays "."): the form names
-- are compared and cached in (RFC 4343: DNS names compare case-insensitively).
-- Memoised: the same few names are keyed again and again on the cached path.
local KEY_MEMO_MAX = 4096
local key_memo, key_memo_count = {}, 0

function M.key(name)
    local key = key_memo[name]
    if key then return key end
    local n = #name
    key = name
    if n > 1 and key:byte(n) == 46 then key = key:sub(1, n - 1) end
    key = key:lower()
    if key_memo_count >= KEY_MEMO_MAX then key_memo, key_memo_count = {}, 0 end
    key_memo[name] = key
    key_memo_count = key_memo_count + 1
    return key
end

-- What a name may be (docs/lua-api.md, "Names"). RFC 1035 2.3.4: a label
-- is at most 63 octets, a name at most 255 on the wire, which is 253 octets
-- of text without the trailing dot (each label's length octet stands for the
-- dot that follows it, and the root adds one).
M.LABEL_MAX = 63
M.NAME_TEXT_MAX = 253

-- A name as a message shows it: quoted when it has space or control
-- characters in it, or is empty, so they can be seen.
function M.show(name)
    if name == "" or name:find("[%s%c\"]") then
        return (string.format("%q", name):gsub("\\\n", "\\n"))
    end
    return name
end

local function shorten(label)
    if #label <= 20 then return label end
    return label:sub(1, 10) .. "..." .. label:sub(-6)
end

-- Nil when name may be asked, else why not, in words. Escapes (\. and
-- \DDD) count as the one octet they stand for, as srv's core reads them.
function M.problem(name)
    if name == "" then return 'the empty name is no name (the root is ".")' end
    if name == "." then return nil end
    if name:find("\0", 1, true) then return "a name has no NUL octet" end
    local octets, label, label_text, i, n = 0, 0, {}, 1, #name
    local function end_label()
        if label == 0 then return "an empty label (a dot first, or two dots in a row)" end
        if label > M.LABEL_MAX then
            return string.format("the label %s is %d octets long; a label is at most %d (RFC 1035 2.3.4)",
                                 shorten(table.concat(label_text)), label, M.LABEL_MAX)
        end
        label, label_text = 0, {}
        return nil
    end
    while i <= n do
        local c = name:sub(i, i)
        if c == "." then
            local why = end_label()
            if why then return why end
            if i < n then octets = octets + 1 end   -- the dot between two labels
            i = i + 1
        else
            local width = 1
            if c == "\\" then width = name:find("^%d%d%d", i + 1) and 4 or 2 end
            label_text[#label_text + 1] = name:sub(i, i + width - 1)
            label, octets, i = label + 1, octets + 1, i + width
        end
    end
    if label > 0 then
        local why = end_label()
        if why then return why end
    end
    if octets > M.NAME_TEXT_MAX then
        return string.format("the name is %d octets long; a name is at most %d (255 on the wire, RFC 1035 2.3.4)",
                             octets, M.NAME_TEXT_MAX)
    end
    return nil
end

-- The host part of a URI-looking text ("xmpp:user@chat.test/r" -> "chat.test").
local function uri_host(rest)
    rest = rest:gsub("^//", ""):gsub("[/?#].*$", "")
    rest = rest:gsub("^.*@", "")
    return (rest:gsub(":%d*$", ""))
end

-- Nil when domain may be the domain of a service (an XMPP domain, a
-- STUN/TURN host, the domain of r:resolve), else why not: the mistakes a
-- user makes (a JID, a URI, an SRV name, whitespace) are named, with what to
-- give instead, then the rules every name follows (M.problem). IP literals
-- are the caller's to recognise first.
function M.domain_problem(domain)
    if domain == "" then return "the domain is empty" end
    if domain == "." then return "the root is no service's domain" end
    local at = domain:find("[%s%c]")
    if at then
        local what = domain:find("^%s", at) and "whitespace" or "a control character"
        return string.format("%s at octet %d: a domain has none", what, at)
    end
    local scheme, rest = domain:match("^(%a[%w+.%-]*):(.*)$")
    if scheme then
        return string.format("a URI (%s:), not a domain: give its host (%s)", scheme, uri_host(rest))
    end
    if domain:find("@", 1, true) then
        local part = domain:match("@([^@/]*)") or ""
        return string.format("a JID, not a domain: give its domain part (%s)", part)
    end
    if domain:find("/", 1, true) then
        return string.format("a JID with a resource, not a domain: give its domain part (%s)",
                             domain:match("^[^/]*"))
    end
    local bare = domain:match("^_[^.]*%._[^.]*%.(.+)$")
    if bare then
        return string.format("an SRV name (_service._proto.domain), not a domain: give the domain alone (%s)", bare)
    end
    if domain:find("^_") then return "a domain's first label does not start with an underscore" end
    return M.problem(domain)
end

return M
