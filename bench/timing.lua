-- bench/timing.lua: how the Lua benchmarks time a loop.
--
-- A side is a function run(count) that does its operation count times.
-- calibrate finds a count that takes about batch_seconds; seconds_per_call
-- times one batch of it (after a full collection, so garbage left by the
-- other side is not billed to this one).
local core = require "srv.core"

local M = {}
local now = core.now
M.now = now

function M.seconds_per_call(run, count)
    collectgarbage()
    local start = now()
    run(count)
    return (now() - start) / count
end

function M.calibrate(run, batch_seconds)
    local count = 1000
    while true do
        local start = now()
        run(count)
        local elapsed = now() - start
        if elapsed >= batch_seconds / 4 then
            return math.ceil(count * batch_seconds / elapsed)
        end
        count = count * 4
    end
end

return M
