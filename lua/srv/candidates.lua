-- srv.candidates: from SRV records to the ordered candidates srv resolves to.
--
-- A candidate is {target=, port=, priority=, weight=, ttl=, source=} with
-- source "srv" (from an SRV record), "fallback" (the domain itself on the
-- service's default port) or "policy" (added by a policy).
local core = require "srv.core"
local names = require "srv.names"

local M = {}
local floor = math.floor

-- candidate -> the list of candidates of the SRV answer it came from (one
-- service), for passive health's max_ejected_percent (srv.health). Weak
-- keys, an ephemeron: the list goes with the last of its candidates.
local service_of = setmetatable({}, { __mode = "k" })
M.service_of = service_of

function M.trace(trace, entry)
    if trace then trace[#trace + 1] = entry end
end
local trace = M.trace

-- Appends to `out` a candidate for each usable record of an SRV answer; the
-- records that cannot be used go to the trace. Returns how many records had
-- target "." and how many were unusable for another reason.
--   RFC 2782: target "." = decidedly not available; with other records it is dropped.
--   A port of 0 cannot be connected to, and a target equal to the queried
--   name would loop back to the same SRV lookup: both are left out.
-- The usable records are put in one canonical order (docs/overview.md,
-- "Seeds"), so that the seeded shuffle depends on the records and not on the
-- order the answer listed them in: a zone file, knotd and any other server
-- serving the same records give the same order for the same seed.
local function canonical_before(a, b)
    if a.priority ~= b.priority then return a.priority < b.priority end
    local ka, kb = names.key(a.target), names.key(b.target)
    if ka ~= kb then return ka < kb end
    if a.port ~= b.port then return a.port < b.port end
    if a.weight ~= b.weight then return a.weight < b.weight end
    if a.target ~= b.target then return a.target < b.target end
    return a.ttl < b.ttl
end

local function is_canonical(list, first, last)
    for i = first + 1, last do
        if canonical_before(list[i], list[i - 1]) then return false end
    end
    return true
end

function M.collect(out, records, qname, age, log, extra)
    local first = #out + 1
    local dots, unusable = 0, 0
    local qkey = names.key(qname)
    local whole = age and age >= 1 and floor(age) or 0   -- an integer: TTLs stay integers
    for i = 1, #records do
        local r = records[i]
        local target = r.target
        if target == "." then
            dots = dots + 1
            trace(log, { step = "skip", name = qname, target = ".", port = r.port,
                         reason = "target \".\" among other records (RFC 2782)" })
        elseif r.port == 0 then
            unusable = unusable + 1
            trace(log, { step = "skip", name = qname, target = target, port = 0, reason = "port 0" })
        elseif names.key(target) == qkey then
            unusable = unusable + 1
            trace(log, { step = "skip", name = qname, target = target, port = r.port,
                         reason = "target is the queried name" })
        else
            local ttl = r.ttl - whole
            if ttl < 0 then ttl = 0 end
            local c = { target = target, port = r.port, priority = r.priority,
                        weight = r.weight, ttl = ttl, source = "srv" }
            if extra then
                for k, v in pairs(extra) do c[k] = v end
            end
            out[#out + 1] = c
            service_of[c] = out
        end
    end
    if not is_canonical(out, first, #out) then
        local mine = table.move(out, first, #out, 1, {})
        table.sort(mine, canonical_before)
        table.move(mine, 1, #mine, first, out)
    end
    return dots, unusable
end

-- The candidates of one cached answer are built once per second of its age
-- and shared by the calls that read them (that is what makes a cached
-- r:resolve cost little more than the shuffle): callers that change
-- candidates copy them first (M.copy_all). Weak keys: an answer the cache
-- dropped takes its candidates with it.
local shared = setmetatable({}, { __mode = "k" })

-- Like collect, for an answer that may be shared: returns the candidate
-- list, dots, unusable. Without a trace the list comes from (and goes to)
-- the memo; sig names what `extra` adds, so each use gets its own list.
function M.usable(records, qname, age, log, extra, sig)
    if log then
        local out = {}
        local dots, unusable = M.collect(out, records, qname, age, log, extra)
        return out, dots, unusable
    end
    -- The memo's second of age; collect takes its own (an integer) from age.
    local whole = age and age >= 1 and age // 1 or 0
    local by_sig = shared[records]
    if not by_sig then
        by_sig = {}
        shared[records] = by_sig
    end
    local key = sig and (qname .. "|" .. sig) or qname
    local memo = by_sig[key]
    if not memo or memo.whole ~= whole then
        local out = {}
        local dots, unusable = M.collect(out, records, qname, age, nil, extra)
        -- prepared: the fields the shuffle reads, taken once (core.prepare)
        memo = { whole = whole, list = out, dots = dots, unusable = unusable,
                 prepared = #out > 1 and core.prepare(out) or nil }
        by_sig[key] = memo
    end
    return memo.list, memo.dots, memo.unusable, memo.prepared
end

-- Fresh copies of cands, and of answer with the same copies in it (policies
-- match the two by identity).
function M.copy_all(cands, answer)
    local copies = {}
    local function copy(c)
        local new = copies[c]
        if not new then
            new = {}
            for k, v in pairs(c) do new[k] = v end
            copies[c] = new
            service_of[new] = service_of[c]
        end
        return new
    end
    local out, out_answer = {}, {}
    for i = 1, #cands do out[i] = copy(cands[i]) end
    for i = 1, #answer do out_answer[i] = copy(answer[i]) end
    return out, out_answer
end

-- RFC 2782 order of candidates (priority ascending, weighted shuffle inside
-- a priority), computed by the core; prepared (from M.usable) saves reading
-- the candidates' fields again.
function M.order(answer, rng, strict, prepared)
    if #answer < 2 then
        local copy = {}
        copy[1] = answer[1]
        return copy
    end
    return (core.order(prepared or answer, rng, strict))
end

function M.fallback(domain, port, extra)
    local c = { target = domain, port = port, priority = 0, weight = 0, ttl = 0, source = "fallback" }
    if extra then
        for k, v in pairs(extra) do c[k] = v end
    end
    return c
end

return M
