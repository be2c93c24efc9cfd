-- prefer_site.lua: a policy that prefers the targets of one site, told by a
-- name suffix (".ams.example.net"), inside each SRV priority.
--
-- A policy script: `srv-run lookup` loads it with --policy. The suffix comes
-- from --policy-arg site=SUFFIX when given (from Lua, the file's argument:
-- loadfile(...)({ site = SUFFIX })), so the same file serves every site:
--
--   build/srv-run lookup _xmpp-client._tcp.sites.scripts.test --zone spec/fixtures/scripts.test.zone \
--       --seed 1 --policy scripts/prefer_site.lua --policy-arg site=.ams.scripts.test
local srv = require "srv"

-- Settings ------------------------------------------------------------------
-- The site's name suffix; a leading dot is added when missing, so "ams.x"
-- does not match "xams.x".
local settings = ... or {}
local SITE = settings.site or ".ams.example.net"
-------------------------------------------------------------------------------

-- A bad setting fails here, when the policy is loaded, not on every lookup.
SITE = SITE:lower():gsub("%.$", "")
if not SITE:match("[^.]") then error("prefer_site.lua: SITE is empty", 0) end
if SITE:sub(1, 1) ~= "." then SITE = "." .. SITE end

-- srv.policy matches a string that is not a plain name as a Lua pattern
-- against the whole target (lower case, no trailing dot): escape the suffix
-- and let anything come before it.
local pattern = ".*" .. SITE:gsub("%p", "%%%0")

-- Why prefer: it reorders only inside a priority, and keeps the weighted
-- order among the site's targets and among the others. The zone's
-- priorities still win: a local backup never jumps ahead of a remote
-- primary (use pin for that).
return srv.policy { prefer = pattern }
