-- A TCP server on loopback for the connection specs (spec/support/loopback.lua
-- starts it as a separate process, so that it answers while the spec's own
-- process blocks in r:connect). Arguments: KIND:ADDRESS ..., where KIND is
--   close  accept, then close at once (connects, but is no use);
--   greet  accept, wait 0.3 s, then send "hello\n" and keep the connection.
-- Prints its pid and the ports in argument order on one line, then serves
-- until killed or until 60 s have passed (so a failed spec leaves nothing).
local socket = require "socket"

local servers, ports, kind_of = {}, {}, {}
for i = 1, #arg do
    local kind, address = arg[i]:match("^(%a+):(.+)$")
    local server = assert(socket.bind(address, 0, 64))
    server:settimeout(0)
    local _, port = server:getsockname()
    servers[#servers + 1], ports[#ports + 1], kind_of[server] = server, port, kind
end
local stat = io.open("/proc/self/stat"):read("l")
io.write(stat:match("^(%d+)"), " ", table.concat(ports, " "), "\n")
io.flush()

local greetings, kept = {}, {}
local deadline = socket.gettime() + 60
while socket.gettime() < deadline do
    local readable = socket.select(servers, nil, 0.02)
    for _, server in ipairs(readable) do
        local client = server:accept()
        if client then
            if kind_of[server] == "close" then
                client:close()
            else
                greetings[#greetings + 1] = { client = client, at = socket.gettime() + 0.3 }
            end
        end
    end
    local now = socket.gettime()
    for i = #greetings, 1, -1 do
        local g = greetings[i]
        if now >= g.at then
            g.client:send("hello\n")
            kept[#kept + 1] = g.client
            table.remove(greetings, i)
        end
    end
end
