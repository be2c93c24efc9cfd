-- xmpp_client.lua: the order in which an XMPP client tries to connect to a
-- domain, direct TLS (XEP-0368, _xmpps-client) and STARTTLS (RFC 6120,
-- _xmpp-client) merged into one list.
--
--   build/srv-run scripts/xmpp_client.lua [--server IP[:PORT] | --zone FILE] [--seed N] DOMAIN
--   build/srv-run scripts/xmpp_client.lua --zone docs/examples/example.net.zone --seed 1 example.net
--
-- Exit status as `srv-run lookup`: 2 usage, 3 no such domain, 4 service
-- refused with ".", 5 DNS failure.
local srv = require "srv"
local source = require "srv.run.source"
local args = require "srv.run.args"
local exit = require "srv.run.exit"

-- Settings ------------------------------------------------------------------
local KIND = "client"     -- "server" for server-to-server (_xmpp-server, port 5269)
-------------------------------------------------------------------------------

local USAGE = "usage: xmpp_client.lua [--server IP[:PORT] | --zone FILE] [--seed N] DOMAIN"

local function usage(problem)
    io.stderr:write("xmpp_client.lua: ", problem, "\n", USAGE, "\n")
    os.exit(2)
end

local r, rest = source.resolver(arg)
if not r then usage(rest) end
-- No options of its own: any option left is unknown, wherever it is, and
-- one near a source option (--sed) is told which.
local options, operands = args.parse(rest, {}, false, source.OPTIONS)
if not options then usage(operands) end
rest = operands
if #rest ~= 1 then usage(#rest == 0 and "no domain given" or "one domain only") end
local domain = rest[1]

-- One call asks both names at once; the two answers are ordered together in
-- one RFC 2782 pass, so a priority-5 STARTTLS server still comes before a
-- priority-10 direct-TLS one: the zone's owner decides, not the protocol.
local candidates, message, code = r:resolve_xmpp(domain, KIND)
if not candidates then
    io.stderr:write("xmpp_client.lua: ", message, "\n")
    os.exit(exit.for_code(code))
end

print(string.format("; XMPP %s connection order for %s", KIND, domain))
for i, c in ipairs(candidates) do
    -- Direct TLS starts the TLS handshake at once; STARTTLS connects in the
    -- clear and upgrades. A fallback (no SRV records at all) is STARTTLS on
    -- the default port, as RFC 6120 says.
    print(string.format("%2d. %s port %d %s%s", i, c.target, c.port,
        c.tls and "direct TLS" or "STARTTLS", c.source == "fallback" and " (fallback: no SRV records)" or ""))
end
