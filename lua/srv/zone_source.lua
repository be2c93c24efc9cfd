--- srv.zone_source: the offline source. Answers SRV and address queries
-- from zone-file text instead of DNS, with the resolver's methods and
-- callback contract (srv.core's resolver), so anything written against a
-- resolver runs unchanged on a zone file: tests, dry runs, the runner's
-- offline mode.
--
-- The answers are what knotd serving the same file answers, as the core
-- reads them (spec/zone_source_spec.lua checks this against a real knotd):
--   * each SOA owner is a zone apex; a name under no apex is NOTINZONE
--     (knotd answers REFUSED: no server is there to try again). Text
--     without any SOA (pasted SRV lines) is one implicit zone holding every
--     name, negative TTL 0;
--   * SRV records in text order -> "OK"; a lone "." target -> "NOSERVICE";
--   * a CNAME is followed inside its zone, at most 5 aliases (knotd's limit);
--     a chain that loops, leaves the zone or runs out of hops ends in an
--     answer holding only CNAMEs: "NODATA" with negative TTL 0 (no SOA);
--   * a name that exists (records, or an empty non-terminal) without the
--     type asked -> "NODATA", else "NXDOMAIN", both with the zone's negative
--     TTL min(SOA TTL, SOA minimum) (RFC 2308 5);
--   * wildcards (RFC 4592): a name that does not exist is answered by the
--     "*" child of its closest encloser, if there is one, with the records
--     named as asked; a "*" child without the type asked (or an empty one)
--     -> "NODATA", a CNAME there is followed as any other;
--   * an NS RRset below an apex is a zone cut: a question at or below it
--     (glue included) gets knotd's referral, which the core reads as
--     "NODATA" with negative TTL 0, as does a CNAME chain that enters it.
--     Text without any SOA has no apex and so no cuts.
--
-- Answers are immediate but handed out later, with the methods of srv.core's
-- resolver (docs/lua-api.md, "The private binding srv.core"): submit_srv and
-- submit_addr return an id, fetch returns every result ready since the last
-- fetch, four slots each (id, code, result, negative TTL), and stats counts
-- the queries. srv.loop runs the callbacks for both sources. There is nothing to poll: pollfd() and
-- events() return nil and timeout() is 0 while something waits, so a loop
-- that calls step when timeout() is 0 drives it.

local codes = require "srv.codes"

local zone_source = {}

-- knotd follows at most this many CNAME records of one zone per answer.
local MAX_ALIASES = 5
local LABEL_MAX = 63
-- 255 octets in wire format (RFC 1035 2.3.4) is 253 characters of text.
local NAME_TEXT_MAX = 253

local CLOSED_MESSAGE = "attempt to use a closed resolver"

-- RFC 2181 8: a TTL with the top bit set is treated as zero.
local function ttl_value(ttl)
    if ttl >= 0x80000000 then
        return 0
    end
    return ttl
end

-- The lookup key of a name: lower case, without its one trailing dot.
local function name_key(name)
    if name == "" then
        return "."
    end
    if name ~= "." and name:sub(-1) == "." then
        name = name:sub(1, -2)
    end
    return name:lower()
end

-- The name just above key ("a.b.c" -> "b.c", "c" -> "."), nil above ".".
local function parent(key)
    if key == "." then
        return nil
    end
    local dot = key:find(".", 1, true)
    if not dot then
        return "."
    end
    return key:sub(dot + 1)
end

-- The names above key, nearest first ("a.b.c" -> "b.c", "c"), then ".".
local function each_ancestor(key)
    return function(_, current)
        return parent(current)
    end, nil, key
end

-- Nil when name is a name the resolver would send, else the reason it is
-- not. "" is no name at all (the resolver sends nothing for it either).
local function bad_name_reason(name)
    if name:find("\0", 1, true) then
        return "NUL byte in the name"   -- as the binding refuses them
    end
    if name == "" then
        return "empty name"
    end
    if name == "." then
        return nil
    end
    local text = name:sub(-1) == "." and name:sub(1, -2) or name
    if #text > NAME_TEXT_MAX then
        return "name longer than 255 octets"
    end
    for label in (text .. "."):gmatch("([^.]*)%.") do
        if label == "" then
            return "empty label"
        end
        if #label > LABEL_MAX then
            return "label longer than 63 octets"
        end
    end
    return nil
end

-- "mname rname serial refresh retry expire minimum" -> minimum
local function soa_minimum(rdata)
    local minimum = rdata:match("(%d+)%s*$")
    return minimum and tonumber(minimum) or 0
end

local function add_to(index, key, value)
    local list = index[key]
    if not list then
        list = {}
        index[key] = list
    end
    list[#list + 1] = value
end

-- The index the lookups read: every table is keyed by name_key.
local function build_index(zone)
    local index = {
        srv = {},        -- key -> {record, ...} in text order
        addresses = {},  -- key -> {{family=, address=, ttl=}, ...}
        cname = {},      -- key -> target name as written
        ns = {},         -- key -> true: an owner of NS records
        exists = {},     -- key -> true: an owner or an empty non-terminal
        apex = {},       -- key -> negative TTL of the zone whose apex it is
        has_soa = false,
        owner_order = {}, -- SRV owners, first spelling, first appearance
    }
    local owners = {}
    for _, record in ipairs(zone.srv or {}) do
        local key = name_key(record.name)
        if not index.srv[key] then
            index.owner_order[#index.owner_order + 1] = record.name
        end
        add_to(index.srv, key, {
            target = record.target, priority = record.priority,
            weight = record.weight, port = record.port, ttl = ttl_value(record.ttl),
        })
        owners[#owners + 1] = key
    end
    for _, rr in ipairs(zone.rrs or {}) do
        local key = name_key(rr.owner)
        if rr.type == "A" or rr.type == "AAAA" then
            add_to(index.addresses, key, {
                family = rr.type == "A" and "inet" or "inet6",
                address = rr.rdata, ttl = ttl_value(rr.ttl),
            })
        elseif rr.type == "CNAME" then
            index.cname[key] = index.cname[key] or rr.rdata
        elseif rr.type == "NS" then
            index.ns[key] = true
        elseif rr.type == "SOA" then
            index.has_soa = true
            local ttl = ttl_value(rr.ttl)
            local minimum = ttl_value(soa_minimum(rr.rdata))
            index.apex[key] = math.min(ttl, minimum)
        end
        owners[#owners + 1] = key
    end
    -- An owner makes every name between it and the root exist (RFC 4592 2.2.2:
    -- empty non-terminals); names above an apex are outside its zone anyway.
    for _, key in ipairs(owners) do
        if not index.exists[key] then
            index.exists[key] = true
            for ancestor in each_ancestor(key) do
                if index.exists[ancestor] then
                    break
                end
                index.exists[ancestor] = true
            end
        end
    end
    return index
end

-- The apex of the zone holding key (the nearest enclosing one), or nil.
-- Without any SOA every name is in the one implicit zone, apex true.
local function find_apex(index, key)
    if not index.has_soa then
        return true
    end
    if index.apex[key] then
        return key
    end
    for ancestor in each_ancestor(key) do
        if index.apex[ancestor] then
            return ancestor
        end
    end
    return nil
end

-- True when key is at or below a zone cut of the zone whose apex is apex:
-- an NS owner between key (included) and the apex (excluded).
local function below_cut(index, key, apex)
    if apex == true then
        return false
    end
    local current = key
    while current ~= apex do
        if index.ns[current] then
            return true
        end
        current = parent(current)
    end
    return false
end

-- The node whose records answer for key: key itself if it exists, else the
-- "*" child of its closest encloser (the nearest existing ancestor) if that
-- exists (RFC 4592 3.3.1; an empty one answers NODATA), else nil: NXDOMAIN.
-- A "*" anywhere else, or one under an ancestor farther up, never answers.
local function answering_node(index, key)
    if index.exists[key] then
        return key
    end
    for ancestor in each_ancestor(key) do
        if index.exists[ancestor] then
            local source = ancestor == "." and "*" or "*." .. ancestor
            return index.exists[source] and source or nil
        end
    end
    return nil
end

-- Walks from name to the records of the kind asked ("srv" or "addresses"):
-- returns code, list (nil unless found), owner of the list, negative TTL.
-- Records found at a wildcard are named by the name that led to it.
local function lookup(index, name, kind)
    local key = name_key(name)
    local apex = find_apex(index, key)
    if not apex then
        return codes.NOTINZONE, nil, nil, 0
    end
    local negative_ttl = index.apex[apex] or 0
    local owner = name ~= "." and name:gsub("%.$", "") or name
    local seen = {[key] = true}
    local aliases = 0
    while true do
        -- knotd refers: NOERROR, nothing answered, NS and no SOA in the
        -- authority section; after CNAMEs, the answer holds only those.
        if below_cut(index, key, apex) then
            return codes.NODATA, nil, nil, 0
        end
        local node = answering_node(index, key)
        if not node then
            return codes.NXDOMAIN, nil, nil, negative_ttl
        end
        -- A wildcard that owns NS is a cut too (RFC 4592 4.2): knotd refers.
        if node ~= key and node ~= apex and index.ns[node] then
            return codes.NODATA, nil, nil, 0
        end
        local list = index[kind][node]
        if list then
            return codes.OK, list, owner, 0
        end
        local target = index.cname[node]
        if not target then
            return codes.NODATA, nil, nil, negative_ttl
        end
        -- The answer holds only CNAMEs and no SOA: the core reads NODATA.
        local target_key = name_key(target)
        if aliases == MAX_ALIASES or seen[target_key] or find_apex(index, target_key) ~= apex
            or (apex == true and not answering_node(index, target_key)) then
            return codes.NODATA, nil, nil, 0
        end
        aliases = aliases + 1
        seen[target_key] = true
        key, owner = target_key, target
    end
end

local function copy_srv_records(list, owner)
    local out = {}
    for i, record in ipairs(list) do
        out[i] = {
            name = owner, target = record.target, priority = record.priority,
            weight = record.weight, port = record.port, ttl = record.ttl,
        }
    end
    return out
end

local function copy_addresses(list)
    local out = {}
    for i, address in ipairs(list) do
        out[i] = {family = address.family, address = address.address, ttl = address.ttl}
    end
    return out
end

-- An IP literal needs no lookup: c-ares' getaddrinfo hands it back as is.
local function address_literal(name)
    local a, b, c, d = name:match("^(%d+)%.(%d+)%.(%d+)%.(%d+)$")
    if a and tonumber(a) < 256 and tonumber(b) < 256 and tonumber(c) < 256 and tonumber(d) < 256 then
        return {{family = "inet", address = name, ttl = 0}}
    end
    if name:find(":", 1, true) and name:match("^[%x:.]+$") then
        return {{family = "inet6", address = name:lower(), ttl = 0}}
    end
    return nil
end

local Source = {}
Source.__index = Source
Source.__name = "srv.zone_source"

-- Errors carry no position, like those the C binding raises, so one
-- expectation fits the resolver and the source.
local function check_open(self)
    if self._closed then
        error(CLOSED_MESSAGE, 0)
    end
end

local function argument_error(position, method, expected, value)
    error(("bad argument #%d to '%s' (%s expected, got %s)")
        :format(position, method, expected, type(value)), 0)
end

local function check_name(self, name, method)
    check_open(self)
    if type(name) ~= "string" then
        argument_error(1, method, "string", name)
    end
end

-- Results wait in _ready (four slots each, as fetch hands them out) until
-- the next fetch.
local function enqueue(self, code, result, negative_ttl)
    local id = self._last_id + 1
    self._last_id = id
    self._queries = self._queries + 1
    local ready, n = self._ready, self._ready_count * 4
    ready[n + 1], ready[n + 2], ready[n + 3], ready[n + 4] = id, code, result, negative_ttl
    self._ready_count = self._ready_count + 1
    return id
end

function Source:submit_srv(name)
    check_name(self, name, "submit_srv")
    if bad_name_reason(name) then
        return enqueue(self, codes.BADNAME, nil, 0)
    end
    local code, list, owner, negative_ttl = lookup(self._index, name, "srv")
    if list then
        if #list == 1 and list[1].target == "." then
            code = codes.NOSERVICE   -- RFC 2782: decidedly not available
        end
        return enqueue(self, code, copy_srv_records(list, owner), 0)
    end
    return enqueue(self, code, nil, negative_ttl)
end

-- family: "inet" or "inet6" for that family's addresses alone (what the
-- core's submit_addr(name, family) asks: an A or an AAAA query); NODATA when
-- the name has addresses of the other family only.
local FAMILIES = {inet = true, inet6 = true}

local function of_family(list, family)
    local out = {}
    for _, address in ipairs(list) do
        if address.family == family then
            out[#out + 1] = {family = address.family, address = address.address, ttl = address.ttl}
        end
    end
    return out
end

function Source:submit_addr(name, family)
    check_name(self, name, "submit_addr")
    if family ~= nil and not FAMILIES[family] then
        error(("bad argument #2 to 'submit_addr' (invalid option '%s')"):format(tostring(family)), 0)
    end
    if bad_name_reason(name) then
        return enqueue(self, codes.BADNAME, nil)
    end
    local code, list, negative_ttl = codes.OK, address_literal(name), nil
    if not list then
        local _
        code, list, _, negative_ttl = lookup(self._index, name, "addresses")
    end
    if not family then
        return enqueue(self, code, list and copy_addresses(list))
    end
    -- One family: a negative answer's TTL, as the core gives it (srv.h).
    if list then
        list = of_family(list, family)
        if #list > 0 then return enqueue(self, code, list) end
        local apex = not address_literal(name) and find_apex(self._index, name_key(name))
        return enqueue(self, codes.NODATA, nil, apex and self._index.apex[apex] or nil)
    end
    return enqueue(self, code, nil, negative_ttl and negative_ttl > 0 and negative_ttl or nil)
end

-- Every result ready, and how many; nil, 0 when there is none. Also on a
-- closed source, for the CANCELLED results close left.
function Source:fetch()
    local count = self._ready_count
    if count == 0 then
        return nil, 0
    end
    local ready = self._ready
    self._ready, self._ready_count = {}, 0
    return ready, count
end

-- Answers are never waited for: process and step only say how many results
-- wait for fetch, whatever timeout says.
function Source:process()
    check_open(self)
    return self._ready_count
end

function Source:step(timeout)
    check_open(self)
    if timeout ~= nil and type(timeout) ~= "number" then
        argument_error(1, "step", "number", timeout)
    end
    return self._ready_count
end

-- queries, shared, as srv.core's resolver counts them: every query is
-- answered at once, so none is ever in flight for another to join. Also on a
-- closed source.
function Source:stats()
    return self._queries, 0
end

function Source:pending()
    check_open(self)
    return self._ready_count
end

function Source:timeout()
    check_open(self)
    if self._ready_count > 0 then
        return 0
    end
    return nil
end

-- Nothing to poll: answers are ready at once (see timeout).
function Source:pollfd()
    check_open(self)
    return nil
end

function Source:events()
    check_open(self)
    return nil
end

-- Whatever was not fetched yet becomes "CANCELLED", as the resolver's
-- queries still in flight do, and stays for fetch; safe twice.
function Source:close()
    if self._closed then
        return true
    end
    self._closed = true
    local ready = self._ready
    for slot = 1, self._ready_count * 4, 4 do
        ready[slot + 1] = codes.CANCELLED
        ready[slot + 2] = nil
        if ready[slot + 3] ~= nil then
            ready[slot + 3] = 0
        end
    end
    return true
end

Source.__close = Source.close

--- The SRV owner names of the zone, sorted, as first written.
function Source:names()
    check_open(self)
    local names = {}
    for i, name in ipairs(self._index.owner_order) do
        names[i] = name
    end
    table.sort(names)
    return names
end

--- reload(): for a source opened from a file (open), reads the file again
-- and, when its text changed, answers from the new text from now on; r:watch
-- calls it before each refresh (docs/lua-api.md, "Watching a service"). A
-- file that can no longer be read or parsed leaves the zone as it was, as a
-- DNS server keeps serving its zone when a reload fails. Returns true when
-- the zone changed.
function Source:reload()
    check_open(self)
    local path = self._path
    if not path then return false end
    local file = io.open(path, "r")
    local text = file and file:read("a")
    if file then file:close() end
    if not text or text == self._text then return false end
    local parsed = require("srv.core").parse_zone(text, self._origin)
    if not parsed then return false end
    self._index, self._text = build_index(parsed), text
    return true
end

--- The zone apexes, sorted, as NOTINZONE's message names them (also on a
-- closed source: a message may be made after close).
function Source:zones()
    local zones = {}
    for apex in pairs(self._index.apex) do zones[#zones + 1] = apex end
    table.sort(zones)
    return zones
end

function Source:__tostring()
    return ("srv.zone_source (%s)"):format(self._closed and "closed" or "open")
end

--- A source over an already parsed zone: the table srv.core.parse_zone
-- returns ({srv = {...}, rrs = {...}}).
function zone_source.from_zone(zone)
    if type(zone) ~= "table" then
        argument_error(1, "from_zone", "table", zone)
    end
    return setmetatable({
        _index = build_index(zone),
        _ready = {},
        _ready_count = 0,
        _last_id = 0,
        _queries = 0,
        _closed = false,
    }, Source)
end

--- new(text [, opts]) -> source | nil, "PARSE: message", "PARSE"
-- text: zone text, never a path (open reads a file); opts.origin: the
-- initial $ORIGIN.
function zone_source.new(text, opts)
    if type(text) ~= "string" then
        argument_error(1, "new", "string", text)
    end
    if opts ~= nil and type(opts) ~= "table" then
        argument_error(2, "new", "table", opts)
    end
    local origin = opts and opts.origin
    if origin ~= nil and type(origin) ~= "string" then
        argument_error(2, "new", "string origin", origin)
    end
    local core = require("srv.core")
    local parsed, message, line = core.parse_zone(text, origin)
    if not parsed then
        if line and not tostring(message):find("line " .. line, 1, true) then
            message = ("line %d: %s"):format(line, message)
        end
        return nil, "PARSE: " .. tostring(message), codes.PARSE
    end
    -- Text without records would answer every name NXDOMAIN, and every
    -- resolution would fall back: refused instead (docs/lua-api.md).
    if #(parsed.srv or {}) + #(parsed.rrs or {}) == 0 then
        return nil, "PARSE: the zone text holds no records", codes.PARSE
    end
    return zone_source.from_zone(parsed)
end

--- open(path [, opts]) -> source | nil, message, code: the zone file at
-- path, as new reads text. A file that cannot be read (missing, unreadable,
-- a directory) gives nil, "cannot read the zone file: PATH: reason",
-- "ZONEFILE"; text that does not parse, new's PARSE failure.
function zone_source.open(path, opts)
    if type(path) ~= "string" then
        argument_error(1, "open", "string", path)
    end
    local file, problem = io.open(path, "r")
    local text
    if file then
        -- io.open succeeds on a directory; the read says what it is.
        local read_problem
        text, read_problem = file:read("a")
        file:close()
        if not text then problem = path .. ": " .. tostring(read_problem) end
    end
    if not text then return nil, "cannot read the zone file: " .. problem, codes.ZONEFILE end
    local source, message, code = zone_source.new(text, opts)
    if not source then
        if message == "PARSE: the zone text holds no records" then
            message = "PARSE: the zone file holds no records"
        end
        return nil, message, code
    end
    source._path, source._text, source._origin = path, text, opts and opts.origin
    return source
end

return zone_source
