-- prefer_ipv6.lua: a policy that tries, inside each SRV priority, the targets
-- that have an IPv6 address (AAAA) before the IPv4-only ones.
--
-- A policy script: `srv-run lookup` loads it with --policy.
--
--   build/srv-run lookup _xmpp-client._tcp.v6.scripts.test \
--       --zone spec/fixtures/scripts.test.zone --seed 1 --addresses --policy scripts/prefer_ipv6.lua
local srv = require "srv"

-- Settings ------------------------------------------------------------------
-- true: only targets with an IPv6 address and no IPv4 one count as IPv6
-- (for a client on an IPv6-only network).
local IPV6_ONLY = false
-------------------------------------------------------------------------------

local function families(addresses)
    local v4, v6 = false, false
    for _, a in ipairs(addresses) do
        if a:find(":", 1, true) then v6 = true else v4 = true end
    end
    return v4, v6
end

-- A policy may make blocking calls on ctx.resolver: they drive the resolver
-- and the answers go to its cache, so `--addresses` afterwards costs nothing
-- more. A target whose addresses cannot be found is not an error here: it
-- just is not preferred, and the client meets the failure when it gets there.
local function has_ipv6(candidate, ctx)
    local addresses = ctx.resolver:addresses(candidate.target)
    if not addresses then return false end
    local v4, v6 = families(addresses)
    return v6 and not (IPV6_ONLY and v4)
end

-- prefer with a function: matching targets move to the front of their
-- priority, the weighted order is kept among them and among the rest, and
-- no target crosses a priority boundary.
return srv.policy { prefer = has_ipv6 }
