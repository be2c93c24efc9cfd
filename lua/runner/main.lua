-- srv.run.main: srv-run's command line. The C program (lua/runner/srv-run.c)
-- builds the Lua state and calls this with its name, its arguments and the
-- versions it was built with; the result is the exit status.
--
--   srv-run SCRIPT [ARGS...]      run a Lua script with srv built in ("-": stdin)
--   srv-run lookup NAME [OPTIONS] show the ordered candidates of a service
--   srv-run connect NAME [OPTIONS] race connections to a service (r:connect)
--   srv-run watch NAME [OPTIONS]  show a service's candidates as they change
--   srv-run --help | --version
local srv = require "srv"
local exit = require "srv.run.exit"
local usage = require "srv.run.usage"
local options = require "srv.options"

-- A first word that names no file may be a command mistyped or left out:
-- "srv-run lokup NAME", "srv-run _xmpp-client._tcp.example.net --zone f",
-- "srv-run @127.0.0.1 NAME". Returns the usage problem, or nil to run it as
-- a script (which then says it cannot be opened).
local function not_a_script(first, rest)
    local file = io.open(first, "r")
    if file then
        file:close()
        return nil
    end
    local example = table.concat(rest, " ", 1, math.min(#rest, 3)) .. (#rest > 3 and " ..." or "")
    local command = options.nearest(first, { "lookup", "connect", "watch" })
    if command then
        return string.format("no script or command '%s'; did you mean 'srv-run %s%s'?",
                             first, command, #rest > 0 and " " .. example or "")
    end
    -- An SRV name (_service._proto.domain) or a server, dig's way.
    if first:match("^_[^.]+%._[^.]+%.") or first:match("^@.") then
        return string.format("no script or command '%s'; to look a name up: 'srv-run lookup %s'",
                             first, #rest > 0 and first .. " " .. example or first .. " ...")
    end
    return nil
end

local function version(build)
    return string.format("srv-run %s (%s, c-ares %s)", srv.version, build.lua, build.cares)
end

return function(progname, argv, build)
    local first = argv[1]
    local rest = table.move(argv, 2, #argv, 1, {})
    if first == nil then
        return usage.error(progname, "no script or command given")
    elseif first == "--help" or first == "-h" then
        io.stdout:write(usage.TEXT)
        return exit.OK
    elseif first == "--version" then
        io.stdout:write(version(build), "\n")
        return exit.OK
    elseif first == "lookup" then
        return require("srv.run.lookup").main(progname, rest)
    elseif first == "connect" then
        return require("srv.run.connect").main(progname, rest)
    elseif first == "watch" then
        return require("srv.run.watch").main(progname, rest)
    elseif first == "--" then
        if rest[1] == nil then return usage.error(progname, "no script given after --") end
        return require("srv.run.script").run(progname, rest[1], table.move(rest, 2, #rest, 1, {}))
    elseif first ~= "-" and first:sub(1, 1) == "-" then
        -- srv-run's own options, --help and --version: a misspelt one is
        -- told which, as a command's options are (srv.run.args).
        return usage.error(progname, require("srv.run.args").unknown_option(
            first, first:match("^%-%-?([^=]*)"), { help = true, version = true }))
    elseif first ~= "-" then
        local problem = not_a_script(first, rest)
        if problem then return usage.error(progname, problem) end
    end
    return require("srv.run.script").run(progname, first, rest)
end
