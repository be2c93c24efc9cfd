-- srv.turn: r:resolve_turn(domain_or_uri [, opts]) and r:resolve_stun(...).
--
-- The URI (RFC 7064 stun:/stuns:, RFC 7065 turn:/turns:, or a bare domain)
-- decides which transports may be used; srv.uri turns that into one SRV name
-- per transport (RFC 5928 3). The names are asked at once. Each transport's
-- records are put in RFC 2782 order on their own and the transports follow
-- one another in the caller's order of preference (opts.transports, default
-- udp, tcp, tls), as RFC 5928 3 builds its list transport by transport.
-- A transport with no SRV records (NXDOMAIN/NODATA) falls back to the host on
-- the default port (3478, or 5349 for TLS); one whose lookup failed is left
-- out and reported in the trace; one whose answer is a lone "." is left out.
-- Every function takes the resolver's state (srv.resolver) first.
local fetch = require "srv.fetch"
local lookup = require "srv.lookup"
local argcheck = require "srv.argcheck"
local resolve = require "srv.resolve"
local candidates = require "srv.candidates"
local uri_mod = require "srv.uri"
local codes = require "srv.codes"

local M = {}

local trace = candidates.trace
local message = codes.message

local TRANSPORTS = { udp = true, tcp = true, tls = true, dtls = true }

local SCHEMES = {
    turn = { turn = true, turns = true },
    stun = { stun = true, stuns = true },
}

local function compute(self, results, plan, now)
    local opts, log = plan.opts, plan.opts.trace
    local out, answer = {}, {}
    local first_error, dots = nil, 0
    local i = 0
    for _, step in ipairs(plan.steps) do
        local extra = { transport = step.transport }
        if step.no_srv then
            out[#out + 1] = candidates.fallback(step.host, step.port, extra)
            trace(log, { step = "fallback", target = step.host, port = step.port, transport = step.transport,
                         reason = "an explicit port or an IP address needs no SRV lookup" })
        else
            i = i + 1
            local res = results[i]
            if res.code == codes.OK then
                local mine = candidates.usable(res.records, step.name, fetch.age(now, res), log, extra, step.transport)
                if #mine == 0 then dots = dots + 1 end
                for _, c in ipairs(mine) do answer[#answer + 1] = c end
                for _, c in ipairs(candidates.order(mine, self._rng, opts.strict)) do out[#out + 1] = c end
            elseif res.code == codes.NOSERVICE then
                dots = dots + 1
                trace(log, { step = "skip", name = step.name, transport = step.transport,
                             reason = "service decidedly not available (target \".\")" })
            elseif codes.means_no_records(res.code) then
                if opts.fallback ~= false then
                    out[#out + 1] = candidates.fallback(step.host, step.default_port, extra)
                    trace(log, { step = "fallback", target = step.host, port = step.default_port,
                                 transport = step.transport, reason = res.code .. ": the host on the default port" })
                end
            else
                first_error = first_error or { step.name, res.code }
                trace(log, { step = "skip", name = step.name, transport = step.transport,
                             reason = "lookup failed: " .. res.code })
            end
        end
    end
    if #out == 0 then
        if first_error then return nil, message(first_error[1], first_error[2], self._source), first_error[2] end
        if dots > 0 then
            return nil, plan.host .. ": service decidedly not available (target \".\")", codes.NOSERVICE
        end
        -- Only reachable with opts.fallback == false: every transport had no records.
        return nil, plan.host .. ": no SRV records and fallback disabled", codes.NODATA
    end
    return resolve.finish(self, out, plan, answer)
end

local function plan_for(kind, fname, text, opts)
    if type(text) ~= "string" then
        argcheck.raise(string.format("bad argument #1 to '%s' (string expected, got %s)", fname, type(text)))
    end
    opts = resolve.read_options(opts, 2, fname)
    local parsed, msg, code = uri_mod.parse_target(text, kind)
    if not parsed then return nil, msg, code end
    if not SCHEMES[kind][parsed.scheme] then
        return nil, string.format("%s: resolve_%s takes %s: and %ss: URIs, not %s:", text, kind, kind, kind, parsed.scheme),
            codes.BADURI
    end
    local transports = opts.transports
    if transports then
        for i, t in ipairs(transports) do
            if not TRANSPORTS[t] then
                argcheck.raise(string.format("bad argument #2 to '%s' (field 'transports': entry %d must be "
                    .. "udp, tcp, tls or dtls, got %s)", fname, i, tostring(t)))
            end
        end
    end
    -- nil: srv.uri's default, udp, tcp, tls (and dtls when the URI asks for it)
    local steps = uri_mod.candidates_plan(parsed, transports)
    if #steps == 0 then
        return nil, string.format("%s: no transport is both allowed by the URI and listed in opts.transports",
            text), codes.BADURI
    end
    -- Names leave srv without their trailing dot, whatever the URI had.
    local host = parsed.host == "." and "." or parsed.host:gsub("%.$", "")
    for _, step in ipairs(steps) do step.host = host end
    local plan = { text = text, scheme = parsed.scheme, host = host, opts = opts,
                   name = text, service = parsed.scheme, domain = host,
                   steps = steps, compute = compute, names = {} }
    for _, step in ipairs(steps) do
        if not step.no_srv then plan.names[#plan.names + 1] = step.name end
    end
    return plan
end

local function resolve_uri(self, kind, fname, text, opts)
    local plan, msg, code = plan_for(kind, fname, text, opts)
    if not plan then return nil, msg, code end
    return resolve.run(self, plan)
end

local function resolve_uri_async(self, kind, fname, ...)
    local cb, args, n = resolve.split_callback(fname, ...)
    local text, opts = table.unpack(args, 1, n)
    local plan, msg, code = plan_for(kind, fname, text, opts)
    if not plan then return fetch.defer(self, cb, nil, msg, code) end
    resolve.run_async(self, plan, cb)
end

function M.resolve_turn(self, text, opts)
    return resolve_uri(self, "turn", "resolve_turn", text, opts)
end

function M.resolve_turn_async(self, ...)
    return resolve_uri_async(self, "turn", "resolve_turn_async", ...)
end

function M.resolve_stun(self, text, opts)
    return resolve_uri(self, "stun", "resolve_stun", text, opts)
end

function M.resolve_stun_async(self, ...)
    return resolve_uri_async(self, "stun", "resolve_stun_async", ...)
end

return M
