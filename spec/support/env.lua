-- What the Lua specs share: the knotd the test rig started, and resolvers on it.
local srv = require "srv"

local env = {}

env.server = os.getenv("SRV_TEST_SERVER")

-- c-ares 1.28 and later read every reply before srv does (ares_query_dnsrec;
-- docs/c-api.md, "c-ares versions"). The few behaviours that differ are
-- pinned per version with this.
-- c-ares 1.34 sends a try that follows a timeout from a new socket and
-- closes the old one, so a late answer to the earlier try is lost.
-- c-ares 1.34 holds every try to the timeout (docs/c-api.md, "Timeouts").
do
    local major, minor = srv.cares_version:match("^(%d+)%.(%d+)")
    local version = tonumber(major) * 100 + tonumber(minor)
    env.cares_reads_first = version >= 128
    env.cares_retries_from_new_socket = version >= 134
    -- ARES_OPT_MAXTIMEOUTMS: every try waits timeout, none doubles (1.34).
    env.cares_caps_timeouts = version >= 134
end

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
