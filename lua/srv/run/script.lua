-- srv.run.script: `srv-run SCRIPT [ARGS...]`, a script run as lua5.4 runs
-- it (arg, ...), plus a scheduler: when the chunk returns, the runner waits
-- for the tasks it spawned (srv.spawn), so straight-line code in tasks runs
-- concurrently without the script driving anything itself.
local srv = require "srv"
local task = require "srv.task"
local exit = require "srv.run.exit"

local M = {}

local function report(progname, message)
    io.stderr:write(progname, ": ", tostring(message), "\n")
end

-- The traceback handler for user code run by srv-run (a script's chunk, a
-- policy file). Level 2 leaves out the handler itself.
local function traceback(message)
    if type(message) ~= "string" then
        local mt = getmetatable(message)
        if mt and mt.__tostring then return tostring(message) end
        message = string.format("(error object is a %s value)", type(message))
    end
    -- The frames below the script's own (the runner's) say nothing to its author.
    local text = debug.traceback(message, 2)
    local cut = text:find("\n\t%[C%]: in function 'xpcall'")
    return cut and text:sub(1, cut - 1) or text
end

M.traceback = traceback

-- Runs path ("-" for standard input) with args; returns the exit status.
function M.run(progname, path, args)
    local chunk, problem = loadfile(path ~= "-" and path or nil)
    if not chunk then
        report(progname, problem)
        return exit.SCRIPT
    end
    local script_arg = { [-1] = progname, [0] = path }
    table.move(args, 1, #args, 1, script_arg)
    _G.arg = script_arg
    task.track_failures()

    local ok, err = xpcall(chunk, traceback, table.unpack(args))
    if ok then
        -- Errors of tasks that finished on their own are raised here too:
        -- a runner must not lose a failure nobody waited for.
        ok, err = xpcall(srv.wait, traceback)
    end
    if not ok then
        task.abandon()
        report(progname, err)
        return exit.SCRIPT
    end
    local status = exit.OK
    for failure in task.unobserved_failure do
        report(progname, failure)
        status = exit.SCRIPT
    end
    return status
end

return M
