-- srv.run.lookup: `srv-run lookup NAME [OPTIONS]`, the ordered candidates
-- of a service as srv's resolver gives them, as text or JSON, drawn many
-- times (--simulate) or explained (--explain).
local srv = require "srv"
local names = require "srv.names"
local codes = require "srv.codes"
local args = require "srv.run.args"
local exit = require "srv.run.exit"
local usage = require "srv.run.usage"
local source = require "srv.run.source"
local query = require "srv.run.query"
local format = require "srv.run.format"
local json = require "srv.run.json"
local script = require "srv.run.script"
local explain = require "srv.run.explain"
local sandbox = require "srv.run.sandbox"
local simulate = require "srv.run.simulate"
local core = require "srv.core"

local M = {}

-- A --down without an end is down for the whole run.
local DOWN_FOR_EVER = 1e9
-- A lookup still waiting after this many seconds says on stderr which
-- servers it waits for (docs/srv-run.md, "--timeout"), so a silent server
-- is not mistaken for a hang.
local SLOW_AFTER = 1

-- The options of --policy, for every command that takes one (lookup, watch,
-- connect).
M.POLICY_OPTIONS = {
    policy = { kind = "string" },
    ["policy-arg"] = { kind = "string", list = true },
    ["no-sandbox"] = { kind = "flag" },
    budget = { kind = "positive_integer" },
    ["policy-seconds"] = { kind = "seconds" },
    ["policy-memory"] = { kind = "positive_integer" },
}

local OPTIONS = {
    down = { kind = "string", list = true },
    addresses = { kind = "flag" },
    ["no-fallback"] = { kind = "flag" },
    xmpp = { kind = "string" },
    turn = { kind = "string" },
    stun = { kind = "string" },
    json = { kind = "flag" },
    simulate = { kind = "positive_integer" },
    explain = { kind = "flag" },
    help = { kind = "flag" },
}
for name, option in pairs(source.OPTIONS) do OPTIONS[name] = option end
for name, option in pairs(M.POLICY_OPTIONS) do OPTIONS[name] = option end
-- dig's habit: "srv-run lookup @127.0.0.1 NAME" is --server 127.0.0.1.
OPTIONS.server = { kind = source.OPTIONS.server.kind, list = source.OPTIONS.server.list, at = true }

-- "host", "host:port", "[v6]", "[v6]:port", "v6" -> { target =, port = (or nil) }.
-- One colon separates a port, which must be 1..65535 as r:mark_down's is;
-- more than one is an IPv6 address without brackets.
local function parse_down(text)
    local port
    local target, rest = text:match("^%[([^%]]*)%](.*)$")
    if target then
        -- "[v6]x" and "[v6]:" have a port that is no number: refused below.
        if rest ~= "" then port = rest:match("^:(.*)$") or "" end
    elseif select(2, text:gsub(":", "")) == 1 then
        target, port = text:match("^(.*):(.*)$")
    else
        target = text
    end
    local number = port and port:match("^%d+$") and math.tointeger(tonumber(port))
    if target == "" or (port and not (number and number >= 1 and number <= 65535)) then
        return nil, "bad value '" .. text .. "' for --down: TARGET or TARGET:PORT (port 1-65535) expected"
    end
    return { target = target, port = number or nil, text = text }
end

-- What --explain and --simulate keep of a list: a policy's list is taken
-- before srv has checked it, so anything that is not a table is skipped.
local function endpoints(list)
    local out = {}
    for _, c in ipairs(list) do
        if type(c) == "table" then
            out[#out + 1] = { endpoint = format.endpoint(c), target = c.target, port = c.port,
                              priority = c.priority, weight = c.weight, transport = c.transport,
                              source = c.source }
        end
    end
    return out
end

-- Who a slow lookup waits for: the --server list, or the system's resolvers.
local function servers_text(run)
    local servers = run.resolver_options and run.resolver_options.servers
    if not servers then return "the system's resolvers (/etc/resolv.conf)" end
    return table.concat(servers, ", ")
end

-- Runs q:resolve_async on r and steps r until the answer is there, as the
-- blocking r:resolve would, saying once on stderr which servers it still
-- waits for when that takes longer than SLOW_AFTER seconds.
local function resolve_and_wait(run, r, opts)
    local results
    run.query:resolve_async(r, opts, function(...) results = table.pack(...) end)
    local warn_at = core.now() + SLOW_AFTER
    while not results do
        local left = warn_at and warn_at - core.now()
        if left and left <= 0 then
            io.stderr:write(run.progname, ": ", run.query.name, ": still waiting for an answer from ",
                            servers_text(run), "\n")
            warn_at, left = nil, nil
        end
        r:step(left)
    end
    return table.unpack(results, 1, results.n)
end

-- One resolution with everything --explain and --simulate need to know:
-- candidates, info = { trace, answer, before, after } (answer: the usable
-- SRV records; before/after: the list as the policy got and returned it),
-- or nil, message, code. light: just the candidates, as fast as the
-- resolver gives them (the draws of --simulate after the first).
local function mark_key(target, port)
    return names.key(target) .. "|" .. tostring(port)
end

-- Takes back the marks a sandboxed policy set in the call just made: a
-- policy's marks apply to its call only (docs/policies.md, "Health marks").
-- What was marked stays as srv-run marked it: down for a --down, up
-- otherwise.
local function take_back_policy_marks(run)
    local marks = run.policy_marks
    if not marks or #marks == 0 then return end
    for i = 1, #marks do
        local m = marks[i]
        marks[i] = nil
        if run.down_keys and run.down_keys[mark_key(m.target, m.port)] then
            run.resolver:mark_down(m.target, m.port, DOWN_FOR_EVER)
        else
            run.resolver:mark_up(m.target, m.port)
        end
    end
end

local function resolve_once(run, opts)
    local cands, msg, code = resolve_and_wait(run, run.resolver, opts)
    take_back_policy_marks(run)
    return cands, msg, code
end

function M.resolve(run, light)
    if light then
        return resolve_once(run, run.light_options)
    end
    local info = { trace = {} }
    local opts = {
        fallback = not run.no_fallback,
        addresses = run.addresses,
        trace = info.trace,
        policy = function(cands, ctx)
            info.answer = endpoints(ctx.answer)
            info.before = endpoints(cands)
            local out = cands
            if run.policy then out = run.policy(cands, ctx) end
            if type(out) == "table" then info.after = endpoints(out) end
            return out
        end,
    }
    local cands, msg, code = resolve_once(run, opts)
    if not cands then return nil, msg, code end
    -- down=yes is srv's health step's to say (a sandboxed policy cannot
    -- write it to the trace), never a field the policy put in a candidate;
    -- so is the passive state that placed a candidate (ejected, half-open,
    -- trial, panic), which --explain shows.
    local down, passive = {}, {}
    for _, e in ipairs(info.trace) do
        if e.step == "health" then
            local k = mark_key(e.target, e.port)
            if e.state then passive[k] = e.reason else down[k] = true end
        end
    end
    for _, c in ipairs(cands) do
        local k = mark_key(c.target, c.port)
        c.down = down[k] or nil
        c.health = passive[k]
    end
    return cands, info
end

-- --down: with a port, that target and port; without, every port the
-- target has in the list (found by a first resolution, which also shows a
-- --down that matches nothing: a typo would otherwise go unnoticed). That
-- resolution uses a resolver of its own, so that it takes no draws from the
-- seeded one: --seed N gives the same order with and without --down. The
-- list searched is the one before the policy and the one after it: a host
-- the policy excludes is still a host of the service, and one it adds is a
-- candidate too.
local function mark_down(run, downs)
    if #downs == 0 then return true end
    local scout, msg, code = srv.resolver(run.resolver_options)
    if not scout then return nil, msg, code end
    local cands, info, failure = M.resolve(setmetatable({ resolver = scout }, { __index = run }))
    scout:close()
    if not cands then return nil, info, failure end
    local before = info.before or {}
    local known = table.move(before, 1, #before, #cands + 1, table.move(cands, 1, #cands, 1, {}))
    for _, d in ipairs(downs) do
        local wanted, found = names.key(d.target), false
        for _, c in ipairs(known) do
            if names.key(c.target) == wanted and (d.port == nil or d.port == c.port) then
                found = true
                run.resolver:mark_down(c.target, c.port, DOWN_FOR_EVER)
                run.down_keys[mark_key(c.target, c.port)] = true
            end
        end
        if not found then
            io.stderr:write(run.progname, ": warning: --down ", d.text, ": no such candidate\n")
        end
    end
    return true
end

local function fail(progname, run, msg, code)
    if run.json then
        io.stdout:write(json.encode { name = run.query.name, error = msg, code = code }, "\n")
    end
    local status = exit.for_code(code)
    if status == exit.USAGE then return usage.error(progname, msg) end   -- a bad NAME or zone file
    if code == codes.POLICY then msg = script.policy_frames_only(msg) end
    -- a policy's message, or a name from a DNS answer: escaped for the terminal
    io.stderr:write(progname, ": ", format.escape(msg, true), "\n")
    return status
end

local function print_candidates(run, cands, info)
    if run.json then
        local list = {}
        for i, c in ipairs(cands) do list[i] = format.candidate_object(c) end
        local out = { name = run.query.name, candidates = list }
        if run.explain then explain.add_to_json(out, cands, info) end
        io.stdout:write(json.encode(out), "\n")
        return
    end
    io.stdout:write(string.format(";; %s: %d candidate%s, in the order to try them\n",
                                  run.query.name, #cands, #cands == 1 and "" or "s"))
    local why = run.explain and explain.lines(cands, info)
    for i, c in ipairs(cands) do
        io.stdout:write(format.candidate_line(c), "\n")
        if why then
            for _, line in ipairs(why.by_candidate[i]) do io.stdout:write(";   ", format.escape(line), "\n") end
        end
    end
    if why then
        for _, line in ipairs(why.left_out) do io.stdout:write(";; left out: ", format.escape(line), "\n") end
        for _, line in ipairs(why.notes) do io.stdout:write(";; note: ", format.escape(line), "\n") end
    end
end

-- The command line of lookup, and of watch (srv.run.watch), which takes
-- lookup's options less a few: options, operands; or nil and the exit status
-- once the help or the usage error is printed.
function M.parse_command(progname, argv, spec)
    for _, word in ipairs(argv) do
        if word == "--" then break end
        if word == "-h" then argv = { "--help" } break end
    end
    local options, operands = args.parse(argv, spec)
    if not options then return nil, usage.error(progname, operands) end
    if options.help then
        io.stdout:write(usage.TEXT)
        return nil, exit.OK
    end
    if options.server and options.zone then
        return nil, usage.error(progname, "--server and --zone exclude each other")
    end
    for _, limit in ipairs { "budget", "policy-seconds", "policy-memory" } do
        if options[limit] and options["no-sandbox"] then
            return nil, usage.error(progname, "--" .. limit .. " and --no-sandbox exclude each other")
        end
    end
    return options, operands
end


-- The policy of --policy: the policy, or nil without --policy; false and the
-- exit status when the file failed or a --policy-arg is wrong (the problem
-- printed). marks: the list the sandbox adds the policy's health marks to,
-- for srv-run to take back after each call (nil: none kept).
function M.load_policy(progname, options, marks)
    local policy_args = {}
    for _, text in ipairs(options["policy-arg"] or {}) do
        local name, value = text:match("^([%a_][%w_]*)=(.*)$")
        if not name then
            return false, usage.error(progname, "bad value '" .. text .. "' for --policy-arg: NAME=VALUE expected")
        elseif policy_args[name] then
            return false, usage.error(progname, "--policy-arg " .. name .. " given twice")
        end
        policy_args[name] = value
    end
    if options["policy-arg"] and not options.policy then
        return false, usage.error(progname, "--policy-arg needs --policy")
    end
    if not options.policy then return nil end
    for _, limit in ipairs { "budget", "policy-seconds", "policy-memory" } do
        if options[limit] and options["no-sandbox"] then
            return false, usage.error(progname, "--" .. limit .. " and --no-sandbox exclude each other")
        end
    end
    local policy, problem = sandbox.load_policy(options.policy, {
        sandbox = not options["no-sandbox"], budget = options.budget, args = policy_args,
        seconds = options["policy-seconds"], memory = options["policy-memory"], marks = marks,
    })
    if not policy then
        io.stderr:write(progname, ": ", format.escape(problem, true), "\n")
        return false, exit.SCRIPT
    end
    return policy
end

function M.main(progname, argv)
    local options, operands = M.parse_command(progname, argv, OPTIONS)
    if not options then return operands end
    if options.simulate and options.explain then
        return usage.error(progname, "--simulate and --explain exclude each other")
    end
    local q, problem = query.from(options, operands)
    if not q then return usage.error(progname, problem) end
    local downs = {}
    for i, text in ipairs(options.down or {}) do
        downs[i], problem = parse_down(text)
        if not downs[i] then return usage.error(progname, problem) end
    end
    local resolver_options
    resolver_options, problem = source.resolver_options(options)
    if not resolver_options then return usage.error(progname, problem) end

    local run = {
        query = q, json = options.json, explain = options.explain, addresses = options.addresses,
        no_fallback = options["no-fallback"], seed = options.seed, progname = progname,
        policy_marks = {}, down_keys = {},
    }
    run.light_options = { fallback = not run.no_fallback, addresses = run.addresses }
    local policy, status = M.load_policy(progname, options, run.policy_marks)
    if policy == false then return status end
    run.policy, run.light_options.policy = policy, policy
    local r, msg, code = srv.resolver(resolver_options)
    if not r then return fail(progname, run, source.problem(options, msg, code), code) end
    run.resolver, run.resolver_options = r, resolver_options

    local ok
    ok, msg, code = mark_down(run, downs)
    if not ok then return fail(progname, run, msg, code) end
    if options.simulate then
        local result
        result, msg, code = simulate.run(run, options.simulate, M.resolve)
        if not result then return fail(progname, run, msg, code) end
        simulate.print(run, result)
        return exit.OK
    end
    local cands, info
    cands, info, code = M.resolve(run)
    if not cands then return fail(progname, run, info, code) end
    print_candidates(run, cands, info)
    r:close()
    return exit.OK
end

return M
