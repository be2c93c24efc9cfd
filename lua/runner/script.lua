-- srv.run.script: `srv-run SCRIPT [ARGS...]`, a script run as lua5.4 runs
-- it (arg, ...), plus a scheduler: when the chunk returns, the runner waits
-- for the tasks it spawned (srv.spawn), so straight-line code in tasks runs
-- concurrently without the script driving anything itself.
local task = require "srv.task"
local exit = require "srv.run.exit"

local M = {}

-- An error value as text: a string as it is, an object by its __tostring,
-- anything else by its type (as lua5.4 reports them).
local function describe(err)
    if type(err) == "string" then return err end
    local mt = debug.getmetatable(err)   -- the real one, as lua.c reads it
    if mt and mt.__tostring then
        local ok, text = pcall(tostring, err)
        if ok and type(text) == "string" then return text end
    end
    return string.format("(error object is a %s value)", type(err))
end

local function report(progname, err)
    io.stderr:write(progname, ": ", describe(err), "\n")
end

-- The traceback handler for user code run by srv-run (a script's chunk, a
-- policy file). Level 2 leaves out the handler itself.
local function traceback(message)
    if type(message) ~= "string" then return describe(message) end
    -- The frames below the script's own (the runner's) say nothing to its author.
    local text = debug.traceback(message, 2)
    local cut = text:find("\n\t%[C%]: in function 'xpcall'")
    return cut and text:sub(1, cut - 1) or text
end

M.traceback = traceback

-- A policy's error without the frames of srv itself: the policy runs
-- inside the library and the runner (the sandbox, the budget, the resolve
-- step), whose frames say nothing to the policy's author. A traceback left
-- with no frame of Lua code (a sandboxed policy's error carries its own
-- thread's traceback, then srv's) loses its header too.
function M.policy_frames_only(text)
    local out, section = {}, nil
    local function end_section()
        if section and not section.lua then
            for _ = section.start, #out do out[#out] = nil end
        end
    end
    for line in (text .. "\n"):gmatch("(.-)\n") do
        if line == "stack traceback:" then
            end_section()
            section = { start = #out + 1 }
            out[#out + 1] = line
        elseif not (line:match("^\tlua/srv[/.]") or line:match("^\tlua/runner/")
                    or line == "\t[C]: in function 'xpcall'"
                    or line == "\t(...tail calls...)") then
            if section and not line:match("^\t%[C%]: ") then section.lua = true end
            out[#out + 1] = line
        end
    end
    end_section()
    return table.concat(out, "\n")
end

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
    -- The scheduler: run until no task is left, tasks started by tasks
    -- included. Failed tasks are reported below, every one.
    if ok then ok, err = pcall(task.drive_all) end
    if not ok then
        task.abandon()
        report(progname, err)
        return exit.SCRIPT
    end
    -- A runner must not lose a failure nobody waited for.
    local status = exit.OK
    while true do
        local found, failure = task.unobserved_failure()
        if not found then break end
        report(progname, failure)
        status = exit.SCRIPT
    end
    return status
end

return M
