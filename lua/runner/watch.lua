-- srv.run.watch: `srv-run watch NAME [OPTIONS]`, a service's candidates as
-- they change: the set, then each change (r:watch's diffs) with the time it
-- was seen, as text or one JSON object per line, until SIGINT (Ctrl-C), which
-- ends it with status 0 (docs/srv-run.md, "srv-run watch").
local codes = require "srv.codes"
local exit = require "srv.run.exit"
local usage = require "srv.run.usage"
local source = require "srv.run.source"
local query = require "srv.run.query"
local format = require "srv.run.format"
local json = require "srv.run.json"
local script = require "srv.run.script"
local lookup = require "srv.run.lookup"
local watch_defaults = require("srv.watch").defaults
local guard = require "srv.run.guard"

local M = {}

local OPTIONS = {
    addresses = { kind = "flag" },
    ["no-fallback"] = { kind = "flag" },
    json = { kind = "flag" },
    ["min-ttl"] = { kind = "seconds" },
    ["max-ttl"] = { kind = "seconds" },
    jitter = { kind = "fraction" },
    ["failure-refresh"] = { kind = "seconds" },
    help = { kind = "flag" },
}
for name, option in pairs(source.OPTIONS) do OPTIONS[name] = option end
for name, option in pairs(lookup.POLICY_OPTIONS) do OPTIONS[name] = option end

-- The time of an event: UTC, ISO 8601, to the second.
local function timestamp()
    return os.date("!%Y-%m-%dT%H:%M:%SZ")
end

local function plural(n, word)
    return string.format("%d %s%s", n, word, n == 1 and "" or "s")
end

local function objects(list)
    local out = {}
    for i, c in ipairs(list) do out[i] = format.candidate_object(c) end
    return out
end

-- What the printer raises when the name is in none of the zones of --zone
-- from the start: a usage error, as for lookup (docs/srv-run.md, "srv-run
-- watch": usage errors exit with status 2 before anything is watched).
local NOT_IN_ZONE = setmetatable({}, { __tostring = function() return "name in none of the zones" end })

-- Prints one event of the watch: the first set, a change, a failure.
local function printer(name, as_json)
    local seen_set, failing = false, false
    local function emit(object)
        io.stdout:write(json.encode(object), "\n")
        io.stdout:flush()
    end
    local function line(text)
        io.stdout:write(text, "\n")
    end
    return function(set, diff, code, stale)
        -- Ctrl-C while a policy ran is caught with the policy's errors (a
        -- POLICY failure, "policy failed: interrupted!"): it ends the watch
        -- all the same, and is no failure to print.
        if guard.interrupted() then error("interrupted!", 0) end
        local time = timestamp()
        if not set then
            if code == codes.NOTINZONE and not seen_set and not failing then
                if as_json then emit { time = timestamp(), name = name, event = "failure", error = diff, code = code } end
                NOT_IN_ZONE.message = diff
                error(NOT_IN_ZONE, 0)
            end
            local msg = code == codes.POLICY and script.policy_frames_only(diff) or diff
            -- a policy's message, or a name from a DNS answer: escaped for
            -- the terminal, as lookup's (--json escapes its strings)
            failing = true
            if as_json then
                emit { time = time, name = name, event = "failure", error = msg, code = code,
                       stale = stale and objects(stale) or nil }
            else
                line(string.format(";; %s %s: failed (%s): %s", time, name, code, format.escape(msg, true)))
                if stale then
                    line(string.format(";; keeping the last %s, stale", plural(#stale, "candidate")))
                end
                io.stdout:flush()
            end
            return
        end
        local event = not seen_set and "set" or "change"
        local recovered = failing
        seen_set, failing = true, false
        if as_json then
            local out = { time = time, name = name, event = event, candidates = objects(set),
                          recovered = recovered or nil }
            if event == "change" then
                out.added, out.removed, out.changed = objects(diff.added), objects(diff.removed), objects(diff.changed)
            end
            return emit(out)
        end
        if event == "set" then
            line(string.format(";; %s %s: %s", time, name, plural(#set, "candidate")))
            for _, c in ipairs(set) do line(format.candidate_line(c)) end
        else
            local what = string.format("%d added, %d removed, %d changed", #diff.added, #diff.removed,
                                       #diff.changed)
            line(string.format(";; %s %s: %s%s; %s now", time, name, recovered and "recovered: " or "",
                               what, plural(#set, "candidate")))
            for _, c in ipairs(diff.added) do line("+ " .. format.candidate_line(c)) end
            for _, c in ipairs(diff.removed) do line("- " .. format.candidate_line(c)) end
            for _, c in ipairs(diff.changed) do line("~ " .. format.candidate_line(c)) end
        end
        io.stdout:flush()
    end
end

function M.main(progname, argv)
    local options, operands = lookup.parse_command(progname, argv, OPTIONS)
    if not options then return operands end
    local q, problem = query.from({}, operands)
    if not q then return usage.error(progname, problem) end
    local resolver_options
    resolver_options, problem = source.resolver_options(options)
    if not resolver_options then return usage.error(progname, problem) end
    local watch_options = {
        fallback = not options["no-fallback"], addresses = options.addresses or nil,
        min_ttl = options["min-ttl"], max_ttl = options["max-ttl"], jitter = options.jitter,
        failure_refresh = options["failure-refresh"],
    }
    local min_ttl = watch_options.min_ttl or watch_defaults.min_ttl
    local max_ttl = watch_options.max_ttl or watch_defaults.max_ttl
    if max_ttl < min_ttl then
        return usage.error(progname, string.format("--max-ttl (%s) is below --min-ttl (%s)", max_ttl, min_ttl))
    end
    local policy, status = lookup.load_policy(progname, options)
    if policy == false then return status end
    watch_options.policy = policy
    local r, open_status = source.open(progname, options, resolver_options)
    if not r then return open_status end
    local w, msg, code = r:watch(q.name, printer(q.name, options.json), watch_options)
    if not w then
        r:close()
        return usage.error(progname, msg)   -- a name r:resolve refuses (BADNAME)
    end
    -- r:run() would go on after the interruption (it runs every callback
    -- whatever one raises); stepping lets it end the loop.
    local ok, err = pcall(function()
        while true do r:step() end
    end)
    w:cancel()
    r:close()
    -- The interruption may come through a callback, with its traceback.
    if not ok and err == NOT_IN_ZONE then return usage.error(progname, err.message) end
    if not ok and not (type(err) == "string" and err:match("^interrupted!%f[\n\0]")) then error(err, 0) end
    return exit.OK
end

return M
