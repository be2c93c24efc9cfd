-- srv.task: straight-line code that runs many resolutions at once.
--
-- srv.spawn(fn, ...) runs fn in a coroutine (a task). When a task calls a
-- blocking resolver method (r:lookup, r:resolve, ...), the method submits
-- the query and suspends the task instead of driving the event loop itself;
-- srv.wait() drives the resolvers the tasks wait on until they finish.
-- Outside a task the same methods simply block.
local M = {}

local task_of = setmetatable({}, { __mode = "k" })   -- coroutine -> task
local unfinished = {}                                -- task -> true

-- Failed tasks nobody has looked at yet, oldest first, kept only once
-- track_failures() was called (the runner reports them at the end; a
-- long-running program that drops its tasks must not accumulate them).
local unobserved

-- Set by abandon(): no task is resumed any more.
local abandoned = false

local task_mt = { __name = "srv.task" }
task_mt.__index = task_mt

function task_mt.__tostring(t)
    return string.format("srv.task (%s)", t.done and (t.error and "failed" or "done") or "running")
end

-- Whether the task has finished, and its results: true, ... or false, error.
function task_mt:result()
    if not self.done then return nil end
    self.observed = true
    if self.failed then return false, self.error end
    return true, table.unpack(self.results, 1, self.results.n)
end

local function finish(t, ok, ...)
    if coroutine.status(t.co) ~= "dead" then return end
    t.done = true
    unfinished[t] = nil
    if ok then
        t.results = table.pack(...)
    else
        local err = ...
        t.failed = true
        t.error = type(err) == "string" and debug.traceback(t.co, err) or err
        if unobserved then unobserved[#unobserved + 1] = t end
    end
end

-- Resumes a task with the values a blocking call returns.
function M.resume(t, ...)
    if abandoned then return end
    t.waiting_on = nil
    finish(t, coroutine.resume(t.co, ...))
end

function M.spawn(fn, ...)
    local mt = getmetatable(fn)
    if type(fn) ~= "function" and not (mt and mt.__call) then
        error(string.format("bad argument #1 to 'spawn' (function expected, got %s)", type(fn)), 2)
    end
    local body = fn
    if type(fn) ~= "function" then
        body = function(...) return fn(...) end   -- a callable table: coroutines take functions
    end
    local t = setmetatable({ co = coroutine.create(body), done = false }, task_mt)
    task_of[t.co] = t
    unfinished[t] = true
    M.resume(t, ...)
    return t
end

-- The task running now, or nil outside tasks (and inside coroutines a task
-- created itself: those block as plain code does).
function M.current()
    local co, main = coroutine.running()
    if main then return nil end
    return task_of[co]
end

-- Suspends the current task until M.resume; resolver is what must be
-- stepped: anything with resolver:step(timeout) and resolver:timeout().
function M.suspend(t, resolver)
    t.waiting_on = resolver
    return coroutine.yield()
end

local function pending_targets(targets)
    for _, t in ipairs(targets) do
        if not t.done then return true end
    end
    return false
end

-- One round over the resolvers that suspended tasks wait on.
local function drive()
    local resolvers, list = {}, {}
    for t in pairs(unfinished) do
        local r = t.waiting_on
        if r and not resolvers[r] then
            resolvers[r] = true
            list[#list + 1] = r
        end
    end
    if #list == 0 then
        error("srv.wait: the tasks are blocked on something srv does not drive", 3)
    elseif #list == 1 then
        list[1]:step()
        return
    end
    -- Several resolvers: take what is ready everywhere, then sleep on the one
    -- with the nearest deadline, briefly, so the others are not starved.
    local nearest, nearest_timeout
    for _, r in ipairs(list) do
        r:step(0)
        local timeout = r:timeout()
        if timeout and (not nearest_timeout or timeout < nearest_timeout) then
            nearest, nearest_timeout = r, timeout
        end
    end
    if nearest and nearest_timeout > 0 then
        nearest:step(math.min(nearest_timeout, 0.01))
    end
end

-- srv.wait(): every unfinished task; srv.wait(t): t's results (raises its
-- error); srv.wait(t1, t2, ...): true once all are done (raises the first
-- error).
function M.wait(...)
    if M.current() then
        error("srv.wait: called from inside a task (a task's blocking calls already wait)", 2)
    end
    local targets = table.pack(...)
    for i = 1, targets.n do
        if getmetatable(targets[i]) ~= task_mt then
            error(string.format("bad argument #%d to 'wait' (srv.task expected, got %s)", i, type(targets[i])), 2)
        end
    end
    if targets.n == 0 then
        targets = {}
        for t in pairs(unfinished) do targets[#targets + 1] = t end
    end
    while pending_targets(targets) do drive() end
    for _, t in ipairs(targets) do t.observed = true end
    for _, t in ipairs(targets) do
        if t.failed then error(t.error, 0) end
    end
    if targets.n == 1 then
        local t = targets[1]
        return table.unpack(t.results, 1, t.results.n)
    end
    return true
end

-- No task runs again: the runner calls this when the script has failed, so
-- that closing the resolvers (which cancels what tasks wait for) does not
-- run script code while the process is shutting down.
function M.abandon()
    abandoned = true
end

-- From now on, remember failed tasks until their result is looked at.
function M.track_failures()
    unobserved = unobserved or {}
end

-- true and the error of the oldest failed task whose result nobody looked
-- at (with srv.wait or t:result()), or false; each is returned once. (The
-- error itself may be nil: error(nil) is a failure too.)
function M.unobserved_failure()
    while unobserved and #unobserved > 0 do
        local t = table.remove(unobserved, 1)
        if not t.observed then
            t.observed = true
            return true, t.error
        end
    end
    return false
end

-- Whether any task has not finished yet.
function M.has_unfinished()
    return next(unfinished) ~= nil
end

-- Drives every task to its end, tasks they start included, and raises
-- nothing for failed ones: the runner reports them afterwards, each one,
-- in the order they failed (unobserved_failure).
function M.drive_all()
    while next(unfinished) ~= nil do drive() end
end

return M
