-- r:resolve_xmpp (XEP-0368, RFC 6120 3.2) and r:resolve_turn / r:resolve_stun
-- (RFC 7064, 7065, 5928).
local srv = require "srv"
local env = require "spec.support.env"

local ZONE = "docs/examples/example.net.zone"

local function summary(cands)
    local out = {}
    for i, c in ipairs(cands) do
        out[i] = string.format("%s:%d%s%s %s", c.target, c.port, c.tls and " tls" or "",
            c.transport and (" " .. c.transport) or "", c.source)
    end
    return out
end

describe("r:resolve_xmpp", function()
    local r
    before_each(function() r = env.resolver { seed = 11 } end)
    after_each(function() r:close() end)

    it("mixes _xmpps-client and _xmpp-client into one order, direct TLS marked", function()
        local cands = assert(r:resolve_xmpp("example.net", "client"))
        assert.equal(6, #cands)
        local tls
        for _, c in ipairs(cands) do
            if c.tls then tls = c end
            assert.is_boolean(c.tls)
        end
        assert.same({ "example.net", 5223, 5 }, { tls.target, tls.port, tls.priority })
        assert.equal("backup.example.net", cands[6].target)
        assert.same({ 5, 5 }, { cands[1].priority, cands[2].priority })
    end)

    it("orders by priority across the two sets", function()
        assert.same({ "a.lua.test:5222 srv", "b.lua.test:5223 tls srv", "c.lua.test:5222 srv" },
            summary(assert(r:resolve_xmpp("both.lua.test", "client"))))
    end)

    it("asks both names at once", function()
        local q = env.resolver { cache = false }
        local done
        q:resolve_xmpp_async("example.net", "server", function(res) done = res end)
        assert.equal(2, q:pending())
        q:run()
        assert.equal(5, #done)   -- no _xmpps-server records in example.net
        q:close()
    end)

    it("uses the STARTTLS records when _xmpps-client is '.'", function()
        assert.same({ "a.lua.test:5222 srv" }, summary(assert(r:resolve_xmpp("notls.lua.test"))))
    end)

    it("uses direct TLS alone when it is all there is", function()
        assert.same({ "b.lua.test:5223 tls srv" }, summary(assert(r:resolve_xmpp("tlsonly.lua.test"))))
    end)

    it("gives NOSERVICE when both say '.', or _xmpp-client says '.' and there is no direct TLS", function()
        for _, domain in ipairs { "dots.lua.test", "plaindot.lua.test" } do
            local res = table.pack(r:resolve_xmpp(domain, "client"))
            assert.same({ n = 3, nil, res[2], "NOSERVICE" }, res)
        end
    end)

    it("falls back to the domain on 5222 or 5269 when neither exists (RFC 6120 3.2.2)", function()
        assert.same({ "nosrv.lua.test:5222 fallback" }, summary(assert(r:resolve_xmpp("nosrv.lua.test", "client"))))
        assert.same({ "nosrv.lua.test:5269 fallback" }, summary(assert(r:resolve_xmpp("nosrv.lua.test", "server"))))
        local res = table.pack(r:resolve_xmpp("nosrv.lua.test", "client", { fallback = false }))
        assert.same({ n = 3, nil, res[2], "NXDOMAIN" }, res)
    end)

    it("reports a DNS failure instead of falling back", function()
        local res = table.pack(r:resolve_xmpp("broken.test"))
        assert.same({ n = 3, nil, res[2], "SERVFAIL" }, res)
    end)

    it("says BADNAME, asking nothing, for a domain that is not a name", function()
        local z = assert(srv.resolver { zone = ZONE })
        for _, domain in ipairs { "", ".", "..", "example..net" } do
            local res = table.pack(z:resolve_xmpp(domain))
            assert.same({ n = 3, nil, res[2], "BADNAME" }, res)
        end
        assert.equal(0, z:stats().queries)
        z:close()
    end)

    it("says what is wrong with a JID, a URI, an SRV name or whitespace given as the domain", function()
        local z = assert(srv.resolver { zone = ZONE })
        local cases = {
            { "user@chat.test", "user@chat.test: a JID, not a domain: give its domain part (chat.test)" },
            { "chat.test/resource",
              "chat.test/resource: a JID with a resource, not a domain: give its domain part (chat.test)" },
            { " chat.test", '" chat.test": whitespace at octet 1: a domain has none' },
            { "chat\1test", '"chat\\1test": a control character at octet 5: a domain has none' },
            { "xmpp:chat.test", "xmpp:chat.test: a URI (xmpp:), not a domain: give its host (chat.test)" },
            { "_xmpp-client._tcp.chat.test", "_xmpp-client._tcp.chat.test: an SRV name (_service._proto.domain), "
              .. "not a domain: give the domain alone (chat.test)" },
            { ("a"):rep(64) .. ".test",
              ("a"):rep(64) .. ".test: the label aaaaaaaaaa...aaaaaa is 64 octets long; a label is at most 63 "
              .. "(RFC 1035 2.3.4)" },
        }
        for _, case in ipairs(cases) do
            assert.same({ n = 3, nil, case[2], "BADNAME" }, table.pack(z:resolve_xmpp(case[1])))
            local got
            z:resolve_xmpp_async(case[1], "server", function(...) got = table.pack(...) end)
            z:run()
            assert.same({ n = 3, nil, case[2], "BADNAME" }, got)
        end
        assert.equal(0, z:stats().queries)
        z:close()
    end)

    it("raises on a bad kind", function()
        assert.has_error(function() r:resolve_xmpp("example.net", "peer") end)
        assert.has_error(function() r:resolve_xmpp(5) end)
    end)
end)

describe("r:resolve_turn and r:resolve_stun", function()
    local r
    before_each(function() r = env.resolver { seed = 2 } end)
    after_each(function() r:close() end)

    it("resolves udp, tcp and tls for a bare domain, in that order", function()
        local cands = assert(r:resolve_turn("example.net"))
        assert.same({ "udp", "udp", "tcp", "tls" }, { cands[1].transport, cands[2].transport, cands[3].transport, cands[4].transport })
        assert.same({ "server1.example.net", 3478 }, { cands[1].target, cands[1].port })
        assert.same({ "server.example.net", 5349, "srv" }, { cands[4].target, cands[4].port, cands[4].source })
    end)

    it("follows the URI's transport and scheme", function()
        assert.same({ "server.example.net:3478 tcp srv" }, summary(assert(r:resolve_turn("turn:example.net?transport=tcp"))))
        assert.same({ "server.example.net:5349 tls srv" }, summary(assert(r:resolve_turn("TURNS:example.net"))))
        assert.same({ "server.example.net:3478 udp srv", "server.example.net:3478 tcp srv", "server.example.net:5349 tls srv" },
            summary(assert(r:resolve_stun("stun:example.net"))))
        assert.same({ "server.example.net:3478 tcp srv" },
            summary(assert(r:resolve_stun("example.net", { transports = { "tcp" } }))))
    end)

    it("uses an explicit port or an IP address as is, with no SRV query", function()
        assert.same({ "turn.example.org:3479 udp fallback", "turn.example.org:3479 tcp fallback", "turn.example.org:3479 tls fallback" },
            summary(assert(r:resolve_turn("turn:turn.example.org:3479"))))
        assert.same({ "192.0.2.9:5349 tls fallback" }, summary(assert(r:resolve_turn("turns:192.0.2.9"))))
        assert.equal(0, r:stats().queries)
    end)

    it("hands out hosts without their trailing dot, from a fallback and from an explicit port", function()
        local z = assert(srv.resolver { zone = ZONE })
        for _, c in ipairs(assert(z:resolve_turn("turn:nosrv.example.net."))) do
            assert.equal("nosrv.example.net", c.target)
        end
        assert.equal("turn.example.org", assert(z:resolve_turn("turn:turn.example.org.:3479"))[1].target)
        z:close()
    end)

    it("falls back per transport to the default port when that transport has no SRV records", function()
        assert.same({ "a.lua.test:3478 udp srv", "turnudp.lua.test:3478 tcp fallback", "turnudp.lua.test:5349 tls fallback" },
            summary(assert(r:resolve_turn("turnudp.lua.test"))))
    end)

    it("leaves out a transport whose answer is '.'", function()
        assert.same({ "a.lua.test:3478 udp srv", "a.lua.test:3478 tcp srv" },
            summary(assert(r:resolve_turn("turnnotls.lua.test"))))
    end)

    it("rejects bad URIs and the wrong scheme with BADURI", function()
        for _, text in ipairs { "turn:", "turn:host:99999", "stun:example.net?transport=udp", "http://example.net" } do
            local res = table.pack(r:resolve_turn(text))
            assert.same({ n = 3, nil, res[2], "BADURI" }, res)
        end
        local res = table.pack(r:resolve_stun("turn:example.net"))
        assert.same({ n = 3, nil, res[2], "BADURI" }, res)
    end)

    it("says what is wrong with a host that is no domain, as resolve_xmpp does", function()
        assert.same({ nil, 'bad URI "turn:_turn._udp.chat.test": host _turn._udp.chat.test: an SRV name '
                           .. "(_service._proto.domain), not a domain: give the domain alone (chat.test)", "BADURI" },
                    { r:resolve_turn("turn:_turn._udp.chat.test") })
        assert.same({ nil, 'bad URI "_stun._udp.chat.test": host _stun._udp.chat.test: an SRV name '
                           .. "(_service._proto.domain), not a domain: give the domain alone (chat.test)", "BADURI" },
                    { r:resolve_stun("_stun._udp.chat.test") })
        assert.same({ nil, 'bad URI "stun: chat.test": host " chat.test": whitespace at octet 1: a domain has none',
                      "BADURI" }, { r:resolve_stun("stun: chat.test") })
        assert.same({ nil, 'bad URI "turn:a..b": host a..b: an empty label (a dot first, or two dots in a row)',
                      "BADURI" }, { r:resolve_turn("turn:a..b") })
    end)

    it("resolves DTLS when a turns: URI asks for transport=udp (RFC 7350)", function()
        local cands = assert(r:resolve_turn("turns:example.net?transport=udp"))
        -- no _turns._udp records in example.net: the host on 5349
        assert.same({ "example.net:5349 dtls fallback" }, summary(cands))
    end)

    it("says BADURI when opts.transports leaves nothing the URI allows, and raises on unknown ones", function()
        local res = table.pack(r:resolve_turn("turn:example.net?transport=udp", { transports = { "tcp" } }))
        assert.same({ n = 3, nil, res[2], "BADURI" }, res)
        assert.has_error(function() r:resolve_turn("example.net", { transports = { "sctp" } }) end,
            "bad argument #2 to 'resolve_turn' (field 'transports': entry 1 must be udp, tcp, tls or dtls, got sctp)")
    end)

    it("reports a DNS failure when no transport could be resolved", function()
        local res = table.pack(r:resolve_turn("broken.test"))
        assert.same({ n = 3, nil, res[2], "SERVFAIL" }, res)
    end)
end)
