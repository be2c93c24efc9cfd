-- exclude_fallback.lua: a policy that never uses one host (being retired,
-- say) and appends fixed host:port entries to try when every SRV target has
-- failed.
--
-- A policy script: `srv-run lookup` loads it with --policy.
--
--   build/srv-run lookup _xmpp-client._tcp.example.net \
--       --zone docs/examples/example.net.zone --seed 1 --policy scripts/exclude_fallback.lua
local srv = require "srv"

-- Settings ------------------------------------------------------------------
-- Targets never to use: exact names, or Lua patterns in lower case
-- ("server[12]%.example%.net").
local EXCLUDE = { "server1.example.net" }
-- Tried last, in this order: "host:port" or "[v6]:port".
local FALLBACK = { "relay.example.org:5222", "relay.example.org:443" }
-------------------------------------------------------------------------------

-- exclude runs before fallback, so the fallbacks are there even when the
-- excluded host was the only target: the client still has somewhere to go.
-- They come after every SRV priority (priority 65535), because the zone's
-- owner's choices come first; an entry already in the answer is not added
-- twice. They apply only when DNS answered: an NXDOMAIN for a service with
-- no default port, or a DNS failure, is returned as it is.
return srv.policy { exclude = EXCLUDE, fallback = FALLBACK }
