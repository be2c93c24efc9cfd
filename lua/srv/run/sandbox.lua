-- srv.run.sandbox: how `srv-run lookup --policy FILE` runs a policy file.
--
-- By default the file runs in a restricted environment: Lua's safe base
-- functions, string/table/math/utf8/coroutine, os.time/clock/date/difftime/
-- getenv, print, and require for srv's own Lua modules only. Nothing that
-- runs commands (os.execute, io.popen), touches files (io, dofile, loadfile,
-- os.remove), loads C code (require of C modules, package) or bytecode (load
-- takes text only), and no debug library. Every call of the policy, and the
-- loading of the file, get an instruction budget: a loop that never ends
-- fails the lookup with POLICY instead of hanging it. --no-sandbox runs the
-- file as a script (all of Lua, no budget), for a policy that needs more.
local M = {}

M.DEFAULT_BUDGET = 100000000   -- instructions: about a second of plain Lua
local STEP = 1000              -- the hook runs every STEP instructions

local real_pcall, real_xpcall, real_error = pcall, xpcall, error

local function copy(t)
    local out = {}
    for k, v in pairs(t) do out[k] = v end
    return out
end

-- A budget: the error object it raises, and a hook that raises it once
-- `limit` instructions have run in the threads it is set on.
local function new_budget(limit)
    local budget = setmetatable({ used = 0 }, {
        __tostring = function() return string.format("the policy ran out of its budget of %d instructions", limit) end,
    })
    budget.hook = function()
        budget.used = budget.used + STEP
        if budget.used > limit then real_error(budget, 0) end
    end
    return budget
end

-- The budget in force for the code running now (the policy's, while it runs).
local current

-- pcall/xpcall for sandboxed code: they cannot catch the budget's error,
-- or a policy could loop around a pcall for ever.
local function rethrow_budget(ok, ...)
    if not ok and current and (...) == current then real_error(current, 0) end
    return ok, ...
end

local function sandbox_pcall(f, ...)
    return rethrow_budget(real_pcall(f, ...))
end

local function sandbox_xpcall(f, handler, ...)
    local function guarded(err)
        if current and err == current then return err end
        return handler(err)
    end
    return rethrow_budget(real_xpcall(f, guarded, ...))
end

-- Coroutines the policy makes run under the same budget.
local function sandbox_coroutine()
    local co = copy(coroutine)
    function co.create(f)
        local thread = coroutine.create(f)
        if current then debug.sethook(thread, current.hook, "", STEP) end
        return thread
    end
    function co.wrap(f)
        local thread = co.create(f)
        return function(...)
            local results = table.pack(coroutine.resume(thread, ...))
            if not results[1] then real_error(results[2], 0) end
            return table.unpack(results, 2, results.n)
        end
    end
    return co
end

-- srv and its Lua modules as built into srv-run (package.preload: never a
-- file that LUA_PATH or the current directory could supply); not srv.core
-- (C) nor srv.run.* (they read and run files).
local function is_allowed_module(name)
    if type(name) ~= "string" or package.preload[name] == nil then return false end
    if name == "srv" then return true end
    return name:match("^srv%.") ~= nil and name ~= "srv.core" and name:match("^srv%.run%.") == nil
end

local function new_environment()
    local env = {}
    for _, name in ipairs { "assert", "error", "ipairs", "next", "pairs", "rawequal", "rawget", "rawlen",
                            "rawset", "select", "tonumber", "tostring", "type", "_VERSION" } do
        env[name] = _G[name]
    end
    -- A finalizer would run policy code at some later collection, outside
    -- the budget (or at exit, where a loop would hang srv-run).
    env.setmetatable = function(t, mt)
        if type(mt) == "table" and rawget(mt, "__gc") ~= nil then
            real_error("a sandboxed policy cannot set __gc", 2)
        end
        return setmetatable(t, mt)
    end
    -- print goes to stderr: a policy's debugging output must not mix with
    -- the candidates (or break --json).
    env.print = function(...)
        local n = select("#", ...)
        local parts = table.pack(...)
        for i = 1, n do parts[i] = tostring(parts[i]) end
        io.stderr:write(table.concat(parts, "\t", 1, n), "\n")
    end
    env.pcall, env.xpcall = sandbox_pcall, sandbox_xpcall
    -- The string metatable is shared with the runner: not the policy's to change.
    env.getmetatable = function(value)
        if type(value) == "string" then return nil end
        return getmetatable(value)
    end
    env.string, env.table, env.math, env.utf8 = copy(string), copy(table), copy(math), copy(utf8)
    env.coroutine = sandbox_coroutine()
    env.os = { time = os.time, clock = os.clock, date = os.date, difftime = os.difftime, getenv = os.getenv }
    env.require = function(name)
        if not is_allowed_module(name) then
            real_error(string.format("module '%s' is not available to a sandboxed policy", tostring(name)), 2)
        end
        return require(name)
    end
    env.load = function(chunk, chunkname, _, chunk_env)
        return load(chunk, chunkname, "t", chunk_env or env)
    end
    env._G = env
    return env
end

local function budget_done(...)
    debug.sethook()
    current = nil
    return ...
end

-- Runs fn(...) under budget in the running thread. An error is not caught
-- here, so that the traceback the caller takes shows where it happened; the
-- policy's thread ends with it, and load_policy clears the hook itself.
local function with_budget(budget, fn, ...)
    current = budget
    debug.sethook(budget.hook, "", STEP)
    return budget_done(fn(...))
end

-- M.load_policy(path, { sandbox = true|false, budget = instructions }) ->
-- a policy (callable), or nil and a message. The message of an error in the
-- file has the file's own traceback.
function M.load_policy(path, opts)
    local traceback = require("srv.run.script").traceback
    local sandboxed = opts.sandbox ~= false
    local limit = opts.budget or M.DEFAULT_BUDGET
    local file, problem = io.open(path, "r")
    if not file then return nil, problem end
    local text = file:read("a")
    file:close()
    local chunk
    if sandboxed then
        chunk, problem = load(text, "@" .. path, "t", new_environment())
    else
        chunk, problem = load(text, "@" .. path, "bt")
    end
    if not chunk then return nil, problem end
    local ok, policy
    if sandboxed then
        -- In a thread of its own: the budget's hook must not replace the
        -- main thread's (srv-run's Ctrl-C check).
        local thread = coroutine.create(function()
            return real_xpcall(function() return with_budget(new_budget(limit), chunk) end, traceback)
        end)
        local resumed
        resumed, ok, policy = coroutine.resume(thread)
        if not resumed then
            ok, policy = false, ok
        elseif coroutine.status(thread) ~= "dead" then
            ok, policy = false, "a policy file must not yield"
        end
    else
        ok, policy = real_xpcall(chunk, traceback)
    end
    if not ok then return nil, "policy " .. path .. ": " .. tostring(policy) end
    if not require("srv.options").is_callable(policy) then
        return nil, string.format("policy %s returned %s, not a policy (srv.policy{...} or a function)",
                                  path, type(policy))
    end
    if not sandboxed then return policy end
    return function(candidates, ctx)
        return with_budget(new_budget(limit), policy, candidates, ctx)
    end
end

return M
