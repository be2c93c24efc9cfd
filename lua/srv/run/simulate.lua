-- srv.run.simulate: `srv-run lookup NAME --simulate N` draws the order N
-- times through the resolver (one DNS answer, cached; each draw a fresh
-- RFC 2782 shuffle, policy and health marks included) and counts where each
-- candidate lands, next to the shares srv.run.predict computes.
local format = require "srv.run.format"
local json = require "srv.run.json"
local predict = require "srv.run.predict"

local M = {}

-- What RFC 2782 ordering predicts for the first draw's answer: the usable
-- SRV records of every priority, TURN/STUN transports in the order the
-- list has them, marked-down records after the others. Without SRV records
-- (a fallback) the list is fixed, and the first draw is the prediction.
local function prediction(first, info)
    if not info or not info.answer then return nil end
    if #info.answer == 0 then
        local fixed = {}
        for i, c in ipairs(first) do
            local row = {}
            for p = 1, #first do row[p] = p == i and 1 or 0 end
            fixed[format.endpoint(c)] = row
        end
        return fixed
    end
    local segment, segments, down = {}, 0, {}
    for _, c in ipairs(first) do
        local t = c.transport or ""
        if not segment[t] then
            segments = segments + 1
            segment[t] = segments
        end
        if c.down then down[format.endpoint(c)] = true end
    end
    local records = {}
    for i, a in ipairs(info.answer) do
        records[i] = { key = a.endpoint, priority = a.priority, weight = a.weight,
                       segment = segment[a.transport or ""] or 0, down = down[a.endpoint] }
    end
    return predict.positions(records)
end

-- M.run(run, draws) -> { draws =, positions =, rows = { {endpoint, target, port,
-- transport, counts = {[position] = n}, predicted = {...} or nil} } }, or
-- nil, message, code when a draw fails.
function M.run(run, draws)
    local resolve = require("srv.run.lookup").resolve
    local rows, by_endpoint, positions = {}, {}, 0
    local predicted
    for draw = 1, draws do
        local cands, info, code = resolve(run, draw > 1)
        if not cands then return nil, info, code end
        if draw == 1 then predicted = prediction(cands, info) end
        if #cands > positions then positions = #cands end
        for position, c in ipairs(cands) do
            local key = format.endpoint(c)
            local row = by_endpoint[key]
            if not row then
                row = { endpoint = key, target = c.target, port = c.port, transport = c.transport, counts = {} }
                by_endpoint[key] = row
                rows[#rows + 1] = row
            end
            row.counts[position] = (row.counts[position] or 0) + 1
        end
    end
    for _, row in ipairs(rows) do
        row.predicted = predicted and predicted[row.endpoint]
        local mean = 0
        for position, n in pairs(row.counts) do mean = mean + position * n end
        row.mean = mean / draws
    end
    table.sort(rows, function(a, b)
        if a.mean ~= b.mean then return a.mean < b.mean end
        return a.endpoint < b.endpoint
    end)
    return { draws = draws, positions = positions, rows = rows, with_policy = run.policy ~= nil }
end

local function share(row, position, draws)
    return (row.counts[position] or 0) / draws
end

function M.print(run, result)
    local draws, positions = result.draws, result.positions
    if run.json then
        local targets = {}
        for i, row in ipairs(result.rows) do
            local observed = {}
            for p = 1, positions do observed[p] = share(row, p, draws) end
            targets[i] = { target = row.target, port = row.port, transport = row.transport,
                           first = observed[1], observed = observed, predicted = row.predicted }
        end
        io.stdout:write(json.encode { name = run.query.name, draws = draws, seed = run.seed,
                                      targets = targets }, "\n")
        return
    end
    local width = 8
    for _, row in ipairs(result.rows) do width = math.max(width, #row.endpoint) end
    io.stdout:write(string.format(";; %s: %d draws%s\n", run.query.name, draws,
                                  run.seed and (", seed " .. run.seed) or ""))
    io.stdout:write(";; share of draws with the target in each position: observed (RFC 2782 prediction",
                    result.with_policy and ", before the policy)\n" or ")\n")
    local header = { string.format(";; %-" .. (width - 3) .. "s", "target") }
    for p = 1, positions do header[#header + 1] = string.format("%-16s", "#" .. p .. (p == 1 and " (first)" or "")) end
    io.stdout:write(table.concat(header, " "):gsub("%s+$", ""), "\n")
    for _, row in ipairs(result.rows) do
        local cells = { string.format("%-" .. width .. "s", row.endpoint) }
        for p = 1, positions do
            local expected = row.predicted and row.predicted[p]
            cells[#cells + 1] = string.format("%6.2f%% %-8s", 100 * share(row, p, draws),
                                              expected and string.format("(%.1f%%)", 100 * expected) or "(-)")
        end
        io.stdout:write((table.concat(cells, " "):gsub("%s+$", "")), "\n")
    end
end

return M
