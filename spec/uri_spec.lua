local uri = require("srv.uri")

local function assert_bad_uri(text)
    local results = { uri.parse(text) }
    assert.equal(3, #results, text)
    assert.is_nil(results[1], text)
    assert.is_string(results[2], text)
    assert.equal("BADURI", results[3], text)
end

local function names_of(plan)
    local names = {}
    for i, step in ipairs(plan) do names[i] = step.name end
    return names
end

describe("srv.uri", function()
    describe("parse", function()
        it("reads a stun URI with a host name", function()
            assert.same({ scheme = "stun", host = "example.net", secure = false }, uri.parse("stun:example.net"))
        end)

        it("reads a stuns URI with a port", function()
            assert.same({ scheme = "stuns", host = "example.net", port = 5349, secure = true },
                        uri.parse("stuns:example.net:5349"))
        end)

        it("reads turn and turns URIs with a transport", function()
            assert.same({ scheme = "turn", host = "example.net", transport = "udp", secure = false },
                        uri.parse("turn:example.net?transport=udp"))
            assert.same({ scheme = "turns", host = "example.net", port = 443, transport = "tcp", secure = true },
                        uri.parse("turns:example.net:443?transport=tcp"))
        end)

        it("treats schemes, host names and the transport parameter case-insensitively", function()
            assert.same({ scheme = "turn", host = "example.net", transport = "tcp", secure = false },
                        uri.parse("TURN:Example.NET?Transport=TCP"))
        end)

        it("marks IPv4 hosts", function()
            assert.same({ scheme = "stun", host = "192.0.2.1", port = 3478, secure = false, ip = "inet" },
                        uri.parse("stun:192.0.2.1:3478"))
        end)

        it("returns IPv6 hosts without their brackets", function()
            assert.same({ scheme = "turn", host = "2001:db8::1", port = 3478, secure = false, ip = "inet6",
                          transport = "udp" },
                                    uri.parse("turn:[2001:db8::1]:3478?transport=udp"))
            assert.same({ scheme = "stun", host = "::ffff:192.0.2.1", secure = false, ip = "inet6" },
                        uri.parse("stun:[::ffff:192.0.2.1]"))
        end)

        it("accepts the lowest and highest ports", function()
            assert.equal(1, uri.parse("stun:example.net:1").port)
            assert.equal(65535, uri.parse("stun:example.net:65535").port)
        end)

        it("rejects a query on stun and stuns URIs (RFC 7064 has none)", function()
            assert_bad_uri("stun:example.net?transport=udp")
            assert_bad_uri("stuns:example.net?transport=tcp")
        end)

        it("rejects transports other than udp and tcp, and other query parameters", function()
            assert_bad_uri("turn:example.net?transport=tls")
            assert_bad_uri("turn:example.net?transport=")
            assert_bad_uri("turn:example.net?proto=udp")
            assert_bad_uri("turn:example.net?")
        end)

        it("rejects userinfo, paths, fragments and the authority form", function()
            assert_bad_uri("turn:user@example.net")
            assert_bad_uri("turn:example.net/path")
            assert_bad_uri("turn:example.net#part")
            assert_bad_uri("stun://example.net")
        end)

        it("rejects empty hosts and malformed hosts", function()
            for _, text in ipairs({ "stun:", "stun::3478", "turn:?transport=udp", "stun:exa mple.net",
                                    "stun:2001:db8::1", "stun:[2001:db8::zz]", "stun:[192.0.2.1]",
                                    "stun:999.0.2.1", "stun:192.0.2", "stun:[::1]x", "stun:a..b" }) do
                assert_bad_uri(text)
            end
        end)

        it("rejects bad ports", function()
            for _, text in ipairs({ "stun:example.net:0", "stun:example.net:65536", "stun:example.net:70000",
                                    "stun:example.net:", "stun:example.net:-1", "stun:example.net:34a",
                                    "stun:example.net:3478:1", "stun:example.net:1234567" }) do
                assert_bad_uri(text)
            end
        end)

        it("rejects other schemes and text without a scheme", function()
            assert_bad_uri("http:example.net")
            assert_bad_uri("example.net")
            assert_bad_uri("")
        end)

        it("names the URI and the problem in the message", function()
            assert.same({ nil, 'bad URI "turn:example.net:0": port 0 out of range 1..65535', "BADURI" },
                        { uri.parse("turn:example.net:0") })
        end)

        it("raises on a non-string argument", function()
            assert.has_error(function() uri.parse(nil) end,
                "bad argument #1 to 'parse' (string expected, got nil)")
        end)
    end)

    describe("parse_target", function()
        it("reads a full URI as parse does", function()
            assert.same(uri.parse("turns:example.net:443"), uri.parse_target("turns:example.net:443", "stun"))
        end)

        it("gives a bare domain the default scheme", function()
            assert.same({ scheme = "turn", host = "example.net", secure = false },
                        uri.parse_target("Example.net", "turn"))
            assert.same({ scheme = "stuns", host = "example.net", secure = true },
                        uri.parse_target("example.net", "STUNS"))
        end)

        it("leaves the scheme empty without a default", function()
            assert.same({ host = "example.net", secure = false }, uri.parse_target("example.net"))
        end)

        it("accepts bare IP addresses, IPv6 with or without brackets", function()
            assert.same({ scheme = "stun", host = "192.0.2.1", secure = false, ip = "inet" },
                        uri.parse_target("192.0.2.1", "stun"))
            assert.same({ scheme = "stun", host = "2001:db8::1", secure = false, ip = "inet6" },
                        uri.parse_target("2001:db8::1", "stun"))
            assert.same({ scheme = "stun", host = "2001:db8::1", secure = false, ip = "inet6" },
                        uri.parse_target("[2001:db8::1]", "stun"))
        end)

        it("rejects a bare target with a port or a bad name", function()
            for _, text in ipairs({ "example.net:3478", "http:example.net", "exa mple.net", "" }) do
                local results = { uri.parse_target(text, "turn") }
                assert.is_nil(results[1], text)
                assert.is_string(results[2], text)
                assert.equal("BADURI", results[3], text)
            end
        end)

        it("raises on a default scheme it does not know", function()
            assert.has_error(function() uri.parse_target("example.net", "http") end,
                "bad argument #2 to 'parse_target' (stun, stuns, turn, turns or nil expected, got \"http\")")
        end)
    end)

    describe("candidates_plan", function()
        it("plans _turn._udp, _turn._tcp, then _turns._tcp for a turn URI (RFC 5928)", function()
            assert.same({
                no_srv = false,
                { name = "_turn._udp.example.net", service = "turn", proto = "udp", transport = "udp",
                    default_port = 3478, host = "example.net", no_srv = false },
                { name = "_turn._tcp.example.net", service = "turn", proto = "tcp", transport = "tcp",
                    default_port = 3478, host = "example.net", no_srv = false },
                { name = "_turns._tcp.example.net", service = "turns", proto = "tcp", transport = "tls",
                    default_port = 5349, host = "example.net", no_srv = false },
            }, uri.candidates_plan("turn:example.net"))
        end)

        it("plans only _turns._tcp for a turns URI", function()
            assert.same({ "_turns._tcp.example.net" }, names_of(uri.candidates_plan("turns:example.net")))
            assert.same({ "_turns._tcp.example.net" },
                        names_of(uri.candidates_plan("turns:example.net?transport=tcp")))
        end)

        it("follows the transport parameter of a turn URI", function()
            assert.same({ "_turn._udp.example.net" },
                        names_of(uri.candidates_plan("turn:example.net?transport=udp")))
            assert.same({ "_turn._tcp.example.net" },
                        names_of(uri.candidates_plan("turn:example.net?transport=tcp")))
        end)

        it("reads turns with transport=udp as DTLS over _turns._udp (RFC 7350)", function()
            local plan = uri.candidates_plan("turns:example.net?transport=udp")
            assert.same({ "_turns._udp.example.net" }, names_of(plan))
            assert.equal("dtls", plan[1].transport)
            assert.equal(5349, plan[1].default_port)
        end)

        it("adds DTLS to a turns or stuns URI only when the caller lists it", function()
            assert.same({ "_turns._udp.example.net", "_turns._tcp.example.net" },
                        names_of(uri.candidates_plan("turns:example.net", { "dtls", "tls" })))
            assert.same({ "_stuns._tcp.example.net", "_stuns._udp.example.net" },
                        names_of(uri.candidates_plan("stuns:example.net", { "tls", "dtls" })))
        end)

        it("plans _stun._udp, _stun._tcp, then _stuns._tcp for a stun URI, and _stuns._tcp for stuns", function()
            assert.same({ "_stun._udp.example.net", "_stun._tcp.example.net", "_stuns._tcp.example.net" },
                        names_of(uri.candidates_plan("stun:example.net")))
            assert.same({ "_stuns._tcp.example.net" }, names_of(uri.candidates_plan("stuns:example.net")))
        end)

        it("keeps only the caller's transports, in the caller's order", function()
            assert.same({ "_turns._tcp.example.net", "_turn._udp.example.net" },
                        names_of(uri.candidates_plan("turn:example.net", { "tls", "udp" })))
            assert.same({ "_stun._tcp.example.net" },
                        names_of(uri.candidates_plan("stun:example.net", { "tcp" })))
        end)

        it("returns an empty plan when the caller's transports and the URI's do not meet", function()
            assert.same({ no_srv = false }, uri.candidates_plan("turns:example.net", { "udp", "tcp" }))
            assert.same({ no_srv = false }, uri.candidates_plan("turn:example.net?transport=udp", { "tcp" }))
        end)

        it("accepts a parsed URI", function()
            assert.same(uri.candidates_plan("turn:example.net"),
                        uri.candidates_plan(uri.parse("turn:example.net")))
            assert.same({ "_turn._udp.example.net" },
                        names_of(uri.candidates_plan(uri.parse_target("example.net", "turn"), { "udp" })))
        end)

        it("plans no SRV lookup with an explicit port, using that port on every transport", function()
            assert.same({
                no_srv = true,
                { service = "turn", proto = "udp", transport = "udp", default_port = 3478,
                    host = "example.net", port = 8000, no_srv = true },
                { service = "turn", proto = "tcp", transport = "tcp", default_port = 3478,
                    host = "example.net", port = 8000, no_srv = true },
                { service = "turns", proto = "tcp", transport = "tls", default_port = 5349,
                    host = "example.net", port = 8000, no_srv = true },
            }, uri.candidates_plan("turn:example.net:8000"))
        end)

        it("plans no SRV lookup for an IP literal, using the default ports", function()
            local plan = uri.candidates_plan("stun:[2001:db8::1]")
            assert.is_true(plan.no_srv)
            assert.same({ 3478, 3478, 5349 }, { plan[1].port, plan[2].port, plan[3].port })
            assert.same({ "2001:db8::1", "2001:db8::1", "2001:db8::1" }, { plan[1].host, plan[2].host, plan[3].host })
            assert.is_nil(plan[1].name)
            local turns = uri.candidates_plan("turns:192.0.2.1")
            assert.same({ { service = "turns", proto = "tcp", transport = "tls", default_port = 5349,
                            host = "192.0.2.1", port = 5349, no_srv = true } , no_srv = true }, turns)
        end)

        it("passes a bad URI's failure on", function()
            assert.same({ nil, 'bad URI "turn:example.net:0": port 0 out of range 1..65535', "BADURI" },
                        { uri.candidates_plan("turn:example.net:0") })
        end)

        it("raises on bad arguments", function()
            assert.has_error(function() uri.candidates_plan(5) end,
                "bad argument #1 to 'candidates_plan' (string or parsed URI expected, got number)")
            assert.has_error(function() uri.candidates_plan("turn:example.net", { "sctp" }) end,
                "bad argument #2 to 'candidates_plan' (transport #1 must be udp, tcp, tls or dtls)")
            assert.has_error(function() uri.candidates_plan({ host = "example.net" }) end)
        end)
    end)
end)
