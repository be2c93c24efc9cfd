-- Runs spec/support/bad_dns.lua (the misbehaving DNS server) for a spec:
--
--   local bad_dns = require "spec.support.bad_dns_server"
--   local server = bad_dns.start()      -- in setup(); raises if it does not come up
--   server.address                      -- "127.0.0.1:PORT", for srv.resolver{servers=}
--   server:stop()                       -- in teardown(); kills it, removes the port file
--
-- The server runs in the background (`lua5.4 bad_dns.lua PORTFILE PID &`)
-- and exits by itself if this process goes away without stopping it.
local socket = require "socket"

local M = {}

M.LUA = os.getenv("LUA") or "lua5.4"
M.SCRIPT = "spec/support/bad_dns.lua"

local function quote(word)
    return "'" .. tostring(word):gsub("'", "'\\''") .. "'"
end

-- This process's pid, for the server's watchdog.
local function own_pid()
    local f = io.open("/proc/self/stat")
    if not f then return nil end
    local pid = f:read("n")
    f:close()
    return pid
end

local Server = {}
Server.__index = Server

-- Starts the server; waits (up to 10 s) for its port file.
function M.start(script)
    local port_file = os.tmpname()
    local log_file = port_file .. ".log"
    os.remove(port_file)
    local command = string.format("%s %s %s %s </dev/null >/dev/null 2>%s & echo $!",
                                  M.LUA, quote(script or M.SCRIPT), quote(port_file),
                                  own_pid() or "", quote(log_file))
    local pipe = assert(io.popen(command, "r"))
    local pid = tonumber(pipe:read("l"))
    pipe:close()
    assert(pid, "bad_dns: could not start " .. command)
    local port
    for _ = 1, 1000 do
        local f = io.open(port_file)
        if f then
            port = tonumber(f:read("l"))
            f:close()
            if port then break end
        end
        socket.sleep(0.01)
    end
    if not port then
        os.execute("kill " .. pid .. " 2>/dev/null")
        local f = io.open(log_file)
        local log = f and f:read("a") or ""
        if f then f:close() end
        os.remove(log_file)
        error("bad_dns did not start within 10 s: " .. log)
    end
    return setmetatable({ pid = pid, port = port, address = "127.0.0.1:" .. port,
                          port_file = port_file, log_file = log_file }, Server)
end

-- Kills the server (by its pid) and removes its files. Safe to call twice.
function Server:stop()
    if self.pid then
        os.execute("kill " .. self.pid .. " 2>/dev/null")
        self.pid = nil
    end
    os.remove(self.port_file)
    os.remove(self.log_file)
end

-- A name for behaviour b, made distinct by the labels in front:
-- server.name("servfail", "_sip._tcp.x1") -> "_sip._tcp.x1.servfail.bad.test".
function M.name(behaviour, prefix)
    return (prefix and prefix .. "." or "") .. behaviour .. ".bad.test"
end

return M
