-- srv.run.main: srv-run's command line. The C program (lua/runner/srv-run.c)
-- builds the Lua state and calls this with its name, its arguments and the
-- versions it was built with; the result is the exit status.
--
--   srv-run SCRIPT [ARGS...]      run a Lua script with srv built in ("-": stdin)
--   srv-run lookup NAME [OPTIONS] show the ordered candidates of a service
--   srv-run watch NAME [OPTIONS]  show a service's candidates as they change
--   srv-run --help | --version
local srv = require "srv"
local exit = require "srv.run.exit"
local usage = require "srv.run.usage"

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
    elseif first == "watch" then
        return require("srv.run.watch").main(progname, rest)
    elseif first == "--" then
        if rest[1] == nil then return usage.error(progname, "no script given after --") end
        return require("srv.run.script").run(progname, rest[1], table.move(rest, 2, #rest, 1, {}))
    elseif first ~= "-" and first:sub(1, 1) == "-" then
        return usage.error(progname, "unknown option " .. first)
    end
    return require("srv.run.script").run(progname, first, rest)
end
