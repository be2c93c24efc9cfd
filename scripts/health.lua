-- health.lua: probe a service's candidates in order with a TCP connect, mark
-- the ones that refuse down (r:mark_down), resolve again and show the next
-- one taking over. Needs luasocket (Debian: lua-socket).
--
--   build/srv-run scripts/health.lua [--server IP[:PORT] | --zone FILE] [--seed N] _SERVICE._PROTO.DOMAIN
--
-- Only loopback addresses (127.0.0.0/8, ::1) are ever connected to: this is
-- a demonstration, not a scanner. Exit status as `srv-run lookup`.
local socket = require "socket"
local source = require "srv.run.source"
local args = require "srv.run.args"
local exit = require "srv.run.exit"

-- Settings ------------------------------------------------------------------
local CONNECT_TIMEOUT = 1   -- seconds per connect
local DOWN_SECONDS = 60     -- how long a failed target stays behind the others
-------------------------------------------------------------------------------

local function usage(problem)
    io.stderr:write("health.lua: ", problem, "\nusage: health.lua [--server IP[:PORT] | --zone FILE]",
        " [--seed N] _SERVICE._PROTO.DOMAIN\n")
    os.exit(2)
end
local r, rest = source.resolver(arg)
if not r then usage(rest) end
-- No options of its own: any option left is unknown, wherever it is, and
-- one near a source option (--sed) is told which.
local options, operands = args.parse(rest, {}, false, source.OPTIONS)
if not options then usage(operands) end
rest = operands
if #rest ~= 1 then usage(#rest == 0 and "no name given" or "one name only") end
local name = rest[1]

local function resolve()
    local candidates, message, code = r:resolve(name, { addresses = true })
    if candidates then return candidates end
    io.stderr:write("health.lua: ", message, "\n")
    os.exit(exit.for_code(code))
end

-- true when a loopback address accepts, false and why when none does, nil
-- when there is no loopback address to try.
local function connects(addresses, port)
    local ok, problem
    for _, a in ipairs(addresses) do
        if a:match("^127%.%d+%.%d+%.%d+$") or a == "::1" then   -- the others are never touched
            local tcp = assert((a == "::1" and socket.tcp6 or socket.tcp)())
            tcp:settimeout(CONNECT_TIMEOUT)
            ok, problem = tcp:connect(a, port)
            tcp:close()
            if ok then return true end
        end
    end
    if problem then return false, problem end
end

local candidates, marked = resolve(), {}
print("; probing " .. name .. " in order")
for _, c in ipairs(candidates) do
    local where, status = c.target .. ":" .. c.port
    local ok, problem = connects(c.addresses, c.port)
    if ok then
        status = "up"
    elseif ok == nil then
        status = c.address_error and "not probed (no address: " .. c.address_error .. ")"
            or "not probed (not loopback)"
    else
        -- A mark does not drop the target: it goes behind every other
        -- candidate, so it is still tried when everything else fails.
        r:mark_down(c.target, c.port, DOWN_SECONDS)
        marked[where] = true
        status = "down (" .. problem .. "), marked down"
    end
    print(string.format("%-40s %s", where, status))
end

-- The answer comes from the cache now; the marks apply to every resolve.
print("; order after the marks")
for i, c in ipairs(resolve()) do
    local where = c.target .. ":" .. c.port
    print(string.format("%2d. %s%s", i, where, marked[where] and " (marked down)" or ""))
end
