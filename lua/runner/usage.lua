-- srv.run.usage: srv-run's help text, and the one-line usage error.
local exit = require "srv.run.exit"
local format = require "srv.run.format"

local M = {}

M.SHORT = "usage: srv-run SCRIPT [ARGS...] | srv-run lookup NAME [OPTIONS] | srv-run connect NAME [OPTIONS] | srv-run watch NAME [OPTIONS] | srv-run --help"

M.TEXT = [[
usage: srv-run SCRIPT [ARGS...]
       srv-run lookup NAME [OPTIONS]
       srv-run connect NAME [OPTIONS]
       srv-run watch NAME [OPTIONS]
       srv-run --help | --version

srv-run SCRIPT runs a Lua 5.4 script with the srv module built in (SCRIPT "-"
reads standard input). arg and ... hold ARGS; tasks started with srv.spawn are
waited for when the script ends.

srv-run lookup prints the candidates of an SRV name in the order to try them.
NAME is _service._proto.domain, or three words: service proto domain.
  --server IP[:PORT]   ask this DNS server (repeatable; default: /etc/resolv.conf);
                       @IP[:PORT] is the same, as dig writes it
  --zone FILE          answer from a zone file instead of DNS (no network)
  --timeout SECONDS    the first try's timeout (default 2; doubled for each
                       further round of tries on c-ares 1.18)
  --tries N            tries per server (default 2)
  --seed N             seed of the random order: the same N and the same
                       records give the same order
  --policy FILE        a Lua script returning a policy (srv.policy{...} or a function),
                       run in a sandbox with an instruction budget
  --policy-arg NAME=VALUE  a setting for the policy file, which gets them all
                       as a table, its argument ... (repeatable)
  --budget N           instructions a policy may run per call (default 100000000)
  --policy-seconds S   wall time a policy may take per call (default 10)
  --policy-memory MIB  memory a policy may use (default 256)
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

srv-run connect races TCP connections to the candidates of NAME (Happy
Eyeballs, RFC 8305 and XEP-0495) and prints the race: each attempt's start,
end and outcome, the winner and the time to connect; then closes it. It takes
--server, --zone, --tries, --seed, the --policy options, --xmpp and --json
as lookup does, and:
  --timeout SECONDS    the whole connection's timeout (default 30), not a DNS try's
  --attempt-delay SECONDS  between attempt starts (default 0.25; 0.1 to 2)
  --resolution-delay SECONDS  how long an A answer waits for the AAAA answer (default 0.05)
  --connect-timeout SECONDS  one attempt's timeout (default: none)
  --family any|inet|inet6  the addresses to try (default any)

srv-run watch prints the candidates of an SRV name, then each change as DNS
changes (refreshed when the TTL runs out), each with the time, until Ctrl-C.
It takes lookup's options but --down, --xmpp, --turn, --stun, --simulate and
--explain (--json: one JSON object per line), and:
  --min-ttl SECONDS    refresh no more often than this (default 5)
  --max-ttl SECONDS    refresh at least this often (default 3600)
  --jitter FRACTION    lengthen each wait by up to this fraction (default 0.1)
  --failure-refresh SECONDS
                       retry after a failure (default 5; doubled per failure
                       in a row, up to 8 times this)

Exit status: 0 success, 1 script or policy error, 2 usage error (also a name
outside the zones of --zone), 3 no such name or no SRV records (NXDOMAIN,
NODATA), 4 service not available
(NOSERVICE), 5 network failure (TIMEOUT, SERVFAIL, REFUSED, ...),
6 no connection (connect: every attempt failed, or none in time), 130 interrupted.
]]

-- Prints "srv-run: message" and the short usage on stderr; returns USAGE.
-- The message quotes words of the command line (an option, a value, a file
-- name), escaped as everything else srv-run shows: a word pasted from
-- elsewhere cannot drive the terminal.
function M.error(progname, message)
    io.stderr:write(progname, ": ", format.escape(message, true), "\n", M.SHORT, "\n")
    return exit.USAGE
end

return M
