-- pin.lua: a policy that puts one preferred host first, whatever its SRV
-- priority (an operator's "always try this one first").
--
-- A policy script: `srv-run lookup` loads it with --policy and uses the
-- policy it returns.
--
--   build/srv-run lookup _xmpp-client._tcp.example.net \
--       --zone docs/examples/example.net.zone --seed 1 --policy scripts/pin.lua
--
-- From Lua: r:resolve(name, { policy = dofile("scripts/pin.lua") }).
local srv = require "srv"

-- Settings ------------------------------------------------------------------
-- Hosts to put first, in this order (exact names, any port). To pin another
-- host without editing the file: --policy-arg pin=HOST with srv-run, or
-- loadfile("scripts/pin.lua")({ pin = HOST }) from Lua.
local settings = ... or {}
local PIN = { settings.pin or "server3.example.net" }
-------------------------------------------------------------------------------

-- Why `pin` and not `prefer`: prefer only reorders inside one priority, so
-- it cannot lift a priority-10 host above a priority-5 one; pin does. The
-- other candidates keep their RFC 2782 order, so if the pinned host fails
-- the client goes on exactly as it would have without the policy.
-- A pinned host missing from the answer is simply not there: pin never adds
-- candidates (use `fallback` for that, see exclude_fallback.lua).
return srv.policy { pin = PIN }
