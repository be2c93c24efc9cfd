#!/usr/bin/env lua5.4
-- bad_dns.lua PORTFILE [PARENT_PID]
--
-- A misbehaving DNS server for srv's fault specs (spec/faults_spec.lua) and
-- the soak (bench/soak.lua). It listens on 127.0.0.1 only, UDP and TCP on one
-- free port, writes that port to PORTFILE (atomically: written beside it,
-- then renamed) and runs until killed, or until PARENT_PID (when given) is
-- gone, so a crashed spec run leaves no server behind. It never sends
-- anything anywhere but to the loopback peer that asked.
--
-- Its behaviour is chosen by the QUERY NAME: the label just under the zone
-- bad.test. "late-4000.bad.test", "_sip._tcp.late-4000.bad.test" and
-- "x7.late-4000.bad.test" all answer late; labels in front are free, so a
-- spec can make every query name distinct. A name outside bad.test is
-- REFUSED. One process serves every case at once; delays never block other
-- queries (one select loop with timers, non-blocking TCP).
--
-- Replies are built by hand from the query's bytes (RFC 1035 4.1): same ID,
-- same question, QR and AA set, RD copied. The names (label under bad.test):
--
--   ok            NOERROR. SRV: 2 records (10 60 5222 a.ok.bad.test, 20 0 5269
--                 b.ok.bad.test) with their A records in the additional
--                 section. A: a -> 192.0.2.1, b -> 192.0.2.2, other -> 192.0.2.9;
--                 AAAA: 2001:db8::1 / ::2 / ::9 likewise. Other types: NODATA.
--   silent        never answers, on UDP or TCP (a timeout)
--   late-N        the ok answer after N milliseconds (timers: other queries
--                 are answered meanwhile)
--   servfail, refused, nxdomain, notimp, formerr
--                 that RCODE, question echoed, no records (nxdomain carries the
--                 zone's SOA in the authority section: negative TTL 60)
--   nodata        NOERROR, no answer, the SOA in the authority section
--   rcode-N       RCODE N (0..15), nothing else: e.g. rcode-6 (YXDOMAIN), an
--                 rcode srv has no name for
--   wrongid       the ok answer with another ID (a resolver must ignore it)
--   wrongname     the ok answer to another question name (other.bad.test)
--   wrongtype     the ok answer with the question's type changed (SRV -> A,
--                 anything else -> TXT)
--   wrongclass    the question's class changed to CH
--   noquestion    QDCOUNT 0, the ok records without a question
--   wrongid-ok, wrongname-ok
--                 first the bad reply, then (20 ms later) the right one: the
--                 bad one must be ignored, not taken nor fatal
--   tc            UDP: TC=1 and only the question; TCP: the ok answer
--   tc-close      UDP: TC=1; TCP: the connection is closed on the first query
--   tc-silent     UDP: TC=1; TCP: queries are read and never answered
--   tc-partial    UDP: TC=1; TCP: the length prefix and half the answer, then
--                 nothing more (the connection stays open)
--   tc-malformed  UDP: TC=1; TCP: an answer whose SRV target is a pointer to
--                 itself
--   big-udp       20 SRV records: a UDP answer over 512 octets with TC=0 (c-ares
--                 1.18 takes it as truncated and asks over TCP, which gives
--                 the same 20 records)
--   huge-N        N SRV records (N <= 3100; distinct ports, one target "h"):
--                 UDP TC=1, TCP the whole RRset. A DNS message is at most
--                 65535 octets and each record takes 21 here, so N > 3100
--                 cannot be sent: it is REFUSED.
--   srv-compressed  the ok answer, its SRV targets compressed ("a.ok" and a
--                 pointer into the question), which RFC 2782 forbids
--   trailing      the ok answer followed by 16 octets of junk (tolerated)
--   cname-last    the ok records owned by alias.cname-last.bad.test, then the
--                 CNAME from the query name to it: the chain's last link
--                 comes after the records it leads to
--   targets-faulty  SRV: 4 good records whose targets are a.silent.bad.test,
--                 b.servfail.bad.test, c.ptr-loop.bad.test and d.ok.bad.test
--                 (priorities 1..4): address lookups of the targets fail
--                 each its own way; other types as ok
--   lo-6late-N    loopback addresses for the connection specs: A 127.0.0.1 at
--                 once, AAAA ::1 after N milliseconds; SRV and other types
--                 NODATA (r:connect falls back to the name on its port)
--   lo-4late-N    the same, AAAA ::1 at once and A 127.0.0.1 after N ms
--   lo-6servfail  A 127.0.0.1 at once, AAAA SERVFAIL
--   Malformed replies (NOERROR, right ID and question; the fault is after
--   the question). For an SRV query the bad name is the first SRV record's
--   TARGET; for any other type it is the first record's OWNER:
--   ptr-past-end  a compression pointer to offset 0x3FFF, past the end
--   ptr-self      a compression pointer to itself
--   ptr-loop      a two-step loop: a pointer forward to a pointer back to it
--   name-long-labels  a name of 261 octets written as plain labels (> 255)
--   name-long-ptr     a name of 257 octets made of backward pointers through
--                     label fragments held in an earlier NULL record (> 255)
--   label-long    a label length octet of 64 (0x40: over 63)
--   count-high    ANCOUNT 3, one record present: the counts promise more
--   rdata-short   SRV rdlength 6 (priority, weight, port, no target; the least
--                 an SRV needs is 7); A rdlength 3, AAAA rdlength 15
--   rdata-slack   SRV rdlength 4 octets more than the SRV it holds
--   rdlen-past-end  rdlength 200 where the message ends after a few octets
--   owner-ptr-loop  SRV query: the ptr-loop in the first record's OWNER
--   ptr-jumps-N   the first record's OWNER (SRV queries too) is the query
--                 name reached through N compression pointers (1..200): N - 1
--                 of them chained in an earlier NULL record, each pointing at
--                 the one before, the first at the question
--   EDNS (RFC 6891): an OPT record carries the RCODE's upper 8 bits
--   opt-badvers   RCODE 0 in the header, an OPT with extended RCODE 1: the
--                 whole RCODE is 16, BADVERS; no records
--   opt-ercode-N  the same with extended RCODE N (0..255): RCODE N * 16
--   opt-twice     the ok answer with two OPT records in the additional section
--   opt-not-root  the ok answer with an OPT owned by opt.bad.test, not the root
--   opt-in-answer the ok answer with an OPT in the answer section
--   qr0           the ok answer with QR = 0 (not marked as a response)
--   short-header  the first 11 octets of the ok answer (less than a header)
--   question-cut  a header and half the question
local socket = require "socket"

local ZONE = { "bad", "test" }
local TYPE = { A = 1, SOA = 6, CNAME = 5, NULL = 10, TXT = 16, AAAA = 28, SRV = 33, OPT = 41 }
local CLASS_IN, CLASS_CH = 1, 3
local RCODE = { servfail = 2, nxdomain = 3, notimp = 4, refused = 5, formerr = 1 }
local TTL = 300
local MAX_HUGE = 3100

-- Wire helpers ---------------------------------------------------------------

local function u16(n) return string.pack(">I2", n) end

local function label_wire(label) return string.char(#label) .. label end

local function name_wire(name)
    local out = {}
    for label in name:gmatch("[^.]+") do out[#out + 1] = label_wire(label) end
    return table.concat(out) .. "\0"
end

local function pointer(offset) return u16(0xC000 | offset) end

-- One resource record: owner (wire octets), type, class IN, TTL, rdata.
local function rr(owner, rtype, rdata, rdlength)
    return owner .. string.pack(">I2I2I4I2", rtype, CLASS_IN, TTL, rdlength or #rdata) .. rdata
end

local function srv_rdata(priority, weight, port, target_wire)
    return string.pack(">I2I2I2", priority, weight, port) .. target_wire
end

-- An OPT record (RFC 6891 6.1.2): owner (wire octets), UDP size 1232 in
-- the class, the extended RCODE in the TTL's top octet, no options.
local function opt_rr(owner, extended_rcode)
    return owner .. string.pack(">I2I2I4I2", TYPE.OPT, 1232, (extended_rcode or 0) << 24, 0)
end

local function a_rdata(last) return string.char(192, 0, 2, last) end
local function aaaa_rdata(last) return "\32\1\13\184" .. string.rep("\0", 11) .. string.char(last) end

-- The query ----------------------------------------------------------------

-- {id=, flags=, labels=, name=, qtype=, qclass=, question= (qname, qtype,
-- qclass octets)}, or nil for something that is not a one-question query.
local function parse_query(msg)
    if #msg < 12 then return nil end
    local id, flags, qdcount = string.unpack(">I2I2I2", msg)
    if qdcount ~= 1 or flags & 0x8000 ~= 0 then return nil end
    local pos, labels = 13, {}
    while true do
        local len = msg:byte(pos)
        if not len or len > 63 then return nil end
        if len == 0 then pos = pos + 1 break end
        labels[#labels + 1] = msg:sub(pos + 1, pos + len)
        pos = pos + 1 + len
    end
    if pos + 3 > #msg then return nil end
    local qtype, qclass = string.unpack(">I2I2", msg, pos)
    return { id = id, flags = flags, labels = labels, name = table.concat(labels, "."),
             qtype = qtype, qclass = qclass, question = msg:sub(13, pos + 3) }
end

-- The label just under bad.test, lower-cased; nil outside the zone.
local function behaviour_of(q)
    local n = #q.labels
    if n < 3 or q.labels[n - 1]:lower() ~= ZONE[1] or q.labels[n]:lower() ~= ZONE[2] then return nil end
    return q.labels[n - 2]:lower()
end

-- A header answering q. o: rcode, tc, an, ns, ar, qd (default 1), id, qr (default true).
local function header(q, o)
    local flags = (o.qr == false and 0 or 0x8000) | (q.flags & 0x7800) | 0x0400 | (q.flags & 0x0100)
                  | 0x0080 | (o.tc and 0x0200 or 0) | (o.rcode or 0)
    return string.pack(">I2I2I2I2I2I2", o.id or q.id, flags, o.qd or 1, o.an or 0, o.ns or 0, o.ar or 0)
end

-- The question is at offset 12; its name is the target of pointer 0xC00C.
local QNAME = pointer(12)

local function soa_rr()
    local rdata = name_wire("ns.bad.test") .. name_wire("hostmaster.bad.test")
                  .. string.pack(">I4I4I4I4I4", 1, 3600, 600, 86400, 60)
    return rr(name_wire("bad.test"), TYPE.SOA, rdata)
end

local function address_last(q)
    local first = q.labels[1]:lower()
    return first == "a" and 1 or first == "b" and 2 or 9
end

-- The ok answer's sections for q: answers, additional (lists of RR octets).
local function ok_records(q)
    if q.qtype == TYPE.SRV then
        return { rr(QNAME, TYPE.SRV, srv_rdata(10, 60, 5222, name_wire("a.ok.bad.test"))),
                 rr(QNAME, TYPE.SRV, srv_rdata(20, 0, 5269, name_wire("b.ok.bad.test"))) },
               { rr(name_wire("a.ok.bad.test"), TYPE.A, a_rdata(1)),
                 rr(name_wire("b.ok.bad.test"), TYPE.A, a_rdata(2)) }
    elseif q.qtype == TYPE.A then
        return { rr(QNAME, TYPE.A, a_rdata(address_last(q))) }, {}
    elseif q.qtype == TYPE.AAAA then
        return { rr(QNAME, TYPE.AAAA, aaaa_rdata(address_last(q))) }, {}
    end
    return {}, {}
end

-- o: id, qr, qd, question (header fields and the question's octets to send
-- instead of q's), answer and additional (records appended to the sections).
local function ok_answer(q, o)
    o = o or {}
    local answers, additional = ok_records(q)
    for _, extra in ipairs(o.additional or {}) do additional[#additional + 1] = extra end
    if #answers == 0 and not o.answer then   -- NODATA for the other types
        return header(q, { ns = 1, ar = #additional, id = o.id, qr = o.qr }) .. (o.question or q.question)
               .. soa_rr() .. table.concat(additional)
    end
    for _, extra in ipairs(o.answer or {}) do answers[#answers + 1] = extra end
    return header(q, { an = #answers, ar = #additional, id = o.id, qr = o.qr, qd = o.qd })
           .. (o.question or q.question) .. table.concat(answers) .. table.concat(additional)
end

local function rcode_reply(q, rcode, with_soa)
    if with_soa then return header(q, { rcode = rcode, ns = 1 }) .. q.question .. soa_rr() end
    return header(q, { rcode = rcode }) .. q.question
end

local function truncated(q) return header(q, { tc = true }) .. q.question end

-- The lo-* answers: 127.0.0.1 or ::1, NODATA for the other types.
local function loopback_answer(q)
    local rdata = q.qtype == TYPE.A and "\127\0\0\1"
                  or q.qtype == TYPE.AAAA and string.rep("\0", 15) .. "\1"
    if not rdata then return rcode_reply(q, 0, true) end
    return header(q, { an = 1 }) .. q.question .. rr(QNAME, q.qtype, rdata)
end

-- n SRV records with one target, written out in each (RFC 2782: no name
-- compression in the target), the owners compressed.
local function many_srv(q, n, target)
    local body = { q.question }
    local target_wire = name_wire(target)
    for i = 1, n do
        body[#body + 1] = rr(QNAME, TYPE.SRV, srv_rdata(i % 3, i % 7 + 1, 10000 + i, target_wire))
    end
    return header(q, { an = n }) .. table.concat(body)
end

-- The ok SRV answer with its targets compressed: "a.ok" then a pointer to
-- "bad.test" at the end of the question's name, which RFC 2782 forbids.
local function compressed_srv(q)
    local bad_test_at = 12 + #q.question - 4 - #name_wire("bad.test")
    local records = {
        rr(QNAME, TYPE.SRV, srv_rdata(10, 60, 5222, label_wire("a") .. label_wire("ok") .. pointer(bad_test_at))),
        rr(QNAME, TYPE.SRV, srv_rdata(20, 0, 5269, label_wire("b") .. label_wire("ok") .. pointer(bad_test_at))),
    }
    return header(q, { an = #records }) .. q.question .. table.concat(records)
end

-- Malformed replies carry one record of the query's type (SRV, AAAA, or
-- else A) and its good rdata.
local function first_rr_type(q)
    return q.qtype == TYPE.SRV and TYPE.SRV or q.qtype == TYPE.AAAA and TYPE.AAAA or TYPE.A
end

local function good_rdata(q)
    return q.qtype == TYPE.SRV and srv_rdata(10, 60, 5222, name_wire("a.ok.bad.test"))
           or q.qtype == TYPE.AAAA and aaaa_rdata(1) or a_rdata(1)
end

-- Malformed names --------------------------------------------------------------

-- A reply whose first record carries a bad name built by make(at, end_at):
-- at is the name's offset, end_at the offset just after the record (where
-- extra octets, returned second, are appended). For SRV the name is the
-- target, otherwise the owner. prelude: records before it (with prelude_n
-- of them), for names that point back into them.
local function bad_name_reply(q, make, prelude, prelude_n, owner_only)
    prelude = prelude or ""
    local start = 12 + #q.question + #prelude
    local record, extra
    if q.qtype == TYPE.SRV and not owner_only then
        local at = start + 2 + 10 + 6
        -- The name's length is needed for rdlength: build it twice, first
        -- to measure, then with the final end offset.
        local probe = make(at, at)
        local name
        name, extra = make(at, at + #probe)
        record = rr(QNAME, TYPE.SRV, srv_rdata(10, 60, 5222, name))
    else
        local rdata = good_rdata(q)
        local probe = make(start, start)
        local name
        name, extra = make(start, start + #probe + 10 + #rdata)
        record = rr(name, first_rr_type(q), rdata)
    end
    return header(q, { an = (prelude_n or 0) + 1 }) .. q.question .. prelude .. record .. (extra or "")
end

local long_label = string.rep("x", 63)

local MALFORMED_NAMES = {
    -- a pointer to 0x3FFF: past the end of any reply sent here
    ["ptr-past-end"] = function() return pointer(0x3FFF) end,
    -- a pointer to the pointer itself
    ["ptr-self"] = function(at) return pointer(at) end,
    -- a pointer forward to extra octets after the record, which point back
    ["ptr-loop"] = function(at, end_at) return pointer(end_at), pointer(at) end,
    -- 4 labels of 63 and one of 3: 4*64 + 4 + 1 = 261 octets
    ["name-long-labels"] = function()
        return string.rep(string.char(63) .. long_label, 4) .. "\3abc\0"
    end,
    -- label length 64 (0x40): an extended label type, i.e. over 63
    ["label-long"] = function() return "\64" .. string.rep("y", 64) .. "\0" end,
}

-- name-long-ptr: the fragments live in an earlier NULL record of the answer
-- section, at the query name; each points back to the one before, and the
-- bad name is one more label in front: 4 * 64 + 1 = 257 octets.
local function long_pointer_reply(q)
    local rdata_at = 12 + #q.question + 2 + 10
    local f1 = rdata_at
    local frag1 = "\63" .. string.rep("a", 63) .. "\0"
    local f2 = f1 + #frag1
    local frag2 = "\63" .. string.rep("b", 63) .. pointer(f1)
    local f3 = f2 + #frag2
    local frag3 = "\63" .. string.rep("c", 63) .. pointer(f2)
    local prelude = rr(QNAME, TYPE.NULL, frag1 .. frag2 .. frag3)
    return bad_name_reply(q, function() return "\63" .. string.rep("d", 63) .. pointer(f3) end, prelude, 1)
end

-- ptr-jumps-N: the chain lives in a NULL record at the query name, first
-- in the answer section; the record after it is owned by a pointer to the
-- chain's last link.
local MAX_JUMPS = 200
local function pointer_jumps_reply(q, jumps)
    local at, links, top = 12 + #q.question + 2 + 10, {}, 12
    for i = 1, jumps - 1 do
        links[i] = pointer(top)
        top = at + 2 * (i - 1)
    end
    local prelude = rr(QNAME, TYPE.NULL, table.concat(links))
    return header(q, { an = 2 }) .. q.question .. prelude .. rr(pointer(top), first_rr_type(q), good_rdata(q))
end

-- Malformed records --------------------------------------------------------------

local MALFORMED_RECORDS = {
    ["count-high"] = function(q)
        return header(q, { an = 3 }) .. q.question .. rr(QNAME, first_rr_type(q), good_rdata(q))
    end,
    ["rdata-short"] = function(q)
        local rdata = q.qtype == TYPE.SRV and string.pack(">I2I2I2", 10, 60, 5222)
                      or good_rdata(q):sub(1, -2)
        -- a second, good record after it: the short one must not read into it
        return header(q, { an = 2 }) .. q.question .. rr(QNAME, first_rr_type(q), rdata)
               .. rr(QNAME, first_rr_type(q), good_rdata(q))
    end,
    ["rdata-slack"] = function(q)
        return header(q, { an = 1 }) .. q.question .. rr(QNAME, first_rr_type(q), good_rdata(q) .. "\0\0\0\0")
    end,
    ["rdlen-past-end"] = function(q)
        return header(q, { an = 1 }) .. q.question .. rr(QNAME, first_rr_type(q), good_rdata(q), 200)
    end,
    ["owner-ptr-loop"] = function(q)
        return bad_name_reply(q, MALFORMED_NAMES["ptr-loop"], nil, nil, true)
    end,
    ["qr0"] = function(q) return ok_answer(q, { qr = false }) end,
    ["short-header"] = function(q) return ok_answer(q):sub(1, 11) end,
    ["question-cut"] = function(q)
        return header(q, {}) .. q.question:sub(1, #q.question // 2)
    end,
}

-- Behaviours ---------------------------------------------------------------------

-- Each returns a list of actions for one query: { delay = ms, bytes = reply }
-- (bytes nil: nothing), and on TCP { close = true } or { raw = octets } (sent
-- without the length prefix). An empty list: no answer at all.
local function respond(q, transport)
    local b = behaviour_of(q)
    local udp = transport == "udp"
    local function now(bytes) return { { delay = 0, bytes = bytes } } end
    if not b then return now(rcode_reply(q, RCODE.refused)) end

    if b == "ok" then return now(ok_answer(q)) end
    if b == "silent" then return {} end
    local late = b:match("^late%-(%d+)$")
    if late then return { { delay = tonumber(late), bytes = ok_answer(q) } } end
    if b == "lo-6servfail" then
        return now(q.qtype == TYPE.AAAA and rcode_reply(q, RCODE.servfail) or loopback_answer(q))
    end
    local late_family, lo_late = b:match("^lo%-([46])late%-(%d+)$")
    if late_family then
        local late_type = late_family == "6" and TYPE.AAAA or TYPE.A
        return { { delay = q.qtype == late_type and tonumber(lo_late) or 0, bytes = loopback_answer(q) } }
    end
    if RCODE[b] then return now(rcode_reply(q, RCODE[b], b == "nxdomain")) end
    if b == "nodata" then return now(rcode_reply(q, 0, true)) end
    local rcode = b:match("^rcode%-(%d+)$")
    if rcode then return now(rcode_reply(q, tonumber(rcode) & 0xF)) end

    local extended_rcode = b == "opt-badvers" and 1 or tonumber(b:match("^opt%-ercode%-(%d+)$"))
    if extended_rcode then
        return now(header(q, { ar = 1 }) .. q.question .. opt_rr("\0", extended_rcode & 0xFF))
    end
    if b == "opt-twice" then return now(ok_answer(q, { additional = { opt_rr("\0"), opt_rr("\0") } })) end
    if b == "opt-not-root" then return now(ok_answer(q, { additional = { opt_rr(name_wire("opt.bad.test")) } })) end
    if b == "opt-in-answer" then return now(ok_answer(q, { answer = { opt_rr("\0") } })) end

    if b == "wrongid" then return now(ok_answer(q, { id = (q.id + 1) & 0xFFFF })) end
    local function wrong_name() return ok_answer(q, { question = name_wire("other.bad.test") .. q.question:sub(-4) }) end
    local function wrong_type()
        local other = q.qtype == TYPE.SRV and TYPE.A or TYPE.TXT
        return ok_answer(q, { question = q.question:sub(1, -5) .. string.pack(">I2I2", other, CLASS_IN) })
    end
    if b == "wrongname" then return now(wrong_name()) end
    if b == "wrongtype" then return now(wrong_type()) end
    if b == "wrongclass" then
        return now(ok_answer(q, { question = q.question:sub(1, -3) .. u16(CLASS_CH) }))
    end
    if b == "noquestion" then return now(ok_answer(q, { qd = 0, question = "" })) end
    if b == "wrongid-ok" then
        return { { delay = 0, bytes = ok_answer(q, { id = (q.id + 1) & 0xFFFF }) }, { delay = 20, bytes = ok_answer(q) } }
    end
    if b == "wrongname-ok" then
        return { { delay = 0, bytes = wrong_name() }, { delay = 20, bytes = ok_answer(q) } }
    end

    local tc = b:match("^tc%-?(.*)$")
    if tc then
        if udp then return now(truncated(q)) end
        if tc == "" then return now(ok_answer(q)) end
        if tc == "close" then return { { delay = 0, close = true } } end
        if tc == "silent" then return {} end
        if tc == "partial" then
            local full = ok_answer(q)
            return { { delay = 0, raw = u16(#full) .. full:sub(1, #full // 2) } }
        end
        if tc == "malformed" then return now(bad_name_reply(q, MALFORMED_NAMES["ptr-self"])) end
        return now(rcode_reply(q, RCODE.refused))
    end
    if b == "big-udp" then
        return now(q.qtype == TYPE.SRV and many_srv(q, 20, "h.ok.bad.test") or ok_answer(q))
    end
    local huge = b:match("^huge%-(%d+)$")
    if huge then
        huge = tonumber(huge)
        if huge < 1 or huge > MAX_HUGE then return now(rcode_reply(q, RCODE.refused)) end
        if q.qtype ~= TYPE.SRV then return now(ok_answer(q)) end
        if udp then return now(truncated(q)) end
        local reply = many_srv(q, huge, "h")
        if #reply > 65535 then return now(rcode_reply(q, RCODE.refused)) end
        return now(reply)
    end
    if b == "cname-last" then
        local alias = name_wire("alias.cname-last.bad.test")
        local answers = {}
        for i, record in ipairs((ok_records(q))) do
            answers[i] = alias .. record:sub(#QNAME + 1)   -- the same record, owned by the alias
        end
        answers[#answers + 1] = rr(QNAME, TYPE.CNAME, alias)
        return now(header(q, { an = #answers }) .. q.question .. table.concat(answers))
    end
    if b == "trailing" then return now(ok_answer(q) .. string.rep("\255", 16)) end
    if b == "srv-compressed" then
        return now(q.qtype == TYPE.SRV and compressed_srv(q) or ok_answer(q))
    end
    if b == "targets-faulty" then
        if q.qtype ~= TYPE.SRV then return now(ok_answer(q)) end
        local records = {}
        for i, target in ipairs { "a.silent.bad.test", "b.servfail.bad.test", "c.ptr-loop.bad.test", "d.ok.bad.test" } do
            records[i] = rr(QNAME, TYPE.SRV, srv_rdata(i, 0, 5000 + i, name_wire(target)))
        end
        return now(header(q, { an = #records }) .. q.question .. table.concat(records))
    end

    if MALFORMED_NAMES[b] then return now(bad_name_reply(q, MALFORMED_NAMES[b])) end
    if b == "name-long-ptr" then return now(long_pointer_reply(q)) end
    local jumps = tonumber(b:match("^ptr%-jumps%-(%d+)$"))
    if jumps and jumps >= 1 and jumps <= MAX_JUMPS then return now(pointer_jumps_reply(q, jumps)) end
    if MALFORMED_RECORDS[b] then return now(MALFORMED_RECORDS[b](q)) end

    return now(rcode_reply(q, RCODE.refused))   -- an unknown behaviour
end

-- The server -----------------------------------------------------------------------

local port_file, parent_pid = arg[1], tonumber(arg[2])
if not port_file then
    io.stderr:write("usage: lua5.4 bad_dns.lua PORTFILE [PARENT_PID]\n")
    os.exit(2)
end

local function parent_gone()
    if not parent_pid then return false end
    local f = io.open("/proc/" .. parent_pid .. "/stat")
    if not f then return true end
    f:close()
    return false
end

-- UDP and TCP on the same free port: take a UDP port, then try TCP on it.
local udp, listener, port
for _ = 1, 50 do
    udp = assert(socket.udp())
    assert(udp:setsockname("127.0.0.1", 0))
    local _
    _, port = udp:getsockname()
    listener = socket.bind("127.0.0.1", port, 128)
    if listener then break end
    udp:close()
    udp = nil
end
assert(listener, "bad_dns: no port free on both UDP and TCP")
udp:settimeout(0)
listener:settimeout(0)

do
    local tmp = port_file .. ".tmp"
    local f = assert(io.open(tmp, "w"))
    f:write(port, "\n")
    f:close()
    assert(os.rename(tmp, port_file))
end

local timers = {}          -- { at = seconds, fn = function }
local connections = {}     -- socket -> { sock, inbuf, outbuf, closing }
local conn_list = {}

local function after(ms, fn)
    if ms <= 0 then return fn() end
    timers[#timers + 1] = { at = socket.gettime() + ms / 1000, fn = fn }
end

local function drop(conn)
    if connections[conn.sock] then
        connections[conn.sock] = nil
        for i, c in ipairs(conn_list) do
            if c == conn then table.remove(conn_list, i) break end
        end
        conn.sock:close()
    end
end

local function flush(conn)
    if conn.outbuf == "" then
        if conn.closing then drop(conn) end
        return
    end
    local sent, err, last = conn.sock:send(conn.outbuf)
    if sent then
        conn.outbuf = ""
        if conn.closing then drop(conn) end
    elseif err == "timeout" then
        conn.outbuf = conn.outbuf:sub((last or 0) + 1)
    else
        drop(conn)
    end
end

local function run_actions(actions, send, close)
    for _, action in ipairs(actions) do
        after(action.delay or 0, function()
            if action.close then close()
            elseif action.raw then send(action.raw, true)
            elseif action.bytes then send(action.bytes, false) end
        end)
    end
end

-- BAD_DNS_LOG=1: one line per query and per action on stderr.
local trace = os.getenv("BAD_DNS_LOG") and function(...)
    io.stderr:write(string.format("%.3f ", socket.gettime()), string.format(...), "\n")
end or function() end

local function on_udp()
    for _ = 1, 256 do
        local data, ip, peer_port = udp:receivefrom()
        if not data then return end
        local q = parse_query(data)
        if q then
            trace("udp %d query %s id %d type %d", peer_port, q.name, q.id, q.qtype)
            run_actions(respond(q, "udp"), function(bytes)
                trace("udp %d reply %s id %d, %d octets", peer_port, q.name, q.id, #bytes)
                udp:sendto(bytes, ip, peer_port)
            end, function() end)
        end
    end
end

local function on_tcp_query(conn, msg)
    local q = parse_query(msg)
    if not q then return end
    trace("tcp %s query %s id %d", conn.peer, q.name, q.id)
    run_actions(respond(q, "tcp"), function(bytes, raw)
        if not connections[conn.sock] then return end
        trace("tcp %s reply %s id %d, %d octets", conn.peer, q.name, q.id, #bytes)
        conn.outbuf = conn.outbuf .. (raw and bytes or u16(#bytes) .. bytes)
        flush(conn)
    end, function()
        if connections[conn.sock] then drop(conn) end
    end)
end

local function on_readable(conn)
    local data, err, partial = conn.sock:receive(65536)
    local got = data or partial
    if got and #got > 0 then conn.inbuf = conn.inbuf .. got end
    while #conn.inbuf >= 2 do
        local len = string.unpack(">I2", conn.inbuf)
        if #conn.inbuf < 2 + len then break end
        local msg = conn.inbuf:sub(3, 2 + len)
        conn.inbuf = conn.inbuf:sub(3 + len)
        on_tcp_query(conn, msg)
        if not connections[conn.sock] then return end
    end
    if err == "closed" then
        trace("tcp %s closed by the peer", conn.peer)
        drop(conn)
    end
end

local next_parent_check = 0
while true do
    -- timers that are due
    local now = socket.gettime()
    if now >= next_parent_check then
        if parent_gone() then os.exit(0) end
        next_parent_check = now + 1
    end
    local due, later = {}, {}
    for _, t in ipairs(timers) do
        if t.at <= now then due[#due + 1] = t else later[#later + 1] = t end
    end
    timers = later
    table.sort(due, function(a, b) return a.at < b.at end)
    for _, t in ipairs(due) do t.fn() end

    local wait = 1
    for _, t in ipairs(timers) do
        local left = t.at - socket.gettime()
        if left < wait then wait = left end
    end
    if wait < 0 then wait = 0 end

    local readers, writers = { udp, listener }, {}
    for _, conn in ipairs(conn_list) do
        readers[#readers + 1] = conn.sock
        if conn.outbuf ~= "" then writers[#writers + 1] = conn.sock end
    end
    local readable, writable = socket.select(readers, writers, wait)
    for _, sock in ipairs(writable) do
        local conn = connections[sock]
        if conn then flush(conn) end
    end
    for _, sock in ipairs(readable) do
        if sock == udp then
            on_udp()
        elseif sock == listener then
            local client = listener:accept()
            if client then
                client:settimeout(0)
                client:setoption("tcp-nodelay", true)
                local _, peer_port = client:getpeername()
                local conn = { sock = client, inbuf = "", outbuf = "", peer = tostring(peer_port) }
                trace("tcp %s accepted", conn.peer)
                connections[client] = conn
                conn_list[#conn_list + 1] = conn
            end
        else
            local conn = connections[sock]
            if conn then on_readable(conn) end
        end
    end
end
