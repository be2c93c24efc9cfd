-- srv.loop: driving a resolver: process, step, run, the pollable interface
-- in the cqueues convention (pollfd, events, timeout in seconds), and the
-- blocking form of any call (await). Every function takes the resolver's
-- state (srv.resolver) first.
local fetch = require "srv.fetch"
local task = require "srv.task"
local argcheck = require "srv.argcheck"

local drain = fetch.drain

local M = {}

function M.process(self)
    local n = self._source:process()
    return n + drain(self)
end

function M.step(self, timeout)
    if timeout ~= nil and type(timeout) ~= "number" then
        argcheck.arg_error(1, "step", "number expected, got " .. type(timeout))
    end
    local n
    if #self._ready > 0 then
        n = self._source:process()
    else
        n = self._source:step(timeout)
    end
    return n + drain(self)
end
local step = M.step

-- A raising callback does not stop the run: the rest still get their
-- answers, then the first error is raised (as the binding's run does).
function M.run(self)
    local first
    while not self._closed and (self._source:pending() > 0 or #self._ready > 0) do
        local ok, err = pcall(step, self)
        if not ok and first == nil then first = err end
    end
    if first ~= nil then error(first, 0) end
    return true
end

function M.pending(self)
    return self._source:pending() + #self._ready
end

function M.pollfd(self) return self._source:pollfd() end
function M.events(self) return self._source:events() end

function M.timeout(self)
    if #self._ready > 0 then return 0 end
    return self._source:timeout()
end

-- Runs start(cb) and returns what cb receives. Inside a task (srv.spawn) the
-- task is suspended and srv.wait drives the loop; elsewhere this resolver is
-- stepped until the answer is there.
function M.await(self, start)
    local t = task.current()
    if t then
        start(function(...) task.resume(t, ...) end)
        return task.suspend(t, self)
    end
    local results
    start(function(...) results = table.pack(...) end)
    while not results do
        if self._closed then argcheck.raise("attempt to use a closed resolver") end
        step(self)
    end
    return table.unpack(results, 1, results.n)
end

return M
