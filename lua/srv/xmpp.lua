-- srv.xmpp: r:resolve_xmpp(domain, "client"|"server" [, opts]).
--
-- XEP-0368: the direct-TLS records (_xmpps-client/_xmpps-server) and the
-- STARTTLS records (_xmpp-client/_xmpp-server) are asked at once and mixed
-- into one set, ordered in one RFC 2782 pass by priority and weight; direct
-- TLS candidates carry tls=true. RFC 6120 3.2: with no records at all, the
-- domain itself on 5222 (client) or 5269 (server). Every function takes the
-- resolver's state (srv.resolver) first.
local fetch = require "srv.fetch"
local lookup = require "srv.lookup"
local argcheck = require "srv.argcheck"
local resolve = require "srv.resolve"
local candidates = require "srv.candidates"
local services = require "srv.services"
local codes = require "srv.codes"
local names = require "srv.names"

local M = {}

local trace = candidates.trace
local message = codes.message

local KINDS = { client = true, server = true }

-- What one of the two answers says: "records", "dot" (decidedly not
-- available, or nothing usable), "none" (NXDOMAIN/NODATA) or "error".
local function collect(answer, res, now, name, log, extra)
    local code = res.code
    if code == codes.OK then
        local list = candidates.usable(res.records, name, fetch.age(now, res), log, extra,
                                       extra.tls and "tls" or "plain")
        for i = 1, #list do answer[#answer + 1] = list[i] end
        return #list > 0 and "records" or "dot"
    elseif code == codes.NOSERVICE then
        return "dot"
    elseif codes.means_no_records(code) then
        return "none"
    end
    return "error"
end

local function compute(self, results, plan, now)
    local opts, log = plan.opts, plan.opts.trace
    local tls_name, plain_name = plan.names[1], plan.names[2]
    local answer = {}
    local tls_says = collect(answer, results[1], now, tls_name, log, { tls = true })
    local plain_says = collect(answer, results[2], now, plain_name, log, { tls = false })
    if #answer > 0 then
        if tls_says == "error" or plain_says == "error" then
            trace(log, { step = "partial", reason = "one of the two lookups failed; using the other" })
        end
        local ordered = candidates.order(answer, self._rng, opts.strict)
        if log then trace(log, { step = "order", count = #ordered, strict = opts.strict or false }) end
        return resolve.finish(self, ordered, plan, answer)
    end
    -- Nothing usable. A failed lookup is not "no records": report it.
    if plain_says == "error" then
        return nil, message(plain_name, results[2].code, self._source), results[2].code
    elseif tls_says == "error" then
        return nil, message(tls_name, results[1].code, self._source), results[1].code
    end
    if plain_says == "dot" or (tls_says == "dot" and plain_says ~= "none") then
        return nil, plan.domain .. ": XMPP service decidedly not available (target \".\")", codes.NOSERVICE
    end
    -- _xmpp-* has no records; a lone "." in _xmpps-* only rules out direct TLS.
    if opts.fallback ~= false then
        trace(log, { step = "fallback", target = plan.domain, port = plan.port,
                     reason = "no SRV records: the domain on the default port (RFC 6120 3.2.2)" })
        return resolve.finish(self, { candidates.fallback(plan.domain, plan.port, { tls = false }) }, plan)
    end
    return nil, message(plain_name, results[2].code, self._source), results[2].code
end

local function plan_for(fname, domain, kind, opts, n_opts)
    if type(domain) ~= "string" then
        argcheck.raise(string.format("bad argument #1 to '%s' (string expected, got %s)", fname, type(domain)))
    end
    if kind == nil then kind = "client" end
    if not KINDS[kind] then
        argcheck.raise(string.format("bad argument #2 to '%s' (\"client\" or \"server\" expected, got %s)",
            fname, tostring(kind)))
    end
    opts = resolve.read_options(opts, n_opts, fname)
    local literal = services.is_ip_literal(domain)
    if literal then
        domain = lookup.unbracket(domain)
    else
        -- docs/lua-api.md, "Names": a JID, a URI, an SRV name are named as such.
        local why = names.domain_problem(domain)
            or names.problem(services.join("xmpps-" .. kind, "tcp", domain))
        if why then return nil, names.show(domain) .. ": " .. why, codes.BADNAME end
        domain = domain:gsub("%.$", "")
    end
    local plan = {
        kind = kind, domain = domain, opts = opts, compute = compute,
        name = services.join("xmpp-" .. kind, "tcp", domain), service = "xmpp-" .. kind, proto = "tcp",
        port = services.default_port("xmpp-" .. kind, "tcp"),
        names = { services.join("xmpps-" .. kind, "tcp", domain), services.join("xmpp-" .. kind, "tcp", domain) },
    }
    if literal then
        plan.names = { }
        plan.compute = function(self, _, p)
            trace(opts.trace, { step = "fallback", target = domain, port = p.port,
                                reason = "an IP address needs no SRV lookup" })
            return resolve.finish(self, { candidates.fallback(domain, p.port, { tls = false }) }, p)
        end
    end
    return plan
end

function M.resolve_xmpp(self, domain, kind, opts)
    local plan, msg, code = plan_for("resolve_xmpp", domain, kind, opts, 3)
    if not plan then return nil, msg, code end
    return resolve.run(self, plan)
end

function M.resolve_xmpp_async(self, ...)
    local cb, args, n = resolve.split_callback("resolve_xmpp_async", ...)
    local domain, kind, opts = table.unpack(args, 1, n)
    local plan, msg, code = plan_for("resolve_xmpp_async", domain, kind, opts, 3)
    if not plan then return fetch.defer(self, cb, nil, msg, code) end
    resolve.run_async(self, plan, cb)
end

return M
