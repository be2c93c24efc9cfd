-- turn_transports.lua: the TURN servers to try for a URI (RFC 7065), UDP
-- first, then TCP, then TLS, with the SRV order inside each transport.
--
--   build/srv-run scripts/turn_transports.lua [--server IP[:PORT] | --zone FILE] [--seed N]
--       [--transports udp,tcp,tls] URI
--   build/srv-run scripts/turn_transports.lua --zone docs/examples/example.net.zone --seed 1 turn:example.net
--
-- URI is turn:host, turns:host, turn:host?transport=tcp, ... or a bare host.
-- Exit status as `srv-run lookup`: 2 usage (a bad URI too), 3 no SRV
-- records and no fallback, 4 refused with ".", 5 DNS failure.
local source = require "srv.run.source"
local exit = require "srv.run.exit"
local args = require "srv.run.args"

-- Settings ------------------------------------------------------------------
-- Preference order. UDP first: TURN over UDP relays media with the least
-- latency; TCP gets through firewalls that drop UDP; TLS on 5349 gets through
-- proxies that only let TLS out. (dtls is left out: few servers offer it.)
local TRANSPORTS = { "udp", "tcp", "tls" }
-------------------------------------------------------------------------------

local USAGE = "usage: turn_transports.lua [--server IP[:PORT] | --zone FILE] [--seed N] [--transports LIST] URI"

local function usage(problem)
    io.stderr:write("turn_transports.lua: ", problem, "\n", USAGE, "\n")
    os.exit(2)
end

local r, rest = source.resolver(arg)
if not r then usage(rest) end
local options, operands = args.parse(rest, { transports = { kind = "string" } }, false, source.OPTIONS)
if not options then usage(operands) end
if #operands ~= 1 then usage(#operands == 0 and "no URI given" or "one URI only") end
if options.transports then
    TRANSPORTS = {}
    for name in options.transports:gmatch("[^,%s]+") do
        if name ~= "udp" and name ~= "tcp" and name ~= "tls" and name ~= "dtls" then
            usage("unknown transport " .. name)
        end
        TRANSPORTS[#TRANSPORTS + 1] = name
    end
    if #TRANSPORTS == 0 then usage("--transports lists no transport") end
end
local uri = operands[1]

-- The transports the URI allows are asked at once; each one's records are
-- ordered on their own and the transports follow TRANSPORTS, as RFC 5928
-- builds its list. A transport without SRV records falls back to the host on
-- its default port (3478, 5349 for TLS); one refused with "." is left out.
local candidates, message, code = r:resolve_turn(uri, { transports = TRANSPORTS })
if not candidates then
    io.stderr:write("turn_transports.lua: ", message, "\n")
    os.exit(exit.for_code(code))
end

print(string.format("; TURN servers for %s, transports in the order %s", uri, table.concat(TRANSPORTS, ", ")))
for i, c in ipairs(candidates) do
    print(string.format("%2d. %-4s %s port %d%s", i, c.transport, c.target, c.port,
        c.source == "fallback" and " (fallback: no SRV records)" or ""))
end
