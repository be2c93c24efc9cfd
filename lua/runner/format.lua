-- srv.run.format: how `srv-run lookup` prints candidates. Text is dig-like:
-- comment lines start with ";", and each candidate is one line
--   PRIORITY WEIGHT PORT TARGET SOURCE [key=value ...]
-- (target with its trailing dot unless it is an IP literal; "-" for a
-- missing priority or weight; keys: transport, tls, down, addresses,
-- address_error). JSON gives the same fields by name.
--
-- srv checks target, port, priority and weight of what a policy returns;
-- the other fields may be anything, so every value is turned into text
-- here rather than trusted to be a string or a list.
local M = {}

-- Code points a terminal acts on or that change how the rest of the line
-- reads, beyond the C0 controls and DEL: the C1 controls (U+009B is CSI,
-- as ESC [ is), and the bidirectional controls (U+202E turns the rest of
-- the line around), with the line and paragraph separators.
local function hidden(code)
    return (code >= 0x80 and code <= 0x9F) or code == 0x061C or code == 0x200E or code == 0x200F
        or (code >= 0x2028 and code <= 0x202E) or (code >= 0x2066 and code <= 0x2069)
end

-- text as it may be shown on a terminal: every control character (C0, DEL,
-- C1), bidirectional control and byte that is not UTF-8 written as an
-- escape (\x1B, \u{202E}); the rest as it is. With multiline, newlines and
-- tabs stay (a traceback's lines). Everything srv-run prints as text that a
-- policy or a DNS answer may have supplied goes through this (as --json
-- escapes its strings).
function M.escape(text, multiline)
    text = tostring(text)
    if not text:find("[%c\128-\255]") then return text end
    local out, i, n = {}, 1, #text
    while i <= n do
        local from = text:find("[%c\128-\255]", i)
        if not from then
            out[#out + 1] = text:sub(i)
            break
        end
        out[#out + 1] = text:sub(i, from - 1)
        local byte = text:byte(from)
        if byte < 0x80 then
            local keep = multiline and (byte == 10 or byte == 9)
            out[#out + 1] = keep and string.char(byte) or string.format("\\x%02X", byte)
            i = from + 1
        else
            local ok, code = pcall(utf8.codepoint, text, from)
            local char = ok and utf8.char(code)
            if not ok or text:sub(from, from + #char - 1) ~= char then
                out[#out + 1] = string.format("\\x%02X", byte)
                i = from + 1
            else
                out[#out + 1] = hidden(code) and string.format("\\u{%X}", code) or char
                i = from + #char
            end
        end
    end
    return table.concat(out)
end

-- One word: escaped, and no blanks, which would split the line.
local function word(value)
    if value == nil then return "-" end
    return (M.escape(value):gsub("%s", "?"))
end

local function is_ip_literal(target)
    return target:match("^%d+%.%d+%.%d+%.%d+$") ~= nil or target:find(":", 1, true) ~= nil
end

function M.display_target(target)
    target = word(target)
    if is_ip_literal(target) or target:sub(-1) == "." then return target end
    return target .. "."
end

-- "target:port", "[v6]:port": how candidates are named in explanations and
-- simulations (with "/transport" for TURN and STUN, whose lists may hold one
-- target and port on several transports).
function M.endpoint(c)
    local target = word(c.target)
    local host = target:find(":", 1, true) and "[" .. target .. "]" or target
    local text = host .. ":" .. word(c.port)
    if c.transport ~= nil then text = text .. "/" .. word(c.transport) end
    return text
end

-- A list of addresses (or whatever a policy put there) as strings.
local function address_list(value)
    if type(value) ~= "table" then return { word(value) } end
    local out = {}
    for i, a in ipairs(value) do out[i] = word(a) end
    return out
end

function M.candidate_line(c)
    local words = { word(c.priority), word(c.weight), word(c.port), M.display_target(c.target), word(c.source) }
    if c.transport ~= nil then words[#words + 1] = "transport=" .. word(c.transport) end
    if c.tls then words[#words + 1] = "tls=yes" end
    if c.down then words[#words + 1] = "down=yes" end
    if c.addresses ~= nil then
        local list = address_list(c.addresses)
        if #list > 0 then words[#words + 1] = "addresses=" .. table.concat(list, ",") end
    end
    if c.address_error ~= nil then words[#words + 1] = "address_error=" .. word(c.address_error) end
    return table.concat(words, " ")
end

local function scalar(value)
    local kind = type(value)
    if value == nil or kind == "string" or kind == "number" or kind == "boolean" then return value end
    return tostring(value)
end

-- The fields of a candidate for JSON. tls and down appear only when true.
function M.candidate_object(c)
    return {
        target = scalar(c.target), port = scalar(c.port), priority = scalar(c.priority),
        weight = scalar(c.weight), ttl = scalar(c.ttl), source = scalar(c.source),
        transport = scalar(c.transport), tls = c.tls and true or nil, down = c.down and true or nil,
        addresses = c.addresses ~= nil and address_list(c.addresses) or nil,
        address_error = scalar(c.address_error),
    }
end

return M
