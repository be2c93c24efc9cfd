-- srv.run.source: where answers come from, chosen on the command line the
-- same way by `srv-run lookup` and by the example scripts:
--   --server IP[:PORT]   (repeatable) ask these DNS servers
--   --zone FILE          answer from a zone file, no network
--   --timeout SECONDS    the first try's timeout (see docs/srv-run.md)
--   --tries N            tries per server
--   --seed N             a fixed seed: the same answer gives the same order
-- Without --server and --zone the system's resolvers (/etc/resolv.conf) are asked.
local srv = require "srv"
local codes = require "srv.codes"
local args = require "srv.run.args"
local exit = require "srv.run.exit"
local usage = require "srv.run.usage"

local M = {}

M.OPTIONS = {
    server = { kind = "string", list = true },
    zone = { kind = "string" },
    timeout = { kind = "seconds" },
    tries = { kind = "positive_integer" },
    seed = { kind = "integer" },
}

-- The srv.resolver options the parsed command-line options ask for, with
-- extra (a table) merged in.
-- A --zone is a file, as srv.resolver's zone is (its text would be
-- zone_text): nil, message when it cannot be read.
function M.resolver_options(options, extra)
    if options.zone then
        -- io.open succeeds on a directory; the read says what it is.
        local file, problem = io.open(options.zone, "r")
        if file then
            local _, read_problem = file:read(1)
            file:close()
            if read_problem then problem = options.zone .. ": " .. read_problem end
        end
        if not file or problem then return nil, "cannot read the zone file: " .. problem end
    end
    local o = { servers = options.server, zone = options.zone, seed = options.seed }
    if options.timeout then o.timeout = options.timeout end
    if options.tries then o.tries = options.tries end
    for k, v in pairs(extra or {}) do o[k] = v end
    return o
end

-- The message for a resolver that could not be made: a zone that does not
-- parse is named, the parser only knows lines and columns.
function M.problem(options, msg, code)
    if code == codes.PARSE and options.zone then return options.zone .. ": " .. msg end
    return msg
end

-- For a command (srv-run connect, watch): the resolver resolver_options
-- ask for; or nil and the exit status, the problem reported on stderr (as
-- a usage error when the command line is at fault).
function M.open(progname, options, resolver_options)
    local r, msg, code = srv.resolver(resolver_options)
    if r then return r end
    msg = M.problem(options, msg, code)
    if exit.for_code(code) == exit.USAGE then return nil, usage.error(progname, msg) end
    io.stderr:write(progname, ": ", msg, "\n")
    return nil, exit.for_code(code)
end

-- For scripts: takes the source options out of argv (a script's `arg` or
-- `{...}`) and returns a resolver and the other words, in order; or nil and
-- a one-line message (bad option value, unreadable zone, bad server).
--   local r, rest = require("srv.run.source").resolver(arg)
function M.resolver(argv, extra)
    if type(argv) ~= "table" then
        error("bad argument #1 to 'resolver' (table expected, got " .. type(argv) .. ")", 2)
    end
    local list = table.move(argv, 1, #argv, 1, {})
    local options, rest = args.parse(list, M.OPTIONS, true)
    if not options then return nil, rest end
    if options.server and options.zone then return nil, "--server and --zone exclude each other" end
    local resolver_options, problem = M.resolver_options(options, extra)
    if not resolver_options then return nil, problem end
    local r, msg, code = srv.resolver(resolver_options)
    if not r then return nil, M.problem(options, msg, code) end
    return r, rest
end

return M
