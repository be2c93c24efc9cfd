-- srv: DNS SRV resolution with RFC 2782 ordering, policies and caching.
--
--   local srv = require "srv"
--   local r = srv.resolver { servers = { "127.0.0.1:5353" } }
--   local candidates = r:resolve("_xmpp-client._tcp.example.net")
--
-- Operational failures return nil, message, code; wrong argument types raise.
-- The C binding (srv.core) does DNS and ordering; everything a user may want
-- to change lives in these Lua modules.
local core = require "srv.core"
local resolver = require "srv.resolver"
local services = require "srv.services"
local policy = require "srv.policy"
local record = require "srv.record"
local task = require "srv.task"

local srv = {
    version = core.version,
    cares_version = core.cares_version,
    resolver = resolver.new,
    services = services.known,
    default_port = services.default_port,
    policy = policy.new,
    chain = policy.chain,
    matcher = policy.matcher,
    spawn = task.spawn,
    wait = task.wait,
}

-- srv.order(records [, seed | {seed=, strict=}]) -> a new array of the same
-- record tables in RFC 2782 order (no DNS); nil, msg, "NOSERVICE" when every
-- target is ".". Straight from the binding: it is measured against plain Lua.
srv.order = core.order

-- srv.parse(text) -> records (presentation format; several records on one
-- line allowed) or nil, msg, line.
function srv.parse(text)
    if type(text) ~= "string" then
        error("bad argument #1 to 'parse' (string expected, got " .. type(text) .. ")", 2)
    end
    local records, msg, line = core.parse(text)
    if not records then return nil, msg, line end
    return record.adopt_list(records)
end

return srv
