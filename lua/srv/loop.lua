-- srv.loop: driving a resolver. The one delivery loop of srv: whatever the
-- source (srv.core's resolver or srv.zone_source), results are fetched in
-- batches and handed to srv.fetch, and deferred calls (answers from the
-- cache, failures decided without a query) run after them, all here.
-- Also the pollable interface in the cqueues convention (pollfd, events,
-- timeout in seconds) and the blocking form of any call (await). Every
-- function takes the resolver's state (srv.resolver) first.
--
-- Timers (M.at): a function to run from the delivery loop once the
-- resolver's clock reaches a time; what r:watch refreshes on
-- (docs/event-loops.md, "Timers"). A timer counts as pending, and
-- r:timeout() is never later than the nearest one, so every way of driving
-- a resolver (its own loop, run, step, tasks, a loop of the program's) runs
-- it on time.
local core = require "srv.core"
local fetch = require "srv.fetch"
local task = require "srv.task"
local argcheck = require "srv.argcheck"

local complete = fetch.complete
-- The message handler of the protected calls below. A message that holds a
-- traceback already (a watch's callback error, srv.watch re-raising it once
-- the other watchers have run) keeps the one that says where it was raised,
-- rather than gaining a second one through srv's own frames.
local function traceback(msg)
    if type(msg) == "string" and msg:find("\nstack traceback:\n", 1, true) then return msg end
    return debug.traceback(msg, 2)
end

local M = {}

-- A clock set back (a user's wall clock, corrected) would put a timer off
-- by as much as it went back, past the wait it was set for (a watch's
-- max_ttl, docs/lua-api.md): the timer moves back with the clock, keeping
-- the wait it had left when the clock was last read for it. Returns t.at.
local function rebase(t, now)
    if now < t.seen then t.at = t.at - (t.seen - now) end
    t.seen = now
    return t.at
end
M.rebase = rebase

-- Hands out the batch in hand and at most one new one, counting in
-- self._handed_out. Runs under one xpcall for the whole batch rather than
-- one per result: a raising callback ends this call and deliver calls it
-- again for the rest (the cursor, self._batch_next, has already moved past
-- the callback that raised).
local function hand_out(self, fetched)
    while true do
        local batch = self._batch
        if not batch then
            -- One fetch per delivery, once the batch in hand (if any) is done.
            if fetched then return end
            fetched = true
            self._fetched = true
            local count
            batch, count = self._source:fetch()
            if count == 0 then return end
            self._batch, self._batch_next, self._batch_end = batch, 1, count * 4
        end
        local slot = self._batch_next
        if slot > self._batch_end then
            self._batch = nil
        else
            self._batch_next = slot + 4
            self._handed_out = self._handed_out + 1
            complete(self, batch[slot], batch[slot + 1], batch[slot + 2], batch[slot + 3])
        end
    end
end

-- Runs everything that is ready: the rest of the batch being delivered,
-- then a new one from the source's fetch, then the calls deferred before
-- this one started; returns how many ran. One raising callback never
-- starves the others: each runs protected and the first error is raised
-- once all have run. A callback may ask again (that runs at a later
-- delivery, so a callback that asks each time cannot keep one call running
-- forever), wait for an answer or close the resolver: the delivery nested
-- in it first goes on with the batch in hand (self._batch, shared with it),
-- so results still go out in the order they completed, and close still
-- delivers every result before it returns.
local function deliver(self)
    local first = nil
    -- A nested delivery (from a callback) counts into the outer one's
    -- figures, which is harmless: they only say whether anything ran.
    local handed_before = self._handed_out
    self._fetched = false
    while true do
        local ok, err = xpcall(hand_out, traceback, self, self._fetched)
        if ok then break end
        if first == nil then first = err end
    end
    local ran = self._handed_out - handed_before
    local deferred = self._ready
    if #deferred > 0 then
        self._ready = {}
        for i = 1, #deferred do
            local item = deferred[i]
            local ok, err = xpcall(item[1], traceback, table.unpack(item, 2, item.n))
            if not ok and first == nil then first = err end
        end
        ran = ran + #deferred
    end
    local timers = self._timers
    if timers and #timers > 0 then
        -- The due ones (every one once the resolver is closed: what they
        -- would start gets its CANCELLED at once), in the order of their
        -- times; a timer set by one of them waits for a later delivery.
        local now, due = self._clock(), {}
        for i = #timers, 1, -1 do
            local t = timers[i]
            if self._closed or now >= rebase(t, now) then
                due[#due + 1] = t
                table.remove(timers, i)
            end
        end
        table.sort(due, function(a, b) return a.at < b.at end)
        for i = 1, #due do
            local ok, err = xpcall(due[i].fn, traceback)
            if not ok and first == nil then first = err end
        end
        ran = ran + #due
    end
    if first ~= nil then error(first, 0) end
    return ran
end
M.deliver = deliver

-- Timers ---------------------------------------------------------------------

-- Runs fn() from a delivery once the resolver's clock reads `at` or later
-- (at once when the resolver closes); returns the timer, for M.cancel.
function M.at(self, at, fn)
    local timers = self._timers
    if not timers then
        timers = {}
        self._timers = timers
    end
    local t = { at = at, fn = fn, seen = self._clock() }
    timers[#timers + 1] = t
    return t
end


-- Forgets a timer that has not run; nothing for one that has.
function M.cancel(self, t)
    local timers = self._timers
    if not timers then return end
    for i = 1, #timers do
        if timers[i] == t then
            table.remove(timers, i)
            return
        end
    end
end

-- Seconds until the nearest timer (0 when one is due), or nil when there is
-- none.
local function timer_wait(self)
    local timers = self._timers
    if not timers or #timers == 0 then return nil end
    local now = self._clock()
    local nearest = rebase(timers[1], now)
    for i = 2, #timers do
        local at = rebase(timers[i], now)
        if at < nearest then nearest = at end
    end
    local wait = nearest - now
    return wait > 0 and wait or 0
end

-- Lets every running race (srv.connect) read its sockets and start what is
-- due; a race that ends defers its result to the delivery.
local function advance_races(self)
    local drivers, n = {}, 0
    for d in pairs(self._races) do
        n = n + 1
        drivers[n] = d
    end
    for i = 1, n do drivers[i]:advance() end
end

function M.process(self)
    self._source:process()
    if next(self._races) ~= nil then advance_races(self) end
    return deliver(self)
end

-- Connection races (srv.connect) run beside the source's queries: one wait
-- covers the source's descriptor and every race's, until the nearest of
-- their deadlines; then both are processed.
local function step_with_races(self, timeout)
    local wait, fds = timeout, {}
    if #self._ready > 0 or self._batch then wait = 0 end
    local due = timer_wait(self)
    if due and (not wait or due < wait) then wait = due end
    local source_wait = self._source:timeout()
    if source_wait then
        if not wait or source_wait < wait then wait = source_wait end
        local fd = self._source:pollfd()
        if fd then fds[#fds + 1] = fd end
    end
    local drivers = {}
    for d in pairs(self._races) do
        drivers[#drivers + 1] = d
        local race_wait = d.race:timeout()
        if race_wait and (not wait or race_wait < wait) then wait = race_wait end
    end
    if wait ~= 0 then
        -- Only now: a race's epoll descriptor is made when first asked for.
        for _, d in ipairs(drivers) do
            local fd = d.race:pollfd()
            if fd then fds[#fds + 1] = fd end
        end
        core.wait(fds, wait)
    end
    self._source:process()
    advance_races(self)
    return deliver(self)
end

function M.step(self, timeout)
    if timeout ~= nil and type(timeout) ~= "number" then
        argcheck.arg_error(1, "step", "number expected, got " .. type(timeout))
    end
    -- Checked here, whatever is pending, so that the error blames the
    -- caller's line (the core's own check blames srv.loop).
    if timeout ~= nil and not (timeout >= 0) then
        argcheck.arg_error(1, "step", "number >= 0 expected, got " .. tostring(timeout))
    end
    if next(self._races) ~= nil then return step_with_races(self, timeout) end
    local source = self._source
    local wait = not (#self._ready > 0 or self._batch) and timer_wait(self)
    if wait == false then
        source:process()
    elseif wait == nil then
        source:step(timeout)
    else
        -- A timer is pending: wait no longer than until it is due. With
        -- nothing pending in the source, its step would not wait at all.
        if timeout and timeout < wait then wait = timeout end
        if wait == 0 then
            source:process()
        elseif source:timeout() == nil then
            core.sleep(wait)
            source:process()
        else
            source:step(wait)
        end
    end
    return deliver(self)
end
local step = M.step

-- A raising callback does not stop the run: the rest still get their
-- answers, then the first error is raised.
function M.run(self)
    local first
    while not self._closed and M.pending(self) > 0 do
        local ok, err = pcall(step, self)
        if not ok and first == nil then first = err end
    end
    if first ~= nil then error(first, 0) end
    return true
end

-- The results of the batch in hand that no callback has had yet.
local function undelivered(self)
    if not self._batch then return 0 end
    return (self._batch_end - self._batch_next + 4) // 4
end

local function race_count(self)
    local n = 0
    for _ in pairs(self._races) do n = n + 1 end
    return n
end

function M.pending(self)
    local timers = self._timers
    return self._source:pending() + #self._ready + undelivered(self) + race_count(self)
        + (timers and #timers or 0)
end

-- r:pollfd(): one descriptor for everything the resolver waits on
-- (docs/lua-api.md, "Asynchronous calls and event loops"): an epoll
-- descriptor of srv.core's (a poller) over the source's own epoll
-- descriptor and the epoll descriptor of every race running, made at the
-- first call and the same until r:close(). A race adds itself while it runs
-- (srv.connect, watch_race). An offline source has nothing to wait on: no
-- descriptor unless a race runs.
function M.pollfd(self)
    local poller = self._poller
    if poller then
        if next(self._races) == nil and not self._source:events() then return nil end
        return poller:fd()
    end
    local online = self._source:events() ~= nil
    if not online and next(self._races) == nil then return nil end
    local msg, code
    poller, msg, code = core.poller()
    if not poller then return nil, msg, code end
    if online then
        local fd
        fd, msg, code = self._source:pollfd()
        if not fd then
            poller:close()
            return nil, msg, code
        end
        poller:add(fd)
    end
    self._poller = poller
    for d in pairs(self._races) do M.watch_race(self, d) end
    return poller:fd()
end

function M.events(self)
    local events = self._source:events()
    if not events and next(self._races) ~= nil then return "r" end
    return events
end

-- Puts a race's sockets behind r:pollfd() once a program has asked for it;
-- until then the race makes no epoll descriptor of its own (srv.connect).
function M.watch_race(self, d)
    local poller = self._poller
    if not poller or d.watched then return end
    local fd = d.race:pollfd()
    -- Without a descriptor the race is still driven, at r:timeout().
    if fd and poller:add(fd) then d.watched = fd end
end

function M.unwatch_race(self, d)
    if d.watched then
        self._poller:remove(d.watched)
        d.watched = nil
    end
end

-- With races running, their deadlines count too; so does the nearest timer.
function M.timeout(self)
    if #self._ready > 0 or self._batch then return 0 end
    local wait = self._source:timeout()
    for d in pairs(self._races) do
        local race_wait = d.race:timeout()
        if race_wait and (not wait or race_wait < wait) then wait = race_wait end
    end
    local due = timer_wait(self)
    if due and (not wait or due < wait) then wait = due end
    return wait
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
