-- Findings of the adversarial review of the cached r:resolve's fast path
-- (lua/srv/resolve.lua, the method wrappers of lua/srv/resolver.lua) and of
-- srv-run's suggestion for a misspelt option: one case per problem, each
-- with the problem in a comment. Offline (the example zone).
local srv = require "srv"
local run = require "spec.support.run"

local srv_run = run.srv_run
local ZONE = "docs/examples/example.net.zone"
local NAME = "_xmpp-client._tcp.example.net"

-- Bytes of Lua memory calls(count) allocates per call, the collector
-- stopped: what a call leaves for the collector, counted, not timed.
local function bytes_per_call(calls, count)
    collectgarbage()
    collectgarbage("stop")
    local before = collectgarbage("count")
    calls(count)
    local after = collectgarbage("count")
    collectgarbage("restart")
    return (after - before) * 1024 / count
end

describe("review: a cached r:resolve", function()
    -- Problem: the fast path kept the candidates it last used per plan, and
    -- plans are shared by every resolver: two resolvers taking turns on a
    -- name each found the other's entry there and made a new record per
    -- call (256 bytes a call instead of the result array's 136).
    it("allocates no more when two resolvers take turns on a name than when one asks it", function()
        local a = assert(srv.resolver { zone = ZONE, seed = 1 })
        local b = assert(srv.resolver { zone = ZONE, seed = 2 })
        assert(a:resolve(NAME))
        assert(b:resolve(NAME))
        local alone = bytes_per_call(function(count)
            for _ = 1, count do a:resolve(NAME) end
        end, 2000)
        local turns = bytes_per_call(function(count)
            for _ = 1, count / 2 do
                a:resolve(NAME)
                b:resolve(NAME)
            end
        end, 2000)
        assert.is_true(turns <= alone + 8, string.format("%.0f bytes a call in turns, %.0f alone", turns, alone))
        -- and each still answers from its own cache entry, counted down by its own age
        assert.same({ 1, 1 }, { a:stats().queries, b:stats().queries })
        a:close()
        b:close()
    end)
end)

describe("review: a misspelt srv-run option", function()
    -- Problem: the runnable scripts take the source options through
    -- srv.run.source (docs/scripts.md), but a misspelt one reached the
    -- script's own parser, which knows only its own options: "unknown
    -- option --zome" with no suggestion, where srv-run lookup says "did you
    -- mean --zone?".
    it("in a script that parses its own options is told the source option it is near", function()
        local r = srv_run({ "scripts/batch.lua", "--zome", ZONE, "example.net" }, { timeout = 30 })
        assert.equal(2, r.code)
        assert.matches("unknown option %-%-zome; did you mean %-%-zone%?", r.stderr)
    end)

    -- Problem: xmpp_client.lua and health.lua looked at their first word
    -- only: a misspelt option after the domain was "one domain only", and
    -- one before it had no suggestion.
    it("in a script that takes operands only is told the option it is near, wherever it is", function()
        local r = srv_run({ "scripts/xmpp_client.lua", "example.net", "--zone", ZONE, "--sed", "1" },
                          { timeout = 30 })
        assert.equal(2, r.code)
        assert.matches("unknown option %-%-sed; did you mean %-%-seed%?", r.stderr)
        r = srv_run({ "scripts/health.lua", "--zone", ZONE, "--tires", "2", NAME }, { timeout = 30 })
        assert.equal(2, r.code)
        assert.matches("unknown option %-%-tires; did you mean %-%-tries%?", r.stderr)
    end)

    -- Problem: srv-run's own options (--help, --version) had no suggestion.
    it("before any command is told srv-run's own option it is near", function()
        local r = srv_run({ "--verison" }, { timeout = 30 })
        assert.equal(2, r.code)
        assert.matches("unknown option %-%-verison; did you mean %-%-version%?", r.stderr)
    end)

    -- Problem: an option written with one dash (-json) had no suggestion,
    -- though every srv-run option has two.
    it("with one dash is told the two-dash option it is near", function()
        local r = srv_run({ "lookup", NAME, "--zone", ZONE, "-json" }, { timeout = 30 })
        assert.equal(2, r.code)
        assert.matches("unknown option %-json; did you mean %-%-json%?", r.stderr)
    end)
end)
