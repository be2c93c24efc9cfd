-- srv.run.json: JSON text for srv-run --json (RFC 8259). Enough for what
-- srv-run prints: nil/null, booleans, numbers, strings, arrays (tables with
-- keys 1..n; an empty table is []) and objects (string keys, sorted so the
-- output is stable). NaN and infinities, which JSON lacks, become null.
local M = {}

local escapes = {
    ['"'] = '\\"', ["\\"] = "\\\\", ["\b"] = "\\b", ["\f"] = "\\f",
    ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t",
}

local function escape_char(c)
    return escapes[c] or string.format("\\u%04x", c:byte())
end

local function escape_valid(text)
    return (text:gsub('[%c"\\]', escape_char))
end

-- JSON text is UTF-8, but a name can hold any bytes (one given on the
-- command line, a label of a DNS answer). Nothing is lost: each byte of a
-- sequence that is not UTF-8 is written \udcXX, XX its value (0x80-0xFF;
-- the bytes below are ASCII), a lone low surrogate, which no UTF-8 text
-- can hold (docs/srv-run.md, "JSON").
local function quote(text)
    if utf8.len(text) then return '"' .. escape_valid(text) .. '"' end
    local out, i, n = { '"' }, 1, #text
    while i <= n do
        local ok, code = pcall(utf8.codepoint, text, i)
        if ok then
            local char = utf8.char(code)
            out[#out + 1] = escape_valid(char)
            i = i + #char
        else
            out[#out + 1] = string.format("\\udc%02x", text:byte(i))
            i = i + 1
        end
    end
    out[#out + 1] = '"'
    return table.concat(out)
end

local encode

local function is_array(t)
    local n = #t
    for k in pairs(t) do
        if math.type(k) ~= "integer" or k < 1 or k > n then return false end
    end
    return true
end

local function encode_table(t, out, seen)
    if seen[t] then error("json: a table contains itself", 0) end
    seen[t] = true
    if is_array(t) then
        out[#out + 1] = "["
        for i = 1, #t do
            if i > 1 then out[#out + 1] = "," end
            encode(t[i], out, seen)
        end
        out[#out + 1] = "]"
    else
        local keys = {}
        for k in pairs(t) do
            if type(k) ~= "string" then error("json: object key of type " .. type(k), 0) end
            keys[#keys + 1] = k
        end
        table.sort(keys)
        out[#out + 1] = "{"
        for i, k in ipairs(keys) do
            if i > 1 then out[#out + 1] = "," end
            out[#out + 1] = quote(k)
            out[#out + 1] = ":"
            encode(t[k], out, seen)
        end
        out[#out + 1] = "}"
    end
    seen[t] = nil
end

function encode(value, out, seen)
    local kind = type(value)
    if value == nil then
        out[#out + 1] = "null"
    elseif kind == "boolean" then
        out[#out + 1] = tostring(value)
    elseif kind == "number" then
        if math.type(value) == "integer" then
            out[#out + 1] = string.format("%d", value)
        elseif value ~= value or value == math.huge or value == -math.huge then
            out[#out + 1] = "null"
        else
            -- The shortest text that reads back as the same number: 0.6, not
            -- 0.59999999999999998.
            local text
            for digits = 15, 17 do
                text = string.format("%." .. digits .. "g", value)
                if tonumber(text) == value then break end
            end
            out[#out + 1] = text
        end
    elseif kind == "string" then
        out[#out + 1] = quote(value)
    elseif kind == "table" then
        encode_table(value, out, seen)
    else
        error("json: cannot encode a " .. kind, 0)
    end
end

-- M.encode(value) -> JSON text
function M.encode(value)
    local out = {}
    encode(value, out, {})
    return table.concat(out)
end

return M
