-- srv.run.exit: srv-run's exit statuses, one per kind of failure, so a shell
-- script can tell "no such service" from "the network is down".
local codes = require "srv.codes"

local M = {
    OK = 0,
    SCRIPT = 1,      -- a script or policy raised, or a policy failed (POLICY)
    USAGE = 2,       -- bad command line: unknown option, bad value, bad name, unreadable zone file,
                     -- a name in none of the zones of --zone (NOTINZONE)
    NOT_FOUND = 3,   -- NXDOMAIN or NODATA (and no fallback applied)
    NOSERVICE = 4,   -- the target "." (service decidedly not available), or no usable record
    NETWORK = 5,     -- the DNS did not answer usefully: TIMEOUT, SERVFAIL, REFUSED, ...
    CONNECT = 6,     -- srv-run connect: every connection attempt failed, or none connected in time
}

local by_code = {
    [codes.NXDOMAIN] = M.NOT_FOUND, [codes.NODATA] = M.NOT_FOUND,
    [codes.NOSERVICE] = M.NOSERVICE,
    [codes.POLICY] = M.SCRIPT,
    [codes.BADNAME] = M.USAGE, [codes.BADURI] = M.USAGE, [codes.PARSE] = M.USAGE, [codes.BADSERVER] = M.USAGE,
    [codes.NOTINZONE] = M.USAGE,
}

-- The exit status for a failure code of srv ("NXDOMAIN", ...): every code
-- not named above is a failure to get an answer, NETWORK.
function M.for_code(code)
    return by_code[code] or M.NETWORK
end

return M
