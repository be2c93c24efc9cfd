-- srv.resolve: r:resolve, and the machinery r:resolve_xmpp and r:resolve_turn
-- share with it. Every function takes the resolver's state (srv.resolver)
-- first.
--
-- Every resolution is the same three steps:
--   1. a plan: the SRV names to ask (none for an IP literal);
--   2. fetch them all at once (cache, shared in-flight query, or DNS);
--   3. compute the candidates from the answers (no I/O: ordering, fallback,
--      policy, health), then optionally their addresses.
-- The blocking forms skip the event loop entirely when every answer of
-- step 2 is fresh in the cache.
local fetch = require "srv.fetch"
local loop = require "srv.loop"
local lookup = require "srv.lookup"
local core = require "srv.core"
local health = require "srv.health"
local candidates = require "srv.candidates"
local services = require "srv.services"
local policy_mod = require "srv.policy"
local names = require "srv.names"
local options = require "srv.options"
local codes = require "srv.codes"

local arg_error, is_callable = options.arg_error, options.is_callable
local message, means_no_records = codes.message, codes.means_no_records
local trace = candidates.trace
local defer, await, age = fetch.defer, loop.await, fetch.age

local M = {}

-- Per-call options shared by every resolve_* method.
local NO_OPTIONS = setmetatable({}, { __newindex = function() error("srv: internal: options are read-only", 2) end })

local OPTION_TYPES = { fallback = "boolean", addresses = "boolean", strict = "boolean",
                       trace = "table", transports = "table" }
-- Every resolve_* method takes the same table (docs/lua-api.md, r:resolve).
local OPTION_NAMES = options.names { "fallback", "addresses", "strict", "trace", "transports", "policy", "port" }

local function read_options(opts, n, fname)
    if opts == nil then return NO_OPTIONS end
    if type(opts) ~= "table" then arg_error(n, fname, "table expected, got " .. type(opts)) end
    local problem = options.unknown_option(opts, OPTION_NAMES)
    if problem then arg_error(n, fname, problem) end
    for field, expected in pairs(OPTION_TYPES) do
        local v = opts[field]
        if v ~= nil and type(v) ~= expected then
            arg_error(n, fname, string.format("field '%s': %s expected, got %s", field, expected, type(v)))
        end
    end
    local policy = opts.policy
    if policy ~= nil and not is_callable(policy) then
        arg_error(n, fname, "field 'policy': function or srv.policy expected, got " .. type(policy))
    end
    local port = opts.port
    if port ~= nil then
        local p = options.to_port(port)
        if not p then
            arg_error(n, fname, "field 'port': port 1..65535 expected, got " .. options.describe(port))
        end
        if p ~= port or math.type(port) ~= "integer" then
            -- 7000.0: candidates get the integer, the caller's table stays as it is.
            local copy = {}
            for k, v in pairs(opts) do copy[k] = v end
            copy.port = p
            opts = copy
        end
    end
    return opts
end
M.read_options = read_options

-- The tail every resolution shares: policy, then health. A policy gets a
-- context describing the resolution: plan.name, service, proto and domain,
-- the SRV candidates in answer order, the resolver and the trace.
function M.finish(self, cands, plan, answer)
    local opts = plan.opts
    local log = opts.trace
    local policy = opts.policy or self._policy
    if policy then
        -- ctx.resolver: the object the user holds (nil once it is collected).
        local ctx = { name = plan.name, service = plan.service, proto = plan.proto, domain = plan.domain,
                      resolver = self._public[1], trace = log }
        -- Policies may change the tables they get: give them their own.
        cands, ctx.answer = candidates.copy_all(cands, answer or {})
        local before = #cands
        local out, msg, code = policy_mod.apply(policy, cands, ctx)
        if not out then
            trace(log, { step = "policy", error = msg })
            -- Named like every other failure of a call: which resolution it was.
            return nil, plan.name .. ": " .. msg, code
        end
        trace(log, { step = "policy", before = before, after = #out })
        if #out == 0 then
            return nil, plan.name .. ": the policy left no candidates", codes.POLICY
        end
        cands = out
    end
    return health.apply(self, cands, log)
end

-- Fills c.addresses (A and AAAA as strings, all targets at once), then
-- calls cb(cands). A target whose addresses cannot be found keeps an empty
-- list and gets address_error = code.
function M.add_addresses(self, cands, log, cb)
    local by_target, order = {}, {}
    for _, c in ipairs(cands) do
        local key = names.key(c.target)
        if not by_target[key] then
            by_target[key] = {}
            order[#order + 1] = c.target
        end
        table.insert(by_target[key], c)
    end
    local left = #order
    if left == 0 then return defer(self, cb, cands) end
    for _, target in ipairs(order) do
        local list = by_target[names.key(target)]
        local function done(addresses, _, code)
            for _, c in ipairs(list) do
                c.addresses = addresses or {}
                c.address_error = code
            end
            trace(log, { step = "addresses", target = target, code = code or codes.OK,
                         count = addresses and #addresses or 0 })
            left = left - 1
            if left == 0 then cb(cands) end
        end
        if services.is_ip_literal(target) then
            defer(self, done, { target })
        else
            lookup.fetch_addresses(self, target, done)
        end
    end
end

-- Runs a plan: {names = {...}, compute = function(self, results, plan, now),
-- opts = {...}}. cb(candidates) or cb(nil, msg, code).
function M.run_async(self, plan, cb)
    local log = plan.opts.trace
    fetch.all(self, plan.names, log, function(results, now)
        local cands, msg, code = plan.compute(self, results, plan, now)
        if not cands then return cb(nil, msg, code) end
        if plan.opts.addresses then
            return M.add_addresses(self, (candidates.copy_all(cands, {})), log, cb)
        end
        cb(cands)
    end)
end

local cached_all = fetch.cached_all

function M.run(self, plan)
    local opts = plan.opts
    if not opts.addresses then
        local keys = plan.keys
        if not keys then
            keys = {}
            for i, name in ipairs(plan.names) do keys[i] = names.key(name) end
            plan.keys = keys
        end
        local results, now = cached_all(self, plan.names, keys, opts.trace)
        if results then return plan.compute(self, results, plan, now) end
    end
    return await(self, function(cb) M.run_async(self, plan, cb) end)
end

-- r:resolve -----------------------------------------------------------------

local function compute_resolve(self, results, plan, now)
    local opts, log = plan.opts, plan.opts.trace
    if plan.literal then
        trace(log, { step = "fallback", target = plan.domain, port = plan.port,
                     reason = "an IP address needs no SRV lookup" })
        return M.finish(self, { candidates.fallback(lookup.unbracket(plan.domain), plan.port) }, plan)
    end
    local res = results[1]
    local code = res.code
    if code == codes.OK then
        local answer, dots, unusable, prepared = candidates.usable(res.records, plan.name, age(now, res), log)
        if #answer == 0 then
            local why = unusable > 0 and "no usable SRV records (port 0 or a target equal to the name)"
                or "service decidedly not available (target \".\")"
            if dots + unusable == 0 then why = "no SRV records" end
            return nil, plan.name .. ": " .. why, codes.NOSERVICE
        end
        local ordered = candidates.order(answer, self._rng, opts.strict, prepared)
        if log then trace(log, { step = "order", count = #ordered, strict = opts.strict or false }) end
        return M.finish(self, ordered, plan, answer)
    end
    if means_no_records(code) and opts.fallback ~= false and plan.port then
        -- No SRV records at all: the domain itself on the service's default
        -- port (RFC 6120 3.2.2, RFC 5389 9, RFC 5766 6.1 do so for their
        -- services). A failure to get an answer is not "no records".
        trace(log, { step = "fallback", target = plan.domain, port = plan.port,
                     reason = code .. ": the domain on the default port" })
        return M.finish(self, { candidates.fallback(plan.domain, plan.port) }, plan)
    end
    return nil, message(plan.name, code, self._source), code
end

-- What a name alone decides: service, proto, domain, default port, whether
-- the domain is an IP literal. Kept per name (see below).
local function base_plan(name)
    local service, proto, domain = services.split(name)
    if not service then return nil, proto, codes.BADNAME end
    local literal = services.is_ip_literal(domain) ~= nil
    if not literal then
        -- docs/lua-api.md, "Names": the domain, then the whole name.
        local why = names.domain_problem(domain)
        if why then
            return nil, string.format("%s: the domain %s: %s", names.show(name), names.show(domain), why),
                codes.BADNAME
        end
        why = names.problem(name)
        if why then return nil, names.show(name) .. ": " .. why, codes.BADNAME end
    end
    return { name = name, service = service, proto = proto, domain = domain, opts = NO_OPTIONS,
             compute = compute_resolve, names = { name }, keys = { names.key(name) },
             port = services.default_port(service, proto),
             literal = literal }
end

-- Plans of names are kept, so a cached r:resolve(name) does not parse the
-- name again. Bounded: the memo starts over past PLAN_MEMO_MAX names.
local PLAN_MEMO_MAX = 4096
local plan_memo, plan_memo_count = {}, 0
-- The same plans by (domain, proto, service), for r:resolve(service, proto,
-- domain): three table reads instead of services.join's patterns. Starts
-- over with plan_memo.
local parts_memo = {}

local function memo_plan(name)
    local plan = plan_memo[name]
    if plan then return plan end
    local msg, code
    plan, msg, code = base_plan(name)
    if not plan then return nil, msg, code end
    if plan_memo_count >= PLAN_MEMO_MAX then plan_memo, plan_memo_count, parts_memo = {}, 0, {} end
    plan_memo[name] = plan
    plan_memo_count = plan_memo_count + 1
    return plan
end

-- The plan for one call: the name's plan with the call's options.
local function with_options(base, opts)
    local plan = base
    if opts ~= NO_OPTIONS then
        plan = {}
        for k, v in pairs(base) do plan[k] = v end
        plan.opts = opts
        plan.port = opts.port or base.port
    end
    if plan.literal then
        if not plan.port then
            return nil, string.format("%s: an IP address has no SRV records and %s has no default port",
                plan.name, plan.service), codes.NODATA
        end
        if plan == base then plan = setmetatable({}, { __index = base }) end
        plan.names, plan.keys = {}, {}
    end
    return plan
end

-- resolve(service, proto, domain [, opts]) or resolve(name [, opts]);
-- returns a plan.
local function resolve_plan(fname, first, ...)
    if type(first) ~= "string" then arg_error(1, fname, "string expected, got " .. type(first)) end
    local name, opts
    local second = ...
    if type(second) == "string" then
        local proto, domain
        proto, domain, opts = ...
        if type(domain) ~= "string" then arg_error(3, fname, "string expected, got " .. type(domain)) end
        opts = read_options(opts, 4, fname)
        name = services.join(first, proto, domain)
    else
        if select("#", ...) > 1 then arg_error(3, fname, "no value expected") end
        opts = read_options(second, 2, fname)
        name = first
    end
    local base, msg, code = memo_plan(name)
    if not base then return nil, msg, code end
    return with_options(base, opts)
end

-- The plan of resolve(service, proto, domain) without options, from
-- parts_memo or made and kept there; nil when the parts are not a name.
local function parts_plan(service, proto, domain)
    local by_proto = parts_memo[domain]
    local by_service = by_proto and by_proto[proto]
    local base = by_service and by_service[service]
    if base then return base end
    base = memo_plan(services.join(service, proto, domain))
    if not base then return nil end
    by_proto = parts_memo[domain]    -- memo_plan may have started over
    if not by_proto then
        by_proto = {}
        parts_memo[domain] = by_proto
    end
    by_service = by_proto[proto]
    if not by_service then
        by_service = {}
        by_proto[proto] = by_service
    end
    by_service[service] = base
    return base
end

local OK = codes.OK
local usable, core_order, apply_health = candidates.usable, core.order, health.apply

-- plan -> what candidates.usable last gave the fast path below for it:
-- { entry, second of its age, candidates, prepared }. The same cache entry
-- in the same second gives the same candidates (candidates.usable keeps
-- them per second of age), so the fast path reuses them without the call.
-- Weak keys: a plan the memo dropped takes its record with it.
local last_usable = setmetatable({}, { __mode = "k" })

-- The plan of r:resolve's arguments (name or service, proto, domain, then
-- opts), or nil, msg, code; r:watch resolves with it (srv.watch).
M.plan = resolve_plan

function M.resolve(self, name, a, b, c)
    -- The plan of a call without options, looked up first: plan_memo and
    -- parts_memo hold strings only, so a plan found means string arguments.
    local base
    if b == nil then
        if a == nil and c == nil then base = plan_memo[name] end
    elseif c == nil then
        local by_proto = parts_memo[b]
        local by_service = by_proto and by_proto[a]
        base = by_service and by_service[name]
        if not base and type(b) == "string" and type(a) == "string" and type(name) == "string" then
            base = parts_plan(name, a, b)
        end
    end
    if base and not base.literal then
        -- When the cache has a fresh answer with usable records and no policy
        -- runs, the candidates come straight from it: what M.run does for
        -- that case (fetch, compute_resolve, finish) without the results
        -- array and the calls between; the cached r:resolve is measured per
        -- microsecond (docs/testing.md), and a spec pins that both answer
        -- alike. Every other case goes to M.run.
        local caches = self._caches
        if caches and not self._policy then
            local cache, now = caches.srv, self._clock()
            local e = cache:hit(base.keys[1], now)
            if e then
                if e.code == OK then
                    local age = now - e.stored
                    local second = age // 1
                    local last = last_usable[base]
                    local answer, prepared
                    if last and last[1] == e and last[2] == second then
                        answer, prepared = last[3], last[4]
                    else
                        local _
                        answer, _, _, prepared = usable(e.records, base.name, age)
                        -- Filled in place: resolvers taking turns on a name
                        -- (plans are shared) allocate no record per call.
                        if last then
                            last[1], last[2], last[3], last[4] = e, second, answer, prepared
                        else
                            last_usable[base] = { e, second, answer, prepared }
                        end
                    end
                    local n = #answer
                    if n > 0 then
                        -- candidates.order: prepared is there when n > 1.
                        local cands
                        if n == 1 then cands = { answer[1] } else cands = core_order(prepared, self._rng) end
                        -- health.apply's first test: no marks, no ejections.
                        if self._out == 0 and next(self._down) == nil then return cands end
                        return apply_health(self, cands)
                    end
                end
                cache:return_hit()   -- M.run reads the entry again, and counts that
            end
        end
        return M.run(self, base)
    end
    local plan, msg, code
    if type(a) == "string" then
        plan, msg, code = resolve_plan("resolve", name, a, b, c)
    elseif b ~= nil or c ~= nil then
        -- resolve(name [, opts]) takes two.
        arg_error(b ~= nil and 3 or 4, "resolve", "no value expected")
    else
        plan, msg, code = resolve_plan("resolve", name, a)
    end
    if not plan then return nil, msg, code end
    return M.run(self, plan)
end

-- Splits the trailing callback off an async call's arguments.
function M.split_callback(fname, ...)
    local n = select("#", ...)
    local cb = select(n, ...)
    if not is_callable(cb) then arg_error(n, fname, "function expected, got " .. type(cb)) end
    return cb, table.pack(...), n - 1
end

-- resolve_async(self, name, opts, cb) with opts a table srv made (no
-- variable arguments to split): r:connect's resolution, once per race.
-- fname: the method the user called, which errors in opts name.
function M.resolve_name_async(self, fname, name, opts, cb)
    local plan, msg, code = resolve_plan(fname, name, opts)
    if not plan then return defer(self, cb, nil, msg, code) end
    M.run_async(self, plan, cb)
end

function M.resolve_async(self, ...)
    local cb, args, n = M.split_callback("resolve_async", ...)
    local plan, msg, code = resolve_plan("resolve_async", table.unpack(args, 1, n))
    if not plan then return defer(self, cb, nil, msg, code) end
    M.run_async(self, plan, cb)
end

return M
