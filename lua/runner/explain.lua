-- srv.run.explain: `srv-run lookup --explain`, why each candidate is where
-- it is: its priority group and weight share (RFC 2782), direct TLS or the
-- transport, the fallback, what each policy option did to it (the trace's
-- policy rules, and its place before and after the policy), a health mark or
-- the passive health state that placed it;
-- and what was left out.
local names = require "srv.names"
local format = require "srv.run.format"

local M = {}

local RULES = {
    exclude = "removed by the policy (exclude)",
    order = "placed by the policy's order function (order)",
    prefer = "moved to the front of its priority by the policy (prefer)",
    pin = "pinned first by the policy (pin)",
    fallback = "appended by the policy as a fallback (fallback)",
}

local function percent(x)
    return string.format("%.1f%%", 100 * x)
end

local function group_id(transport, priority)
    return tostring(transport or "") .. "|" .. tostring(priority)
end

-- Priority groups of the usable SRV records: count, weight total, weighted count.
local function groups_of(answer)
    local groups = {}
    for _, a in ipairs(answer or {}) do
        local id = group_id(a.transport, a.priority)
        local g = groups[id] or { count = 0, total = 0, weighted = 0 }
        groups[id] = g
        g.count = g.count + 1
        g.total = g.total + (a.weight or 0)
        if (a.weight or 0) > 0 then g.weighted = g.weighted + 1 end
    end
    return groups
end

local function rfc_line(c, g)
    local p = "priority " .. tostring(c.priority)
    if not g or g.count == 1 then
        return p .. ": the only usable record of this priority"
    elseif (c.weight or 0) > 0 then
        return string.format("%s: weight %d of the priority's %d: first among its %d records %s of the time (RFC 2782)",
                             p, c.weight, g.total, g.count, percent(c.weight / g.total))
    elseif g.total == 0 then
        return string.format("%s: all %d records have weight 0: uniform random order among them", p, g.count)
    end
    return p .. ", weight 0: after the weighted records of its priority, in random order"
end

local function index_by_endpoint(list)
    local index = {}
    for i, e in ipairs(list or {}) do
        if index[e.endpoint] == nil then index[e.endpoint] = i end
    end
    return index
end

local function key(target, port, transport)
    return names.key(target) .. "|" .. tostring(port) .. "|" .. tostring(transport)
end

-- The candidates a policy function moved in a call where srv.policy
-- options acted too (a chain). A pin or a removal shifts everyone else's
-- place without moving them, so places alone do not tell: of the candidates
-- no option acted on that are in both lists, the longest run that kept its
-- relative order stayed put, and the others were moved.
local function moved_by_function(before, after, rules)
    local rank, sequence = {}, {}
    for i, e in ipairs(before or {}) do
        if not rules[key(e.target, e.port, e.transport)] and rank[e.endpoint] == nil then rank[e.endpoint] = i end
    end
    local seen = {}
    for _, e in ipairs(after or {}) do
        if rank[e.endpoint] and not seen[e.endpoint] then
            seen[e.endpoint] = true
            sequence[#sequence + 1] = e.endpoint
        end
    end
    -- longest increasing subsequence of the ranks, O(n^2): lists are short
    local length, previous, best = {}, {}, nil
    for i, endpoint in ipairs(sequence) do
        length[i] = 1
        for j = 1, i - 1 do
            if rank[sequence[j]] < rank[endpoint] and length[j] + 1 > length[i] then
                length[i], previous[i] = length[j] + 1, j
            end
        end
        if not best or length[i] > length[best] then best = i end
    end
    local stayed = {}
    while best do
        stayed[sequence[best]] = true
        best = previous[best]
    end
    local moved = {}
    for _, endpoint in ipairs(sequence) do
        if not stayed[endpoint] then moved[endpoint] = true end
    end
    return moved
end

-- -> { by_candidate = { [i] = { line, ... } }, left_out = { line, ... },
--      notes = { line, ... } (about the whole list: an XMPP answer used alone) }
function M.lines(cands, info)
    local trace = info.trace or {}
    local groups = groups_of(info.answer)
    local before, after = index_by_endpoint(info.before), index_by_endpoint(info.after)
    local rules, fallback_reason = {}, nil
    for _, e in ipairs(trace) do
        if e.step == "policy" and e.unmatched then
            -- said below, among the notes
        elseif e.step == "policy" and e.rule then
            local k = key(e.target, e.port, e.transport)
            rules[k] = rules[k] or {}
            local said = false   -- each rule once per candidate, however often the trace has it
            for _, rule in ipairs(rules[k]) do said = said or rule == e.rule end
            if not said then table.insert(rules[k], e.rule) end
        elseif e.step == "fallback" then
            fallback_reason = e.reason
        end
    end

    local moved = moved_by_function(info.before, info.after, rules)
    local by_candidate = {}
    for i, c in ipairs(cands) do
        local lines = {}
        local endpoint = format.endpoint(c)
        local was, now = before[endpoint], after[endpoint]
        -- Where a candidate came from is what srv built before the policy
        -- (info.before), not what the policy wrote in it: a candidate the
        -- policy added says source = "srv" at no cost.
        local origin = c
        if info.before then origin = was and info.before[was] or { source = "policy" } end
        if origin.source == "srv" then
            lines[#lines + 1] = rfc_line(origin, groups[group_id(origin.transport, origin.priority)])
        elseif origin.source == "fallback" then
            lines[#lines + 1] = "fallback: " .. (fallback_reason or "no SRV records: the domain on the default port")
        end
        -- Only the answer's records are ordered together (XEP-0368); a
        -- direct-TLS host from elsewhere (a policy) is placed by whoever added it.
        if c.tls and c.source == "srv" then
            lines[#lines + 1] = "direct TLS (XEP-0368): merged with the STARTTLS records by priority and weight"
        elseif c.tls then
            lines[#lines + 1] = "direct TLS (XEP-0368): not from the SRV answer, so not merged with its records"
        end
        if c.transport then
            lines[#lines + 1] = "transport " .. tostring(c.transport) .. ": transports are tried one after the other, in the order of preference (RFC 5928)"
        end
        for _, rule in ipairs(rules[key(c.target, c.port, c.transport)] or {}) do
            if rule ~= "exclude" then lines[#lines + 1] = RULES[rule] end
        end
        -- A policy of srv.policy options says what each did; for any other
        -- (a function, alone or in a chain) the places before and after it
        -- are all there is.
        if now and not was and not rules[key(c.target, c.port, c.transport)] then
            lines[#lines + 1] = "added by the policy"
        elseif was and now and was ~= now and (next(rules) == nil or moved[endpoint]) then
            lines[#lines + 1] = string.format("the policy moved it from #%d to #%d", was, now)
        end
        if c.health then lines[#lines + 1] = c.health end   -- passive health (r:report)
        if c.down then
            lines[#lines + 1] = "marked down: moved behind the up candidates (still tried, last)"
        end
        if #lines == 0 then lines[1] = "source " .. tostring(c.source) end
        by_candidate[i] = lines
    end

    local left_out, notes = {}, {}
    local unmatched_said = {}
    for _, e in ipairs(trace) do
        if e.step == "partial" then notes[#notes + 1] = tostring(e.reason) end
        if e.step == "policy" and e.unmatched then
            local line = string.format("the policy's %s %s matched no candidate", tostring(e.rule), tostring(e.unmatched))
            if not unmatched_said[line] then
                unmatched_said[line] = true
                notes[#notes + 1] = line
            end
        end
        if e.step == "skip" then
            local what = e.target and format.endpoint(e) or ("transport " .. tostring(e.transport))
            left_out[#left_out + 1] = what .. ": " .. tostring(e.reason)
        end
    end
    for _, e in ipairs(info.before or {}) do
        if info.after and not after[e.endpoint] then
            local excluded = false
            for _, rule in ipairs(rules[key(e.target, e.port, e.transport)] or {}) do excluded = excluded or rule == "exclude" end
            left_out[#left_out + 1] = e.endpoint .. ": " .. (excluded and RULES.exclude or "removed by the policy")
        end
    end
    return { by_candidate = by_candidate, left_out = left_out, notes = notes }
end

-- The same in JSON output: each candidate gets "why", the object "left_out".
function M.add_to_json(out, cands, info)
    local why = M.lines(cands, info)
    for i, object in ipairs(out.candidates) do object.why = why.by_candidate[i] end
    out.left_out = why.left_out
    out.notes = why.notes
end

return M
