-- What the Lua specs share: the knotd the test rig started, and resolvers on it.
local srv = require "srv"

local env = {}

env.server = os.getenv("SRV_TEST_SERVER")

-- A resolver on the rig's knotd; extra options are merged in.
function env.resolver(opts)
    assert(env.server, "SRV_TEST_SERVER is not set: run the specs through spec/support/with-knotd.sh (make test)")
    local o = { servers = { env.server }, timeout = 1, tries = 2 }
    for k, v in pairs(opts or {}) do o[k] = v end
    return assert(srv.resolver(o))
end

-- Targets of a candidate or record list, in order.
function env.targets(list)
    local out = {}
    for i, c in ipairs(list) do out[i] = c.target end
    return out
end

-- A clock the specs move by hand (opts.clock), for cache expiry without sleeping.
function env.clock(start)
    local now = start or 1000
    local clock = {}
    function clock.now() return now end
    function clock.advance(seconds) now = now + seconds end
    return clock
end

return env
