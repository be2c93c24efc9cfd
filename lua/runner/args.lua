-- srv.run.args: command-line options, the GNU way: "--name value",
-- "--name=value", flags without a value, "--" ending the options, and
-- options and operands in any order. Bad input is a usage error: the parser
-- returns nil and a one-line message, it never raises.
local options_names = require "srv.options"

local M = {}

-- Value kinds: each turns the text into a value or returns nil, problem.
local kinds = {}

function kinds.string(text)
    if text == "" then return nil, "empty value" end
    return text
end

-- Any integer, as srv.resolver's seed takes it (docs/srv-run.md).
function kinds.integer(text)
    local n = text:match("^%-?%d+$") and math.tointeger(tonumber(text))
    if not n then return nil, "integer expected" end
    return n
end

function kinds.positive_integer(text)
    local n = kinds.integer(text)
    if not n or n < 1 then return nil, "integer of at least 1 expected" end
    return n
end

function kinds.seconds(text)
    local n = tonumber(text)
    if not n or n ~= n or n <= 0 or n == math.huge or not text:match("^[%d.eE+-]+$") then
        return nil, "a number of seconds above 0 expected"
    end
    return n
end

-- A number from 0 to 1 (srv-run watch --jitter).
function kinds.fraction(text)
    local n = tonumber(text)
    if not n or n ~= n or n < 0 or n > 1 or not text:match("^[%d.eE+-]+$") then
        return nil, "a number from 0 to 1 expected"
    end
    return n
end

-- Stores value under name; nil, problem for a second value of an option
-- that is not repeatable.
local function store(options, name, option, text)
    local value, problem = kinds[option.kind](text)
    if value == nil then
        return nil, string.format("bad value '%s' for --%s: %s", text, name, problem)
    end
    if option.list then
        options[name] = options[name] or {}
        table.insert(options[name], value)
    elseif options[name] ~= nil then
        return nil, "--" .. name .. " given twice"
    else
        options[name] = value
    end
    return true
end

-- "unknown option --min-tll; did you mean --min-ttl?", as an unknown name
-- in a Lua options table is told (docs/lua-api.md). word: the word as given
-- ("--min-tll", "-json"); name: without its dashes. Every srv-run option has
-- two dashes, so a one-dash word is told the two-dash option it is near.
local function unknown_option(word, name, spec, also)
    local known = {}
    for known_name in pairs(spec) do known[#known + 1] = known_name end
    for known_name in pairs(also or {}) do
        if not spec[known_name] then known[#known + 1] = known_name end
    end
    table.sort(known)
    local guess = options_names.nearest(name, known)
    if guess then return string.format("unknown option %s; did you mean --%s?", word, guess) end
    return "unknown option " .. word
end
M.unknown_option = unknown_option

-- spec: { [name] = { kind = "flag" | a kind above, list = true when repeatable,
-- at = true for the one option an operand "@VALUE" gives, as dig's @server } }.
-- pass_unknown: options the spec does not name are kept, in order, with the
-- operands (for scripts, which read their own options after srv-run's).
-- also: the options a parser before this one took out of argv (a script's
-- srv.run.source options): a misspelt one reaches this parser, and is told
-- the option it is near as well.
-- Returns options (name -> value, or a list for repeatable ones), operands.
--
-- A value is the next word, unless that word starts with "--": "--turn
-- --zone f" forgot the URI, and taking "--zone" for it would hide the
-- mistake. A value that does start with "--" is given as --name=VALUE.
function M.parse(argv, spec, pass_unknown, also)
    local options, operands = {}, {}
    local at_name
    for name, option in pairs(spec) do
        if option.at then at_name = name end
    end
    local i = 1
    while i <= #argv do
        local word = argv[i]
        if word == "--" then
            table.move(argv, i + 1, #argv, #operands + 1, operands)
            break
        end
        local name, inline = word:match("^%-%-([^=]+)=(.*)$")
        if not name then name = word:match("^%-%-(.+)$") end
        local option = name and spec[name]
        if at_name and word:sub(1, 1) == "@" then
            if word == "@" then return nil, "@ needs a value, as --" .. at_name .. " does" end
            local ok, problem = store(options, at_name, spec[at_name], word:sub(2))
            if not ok then return nil, problem end
        elseif not option then
            if name and not pass_unknown then
                return nil, unknown_option("--" .. name, name, spec, also)
            end
            if not name and word:match("^%-.") and not pass_unknown then
                return nil, unknown_option(word, word:match("^%-([^=]*)"), spec, also)
            end
            operands[#operands + 1] = word
        elseif option.kind == "flag" then
            if inline then return nil, "--" .. name .. " takes no value" end
            options[name] = true
        else
            local text = inline
            if not text then
                i = i + 1
                text = argv[i]
                if text == nil then return nil, "--" .. name .. " needs a value" end
                if text:match("^%-%-") then
                    return nil, string.format("--%s needs a value, and %s is an option "
                        .. "(a value that starts with -- is written --%s=VALUE)", name, text, name)
                end
            end
            local ok, problem = store(options, name, option, text)
            if not ok then return nil, problem end
        end
        i = i + 1
    end
    return options, operands
end

return M
