-- srv.policy: user preferences applied to the RFC 2782 candidate list.
--
-- The C core orders SRV records by RFC 2782 (priority, then weighted
-- shuffle). Everything a user may want to change about that order lives
-- here, in Lua, where a policy script can replace it.
--
-- A candidate is a table {target=, port=, priority=, weight=, ttl=,
-- source="srv"|"fallback"|"policy", ...}. A policy is anything callable as
-- policy(candidates, ctx) -> candidates; srv.policy{...} builds one from
-- options, srv.chain(...) composes several, and M.apply runs one safely.
--
-- Programmer errors (bad options) raise at construction; a policy that
-- fails at run time makes M.apply return nil, message, "POLICY".

local names = require("srv.names")
local codes = require "srv.codes"
local options = require "srv.options"

local M = {}

-- Priority given to a fallback that names none: the largest SRV priority,
-- so a fallback comes after every SRV target (RFC 2782: lower is tried first).
M.FALLBACK_PRIORITY = 65535

local POLICY_NAME = "srv.policy"
local policy_metatable = { __name = POLICY_NAME }

local is_callable = options.is_callable

local math_type = math.type

local function is_integer_in(value, low, high)
    return math_type(value) == "integer" and value >= low and value <= high
end

-- Compares names the DNS way: case-insensitive (RFC 4343), and "a.example."
-- equals "a.example".
-- names.key: lower case, no trailing dot, memoised (targets repeat).
local name_key = names.key

local function same_name(a, b)
    return name_key(a) == name_key(b)
end

------------------------------------------------------------------------
-- Matching targets

-- A string made only of host-name characters is a name and matches that
-- target exactly; any other string is a Lua pattern matched against the
-- whole lowercased target (without its trailing dot). Keeping the two
-- apart matters: as a pattern, "a-b.example" would also match "ab.example".
local function is_plain_name(text)
    return text:match("^[%w%.%-_]+$") ~= nil
end

local function string_matcher(text)
    if is_plain_name(text) then
        local wanted = name_key(text)
        return function(target) return name_key(target) == wanted end
    end
    local pattern = "^" .. text .. "$"
    return function(target)
        return name_key(target):find(pattern) ~= nil
    end
end

-- Lua reports a malformed pattern only when matching reaches the bad part,
-- so a pattern is checked by walking it (lstrlib.c's rules for '%' and
-- sets) rather than by a trial match that may stop early.
local function set_end(pattern, i)
    -- i is just past '['; a ']' right after "[" or "[^" is a member.
    if pattern:sub(i, i) == "^" then i = i + 1 end
    repeat
        if i > #pattern then return nil end
        local c = pattern:sub(i, i)
        i = i + (c == "%" and 2 or 1)
    until pattern:sub(i, i) == "]"
    return i + 1
end

local function pattern_problem(pattern)
    local i = 1
    while i <= #pattern do
        local c = pattern:sub(i, i)
        if c == "%" then
            local class = pattern:sub(i + 1, i + 1)
            if class == "" then return "ends with '%'" end
            if class == "b" then
                if #pattern < i + 3 then return "missing arguments to '%b'" end
                i = i + 4
            elseif class == "f" then
                if pattern:sub(i + 2, i + 2) ~= "[" then return "missing '[' after '%f'" end
                i = set_end(pattern, i + 3)
                if not i then return "missing ']'" end
            elseif class:match("%d") then
                -- A match only needs to say yes or no: no captures, so no back-references.
                return "back-references (%" .. class .. ") are not allowed"
            else
                i = i + 2
            end
        elseif c == "[" then
            i = set_end(pattern, i + 1)
            if not i then return "missing ']'" end
        elseif c == "(" or c == ")" then
            return "captures are not allowed (write %( and %) for parentheses)"
        else
            i = i + 1
        end
    end
    return nil
end

local function check_pattern(text)
    if is_plain_name(text) then return true end
    local problem = pattern_problem(text)
    if problem then return false, string.format("bad pattern %q: %s", text, problem) end
    return true
end

local function is_list_of_strings(value)
    if type(value) ~= "table" or is_callable(value) then return false end
    local count = 0
    for key, item in pairs(value) do
        if math.type(key) ~= "integer" or type(item) ~= "string" then return false end
        count = count + 1
    end
    return count == #value
end

-- Checks a matcher spec (string, list of strings, or function when allowed)
-- and says what is wrong with it.
local function check_matcher_spec(spec, allow_function)
    if allow_function and is_callable(spec) then return true end
    local texts
    if type(spec) == "string" then
        texts = { spec }
    elseif is_list_of_strings(spec) then
        texts = spec
    else
        local expected = allow_function and "a string, a list of strings or a function"
                                         or "a string or a list of strings"
        return false, expected .. " expected, got " .. type(spec)
    end
    for _, text in ipairs(texts) do
        if text == "" then return false, "empty name" end
        local ok, problem = check_pattern(text)
        if not ok then return false, problem end
    end
    return true
end

-- Turns a matcher spec into function(candidate, ctx) -> boolean.
local function build_matcher(spec)
    if is_callable(spec) then
        return function(candidate, ctx) return spec(candidate, ctx) and true or false end
    end
    local texts = type(spec) == "string" and { spec } or spec
    local matchers = {}
    for i, text in ipairs(texts) do matchers[i] = string_matcher(text) end
    return function(candidate)
        local target = candidate.target
        if type(target) ~= "string" then return false end
        for _, matches in ipairs(matchers) do
            if matches(target) then return true end
        end
        return false
    end
end

-- M.matcher(spec) -> function(candidate, ctx) -> boolean, for policy
-- scripts that want the same name/pattern rules as exclude and prefer.
function M.matcher(spec)
    local ok, problem = check_matcher_spec(spec, true)
    if not ok then error("bad argument #1 to 'matcher' (" .. problem .. ")", 2) end
    return build_matcher(spec)
end

------------------------------------------------------------------------
-- Fallback targets

-- "host:port", "[v6]:port" or "v4:port".
local function parse_host_port(text)
    local host, port = text:match("^%[([^%]]+)%]:(%d+)$")
    if not host then host, port = text:match("^([^:%[%]]+):(%d+)$") end
    if not host then return nil, string.format("%q is not host:port or [v6]:port", text) end
    port = math.tointeger(tonumber(port))
    if not port or port < 1 or port > 65535 then
        return nil, string.format("port in %q out of range 1..65535", text)
    end
    return { target = host, port = port }
end

local function check_fallback_table(entry)
    if type(entry.target) ~= "string" or entry.target == "" then
        return nil, "fallback target must be a non-empty string"
    end
    if not is_integer_in(entry.port, 1, 65535) then
        return nil, "fallback port must be an integer 1..65535"
    end
    for _, field in ipairs({ "priority", "weight" }) do
        if entry[field] ~= nil and not is_integer_in(entry[field], 0, 65535) then
            return nil, "fallback " .. field .. " must be an integer 0..65535"
        end
    end
    local copy = {}
    for key, value in pairs(entry) do copy[key] = value end
    return copy
end

local function parse_fallback_entry(entry)
    if type(entry) == "string" then return parse_host_port(entry) end
    if type(entry) == "table" then return check_fallback_table(entry) end
    return nil, "fallback entry must be a string or a table, got " .. type(entry)
end

-- Accepts one entry or a list of entries; returns the parsed list.
local function parse_fallbacks(spec)
    if type(spec) == "string" or (type(spec) == "table" and spec.target ~= nil) then
        spec = { spec }
    end
    if type(spec) ~= "table" then
        return nil, "a candidate, a \"host:port\" string or a list of those expected, got " .. type(spec)
    end
    local parsed = {}
    for i, entry in ipairs(spec) do
        local fallback, problem = parse_fallback_entry(entry)
        if not fallback then return nil, problem end
        parsed[i] = fallback
    end
    return parsed
end

------------------------------------------------------------------------
-- The steps of a policy, in the order they are applied

-- With a trace (ctx.trace), each option records the candidates it acted on:
-- { step = "policy", rule = "exclude", target =, port =, transport = }.
-- srv-run --explain reads these to say which option moved, removed or
-- added a candidate.
local function note(ctx, rule, candidate)
    local trace = type(ctx) == "table" and ctx.trace
    if type(trace) ~= "table" then return end
    trace[#trace + 1] = { step = "policy", rule = rule, target = candidate.target, port = candidate.port,
                          transport = candidate.transport }
end

-- A name or pattern of exclude or pin that matched no candidate:
-- { step = "policy", rule =, unmatched = the name or pattern }. Often a
-- typo; --explain says so, as srv-run's --down does.
local function note_unmatched(ctx, rule, text)
    local trace = type(ctx) == "table" and ctx.trace
    if type(trace) ~= "table" then return end
    trace[#trace + 1] = { step = "policy", rule = rule, unmatched = text }
end

-- texts: exclude's names and patterns, each with its own matcher, to tell
-- which matched nothing (nil when exclude is a function).
local function without_excluded(candidates, is_excluded, ctx, texts)
    local kept = {}
    for _, candidate in ipairs(candidates) do
        if is_excluded(candidate, ctx) then
            note(ctx, "exclude", candidate)
        else
            kept[#kept + 1] = candidate
        end
    end
    if texts and type(ctx) == "table" and type(ctx.trace) == "table" then
        for _, entry in ipairs(texts) do
            local matched = false
            for _, candidate in ipairs(candidates) do
                if type(candidate.target) == "string" and entry.matches(candidate.target) then
                    matched = true
                    break
                end
            end
            if not matched then note_unmatched(ctx, "exclude", entry.text) end
        end
    end
    return kept
end

-- Groups the SRV candidates still in the list by priority, each group in
-- DNS answer order: the order function replaces the weighted shuffle, so it
-- must see the records as they came, not as the shuffle left them.
-- Two neighbours belong to one run when they share priority and transport
-- (STUN/TURN lists keep each transport's records together, RFC 5928 3).
local function same_run(a, b)
    return a.priority == b.priority and a.transport == b.transport
end

-- The order option replaces the weighted shuffle: each run of SRV candidates
-- (neighbours sharing priority and transport) goes back to DNS answer order
-- and is handed to order(); other candidates keep their places.
local function reordered(candidates, order, ctx)
    local answer = type(ctx) == "table" and type(ctx.answer) == "table" and ctx.answer or {}
    local position = {}
    for i, candidate in ipairs(answer) do position[candidate] = i end
    local result, i, n = {}, 1, #candidates
    while i <= n do
        local first = candidates[i]
        if first.source ~= "srv" then
            result[#result + 1] = first
            i = i + 1
        else
            local j = i
            while j < n and candidates[j + 1].source == "srv" and same_run(first, candidates[j + 1]) do
                j = j + 1
            end
            local group = table.move(candidates, i, j, 1, {})
            -- Answer order; a candidate the answer does not hold (an earlier
            -- policy copied it) keeps its place after those it does hold.
            local rank = {}
            for k, candidate in ipairs(group) do rank[candidate] = (position[candidate] or (#answer + k)) end
            table.sort(group, function(a, b) return rank[a] < rank[b] end)
            local ordered = order(group, ctx)
            if type(ordered) ~= "table" then
                error(string.format("order returned %s for priority %d (list expected)",
                                    type(ordered), first.priority or 0), 0)
            end
            for _, candidate in ipairs(ordered) do
                if type(candidate) == "table" then note(ctx, "order", candidate) end
            end
            table.move(ordered, 1, #ordered, #result + 1, result)
            i = j + 1
        end
    end
    return result
end

-- Within each run of equal priority (and transport), matches move to the
-- front; the order among matches and among the rest is kept. Priorities
-- never mix: a preference must not override what RFC 2782 says about them.
local function preferred_first(candidates, is_preferred, ctx)
    local result, i = {}, 1
    while i <= #candidates do
        local j = i
        while j + 1 <= #candidates and same_run(candidates[i], candidates[j + 1]) do j = j + 1 end
        local later = {}
        for k = i, j do
            local candidate = candidates[k]
            if is_preferred(candidate, ctx) then
                note(ctx, "prefer", candidate)
                result[#result + 1] = candidate
            else
                later[#later + 1] = candidate
            end
        end
        table.move(later, 1, #later, #result + 1, result)
        i = j + 1
    end
    return result
end

-- Pinned targets go first, in the order of the pin list, whatever their
-- priority; the rest keep their order.
local function pinned_first(candidates, pins, ctx)
    local result, taken = {}, {}
    for _, pin in ipairs(pins) do
        local wanted, matched = name_key(pin), false
        for index, candidate in ipairs(candidates) do
            if not taken[index] and type(candidate.target) == "string"
               and name_key(candidate.target) == wanted then
                taken[index] = true
                matched = true
                note(ctx, "pin", candidate)
                result[#result + 1] = candidate
            end
        end
        if not matched then note_unmatched(ctx, "pin", pin) end
    end
    for index, candidate in ipairs(candidates) do
        if not taken[index] then result[#result + 1] = candidate end
    end
    return result
end

local function with_fallbacks(candidates, fallbacks, ctx)
    local present = {}
    local function key(target, port) return name_key(target) .. "\0" .. port end
    for _, candidate in ipairs(candidates) do
        if type(candidate.target) == "string" and candidate.port ~= nil then
            present[key(candidate.target, tostring(candidate.port))] = true
        end
    end
    for _, fallback in ipairs(fallbacks) do
        local fallback_key = key(fallback.target, tostring(fallback.port))
        if not present[fallback_key] then
            present[fallback_key] = true
            local candidate = {}
            for field, value in pairs(fallback) do candidate[field] = value end
            candidate.priority = candidate.priority or M.FALLBACK_PRIORITY
            candidate.weight = candidate.weight or 0
            candidate.ttl = candidate.ttl or 0
            candidate.source = "policy"
            note(ctx, "fallback", candidate)
            candidates[#candidates + 1] = candidate
        end
    end
    return candidates
end

------------------------------------------------------------------------
-- Policy objects

local OPTION_ORDER = { "exclude", "order", "prefer", "pin", "fallback" }

local function new_policy(run, description)
    return setmetatable({ run = run, description = description }, policy_metatable)
end

policy_metatable.__call = function(self, candidates, ctx)
    return self.run(candidates, ctx)
end

policy_metatable.__tostring = function(self)
    return POLICY_NAME .. self.description
end

local OPTION_NAMES = options.names(OPTION_ORDER)

local function check_options(spec)
    local unknown = options.unknown_option(spec, OPTION_NAMES)
    if unknown then return nil, unknown end
    local options = {}
    local ok, problem
    if spec.exclude ~= nil then
        ok, problem = check_matcher_spec(spec.exclude, true)
        if not ok then return nil, "exclude: " .. problem end
        options.exclude = build_matcher(spec.exclude)
        if not is_callable(spec.exclude) then
            options.exclude_texts = {}
            for i, text in ipairs(type(spec.exclude) == "string" and { spec.exclude } or spec.exclude) do
                options.exclude_texts[i] = { text = text, matches = string_matcher(text) }
            end
        end
    end
    if spec.order ~= nil then
        if not is_callable(spec.order) then
            return nil, "order: function expected, got " .. type(spec.order)
        end
        options.order = spec.order
    end
    if spec.prefer ~= nil then
        ok, problem = check_matcher_spec(spec.prefer, true)
        if not ok then return nil, "prefer: " .. problem end
        options.prefer = build_matcher(spec.prefer)
    end
    if spec.pin ~= nil then
        ok, problem = check_matcher_spec(spec.pin, false)
        if not ok then return nil, "pin: " .. problem end
        options.pin = type(spec.pin) == "string" and { spec.pin } or table.move(spec.pin, 1, #spec.pin, 1, {})
        -- A pin names one host: a pattern would leave the order to whatever
        -- happens to match, so one is refused rather than silently matching nothing.
        for _, name in ipairs(options.pin) do
            if not is_plain_name(name) then
                return nil, string.format("pin: %q is not a host name (pin takes names, not patterns)", name)
            end
        end
    end
    if spec.fallback ~= nil then
        options.fallback, problem = parse_fallbacks(spec.fallback)
        if not options.fallback then return nil, "fallback: " .. problem end
    end
    return options
end

-- srv.policy{exclude=, order=, prefer=, pin=, fallback=}: every option is
-- optional; they apply in the order exclude, order, prefer, pin, fallback.
function M.new(spec)
    if spec == nil then spec = {} end
    if type(spec) ~= "table" then
        error("bad argument #1 to 'policy' (table expected, got " .. type(spec) .. ")", 2)
    end
    local options, problem = check_options(spec)
    if not options then error("bad argument #1 to 'policy' (" .. problem .. ")", 2) end

    local used = {}
    for _, option in ipairs(OPTION_ORDER) do
        if options[option] then used[#used + 1] = option end
    end

    local function run(candidates, ctx)
        local list = table.move(candidates, 1, #candidates, 1, {})
        if options.exclude then list = without_excluded(list, options.exclude, ctx, options.exclude_texts) end
        if options.order then list = reordered(list, options.order, ctx) end
        if options.prefer then list = preferred_first(list, options.prefer, ctx) end
        if options.pin then list = pinned_first(list, options.pin, ctx) end
        if options.fallback then list = with_fallbacks(list, options.fallback, ctx) end
        return list
    end
    return new_policy(run, "{" .. table.concat(used, ", ") .. "}")
end

-- srv.chain(a, b, ...): a policy that applies a, then b, ... each to the
-- result of the one before.
function M.chain(...)
    local steps = table.pack(...)
    for i = 1, steps.n do
        if not is_callable(steps[i]) then
            error(string.format("bad argument #%d to 'chain' (function or %s expected, got %s)",
                                i, POLICY_NAME, type(steps[i])), 2)
        end
    end
    local function run(candidates, ctx)
        local list = candidates
        for i = 1, steps.n do
            list = steps[i](list, ctx)
            if type(list) ~= "table" then
                error(string.format("chain step #%d returned %s (list expected)", i, type(list)), 0)
            end
        end
        return list
    end
    return new_policy(run, string.format("(chain of %d)", steps.n))
end

function M.is_policy(value)
    return getmetatable(value) == policy_metatable
end

------------------------------------------------------------------------
-- Running a policy safely

local function describe(value)
    if value == nil then return "nil" end
    if type(value) == "string" then
        return string.format("the string %q", #value > 40 and value:sub(1, 40) .. "..." or value)
    end
    if type(value) == "number" then return "the number " .. tostring(value) end
    return "a " .. type(value)
end

local function policy_error(problem)
    return nil, "policy returned " .. problem, codes.POLICY
end

-- Checks one element with rawget: a candidate with an __index that raises
-- must not make validation itself raise.
local function check_candidate(index, candidate)
    if type(candidate) ~= "table" then
        return string.format("%s at index %d (candidate table expected)", describe(candidate), index)
    end
    local target, port = rawget(candidate, "target"), rawget(candidate, "port")
    if type(target) ~= "string" or target == "" then
        return string.format("a candidate without a target at index %d (non-empty string expected, got %s)",
                             index, describe(target))
    end
    if port == nil then
        return string.format("a candidate without a port at index %d (target %s)", index, target)
    end
    local priority, weight = rawget(candidate, "priority"), rawget(candidate, "weight")
    -- The common case in one test; the messages below say what is wrong.
    if math_type(port) == "integer" and port >= 1 and port <= 65535
       and (priority == nil or math_type(priority) == "integer" and priority >= 0 and priority <= 65535)
       and (weight == nil or math_type(weight) == "integer" and weight >= 0 and weight <= 65535) then
        return nil
    end
    if not is_integer_in(port, 1, 65535) then
        return string.format("a bad port at index %d (%s; integer 1..65535 expected)", index, describe(port))
    end
    if priority ~= nil and not is_integer_in(priority, 0, 65535) then
        return string.format("a bad priority at index %d (%s; integer 0..65535 expected)", index, describe(priority))
    end
    if weight ~= nil and not is_integer_in(weight, 0, 65535) then
        return string.format("a bad weight at index %d (%s; integer 0..65535 expected)", index, describe(weight))
    end
    return nil
end

-- A proper sequence: every key an integer 1..n, none missing.
local function check_sequence(list)
    local count, highest = 0, 0
    for key in next, list do
        if math.type(key) ~= "integer" or key < 1 then
            return nil, "a list with the non-sequence key " .. (type(key) == "string"
                and string.format("%q", key) or describe(key))
        end
        count = count + 1
        if key > highest then highest = key end
    end
    if count ~= highest then
        for index = 1, highest do
            if rawget(list, index) == nil then
                return nil, string.format("a list with a hole at index %d", index)
            end
        end
    end
    return highest
end

-- A plain copy of a validated candidate: later steps index candidates
-- freely, and a metatable of the policy's (a raising __index, __len) must
-- not reach them.
local function plain_copy(candidate)
    local copy = {}
    for key, value in next, candidate do copy[key] = value end
    return copy
end

local function validate(n, list)
    if n == 0 then return policy_error("no value (list of candidates expected)") end
    if type(list) ~= "table" then
        return policy_error(describe(list) .. " (list of candidates expected)")
    end
    local length, problem = check_sequence(list)
    if not length then return policy_error(problem) end
    local out = {}
    for index = 1, length do
        local candidate = rawget(list, index)
        problem = check_candidate(index, candidate)
        if problem then return policy_error(problem) end
        candidate = getmetatable(candidate) == nil and candidate or plain_copy(candidate)
        if rawget(candidate, "source") == nil then rawset(candidate, "source", "policy") end
        out[index] = candidate
    end
    return out
end

local function traceback_handler(err)
    local text = err
    if type(err) ~= "string" then
        local mt = debug.getmetatable(err)   -- the real one, as lua.c reads it
        local ok = mt and mt.__tostring and true
        if ok then ok, text = pcall(tostring, err) end
        if not ok or type(text) ~= "string" then text = "(error object is a " .. type(err) .. " value)" end
    end
    return debug.traceback(text, 2)
end

-- What xpcall gave back, checked.
local function checked(ok, ...)
    if not ok then
        return nil, "policy failed: " .. tostring((...)), codes.POLICY
    end
    return validate(select("#", ...), (...))
end

local function finish(co, resumed, ...)
    if not resumed then
        return nil, "policy failed: " .. tostring((...)), codes.POLICY
    end
    if coroutine.status(co) ~= "dead" then
        return nil, "policy failed: a policy must not yield (srv runs it to completion)", codes.POLICY
    end
    return checked(...)
end

-- M.apply(policy, candidates, ctx) -> candidates | nil, message, "POLICY".
-- The policy gets a shallow copy of the list, so it may change its list
-- freely; an error inside it or a malformed result never escapes.
function M.apply(policy, candidates, ctx)
    if not is_callable(policy) then
        error("bad argument #1 to 'apply' (function or " .. POLICY_NAME .. " expected, got "
              .. type(policy) .. ")", 2)
    end
    if type(candidates) ~= "table" then
        error("bad argument #2 to 'apply' (table expected, got " .. type(candidates) .. ")", 2)
    end
    local copy = table.move(candidates, 1, #candidates, 1, {})
    -- Its own coroutine: a policy that yields would otherwise suspend
    -- whatever coroutine srv runs in (a task, the caller's) half-way
    -- through a resolution. A policy may still make blocking calls.
    local co = coroutine.create(xpcall)
    return finish(co, coroutine.resume(co, policy, traceback_handler, copy, ctx))
end

return M
