-- srv.health: r:mark_down / r:mark_up, and moving marked-down candidates
-- behind the others (they stay in the list: the backup is still tried).
-- Every function takes the resolver's state (srv.resolver) first.
local names = require "srv.names"
local options = require "srv.options"

local arg_error, check_type = options.arg_error, options.check_type

-- The port of mark_down/mark_up as an integer (5222.0 is 5222), or raises.
local function check_port(port, fname)
    local p = options.to_port(port)
    if not p then arg_error(2, fname, "port 1..65535 expected, got " .. options.describe(port)) end
    return p
end

local M = {}

M.DEFAULT_DOWN_SECONDS = 30  -- how long mark_down lasts when no duration is given

local function health_key(target, port)
    return names.key(target) .. "|" .. port
end

function M.mark_down(self, target, port, seconds)
    check_type(target, "string", 1, "mark_down")
    port = check_port(port, "mark_down")
    if seconds ~= nil and (type(seconds) ~= "number" or seconds ~= seconds) then
        arg_error(3, "mark_down", "number expected, got " .. (seconds ~= seconds and "nan" or type(seconds)))
    end
    seconds = seconds or M.DEFAULT_DOWN_SECONDS
    local key = health_key(target, port)
    if seconds <= 0 then
        self._down[key] = nil
    else
        self._down[key] = self._clock() + seconds
    end
    return true
end

function M.mark_up(self, target, port)
    check_type(target, "string", 1, "mark_up")
    port = check_port(port, "mark_up")
    self._down[health_key(target, port)] = nil
    return true
end

-- Moves marked-down candidates behind every up candidate, keeping the order
-- inside each group: a down server is still tried, after all the others.
function M.apply(self, cands, log)
    if next(self._down) == nil then return cands end
    local now = self._clock()
    local up, down = {}, {}
    for i = 1, #cands do
        local c = cands[i]
        local key = health_key(c.target, c.port)
        local until_ = self._down[key]
        if until_ and now >= until_ then
            self._down[key] = nil
            until_ = nil
        end
        if until_ then
            down[#down + 1] = c
            if log then
                log[#log + 1] = { step = "health", target = c.target, port = c.port,
                                  reason = "marked down: moved behind the up candidates" }
            end
        else
            up[#up + 1] = c
        end
    end
    if #down == 0 then return cands end
    for i = 1, #down do up[#up + 1] = down[i] end
    return up
end

return M
