-- srv.run.query: what `srv-run lookup` resolves, from its operands and the
-- --xmpp/--turn/--stun options: an SRV name (one word or three), an XMPP
-- domain, or a TURN/STUN URI. A query knows how to ask a resolver.
local M = {}

local query_mt = {}
query_mt.__index = query_mt

-- q:resolve(r, opts) -> candidates or nil, message, code
function query_mt:resolve(r, opts)
    if self.kind == "xmpp" then return r:resolve_xmpp(self.domain, self.xmpp_kind, opts) end
    if self.kind == "turn" then return r:resolve_turn(self.uri, opts) end
    if self.kind == "stun" then return r:resolve_stun(self.uri, opts) end
    return r:resolve(self.name, opts)
end

-- q:resolve_async(r, opts, cb): the same, cb(candidates) or cb(nil, message, code).
function query_mt:resolve_async(r, opts, cb)
    if self.kind == "xmpp" then return r:resolve_xmpp_async(self.domain, self.xmpp_kind, opts, cb) end
    if self.kind == "turn" then return r:resolve_turn_async(self.uri, opts, cb) end
    if self.kind == "stun" then return r:resolve_stun_async(self.uri, opts, cb) end
    return r:resolve_async(self.name, opts, cb)
end

-- M.from(options, operands) -> query or nil, usage problem
function M.from(options, operands)
    local chosen = 0
    for _, option in ipairs { "xmpp", "turn", "stun" } do
        if options[option] then chosen = chosen + 1 end
    end
    if chosen > 1 then return nil, "--xmpp, --turn and --stun exclude each other" end
    if options.xmpp then
        if options.xmpp ~= "client" and options.xmpp ~= "server" then
            return nil, "bad value '" .. options.xmpp .. "' for --xmpp: client or server expected"
        end
        if #operands ~= 1 then return nil, "--xmpp " .. options.xmpp .. " needs one DOMAIN" end
        return setmetatable({ kind = "xmpp", xmpp_kind = options.xmpp, domain = operands[1],
                              name = "xmpp-" .. options.xmpp .. " " .. operands[1] }, query_mt)
    end
    for _, scheme in ipairs { "turn", "stun" } do
        if options[scheme] then
            if #operands ~= 0 then return nil, "--" .. scheme .. " takes the URI, no NAME" end
            return setmetatable({ kind = scheme, uri = options[scheme], name = options[scheme] }, query_mt)
        end
    end
    if #operands == 1 then
        return setmetatable({ kind = "srv", name = operands[1] }, query_mt)
    elseif #operands == 3 and not (operands[1] .. operands[2]):find("[.%s]") then
        for i, what in ipairs { "service", "proto", "domain" } do
            if operands[i]:gsub("^_", "") == "" then return nil, "NAME as three words: the " .. what .. " is empty" end
        end
        local service, proto, domain = operands[1]:gsub("^_", ""), operands[2]:gsub("^_", ""), operands[3]
        return setmetatable({ kind = "srv", name = "_" .. service .. "._" .. proto .. "." .. domain }, query_mt)
    elseif #operands == 0 then
        return nil, "no NAME given"
    end
    return nil, "NAME is one word (_service._proto.domain) or three (service proto domain)"
end

return M
