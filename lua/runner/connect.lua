-- srv.run.connect: `srv-run connect NAME [OPTIONS]`, r:connect from the
-- command line: the race as a timeline (each attempt's start, end and
-- outcome, the winner, the time to connect), or as JSON. The connection is
-- closed at once: this shows how srv would connect, it talks no protocol.
local codes = require "srv.codes"
local args = require "srv.run.args"
local exit = require "srv.run.exit"
local usage = require "srv.run.usage"
local source = require "srv.run.source"
local json = require "srv.run.json"
local lookup = require "srv.run.lookup"
local format = require "srv.run.format"
local script = require "srv.run.script"

local M = {}

local OPTIONS = {
    -- "@IP[:PORT]" is --server, as for lookup (docs/srv-run.md, "Options").
    server = { kind = source.OPTIONS.server.kind, list = source.OPTIONS.server.list, at = true },
    zone = source.OPTIONS.zone,
    tries = source.OPTIONS.tries,
    seed = source.OPTIONS.seed,
    -- Here --timeout is the connection's (r:connect's timeout), not a DNS try's.
    timeout = { kind = "seconds" },
    ["attempt-delay"] = { kind = "seconds" },
    ["resolution-delay"] = { kind = "seconds" },
    ["connect-timeout"] = { kind = "seconds" },
    family = { kind = "string" },
    xmpp = { kind = "string" },
    json = { kind = "flag" },
    help = { kind = "flag" },
}
for name, option in pairs(lookup.POLICY_OPTIONS) do OPTIONS[name] = option end

local FAMILIES = { any = true, inet = true, inet6 = true }

local function endpoint(a)
    local address = a.family == "inet6" and "[" .. a.address .. "]" or a.address
    return string.format("%s %s:%d", a.target, address, a.port)
end

local function print_timeline(name, attempts, conn, code)
    io.stdout:write(string.format(";; %s: %d attempt%s\n", name, #attempts, #attempts == 1 and "" or "s"))
    for _, a in ipairs(attempts) do
        local ended = a.ended and string.format("%7.3f s", a.ended) or "      -  "
        local line = string.format("%7.3f s  %s  %-9s %s", a.started, ended, a.result, endpoint(a))
        if a.error and a.result ~= "cancelled" then line = line .. " (" .. a.error .. ")" end
        io.stdout:write(line, "\n")
    end
    if conn then
        io.stdout:write(string.format(";; connected to %s (%s) in %.3f s\n", endpoint(conn), conn.family,
                                      conn.elapsed))
    else
        io.stdout:write(";; not connected (", code, ")\n")
    end
end

local function attempt_objects(attempts)
    local list = {}
    for i, a in ipairs(attempts) do
        list[i] = { target = a.target, port = a.port, address = a.address, family = a.family,
                    started = a.started, ended = a.ended, result = a.result, error = a.error }
    end
    return list
end

function M.main(progname, argv)
    for _, word in ipairs(argv) do
        if word == "--" then break end
        if word == "-h" then argv = { "--help" } break end
    end
    local options, operands = args.parse(argv, OPTIONS)
    if not options then return usage.error(progname, operands) end
    if options.help then
        io.stdout:write(usage.TEXT)
        return exit.OK
    end
    if options.server and options.zone then return usage.error(progname, "--server and --zone exclude each other") end
    if #operands ~= 1 then return usage.error(progname, "connect takes one NAME") end
    local name = operands[1]
    if options.family and not FAMILIES[options.family] then
        return usage.error(progname, "bad value '" .. options.family .. "' for --family: any, inet or inet6 expected")
    end
    if options.xmpp and options.xmpp ~= "client" and options.xmpp ~= "server" then
        return usage.error(progname, "bad value '" .. options.xmpp .. "' for --xmpp: client or server expected")
    end
    local resolver_options, problem = source.resolver_options {
        server = options.server, zone = options.zone, tries = options.tries, seed = options.seed,
    }
    if not resolver_options then return usage.error(progname, problem) end
    local opts = {
        attempt_delay = options["attempt-delay"], resolution_delay = options["resolution-delay"],
        timeout = options.timeout,
        connect_timeout = options["connect-timeout"], family = options.family, xmpp = options.xmpp,
    }
    local policy, status = lookup.load_policy(progname, options)
    if policy == false then return status end
    opts.policy = policy
    local r, open_status = source.open(progname, options, resolver_options)
    if not r then return open_status end
    -- The failed attempts, for a failure's timeline (on_attempt sees each).
    local failed = {}
    opts.on_attempt = function(a) failed[#failed + 1] = a end
    local conn, msg, code = r:connect(name, opts)
    local attempts = conn and conn.attempts or failed
    if options.json then
        local out = { name = name, attempts = attempt_objects(attempts) }
        if conn then
            out.connected = { target = conn.target, port = conn.port, address = conn.address,
                              family = conn.family, elapsed = conn.elapsed }
        else
            out.error, out.code = msg, code
        end
        io.stdout:write(json.encode(out), "\n")
    elseif conn or #attempts > 0 then
        print_timeline(name, attempts, conn, code)
    end
    if conn then conn:close() end
    r:close()
    if conn then return exit.OK end
    -- A policy's message (or a name from DNS) may hold terminal escapes, and
    -- a policy's carries srv-run's frames: shown as lookup shows it
    -- (docs/policies.md, "What the srv-run sandbox allows").
    if code == codes.POLICY then msg = script.policy_frames_only(msg) end
    if code == codes.CONNECT or (code == codes.TIMEOUT and #attempts > 0) then
        if not options.json then io.stderr:write(progname, ": ", format.escape(msg, true), "\n") end
        return exit.CONNECT
    end
    local status = exit.for_code(code)
    -- A usage error says its message once, with the usage line.
    if status == exit.USAGE then return usage.error(progname, msg) end
    if not options.json then io.stderr:write(progname, ": ", format.escape(msg, true), "\n") end
    return status
end

return M
