-- srv.run.format: how `srv-run lookup` prints candidates. Text is dig-like:
-- comment lines start with ";", and each candidate is one line
--   PRIORITY WEIGHT PORT TARGET SOURCE [key=value ...]
-- (target with its trailing dot unless it is an IP literal; "-" for a
-- missing priority or weight; keys: transport, tls, down, addresses,
-- address_error). JSON gives the same fields by name.
local M = {}

local function is_ip_literal(target)
    return target:match("^%d+%.%d+%.%d+%.%d+$") ~= nil or target:find(":", 1, true) ~= nil
end

function M.display_target(target)
    if is_ip_literal(target) or target:sub(-1) == "." then return target end
    return target .. "."
end

-- "target:port", "[v6]:port": how candidates are named in explanations and
-- simulations (with "/transport" for TURN and STUN, whose lists may hold one
-- target and port on several transports).
function M.endpoint(c)
    local host = c.target:find(":", 1, true) and "[" .. c.target .. "]" or c.target
    local text = host .. ":" .. tostring(c.port)
    if c.transport then text = text .. "/" .. c.transport end
    return text
end

local function field(value)
    return value == nil and "-" or tostring(value)
end

function M.candidate_line(c)
    local words = { field(c.priority), field(c.weight), field(c.port), M.display_target(c.target), field(c.source) }
    if c.transport then words[#words + 1] = "transport=" .. c.transport end
    if c.tls then words[#words + 1] = "tls=yes" end
    if c.down then words[#words + 1] = "down=yes" end
    if c.addresses and #c.addresses > 0 then
        words[#words + 1] = "addresses=" .. table.concat(c.addresses, ",")
    end
    if c.address_error then words[#words + 1] = "address_error=" .. c.address_error end
    return table.concat(words, " ")
end

-- The fields of a candidate for JSON.
function M.candidate_object(c)
    return {
        target = c.target, port = c.port, priority = c.priority, weight = c.weight,
        ttl = c.ttl, source = c.source, transport = c.transport, tls = c.tls,
        down = c.down, addresses = c.addresses, address_error = c.address_error,
    }
end

return M
