-- srv.run.sandbox: how `srv-run lookup --policy FILE` runs a policy file.
--
-- By default the file runs in a restricted environment, and so does every
-- call of the policy it returns:
--   * Lua's base functions that cannot reach outside the interpreter, copies
--     of string/table/math/utf8, a coroutine library whose threads share the
--     budget, os.time/clock/date/difftime (no os.getenv: the environment
--     holds secrets, and a lookup name can carry them out), print (to
--     stderr), and load of text only; settings come from --policy-arg, as
--     the file's argument;
--   * require "srv" gives a view of srv for building policies (policy,
--     chain, matcher, order, parse, services, default_port, version): no resolvers
--     (they would open files and sockets of the policy's choosing), no tasks;
--   * ctx.resolver is a stand-in offering the blocking lookups (lookup,
--     addresses; bounded per call in number and waiting), the health
--     marks (mark_down, mark_up; taken back after the call) and the passive
--     health state, to read (health; no report, whose state would outlive
--     the call) of the runner's resolver: no callbacks, which would run
--     later, outside the budget;
--   * ctx.trace is the call's own: only entries of the form srv.policy
--     writes reach srv-run's;
--   * getmetatable only shows metatables the policy set itself, and
--     setmetatable refuses __gc: srv's own metatables and finalizers are
--     out of reach;
--   * what the policy returns is copied, inside the budget, to plain
--     tables of strings, numbers and booleans, within srv-run's limits
--     (M.LIMITS): no code of the policy's (a metamethod, a function) runs
--     after it has returned, and srv-run's work on the result stays small.
-- Each call, and the running of the file, get an instruction budget, a
-- wall-time limit and a memory limit (the last two kept by srv-run's C side,
-- srv.run.guard): a loop that never ends, a pattern that backtracks for
-- ever or a huge string fails the lookup with POLICY instead of hanging it
-- or exhausting the machine. --no-sandbox runs the file as a script (all
-- of Lua, no limits).
local srv = require "srv"
local policy_module = require "srv.policy"
local options = require "srv.options"
local script = require "srv.run.script"
local format = require "srv.run.format"
-- srv-run's C side (lua/runner/srv-run.c); only srv-run has it, so this
-- module cannot be loaded from another Lua.
local guard = require "srv.run.guard"

local M = {}

M.DEFAULT_BUDGET = 100000000   -- instructions: about a second of plain Lua
M.DEFAULT_SECONDS = 10         -- wall time of one call, or of running the file
M.DEFAULT_MEMORY = 256         -- MiB the policy may add to what srv-run's Lua holds
-- coroutine.close inside coroutine.close (from a __close handler): Lua
-- 5.4.4 does not count these nested C calls, and a deep enough nesting
-- overflows the C stack (fixed in Lua 5.4.5).
M.MAX_NESTED_CLOSE = 100
local STEP = 1000              -- the hook runs every STEP instructions

-- What srv-run's C side raises on Ctrl-C: sandboxed code must not catch it.
local INTERRUPTED = "interrupted!"

local real_pcall, real_xpcall, real_error = pcall, xpcall, error
local real_create, real_resume, real_close = coroutine.create, coroutine.resume, coroutine.close
local sethook, getinfo, raw_getmetatable = debug.sethook, debug.getinfo, debug.getmetatable
local now = require("srv.core").now   -- seconds, monotonic

local function copy(t)
    local out = {}
    for k, v in pairs(t) do out[k] = v end
    return out
end

-- Threads running sandboxed code (the policy's, and those it makes). On
-- Ctrl-C, srv-run's C side keeps raising in such a thread at every
-- instruction rather than once (lua/runner/srv-run.c, stop_hook): a
-- __close handler that raises would replace a single "interrupted!", and a
-- pcall around it would catch its own error.
local sandboxed_threads = setmetatable({}, { __mode = "k" })
debug.getregistry()["srv.run.sandboxed"] = sandboxed_threads

-- A budget: the opaque error object it raises (nothing in it to change),
-- and the hook that counts. The count lives in the hook's upvalue. Once
-- spent, a budget stays spent: its hook then runs at every instruction and
-- raises again, so the error a __close handler puts in its place (Lua 5.4
-- manual, 3.3.8), caught by a pcall, stops the policy all the same.
local function new_budget(limit)
    local budget = { message = string.format("the policy ran out of its budget of %d instructions", limit) }
    budget.exceeded = setmetatable({}, { __tostring = function() return budget.message end, __metatable = false })
    local used, stop = 0, nil
    local function hook()
        used = used + STEP
        if used > limit and stop == nil then stop = budget.exceeded end
        if stop ~= nil then
            sethook(hook, "", 1)
            real_error(stop, 0)
        end
    end
    budget.hook = hook
    -- Spends the budget now, with err (the budget's own error, or Ctrl-C's)
    -- as the error every further instruction raises.
    function budget.stop(err)
        if stop == nil then stop = err end
        sethook(hook, "", 1)
        real_error(stop, 0)
    end
    function budget.stopped() return stop end
    return budget
end

-- The budget in force for the code running now (the policy's, while it runs).
local current

-- Lua's error for an allocation refused, here under srv-run's memory
-- limit: it stops the policy as a spent budget does, rather than let a
-- pcall loop keep trying (each try a full garbage collection).
local OUT_OF_MEMORY = "not enough memory"

-- pcall/xpcall/coroutine.resume/close for sandboxed code: none of them may
-- stop the budget's error, Ctrl-C or the memory limit's error, or a policy
-- could loop around them.

local function rethrow(ok, ...)
    if not ok and current ~= nil
            and ((...) == INTERRUPTED or (...) == current.exceeded or (...) == OUT_OF_MEMORY) then
        current.stop((...))
    end
    return ok, ...
end

local function sandbox_pcall(f, ...)
    return rethrow(real_pcall(f, ...))
end

local function sandbox_xpcall(f, handler, ...)
    local function guarded(err)
        if err == INTERRUPTED or err == OUT_OF_MEMORY or (current ~= nil and err == current.exceeded) then
            return err
        end
        return handler(err)
    end
    return rethrow(real_xpcall(f, guarded, ...))
end

local closing = 0   -- coroutine.close calls in progress (reset per run)

local function after_close(ok, ...)
    closing = closing - 1
    if not ok then real_error((...), 0) end   -- "cannot close a running coroutine", the budget's
    return ...
end

local function bounded_close(thread)
    if closing >= M.MAX_NESTED_CLOSE then
        real_error(string.format("more than %d nested coroutine.close (srv-run's limit)", M.MAX_NESTED_CLOSE), 0)
    end
    closing = closing + 1
    return after_close(real_pcall(real_close, thread))
end

-- Threads the policy makes run under the same budget (Lua hooks are per
-- thread, and a new thread has none).
local function sandbox_coroutine()
    local co = copy(coroutine)
    function co.create(f)
        local thread = real_create(f)
        sandboxed_threads[thread] = true
        if current then sethook(thread, current.hook, "", STEP) end
        return thread
    end
    function co.resume(thread, ...)
        return rethrow(real_resume(thread, ...))
    end
    function co.close(thread)
        return rethrow(bounded_close(thread))
    end
    function co.wrap(f)
        local thread = co.create(f)
        local function pass(ok, ...)
            if not ok then
                bounded_close(thread)   -- its to-be-closed variables, as Lua's wrap does
                real_error((...), 0)
            end
            return ...
        end
        return function(...) return pass(co.resume(thread, ...)) end
    end
    return co
end

-- The part of srv a policy builds with. Tables are copies: nothing the
-- runner reads can be changed from inside.
local function srv_view()
    local services = {}
    for name, entries in pairs(srv.services) do
        services[name] = {}
        for i, entry in ipairs(entries) do services[name][i] = copy(entry) end
    end
    -- at_caller: an argument error names the policy's line, in a tail call too
    local at_caller = guard.at_caller
    return {
        policy = at_caller(srv.policy), chain = at_caller(srv.chain), matcher = at_caller(srv.matcher),
        order = at_caller(srv.order), parse = at_caller(srv.parse),
        services = services, default_port = at_caller(srv.default_port), version = srv.version,
    }
end

-- ctx.resolver for a sandboxed policy: blocking lookups, health marks and
-- the passive health state (read only).
-- Each mark it sets (target, port) is added to marks, for srv-run to take
-- back once the call is over: a policy's marks apply to the call that set
-- them (docs/policies.md, "Health marks"), not to the next draw of
-- --simulate.
-- Its lookups are bounded per call (M.LIMITS.lookups, .wait): each one
-- started costs one, and the time spent waiting for answers is counted,
-- a lookup that waits past what is left failing the call there (its query
-- is left to end by itself; only srv-run's callback waits for it).
local function resolver_view(real, marks)
    local view = {}
    local function check_self(self, name)
        if self ~= view then
            real_error(string.format("bad self to '%s' (use resolver:%s(...))", name, name), 3)
        end
    end
    local function method(name)
        return function(self, ...)
            check_self(self, name)
            return real[name](real, ...)
        end
    end
    local lookups, waited = 0, 0
    local function bounded(name, start)
        return function(self, domain)
            check_self(self, name)
            if type(domain) ~= "string" then
                real_error(string.format("bad argument #1 to '%s' (string expected, got %s)", name,
                                         type(domain)), 2)
            end
            lookups = lookups + 1
            if lookups > M.LIMITS.lookups then
                real_error(string.format("the policy made more than %d lookups in one call (srv-run's limit)",
                                         M.LIMITS.lookups), 0)
            end
            local results
            real[start](real, domain, function(...) results = table.pack(...) end)
            local began = now()
            while not results do
                local left = M.LIMITS.wait - waited - (now() - began)
                if left <= 0 then
                    real_error(string.format("the policy's lookups waited more than %g seconds in one call "
                                             .. "(srv-run's limit)", M.LIMITS.wait), 0)
                end
                real:step(left)
            end
            waited = waited + (now() - began)
            return table.unpack(results, 1, results.n)
        end
    end
    view.lookup = bounded("lookup", "lookup_async")
    view.addresses = bounded("addresses", "addresses_async")
    for _, name in ipairs { "mark_down", "mark_up" } do
        local call = method(name)
        -- The mark is noted before the call, so that the call is a tail
        -- call and a bad argument raises at the policy's line, not here;
        -- only a target and port the call can take are noted (one whose
        -- seconds are bad is noted and taken back all the same).
        view[name] = function(self, target, port, ...)
            local key_port = options.to_port(port)
            if marks and type(target) == "string" and key_port then
                marks[#marks + 1] = { target = target, port = key_port }
            end
            return call(self, target, port, ...)
        end
    end
    view.health = method("health")
    return setmetatable(view, { __metatable = false, __name = "srv.resolver (policy view)" })
end

local function new_environment()
    local env = {}
    local own = setmetatable({}, { __mode = "k" })   -- metatables the policy set
    for _, name in ipairs { "assert", "error", "ipairs", "next", "pairs", "rawequal", "rawget", "rawlen",
                            "rawset", "select", "tonumber", "tostring", "type", "_VERSION" } do
        env[name] = _G[name]
    end
    env.pcall, env.xpcall = sandbox_pcall, sandbox_xpcall
    -- A finalizer would run policy code at some later collection, outside
    -- the budget (or at exit, where a loop would hang srv-run).
    env.setmetatable = function(t, mt)
        if type(mt) == "table" and rawget(mt, "__gc") ~= nil then
            real_error("a sandboxed policy cannot set __gc", 2)
        end
        local result = setmetatable(t, mt)
        if type(mt) == "table" then own[mt] = true end
        return result
    end
    -- srv's metatables (records, policies, the string metatable) are
    -- shared with the runner: not the policy's to see or change.
    env.getmetatable = function(value)
        local mt = raw_getmetatable(value)
        if mt == nil or not own[mt] then return nil end
        return getmetatable(value)
    end
    -- print goes to stderr: a policy's debugging output must not mix with
    -- the candidates (or break --json); escaped, so that it cannot drive
    -- the terminal (clear the screen, rewrite a line, set the clipboard).
    env.print = function(...)
        local n = select("#", ...)
        local parts = table.pack(...)
        for i = 1, n do parts[i] = tostring(parts[i]) end
        io.stderr:write(format.escape(table.concat(parts, "\t", 1, n), true), "\n")
    end
    env.string, env.table, env.math, env.utf8 = copy(string), copy(table), copy(math), copy(utf8)
    env.coroutine = sandbox_coroutine()
    env.os = { time = os.time, clock = os.clock, date = os.date, difftime = os.difftime }
    local view
    env.require = function(name)
        if name ~= "srv" then
            real_error(string.format("module '%s' is not available to a sandboxed policy (only srv)",
                                     tostring(name)), 2)
        end
        view = view or srv_view()
        return view
    end
    env.load = function(chunk, chunkname, _, chunk_env)
        return load(chunk, chunkname, "t", chunk_env or env)
    end
    env._G = env
    return env
end

local MAX_MESSAGE = 4096   -- octets of an error message shown

-- An error value of sandboxed code as text, without running any of its
-- code (a __tostring of the policy's would run outside the budget).
local function error_text(err)
    if type(err) == "string" then
        if #err <= MAX_MESSAGE then return err end
        return err:sub(1, MAX_MESSAGE) .. string.format("... (%d more octets)", #err - MAX_MESSAGE)
    end
    if type(err) == "number" then return tostring(err) end
    return string.format("(error object is a %s value)", type(err))
end

local function budget_ended(budget, limits, thread, what, resumed, ...)
    local late = guard.disarm()
    local refused = guard.limit_memory(nil)
    current = nil
    local stopped = budget.stopped()
    if stopped == INTERRUPTED or (not resumed and (...) == INTERRUPTED) then real_error(INTERRUPTED, 0) end
    if late then
        real_error(string.format("the policy ran past its time limit of %g seconds (srv-run's limit)",
                                 limits.seconds), 0)
    end
    if refused then
        real_error(string.format("the policy used more than %d MiB of memory (srv-run's limit)",
                                 limits.memory), 0)
    end
    if stopped ~= nil then real_error(budget.message, 0) end
    if not resumed then
        -- the thread is dead, its stack kept: the traceback is the policy's
        real_error(debug.traceback(thread, error_text((...))), 0)
    end
    if coroutine.status(thread) ~= "dead" then real_error(what .. " must not yield", 0) end
    return ...
end

-- Runs fn(...) under a budget of limit instructions, in a thread of its own
-- that runs nothing but sandboxed code: no message handler of srv's runs
-- there, where a spent budget raises at every instruction. Returns fn's
-- results, or raises: the budget's message, "interrupted!", or the error
-- with the sandboxed code's traceback. what names the code ("a policy").
--
-- limits: { budget = instructions, seconds = wall time, memory = MiB,
-- memory_base = octets of srv-run's Lua before the policy, exit_message =
-- what srv-run says when it must exit (the policy stuck in C) }. The
-- memory limit is on the whole Lua state: what srv-run held before the
-- file was loaded, plus memory MiB, so that what a policy keeps from one
-- call to the next counts too.
local function run_budgeted(limits, what, fn, ...)
    local budget = new_budget(limits.budget)
    local thread = real_create(fn)
    sandboxed_threads[thread] = true
    sethook(thread, budget.hook, "", STEP)
    closing = 0
    current = budget
    guard.limit_memory(limits.memory_base + limits.memory * 1024 * 1024)
    guard.arm(limits.seconds, limits.exit_message)
    return budget_ended(budget, limits, thread, what, real_resume(thread, ...))
end

-- What a policy may return, so that what srv-run does with it afterwards
-- (checking, ordering, formatting, --simulate's rows, --addresses'
-- queries) stays small: candidates, fields of a candidate, addresses of a
-- candidate, octets of one string, octets of all strings together. And
-- what one call may ask of ctx.resolver: lookups, and seconds of waiting.
-- docs/policies.md, "What the srv-run sandbox allows", states them.
M.LIMITS = { candidates = 256, fields = 32, addresses = 64, string = 1024, total = 1 << 20,
             lookups = 64, wait = 5 }

-- Plain copies of what a policy returned, made with raw access only (no
-- metamethod runs), inside the budget: candidate fields that are strings,
-- numbers or booleans, and an addresses list of strings; anything else is
-- dropped. Past a limit, the policy fails (POLICY) with a message naming it.
local function over(what, limit)
    real_error(string.format("the policy returned more than %d %s (srv-run's limit)", limit, what), 0)
end

local function plain_value(value, size)
    local kind = type(value)
    if kind == "string" then
        if #value > M.LIMITS.string then over("octets in one string", M.LIMITS.string) end
        size.total = size.total + #value
        if size.total > M.LIMITS.total then over("octets of strings in all", M.LIMITS.total) end
        return value
    end
    if kind == "number" or kind == "boolean" then return value end
    return nil
end

local function plain_candidate(candidate, size)
    if type(candidate) ~= "table" then return candidate end
    local out, fields = {}, 0
    for key, value in next, candidate do
        fields = fields + 1
        if fields > M.LIMITS.fields then over("fields in a candidate", M.LIMITS.fields) end
        if type(key) == "string" then
            plain_value(key, size)
            if key == "addresses" and type(value) == "table" then
                local list, count = {}, 0
                for _ in next, value do
                    count = count + 1
                    if count > M.LIMITS.addresses then over("addresses in a candidate", M.LIMITS.addresses) end
                end
                -- The list as ipairs reads it, strings only (docs/policies.md):
                -- a number or a boolean would be shown as if it were an address.
                for i = 1, count do
                    local address = rawget(value, i)
                    if address == nil then break end
                    if type(address) == "string" then list[#list + 1] = plain_value(address, size) end
                end
                out[key] = list
            else
                out[key] = plain_value(value, size)
            end
        end
    end
    return out
end

local function plain_list(list)
    if type(list) ~= "table" then return list end
    local out, count, size = {}, 0, { total = 0 }
    for key, candidate in next, list do
        count = count + 1
        if count > M.LIMITS.candidates then over("candidates", M.LIMITS.candidates) end
        out[key] = plain_candidate(candidate, size)
    end
    return out
end

-- What srv-run reports must come from what srv saw: the policy writes to a
-- trace of its own, and of it srv-run keeps what srv.policy options write
-- (docs/lua-api.md, "The trace"): { step = "policy", rule = RULE, target,
-- port, transport } or { step = "policy", rule = "pin"|"exclude",
-- unmatched = NAME }, the policy's own account of what it did, shown by
-- --explain as the policy's. Every other step (health, skip, fallback...)
-- is srv's to write. At most MAX_TRACE entries, taken from 1 up to the
-- first hole: a sparse table costs nothing more.
M.MAX_TRACE = 1000
local RULES = { exclude = true, order = true, prefer = true, pin = true, fallback = true }

local function policy_entries(from)
    local out = {}
    for i = 1, M.MAX_TRACE do
        local entry = rawget(from, i)
        if entry == nil then break end
        if type(entry) == "table" and rawget(entry, "step") == "policy" and RULES[rawget(entry, "rule")] then
            local target, port, transport = rawget(entry, "target"), rawget(entry, "port"), rawget(entry, "transport")
            local unmatched = rawget(entry, "unmatched")
            if type(unmatched) == "string" and #unmatched <= M.LIMITS.string
                    and (rawget(entry, "rule") == "pin" or rawget(entry, "rule") == "exclude") then
                out[#out + 1] = { step = "policy", rule = rawget(entry, "rule"), unmatched = unmatched }
            elseif type(target) == "string" and math.type(port) == "integer"
                    and (transport == nil or type(transport) == "string") then
                out[#out + 1] = { step = "policy", rule = rawget(entry, "rule"), target = target, port = port,
                                  transport = transport }
            end
        end
    end
    return out
end

local function sandboxed_call(policy, limits, marks)
    return function(candidates, ctx)
        local trace = {}
        local view_ctx = {
            name = ctx.name, service = ctx.service, proto = ctx.proto, domain = ctx.domain,
            answer = ctx.answer, resolver = resolver_view(ctx.resolver, marks),
            trace = type(ctx.trace) == "table" and trace or nil,
        }
        limits.exit_message = string.format("%s: policy failed: the policy ran past its time limit of %g "
                                            .. "seconds inside one C function (srv-run's limit); srv-run stopped it",
                                            format.escape(tostring(ctx.name)), limits.seconds)
        local out, entries = run_budgeted(limits, "a policy", function()
            return plain_list(policy(candidates, view_ctx)), policy_entries(trace)
        end)
        if type(ctx.trace) == "table" then
            table.move(entries, 1, #entries, #ctx.trace + 1, ctx.trace)
        end
        return out
    end
end

-- M.load_policy(path, { sandbox = true|false, budget = instructions,
-- args = { NAME = "VALUE" }, marks = {} }) -> a policy (callable), or nil
-- and a message. The file runs with a copy of args as its argument (`...`:
-- --policy-arg). A sandboxed policy's health marks are appended to marks
-- as { target =, port = }, for the caller to take back after the call.
-- The message of an error in the file has the file's own traceback.
-- The last line of the file that ran, while a file runs unsandboxed (with
-- all of srv, not the sandbox's view of it, whose functions name the
-- caller's line themselves: srv_view): an argument error of srv.policy{...}
-- and friends names the caller's line, but the usual `return srv.policy {
-- ... }` is a tail call, which leaves no caller (Lua 5.4 manual, 3.4.10)
-- and so no line in the message. A line hook in Lua would not do in the
-- sandbox: instructions run inside a hook use up the count of the
-- budget's, and a loop can keep its count events from ever firing.
local function line_tracker(path)
    local source, tracker = "@" .. path, {}
    function tracker.hook(_, line)
        if getinfo(2, "S").source == source then tracker.line = line end
    end
    -- message with the file's line in front when it has no position and
    -- is an argument error (a message the file raised itself is its own)
    function tracker.place(message)
        local first = message:match("^[^\n]*")
        if tracker.line and first:match("^bad argument ") then
            return string.format("%s:%d: %s", path, tracker.line, message)
        end
        return message
    end
    return tracker
end

function M.load_policy(path, opts)
    local traceback = script.traceback
    local sandboxed = opts.sandbox ~= false
    local seconds = opts.seconds or M.DEFAULT_SECONDS
    local limits = {
        budget = opts.budget or M.DEFAULT_BUDGET, seconds = seconds, memory = opts.memory or M.DEFAULT_MEMORY,
        memory_base = guard.memory_in_use(),
        exit_message = string.format("policy %s: the policy ran past its time limit of %g seconds inside one "
                                     .. "C function (srv-run's limit); srv-run stopped it", format.escape(path), seconds),
    }
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
    local lines = line_tracker(path)
    if sandboxed then
        ok, policy = real_pcall(run_budgeted, limits, "a policy file", chunk, copy(opts.args or {}))
    else
        sethook(lines.hook, "l")
        ok, policy = real_xpcall(chunk, traceback, copy(opts.args or {}))
        sethook()
    end
    if not ok then
        return nil, "policy " .. path .. ": " .. script.policy_frames_only(lines.place(tostring(policy)))
    end
    if not sandboxed then
        if options.is_callable(policy) then return policy end
    elseif type(policy) == "function" or policy_module.is_policy(policy) then
        -- Any other callable would run its __call (policy code) where the
        -- runner calls it; a function or an srv.policy is all a policy needs.
        return sandboxed_call(policy, limits, opts.marks)
    end
    return nil, string.format("policy %s returned %s, not a policy (srv.policy{...} or a function)",
                              path, type(policy))
end

return M
