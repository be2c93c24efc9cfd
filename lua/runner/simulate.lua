-- srv.run.simulate: `srv-run lookup NAME --simulate N` draws the order N
-- times through the resolver (one DNS answer, cached; each draw a fresh
-- RFC 2782 shuffle, policy and health marks included) and counts where each
-- candidate lands, next to the shares srv.run.predict computes.
local format = require "srv.run.format"
local json = require "srv.run.json"
local predict = require "srv.run.predict"

local M = {}

-- A row is one candidate: the same target and port at two priorities are
-- two rows.
local function row_key(c)
    return format.endpoint(c) .. "#" .. tostring(c.priority)
end

-- What RFC 2782 ordering predicts for the list as srv built it before the
-- policy (info.before): the usable SRV records of each priority drawn by
-- weight, TURN/STUN transports in the order the list has them, a fallback
-- where srv put it, marked-down candidates after the others.
local function prediction(first, info)
    if not info or not info.before then return nil end
    local down = {}
    for _, c in ipairs(first) do
        if c.down then down[row_key(c)] = true end
    end
    local segment, segments, records = {}, 0, {}
    for i, e in ipairs(info.before) do
        local t = tostring(e.transport or "")
        if not segment[t] then
            segments = segments + 1
            segment[t] = segments
        end
        local key = row_key(e)
        local record = { key = key, priority = math.tointeger(e.priority) or 0, weight = math.tointeger(e.weight) or 0,
                         segment = segment[t], down = down[key] }
        if e.source ~= "srv" then record.weight, record.fixed = 0, i end
        records[#records + 1] = record
    end
    return predict.positions(records)
end

-- M.run(run, draws, resolve) -> { draws =, positions =, rows = { {endpoint,
-- target, port, transport, counts = {[position] = n}, predicted = {...} or
-- nil} } }, or nil, message, code when a draw fails. resolve(run, light) is
-- srv.run.lookup's: candidates, info or nil, message, code.
function M.run(run, draws, resolve)
    local rows, by_endpoint, positions = {}, {}, 0
    local predicted
    for draw = 1, draws do
        local cands, info, code = resolve(run, draw > 1)
        if not cands then return nil, info, code end
        if draw == 1 then predicted = prediction(cands, info) end
        if #cands > positions then positions = #cands end
        for position, c in ipairs(cands) do
            local key = row_key(c)
            local row = by_endpoint[key]
            if not row then
                row = { key = key, endpoint = format.endpoint(c), target = c.target, port = c.port,
                        priority = c.priority, transport = c.transport, counts = {} }
                by_endpoint[key] = row
                rows[#rows + 1] = row
            end
            row.counts[position] = (row.counts[position] or 0) + 1
        end
    end
    local seen = {}
    for _, row in ipairs(rows) do seen[row.endpoint] = (seen[row.endpoint] or 0) + 1 end
    for _, row in ipairs(rows) do
        -- the same endpoint at two priorities: say which row is which
        row.label = seen[row.endpoint] > 1 and (row.endpoint .. " (priority " .. tostring(row.priority) .. ")")
                    or row.endpoint
        row.predicted = predicted and predicted[row.key]
        if row.predicted then
            -- a policy may make the list longer than the RFC's
            for p = #row.predicted + 1, positions do row.predicted[p] = 0 end
        end
        local mean = 0
        for position, n in pairs(row.counts) do mean = mean + position * n end
        row.mean = mean / draws
    end
    table.sort(rows, function(a, b)
        if a.mean ~= b.mean then return a.mean < b.mean end
        return a.key < b.key
    end)
    return { draws = draws, positions = positions, rows = rows, with_policy = run.policy ~= nil }
end

-- text padded with blanks to width (string.format's widths stop at 99)
local function pad(text, width)
    return text .. string.rep(" ", width - #text)
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
            targets[i] = { target = row.target, port = row.port, priority = row.priority,
                           transport = row.transport, first = observed[1], observed = observed,
                           predicted = row.predicted }
        end
        io.stdout:write(json.encode { name = run.query.name, draws = draws, seed = run.seed,
                                      targets = targets,
                                      predicted_before_policy = result.with_policy or nil }, "\n")
        return
    end
    local width = 8
    for _, row in ipairs(result.rows) do width = math.max(width, #row.label) end
    io.stdout:write(string.format(";; %s: %d draws%s\n", run.query.name, draws,
                                  run.seed and (", seed " .. run.seed) or ""))
    io.stdout:write(";; share of draws with the target in each position: observed (RFC 2782 prediction",
                    result.with_policy and ", before the policy)\n" or ")\n")
    local header = { ";; " .. pad("target", width - 3) }
    for p = 1, positions do header[#header + 1] = string.format("%-16s", "#" .. p .. (p == 1 and " (first)" or "")) end
    io.stdout:write(table.concat(header, " "):gsub("%s+$", ""), "\n")
    for _, row in ipairs(result.rows) do
        local cells = { pad(row.label, width) }
        for p = 1, positions do
            local expected = row.predicted and row.predicted[p]
            cells[#cells + 1] = string.format("%6.2f%% %-8s", 100 * share(row, p, draws),
                                              expected and string.format("(%.1f%%)", 100 * expected) or "(-)")
        end
        io.stdout:write((table.concat(cells, " "):gsub("%s+$", "")), "\n")
    end
end

return M
