-- The examples of docs/lua-api.md run, and print what the docs say they print.
--
-- Each ```lua block runs in a fresh lua5.4 with the checkout's paths and must
-- succeed; when a ```text block follows it, the output must match it: exactly
-- (addresses 0x... aside), or, for an example that asks knotd
-- (SRV_TEST_SERVER in its code), line for line in any order, since answers
-- arrive in the order the server sends them. The rules live in
-- spec/support/doc_blocks.lua, shared with docs_examples_spec.
local doc_blocks = require "spec.support.doc_blocks"
local run = require "spec.support.run"
local srv = require "srv"

local function sorted_keys(t)
    local keys = {}
    for k in pairs(t) do keys[#keys + 1] = k end
    table.sort(keys)
    return keys
end

describe("docs/lua-api.md", function()
    doc_blocks.check_lua_examples("docs/lua-api.md", 10)

    it("documents every method of a resolver, and no other", function()
        local documented = {}
        for name in run.read_file("docs/lua-api.md"):gmatch("`r:([%w_]+)") do documented[name] = true end
        local r = assert(srv.resolver { zone = "docs/examples/example.net.zone" })
        local methods = getmetatable(r).__index
        r:close()
        assert.same(sorted_keys(documented), sorted_keys(methods))
    end)

    it("lists every result code of srv.codes, and no other", function()
        local text = run.read_file("docs/lua-api.md")
        local first = assert(text:find("| code | meaning |", 1, true))
        local last = assert(text:find("One exception to the triple", first, true))
        local documented = { OK = true }   -- success, not a failure: in traces only
        for code in text:sub(first, last):gmatch("`([A-Z]+)`") do documented[code] = true end
        local listed = {}
        for name, value in pairs(require "srv.codes") do
            if type(value) == "string" then
                assert.equal(name, value)
                listed[name] = true
            end
        end
        assert.same(sorted_keys(documented), sorted_keys(listed))
    end)
end)
