-- batch.lua: resolve one service for many domains at once and print a table:
-- each domain's first target and candidate count, or why it failed.
--
--   build/srv-run scripts/batch.lua [--server IP[:PORT] | --zone FILE] [--seed N]
--       [--service NAME] [--proto PROTO] DOMAIN...
--   build/srv-run scripts/batch.lua --zone docs/examples/example.net.zone --seed 1 example.net nosrv.example.net example.org
--   build/srv-run scripts/batch.lua --zone docs/examples/example.net.zone < domains.txt
--
-- Without DOMAIN words the domains are read from stdin, one per line ("#"
-- starts a comment). Rows come in input order. Exit status: 0 when the
-- table is printed (failures are rows in it), 2 usage.
local srv = require "srv"
local source = require "srv.run.source"
local args = require "srv.run.args"

-- Settings ------------------------------------------------------------------
local SERVICE = "xmpp-client"   -- --service overrides it
-------------------------------------------------------------------------------

local USAGE = "usage: batch.lua [--server IP[:PORT] | --zone FILE] [--seed N] [--service NAME] [--proto PROTO] DOMAIN..."

local function usage(problem)
    io.stderr:write("batch.lua: ", problem, "\n", USAGE, "\n")
    os.exit(2)
end

local r, rest = source.resolver(arg)
if not r then usage(rest) end
-- source.OPTIONS: a misspelt source option (--zome) reaches this parse, and
-- is told the one it is near.
local options, domains = args.parse(rest, { service = { kind = "string" }, proto = { kind = "string" } },
                                    false, source.OPTIONS)
if not options then usage(domains) end
local service = (options.service or SERVICE):gsub("^_", "")
-- The protocol srv knows for the service (tcp for xmpp-client), else tcp.
local known = srv.services[service]
local proto = options.proto or (known and known[1].proto) or "tcp"
if #domains == 0 then
    for line in io.lines() do
        local domain = line:gsub("#.*", ""):match("^%s*(%S+)%s*$")
        if domain then domains[#domains + 1] = domain end
    end
end
if #domains == 0 then usage("no domain given, neither as arguments nor on stdin") end

-- One task per domain: each r:resolve suspends only its own task, so every
-- query is on the wire at once and the whole batch takes about as long as
-- the slowest domain. Results go into a slot per input position, so the
-- table keeps the input order whatever order the answers come in.
local outcomes = {}
for i, domain in ipairs(domains) do
    srv.spawn(function()
        local candidates, _, code = r:resolve(service, proto, domain)
        if not candidates then
            outcomes[i] = code
        else
            local first = candidates[1]
            outcomes[i] = string.format("%s:%d (%d candidate%s%s)", first.target, first.port, #candidates,
                #candidates == 1 and "" or "s", first.source == "fallback" and ", fallback" or "")
        end
    end)
end
srv.wait()

local width = #"DOMAIN"
for _, domain in ipairs(domains) do width = math.max(width, #domain) end
print(string.format("; _%s._%s, %d domain%s", service, proto, #domains, #domains == 1 and "" or "s"))
print(string.format("%-" .. width .. "s  %s", "DOMAIN", "OUTCOME"))
for i, domain in ipairs(domains) do
    print(string.format("%-" .. width .. "s  %s", domain, outcomes[i]))
end
