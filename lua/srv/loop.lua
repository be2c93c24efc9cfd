-- srv.loop: driving a resolver: process, step, run, and the pollable
-- interface in the cqueues convention (pollfd, events, timeout in seconds).
local resolver = require "srv.resolver"
local options = require "srv.options"

local arg_error = options.arg_error

local Resolver = resolver.methods
local M = {}

function Resolver:process()
    local n = self._source:process()
    return n + self:_drain()
end

function Resolver:step(timeout)
    if timeout ~= nil and type(timeout) ~= "number" then
        arg_error(1, "step", "number expected, got " .. type(timeout))
    end
    local n
    if #self._ready > 0 then
        n = self._source:process()
    else
        n = self._source:step(timeout)
    end
    return n + self:_drain()
end

-- A raising callback does not stop the run: the rest still get their
-- answers, then the first error is raised (as the binding's run does).
function Resolver:run()
    local first
    while not self._closed and (self._source:pending() > 0 or #self._ready > 0) do
        local ok, err = pcall(self.step, self)
        if not ok and first == nil then first = err end
    end
    if first ~= nil then error(first, 0) end
    return true
end

function Resolver:pending()
    return self._source:pending() + #self._ready
end

function Resolver:pollfd() return self._source:pollfd() end
function Resolver:events() return self._source:events() end

function Resolver:timeout()
    if #self._ready > 0 then return 0 end
    return self._source:timeout()
end


return M
