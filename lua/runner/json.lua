-- srv.run.json: JSON text for srv-run --json (RFC 8259). Enough for what
-- srv-run prints: nil/null, booleans, numbers, strings, arrays (tables with
-- keys 1..n; an empty table is []) and objects (string keys, sorted so the
-- output is stable). NaN and infinities, which JSON lacks, become null.
local M = {}

local escapes = {
    ['"'] = '\\"', ["\\"] = "\\\\", ["\b"] = "\\b", ["\f"] = "\\f",
    ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t",
}

-- JSON text is UTF-8: a string that is not (a name given on the command
-- line, say) has each byte of its invalid sequences replaced by U+FFFD.
local function valid_utf8(text)
    if utf8.len(text) then return text end
    local out, i = {}, 1
    while i <= #text do
        local ok, n = pcall(utf8.codepoint, text, i)
        if ok and n then
            local char = utf8.char(n)
            out[#out + 1] = char
            i = i + #char
        else
            out[#out + 1] = "\u{FFFD}"
            i = i + 1
        end
    end
    return table.concat(out)
end

local function quote(text)
    text = valid_utf8(text)
    return '"' .. text:gsub('[%c"\\]', function(c)
        return escapes[c] or string.format("\\u%04x", c:byte())
    end) .. '"'
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
