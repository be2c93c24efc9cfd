-- The loopback rig of the connection specs (docs/testing.md, "The loopback
-- rig"): TCP endpoints on 127.0.0.0/8 and ::1 only, each on a port the
-- kernel picks, and zone text naming them.
--   rig:listen(address)     listens, never accepts: connects succeed
--   rig:refuse(address)     bound, not listening: connects are refused (RST)
--   rig:blackhole(address)  backlog 0, queue full: SYNs are dropped, so a
--                           connect hangs until a timeout; also returns the
--                           listener: accepting from it frees the queue, and
--                           the next SYN the client sends again connects
--   rig:serve(kind, address) a listener in a separate process that accepts
--                           ("close": and closes at once; "greet": and says
--                           "hello" after 0.3 s)
-- Each returns the port; all but serve take a port to use instead of one the
-- kernel picks (several addresses of a target share the target's port).
-- rig:close() closes everything.
local socket = require "socket"

local M = {}
local rig_mt = { __index = {} }
local methods = rig_mt.__index

local function tcp_for(address)
    return address:find(":", 1, true) and socket.tcp6() or socket.tcp4()
end

local function bound(rig, address, port)
    local s = assert(tcp_for(address))
    assert(s:setoption("reuseaddr", false))
    assert(s:bind(address, port or 0))
    rig.sockets[#rig.sockets + 1] = s
    local _, port = s:getsockname()
    return s, tonumber(port)
end

function methods.listen(rig, address, port)
    local s
    s, port = bound(rig, address, port)
    assert(s:listen(64))
    return port
end

function methods.refuse(rig, address, port)
    local _
    _, port = bound(rig, address, port)
    return port
end

function methods.blackhole(rig, address, port)
    local s
    s, port = bound(rig, address, port)
    assert(s:listen(0))
    -- Linux queues backlog + 1 connections: fill the queue.
    for _ = 1, 2 do
        local filler = tcp_for(address)
        filler:settimeout(0)
        filler:connect(address, port)
        socket.select(nil, { filler }, 0.1)
        rig.sockets[#rig.sockets + 1] = filler
    end
    return port, s
end

-- Whether a connect to address:port is still in progress after `wait`
-- seconds: the check that a blackhole really drops SYNs on this kernel.
function M.still_connecting(address, port, wait)
    local s = tcp_for(address)
    s:settimeout(0)
    s:connect(address, port)
    local _, writable = socket.select(nil, { s }, wait)
    s:close()
    return #writable == 0
end

function methods.serve(rig, kind, address)
    local cmd = string.format("exec lua5.4 spec/support/loopback_server.lua %s:%s", kind, address)
    local pipe = assert(io.popen(cmd, "r"))
    local line = assert(pipe:read("l"), "the loopback server did not start")
    local pid, port = line:match("^(%d+) (%d+)$")
    rig.servers[#rig.servers + 1] = { pipe = pipe, pid = pid }
    return tonumber(port)
end

function methods.close(rig)
    for _, s in ipairs(rig.sockets) do s:close() end
    rig.sockets = {}
    for _, server in ipairs(rig.servers) do
        os.execute("kill " .. server.pid)
        server.pipe:close()
    end
    rig.servers = {}
end

function M.new()
    return setmetatable({ sockets = {}, servers = {} }, rig_mt)
end

-- Zone text: one SRV record per entry of targets ({name=, priority=,
-- weight=, port=, addresses={...}}) under `name`, and the targets' A and
-- AAAA records.
function M.zone(name, targets)
    local lines = {}
    for _, t in ipairs(targets) do
        lines[#lines + 1] = string.format("%s. 60 IN SRV %d %d %d %s.", name, t.priority or 10,
                                          t.weight or 1, t.port, t.name)
        for _, address in ipairs(t.addresses) do
            local rrtype = address:find(":", 1, true) and "AAAA" or "A"
            lines[#lines + 1] = string.format("%s. 60 IN %s %s", t.name, rrtype, address)
        end
    end
    return table.concat(lines, "\n") .. "\n"
end

local PID
do
    local stat = assert(io.open("/proc/self/stat"))
    PID = stat:read("l"):match("^(%d+)")
    stat:close()
end

-- Sockets this process has open, after a full collection: the descriptors
-- a race could leave behind. Only sockets, and only below 1024: files and
-- pipes come and go with busted's own work, and valgrind keeps its
-- descriptors near the top of the range.
function M.open_fds()
    collectgarbage()
    collectgarbage()
    local n = 0
    local p = io.popen("ls -l /proc/" .. PID .. "/fd")
    for line in p:lines() do
        local fd, target = line:match("(%d+) %-> (%S+)")
        if fd and tonumber(fd) < 1024 and target:find("^socket:") then n = n + 1 end
    end
    p:close()
    return n
end

return M
