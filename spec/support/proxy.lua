-- A DNS proxy on 127.0.0.1 whose behaviour a spec switches at will:
-- "forward" (pass queries to knotd and replies back), "servfail" (answer
-- SERVFAIL itself) or "silent" (drop queries: the client times out).
-- The spec calls proxy:pump() between resolver steps; there is no thread.
local socket = require "socket"

local M = {}
local Proxy = {}
Proxy.__index = Proxy

function M.new(upstream)
    local host, port = upstream:match("^(.*):(%d+)$")
    local listen = assert(socket.udp())
    assert(listen:setsockname("127.0.0.1", 0))
    listen:settimeout(0)
    local up = assert(socket.udp())
    assert(up:setpeername(host, tonumber(port)))
    up:settimeout(1)
    local _, listen_port = listen:getsockname()
    return setmetatable({ listen = listen, up = up, mode = "forward", queries = 0,
                          address = "127.0.0.1:" .. listen_port }, Proxy)
end

-- A SERVFAIL reply to a query: same id and question, QR set, RD copied,
-- RA set, RCODE 2, no records (RFC 1035 4.1.1).
local function servfail(query)
    local flags1 = 0x80 | (query:byte(3) & 0x01)
    return query:sub(1, 2) .. string.char(flags1, 0x82) .. query:sub(5, 6) .. "\0\0\0\0\0\0" .. query:sub(13)
end

function Proxy:pump()
    while true do
        local data, ip, port = self.listen:receivefrom()
        if not data then return end
        self.queries = self.queries + 1
        if self.mode == "forward" then
            self.up:send(data)
            local reply = self.up:receive()
            if reply then self.listen:sendto(reply, ip, port) end
        elseif self.mode == "servfail" then
            self.listen:sendto(servfail(data), ip, port)
        end
    end
end

-- Steps resolver r while pumping, until done() is true.
function Proxy:drive(r, done)
    local rounds = 0
    while not done() do
        rounds = rounds + 1
        assert(rounds < 10000, "proxy:drive: no progress")
        self:pump()
        r:step(0.005)
    end
end

function Proxy:close()
    self.listen:close()
    self.up:close()
end

return M
