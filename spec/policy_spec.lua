local policy = require("srv.policy")

-- The reference set: server1 alone at priority 5; server2/3/4 at priority
-- 10 with weights 30/10/10; backup at priority 15. All on port 5222.
local function reference()
    local function srv(target, priority, weight)
        return { target = target, port = 5222, priority = priority, weight = weight, ttl = 86400,
                 source = "srv" }
    end
    local server1 = srv("server1.example.net", 5, 50)
    local server2 = srv("server2.example.net", 10, 30)
    local server3 = srv("server3.example.net", 10, 10)
    local server4 = srv("server4.example.net", 10, 10)
    local backup = srv("backup.example.net", 15, 0)
    -- The answer as the DNS gave it; the list as the weighted shuffle left it.
    local answer = { server1, server2, server3, server4, backup }
    local candidates = { server1, server4, server2, server3, backup }
    local ctx = { name = "_xmpp-client._tcp.example.net", service = "xmpp-client", proto = "tcp",
                  domain = "example.net", answer = answer, resolver = {} }
    return candidates, ctx
end

local function targets(list)
    local names = {}
    for i, candidate in ipairs(list) do names[i] = candidate.target:match("^[^.]+") end
    return names
end

local function run(spec)
    local candidates, ctx = reference()
    local p = policy.new(spec)
    return p(candidates, ctx), candidates, ctx
end

local function assert_policy_failure(results, pattern)
    assert.equal(3, results.n or #results)
    assert.is_nil(results[1])
    assert.is_string(results[2])
    assert.equal("POLICY", results[3])
    if pattern then assert.matches(pattern, results[2]) end
end

local function apply(p)
    local candidates, ctx = reference()
    return table.pack(policy.apply(p, candidates, ctx))
end

describe("srv.policy", function()
    describe("new", function()
        it("builds a callable srv.policy object", function()
            local p = policy.new({})
            assert.equal("srv.policy", getmetatable(p).__name)
            assert.is_true(policy.is_policy(p))
            assert.equal("srv.policy{exclude, pin}", tostring(policy.new({ pin = "a", exclude = "b" })))
        end)

        it("leaves the RFC 2782 order alone without options", function()
            local result, candidates = run(nil)
            assert.same(targets(candidates), targets(result))
            assert.are_not.equal(candidates, result)
        end)

        it("raises at construction on options of the wrong type", function()
            assert.has_error(function() policy.new({ pin = 5 }) end,
                "bad argument #1 to 'policy' (pin: a string or a list of strings expected, got number)")
            assert.has_error(function() policy.new({ pin = function() end }) end,
                "bad argument #1 to 'policy' (pin: a string or a list of strings expected, got function)")
            assert.has_error(function() policy.new({ exclude = true }) end,
                "bad argument #1 to 'policy' (exclude: a string, a list of strings or a function expected, got boolean)")
            assert.has_error(function() policy.new({ exclude = { "a", 5 } }) end)
            assert.has_error(function() policy.new({ prefer = 1 }) end)
            assert.has_error(function() policy.new({ order = "random" }) end,
                "bad argument #1 to 'policy' (order: function expected, got string)")
            assert.has_error(function() policy.new(5) end,
                "bad argument #1 to 'policy' (table expected, got number)")
        end)

        it("raises on an unknown option, so a misspelling is not silently ignored", function()
            assert.has_error(function() policy.new({ excludes = "a" }) end,
                "bad argument #1 to 'policy' (unknown option 'excludes'; did you mean 'exclude'?)")
        end)

        it("raises on a malformed pattern", function()
            assert.has_error(function() policy.new({ exclude = "server[1" }) end,
                "bad argument #1 to 'policy' (exclude: bad pattern \"server[1\": missing ']')")
            for _, pattern in ipairs({ "server%", "%b(", "%fx", "[%]", "[^]" }) do
                assert.has_error(function() policy.new({ prefer = pattern }) end)
            end
            for _, pattern in ipairs({ "[]]x", "[^]]", "%b()", "%f[%w]x", "a%%", "[%]]" }) do
                assert.has_no.errors(function() policy.new({ exclude = pattern }) end)
                assert.has_no.errors(function() string.find("x", pattern) end)
            end
        end)

        it("raises on a pattern with captures or back-references", function()
            assert.has_error(function() policy.new { exclude = "(server.*" } end)
            assert.has_error(function() policy.new { exclude = "server.*)" } end)
            assert.has_error(function() policy.new { prefer = "%1" } end)
            assert.has_no_error(function() policy.new { exclude = "server%(1%)" } end)
        end)

        it("raises on malformed fallbacks", function()
            for _, fallback in ipairs({ "example.net", "example.net:0", "example.net:70000", "::1:3478",
                                        "[::1]", { target = "", port = 1 }, { target = "a" },
                                        { target = "a", port = 1, priority = -1 },
                                        { target = "a", port = 1.5 }, { 5 }, true }) do
                assert.has_error(function() policy.new({ fallback = fallback }) end)
            end
        end)
    end)

    describe("exclude", function()
        it("removes a target named exactly, ignoring case and a trailing dot", function()
            assert.same({ "server1", "server4", "server3", "backup" },
                        targets(run({ exclude = "SERVER2.example.net." })))
        end)

        it("removes every target named in a list", function()
            assert.same({ "server1", "server3" },
                        targets(run({ exclude = { "server2.example.net", "server4.example.net", "backup.example.net" } })))
        end)

        it("reads a string with pattern characters as a Lua pattern over the whole target", function()
            assert.same({ "backup" }, targets(run({ exclude = "server%d%.example%.net" })))
            -- anchored: "server" alone matches no whole target
            assert.same({ "server1", "server4", "server2", "server3", "backup" },
                        targets(run({ exclude = "server%d" })))
        end)

        it("compares a plain name exactly, not as a pattern", function()
            -- As a Lua pattern "server-1.example.net" would match "server1.example.net"
            -- ("r-" is a lazy repetition); as a name it matches nothing here.
            assert.is_truthy(("server1.example.net"):find("^server-1.example.net$"))
            assert.same({ "server1", "server4", "server2", "server3", "backup" },
                        targets(run({ exclude = "server-1.example.net" })))
        end)

        it("asks a function, with the context", function()
            local seen_ctx
            local result, _, ctx = run({ exclude = function(candidate, c)
                seen_ctx = c
                return candidate.priority == 10
            end })
            assert.same({ "server1", "backup" }, targets(result))
            assert.equal(ctx, seen_ctx)
        end)
    end)

    describe("order", function()
        it("is called once per priority group, in DNS answer order, lowest priority first", function()
            local calls = {}
            run({ order = function(group)
                calls[#calls + 1] = targets(group)
                return group
            end })
            assert.same({ { "server1" }, { "server2", "server3", "server4" }, { "backup" } }, calls)
        end)

        it("replaces the weighted shuffle with the order it returns", function()
            local result = run({ order = function(group)
                local reversed = {}
                for i = #group, 1, -1 do reversed[#reversed + 1] = group[i] end
                return reversed
            end })
            assert.same({ "server1", "server4", "server3", "server2", "backup" }, targets(result))
        end)

        it("sees only the candidates still in the list", function()
            local groups = {}
            run({ exclude = "server3.example.net", order = function(group)
                groups[#groups + 1] = targets(group)
                return group
            end })
            assert.same({ { "server1" }, { "server2", "server4" }, { "backup" } }, groups)
        end)

        it("gets a copy of the group and the context", function()
            local candidates, ctx = reference()
            local seen_ctx
            policy.new({ order = function(group, c)
                seen_ctx = c
                group[1] = nil
                return {}
            end })(candidates, ctx)
            assert.equal(ctx, seen_ctx)
            assert.equal(5, #ctx.answer)
            assert.equal(5, #candidates)
        end)

        it("leaves non-SRV candidates where they are", function()
            local candidates, ctx = reference()
            local extra = { target = "extra.example.net", port = 5222, priority = 0, weight = 0, source = "fallback" }
            table.insert(candidates, 1, extra)
            table.insert(candidates, extra)
            local result = policy.new({ order = function(group) return group end })(candidates, ctx)
            assert.same({ "extra", "server1", "server2", "server3", "server4", "backup", "extra" }, targets(result))
        end)

        it("keeps each transport's runs apart (TURN lists)", function()
            local udp1 = { target = "u1", port = 3478, priority = 5, weight = 0, source = "srv", transport = "udp" }
            local udp2 = { target = "u2", port = 3478, priority = 10, weight = 0, source = "srv", transport = "udp" }
            local tcp1 = { target = "t1", port = 3478, priority = 5, weight = 0, source = "srv", transport = "tcp" }
            local ctx = { answer = { udp1, udp2, tcp1 } }
            local result = policy.new({ order = function(group) return group end })({ udp1, udp2, tcp1 }, ctx)
            assert.same({ "u1", "u2", "t1" }, targets(result))
        end)

        it("fails the policy when it returns something other than a list", function()
            assert_policy_failure(apply(policy.new({ order = function() return nil end })),
                                  "^policy failed: order returned nil for priority 5")
        end)
    end)

    describe("prefer", function()
        it("moves matching targets first within their own priority only", function()
            assert.same({ "server1", "server4", "server3", "server2", "backup" },
                        targets(run({ prefer = { "server3.example.net", "server4.example.net" } })))
        end)

        it("never lifts a target above a lower priority", function()
            assert.same({ "server1", "server4", "server2", "server3", "backup" },
                        targets(run({ prefer = "backup.example.net" })))
        end)

        it("accepts patterns and functions", function()
            assert.same({ "server1", "server2", "server3", "server4", "backup" },
                        targets(run({ prefer = "server[23]%..*" })))
            assert.same({ "server1", "server4", "server3", "server2", "backup" },
                        targets(run({ prefer = function(candidate) return candidate.weight == 10 end })))
        end)
    end)

    describe("pin", function()
        it("puts a pinned target first and keeps the RFC order among the rest", function()
            assert.same({ "backup", "server1", "server4", "server2", "server3" },
                        targets(run({ pin = "Backup.Example.Net." })))
        end)

        it("puts several pinned targets first in the pin list's order", function()
            assert.same({ "server3", "backup", "server1", "server4", "server2" },
                        targets(run({ pin = { "server3.example.net", "backup.example.net", "absent.example.net" } })))
        end)

        it("refuses a pattern: pins are names", function()
            assert.has_error(function() policy.new({ pin = "server.*" }) end,
                "bad argument #1 to 'policy' (pin: \"server.*\" is not a host name (pin takes names, not patterns))")
            assert.has_error(function() policy.new({ pin = { "backup.example.net", "server[23]%..*" } }) end)
        end)
    end)

    describe("fallback", function()
        it("appends a host:port string after the SRV targets as a policy candidate", function()
            local result = run({ fallback = "fallback.example.net:5223" })
            assert.same({ "server1", "server4", "server2", "server3", "backup", "fallback" }, targets(result))
            assert.same({ target = "fallback.example.net", port = 5223, priority = 65535, weight = 0, ttl = 0,
                          source = "policy" }, result[6])
        end)

        it("reads [v6]:port and IPv4:port strings", function()
            local result = run({ fallback = { "[2001:db8::1]:5222", "192.0.2.1:5222" } })
            assert.same({ target = "2001:db8::1", port = 5222, priority = 65535, weight = 0, ttl = 0,
                          source = "policy" }, result[6])
            assert.equal("192.0.2.1", result[7].target)
        end)

        it("appends candidate tables, keeping their priority, weight and extra fields", function()
            local result = run({ fallback = { target = "relay.example.net", port = 443, priority = 20, tls = true } })
            assert.same({ target = "relay.example.net", port = 443, priority = 20, weight = 0, ttl = 0,
                          tls = true, source = "policy" }, result[6])
        end)

        it("skips a fallback that duplicates a target and port already listed", function()
            local result = run({ fallback = { "Server1.example.net.:5222", "server1.example.net:5269",
                                              "extra.example.net:5222", "extra.example.net:5222" } })
            assert.same({ "server1", "server4", "server2", "server3", "backup", "server1", "extra" }, targets(result))
            assert.equal(5269, result[6].port)
        end)

        it("makes fresh candidates each time, so callers cannot change the policy", function()
            local p = policy.new({ fallback = "fallback.example.net:5222" })
            local candidates, ctx = reference()
            local first = p(candidates, ctx)
            first[6].port = 1
            assert.equal(5222, p(candidates, ctx)[6].port)
        end)

        it("still gives a candidate when exclude removed every SRV target", function()
            assert.same({ "fallback" }, targets(run({ exclude = ".*", fallback = "fallback.example.net:5222" })))
        end)
    end)

    describe("options together", function()
        it("applies exclude, order, prefer, pin, then fallback", function()
            local order_saw
            local result = run({
                exclude = "server2.example.net",
                order = function(group)
                    order_saw = order_saw or {}
                    order_saw[#order_saw + 1] = targets(group)
                    return group
                end,
                prefer = "server4.example.net",
                pin = { "backup.example.net", "fallback.example.net" },
                fallback = "fallback.example.net:5222",
            })
            assert.same({ { "server1" }, { "server3", "server4" }, { "backup" } }, order_saw)
            -- the pin ran before the fallback was added, so the fallback stays last
            assert.same({ "backup", "server1", "server4", "server3", "fallback" }, targets(result))
        end)
    end)

    describe("matcher", function()
        it("gives the exclude/prefer matching rules to policy scripts", function()
            local matches = policy.matcher({ "server1.example.net", "backup%..*" })
            assert.is_true(matches({ target = "SERVER1.example.net." }))
            assert.is_true(matches({ target = "backup.example.net" }))
            assert.is_false(matches({ target = "server2.example.net" }))
            assert.is_false(matches({ port = 1 }))
            assert.has_error(function() policy.matcher(5) end)
        end)
    end)

    describe("chain", function()
        it("applies its policies left to right", function()
            local p = policy.chain(policy.new({ pin = "backup.example.net" }),
                                   policy.new({ pin = "server3.example.net" }))
            local candidates, ctx = reference()
            assert.same({ "server3", "backup", "server1", "server4", "server2" }, targets(p(candidates, ctx)))
            local q = policy.chain(policy.new({ pin = "server3.example.net" }),
                                   policy.new({ pin = "backup.example.net" }))
            assert.same({ "backup", "server3", "server1", "server4", "server2" }, targets(q(candidates, ctx)))
        end)

        it("accepts plain functions and passes the context to each", function()
            local seen = {}
            local function drop_first(list, ctx)
                seen[#seen + 1] = ctx
                table.remove(list, 1)
                return list
            end
            local p = policy.chain(drop_first, policy.new({ exclude = "backup.example.net" }), drop_first)
            local candidates, ctx = reference()
            assert.same({ "server2", "server3" }, targets(policy.apply(p, candidates, ctx)))
            assert.same({ ctx, ctx }, seen)
            assert.is_true(policy.is_policy(p))
            assert.equal("srv.policy(chain of 3)", tostring(p))
        end)

        it("raises when an argument is not callable", function()
            assert.has_error(function() policy.chain(function() end, "pin") end,
                "bad argument #2 to 'chain' (function or srv.policy expected, got string)")
            assert.has_error(function() policy.chain({}) end)
        end)

        it("fails with the step's number when a step returns no list", function()
            assert_policy_failure(apply(policy.chain(function(list) return list end, function() end)),
                                  "^policy failed: chain step #2 returned nil")
        end)
    end)

    describe("apply", function()
        it("returns the policy's candidates", function()
            local candidates, ctx = reference()
            local result = policy.apply(policy.new({ pin = "backup.example.net" }), candidates, ctx)
            assert.same({ "backup", "server1", "server4", "server2", "server3" }, targets(result))
        end)

        it("gives the policy a copy of the list", function()
            local candidates, ctx = reference()
            local result = policy.apply(function(list) list[1] = nil; table.remove(list, 1); return {} end,
                                        candidates, ctx)
            assert.same({}, result)
            assert.equal(5, #candidates)
        end)

        it("allows an empty list", function()
            local candidates, ctx = reference()
            assert.same({}, policy.apply(function() return {} end, candidates, ctx))
        end)

        it("marks candidates without a source as the policy's", function()
            local candidates, ctx = reference()
            local result = policy.apply(function(list)
                list[#list + 1] = { target = "added.example.net", port = 1 }
                return list
            end, candidates, ctx)
            assert.equal("policy", result[6].source)
            assert.equal("srv", result[1].source)
        end)

        it("reports a policy that raises, with a traceback", function()
            local results = apply(function() error("no luck") end)
            assert_policy_failure(results, "^policy failed: .*no luck")
            assert.matches("stack traceback", results[2])
        end)

        it("reports a policy that raises a non-string value", function()
            assert_policy_failure(apply(function() error({}) end), "^policy failed: %(error object is a table value%)")
            assert_policy_failure(apply(function() error() end), "^policy failed: %(error object is a nil value%)")
            assert_policy_failure(apply(function()
                error(setmetatable({}, { __tostring = function() error("worse") end }))
            end), "^policy failed:")
        end)

        it("reports garbage results whole", function()
            local cases = {
                { function() return 5 end, "^policy returned the number 5 %(list of candidates expected%)$" },
                { function() return nil end, "^policy returned nil %(list of candidates expected%)$" },
                { function() end, "^policy returned no value" },
                { function() return "list" end, '^policy returned the string "list"' },
                { function() return { [1] = {}, [3] = {} } end, "^policy returned a list with a hole at index 2$" },
                { function(list) list.extra = true; return list end, '^policy returned a list with the non%-sequence key "extra"$' },
                { function(list) list[0] = list[1]; return list end, "^policy returned a list with the non%-sequence key the number 0$" },
                { function(list) list[1.5] = list[1]; return list end, "non%-sequence key the number 1.5" },
                { function() return { { target = "a.example.net" } } end,
                    "^policy returned a candidate without a port at index 1" },
                { function() return { { target = "a.example.net", port = 0 } } end,
                    "^policy returned a bad port at index 1 %(the number 0;" },
                { function() return { { target = "a.example.net", port = 70000 } } end,
                    "^policy returned a bad port at index 1 %(the number 70000;" },
                { function() return { { target = "a.example.net", port = "5222" } } end, "bad port at index 1" },
                { function() return { { target = "a.example.net", port = 5222.5 } } end, "bad port at index 1" },
                { function(list) list[2] = "server2.example.net:5222"; return list end,
                    '^policy returned the string "server2.example.net:5222" at index 2 %(candidate table expected%)$' },
                { function() return { { port = 5222 } } end, "^policy returned a candidate without a target at index 1" },
                { function() return { { target = "", port = 5222 } } end, "without a target at index 1" },
                { function() return { { target = "a", port = 1, priority = 65536 } } end, "bad priority at index 1" },
                { function() return { { target = "a", port = 1, weight = -1 } } end, "bad weight at index 1" },
                { function() return { { target = "a", port = 1, weight = "10" } } end, "bad weight at index 1" },
            }
            for _, case in ipairs(cases) do
                assert_policy_failure(apply(case[1]), case[2])
            end
        end)

        it("does not trip over candidates whose metatables raise", function()
            local hostile = setmetatable({}, { __index = function() error("boom") end })
            assert_policy_failure(apply(function() return { hostile } end),
                                  "^policy returned a candidate without a target at index 1")
        end)

        it("does not trip over a result list whose metatable raises", function()
            local hostile = setmetatable({}, { __len = function() error("boom") end,
                                               __index = function() error("boom") end,
                                               __pairs = function() error("boom") end })
            local candidates, ctx = reference()
            assert.same({}, policy.apply(function() return hostile end, candidates, ctx))
        end)

        it("returns the exact failure tuple", function()
            local candidates, ctx = reference()
            assert.same({ nil, "policy returned the number 5 (list of candidates expected)", "POLICY" },
                        { policy.apply(function() return 5 end, candidates, ctx) })
        end)

        it("raises when it is given something that is not a policy", function()
            assert.has_error(function() policy.apply(5, {}, {}) end,
                "bad argument #1 to 'apply' (function or srv.policy expected, got number)")
            assert.has_error(function() policy.apply(function() end, nil, {}) end,
                "bad argument #2 to 'apply' (table expected, got nil)")
        end)
    end)
    describe("with a trace", function()
        it("records the candidates each option acted on, in the order applied", function()
            local candidates, ctx = reference()
            ctx.trace = {}
            local p = policy.new {
                exclude = "server2.example.net", prefer = "server3.example.net",
                pin = "backup.example.net", fallback = "relay.example.org:443",
                order = function(group) return group end,
            }
            p(candidates, ctx)
            local seen = {}
            for i, e in ipairs(ctx.trace) do
                assert.equal("policy", e.step)
                seen[i] = e.rule .. " " .. e.target .. ":" .. e.port
            end
            assert.same({
                "exclude server2.example.net:5222",
                "order server1.example.net:5222",
                "order server3.example.net:5222", "order server4.example.net:5222",
                "order backup.example.net:5222",
                "prefer server3.example.net:5222",
                "pin backup.example.net:5222",
                "fallback relay.example.org:443",
            }, seen)
        end)

        it("records a pin or exclude name or pattern that matched no candidate", function()
            local candidates, ctx = reference()
            ctx.trace = {}
            policy.new {
                exclude = { "server2.example.net", "typo.example.net", ".*%.nowhere" },
                pin = { "nosuch.example.net", "backup.example.net" },
            }(candidates, ctx)
            local unmatched = {}
            for _, e in ipairs(ctx.trace) do
                if e.unmatched then unmatched[#unmatched + 1] = e.rule .. " " .. e.unmatched end
            end
            assert.same({ "exclude typo.example.net", "exclude .*%.nowhere", "pin nosuch.example.net" }, unmatched)
        end)

        it("records nothing without one", function()
            local candidates, ctx = reference()
            local out = policy.new { exclude = "server2.example.net" }(candidates, ctx)
            assert.equal(4, #out)
            assert.is_nil(ctx.trace)
        end)
    end)
end)
