-- The examples of docs/lua-api.md run, and print what the docs say they print.
--
-- Each ```lua block runs in a fresh lua5.4 with the checkout's paths. When a
-- ```text block follows it, the output must match it, except for addresses
-- (0x...) and for examples that talk to knotd (marked by SRV_TEST_SERVER in
-- the code), whose output holds a random port: those must only succeed.
local DOC = "docs/lua-api.md"

local read = require("spec.support.run").read_file

local function examples(text)
    local list = {}
    local pos = 1
    while true do
        local code_start, code_end, code = text:find("```lua\n(.-)```", pos)
        if not code_start then break end
        local after = text:sub(code_end + 1)
        local gap, output = after:match("^(%s*[^`]-)```text\n(.-)```")
        -- the text block belongs to this example only if no other code block comes first
        if gap and gap:find("```", 1, true) then output = nil end
        local line = select(2, text:sub(1, code_start):gsub("\n", "")) + 1
        list[#list + 1] = { code = code, output = output, line = line }
        pos = code_end + 1
    end
    return list
end

local function run(code)
    local path = os.tmpname()
    local f = assert(io.open(path, "wb"))
    f:write(code)
    f:close()
    local pipe = assert(io.popen("LUA_PATH='lua/?.lua;lua/?/init.lua;;' LUA_CPATH='build/?.so;;' lua5.4 "
        .. path .. " 2>&1"))
    local out = pipe:read("a")
    local ok = pipe:close()
    os.remove(path)
    return ok, out
end

local function normalise(text)
    return (text:gsub("0x%x+", "0x"):gsub("%s+$", ""))
end

describe("docs/lua-api.md", function()
    local list = examples(read(DOC))

    it("has examples", function()
        assert.is_true(#list >= 10)
    end)

    for _, example in ipairs(list) do
        it("example at line " .. example.line .. " runs as documented", function()
            local ok, out = run(example.code)
            assert(ok, "the example failed:\n" .. out)
            if example.output and not example.code:find("SRV_TEST_SERVER", 1, true) then
                assert.equal(normalise(example.output), normalise(out))
            end
        end)
    end
end)
