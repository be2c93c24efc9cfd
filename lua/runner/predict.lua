-- srv.run.predict: the share of orders in which each record comes in each
-- position, as srv's RFC 2782 order gives them (docs/overview.md): lowest
-- priority first; inside a priority each remaining record of positive
-- weight comes next with probability weight / (sum of the remaining
-- weights); weight-0 records after those, in uniform random order.
-- srv-run --simulate prints these next to what it observed.
local M = {}

-- Exact per-position probabilities inside one group of weights, computed
-- over the subsets already placed (2^n states): fine for the handful of
-- records a priority holds; larger groups return nil (no prediction).
M.MAX_WEIGHTED = 14

local function weighted_positions(weights)
    local n = #weights
    local out = {}
    for i = 1, n do out[i] = {} for p = 1, n do out[i][p] = 0 end end
    if n == 0 then return out end
    if n > M.MAX_WEIGHTED then return nil end
    local total_of = {}
    local reach = { [0] = 1.0 }          -- placed-set bitmask -> probability
    local count_of = { [0] = 0 }
    for mask = 0, (1 << n) - 2 do
        local p = reach[mask]
        if p and p > 0 then
            local remaining = total_of[mask]
            if not remaining then
                remaining = 0
                for i = 1, n do
                    if mask & (1 << (i - 1)) == 0 then remaining = remaining + weights[i] end
                end
            end
            local position = count_of[mask] + 1
            for i = 1, n do
                local bit = 1 << (i - 1)
                if mask & bit == 0 then
                    local q = p * weights[i] / remaining
                    out[i][position] = out[i][position] + q
                    local next_mask = mask | bit
                    reach[next_mask] = (reach[next_mask] or 0) + q
                    count_of[next_mask] = position
                    total_of[next_mask] = remaining - weights[i]
                end
            end
        end
    end
    return out
end

-- One group (one priority): member i -> { [position in group] = p }.
local function group_positions(members)
    local weighted, zero = {}, {}
    for _, m in ipairs(members) do
        if m.weight > 0 then weighted[#weighted + 1] = m else zero[#zero + 1] = m end
    end
    local weights = {}
    for i, m in ipairs(weighted) do weights[i] = m.weight end
    local inner = weighted_positions(weights)
    if not inner then return nil end
    local result = {}
    for i, m in ipairs(weighted) do result[m] = inner[i] end
    for _, m in ipairs(zero) do
        local row = {}
        for p = 1, #weighted do row[p] = 0 end
        for p = #weighted + 1, #weighted + #zero do row[p] = 1 / #zero end
        result[m] = row
    end
    return result
end

-- records: a list of { key =, priority =, weight =, segment = (optional,
-- orders before priority: a TURN transport's rank), down = (optional),
-- fixed = (optional: a record whose place is not drawn, such as a fallback;
-- it is a group of its own, ordered by this number) }.
-- Down records come after all up ones (srv's health marks), each part in
-- RFC order. Returns key -> { [position] = probability } over the whole
-- list; a record in a group too large to compute has no entry.
function M.positions(records)
    local groups, order = {}, {}
    for _, r in ipairs(records) do
        local down, segment, fixed = r.down and 1 or 0, r.segment or 0, r.fixed or 0
        local id = string.format("%d\0%d\0%d\0%d", down, segment, r.priority, fixed)
        if not groups[id] then
            groups[id] = { down = down, segment = segment, priority = r.priority, fixed = fixed }
            order[#order + 1] = groups[id]
        end
        table.insert(groups[id], r)
    end
    table.sort(order, function(a, b)
        if a.down ~= b.down then return a.down < b.down end
        if a.segment ~= b.segment then return a.segment < b.segment end
        if a.priority ~= b.priority then return a.priority < b.priority end
        return a.fixed < b.fixed
    end)
    local result, offset, size = {}, 0, #records
    for _, group in ipairs(order) do
        local inside = group_positions(group)
        for _, m in ipairs(group) do
            if inside then
                local row = {}
                for p = 1, size do row[p] = 0 end
                for p, q in pairs(inside[m]) do row[offset + p] = q end
                result[m.key] = row
            end
        end
        offset = offset + #group
    end
    return result
end

return M
