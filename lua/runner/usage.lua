-- srv.run.usage: srv-run's help text, and the one-line usage error.
local exit = require "srv.run.exit"

local M = {}

M.SHORT = "usage: srv-run SCRIPT [ARGS...] | srv-run lookup NAME [OPTIONS] | srv-run --help"

M.TEXT = [[
usage: srv-run SCRIPT [ARGS...]
       srv-run lookup NAME [OPTIONS]
       srv-run --help | --version

srv-run SCRIPT runs a Lua 5.4 script with the srv module built in (SCRIPT "-"
reads standard input). arg and ... hold ARGS; tasks started with srv.spawn are
waited for when the script ends.

srv-run lookup prints the candidates of an SRV name in the order to try them.
NAME is _service._proto.domain, or three words: service proto domain.
  --server IP[:PORT]   ask this DNS server (repeatable; default: /etc/resolv.conf)
  --zone FILE          answer from a zone file instead of DNS (no network)
  --timeout SECONDS    the first try's timeout (default 2; doubled for each
                       further round of tries on c-ares 1.18)
  --tries N            tries per server (default 2)
  --seed N             seed of the random order: the same N and the same
                       answer give the same order
  --policy FILE        a Lua script returning a policy (srv.policy{...} or a function),
                       run in a sandbox with an instruction budget
  --budget N           instructions a policy may run per call (default 100000000)
  --no-sandbox         run the policy file with all of Lua and no budget
  --down TARGET[:PORT] mark a target down (repeatable; no PORT: every port)
  --addresses          look up the targets' A and AAAA addresses
  --no-fallback        no fallback to the domain when there are no SRV records
  --xmpp client|server the XMPP candidates of the domain NAME (XEP-0368 merge)
  --turn URI           the TURN candidates of a turn:/turns: URI (no NAME)
  --stun URI           the STUN candidates of a stun:/stuns: URI (no NAME)
  --json               JSON instead of text
  --simulate N         draw the order N times: how often each target comes in
                       each position, next to what RFC 2782 predicts
  --explain            why each candidate is where it is

Exit status: 0 success, 1 script or policy error, 2 usage error (also a name
outside the zones of --zone), 3 no such name or no SRV records (NXDOMAIN,
NODATA), 4 service not available
(NOSERVICE), 5 network failure (TIMEOUT, SERVFAIL, REFUSED, ...),
130 interrupted.
]]

-- Prints "srv-run: message" and the short usage on stderr; returns USAGE.
function M.error(progname, message)
    io.stderr:write(progname, ": ", message, "\n", M.SHORT, "\n")
    return exit.USAGE
end

return M
