-- The fenced blocks of the Markdown docs, and the examples the doc specs take
-- from them. docs_spec, srv_run_docs_spec, scripts_spec and docs_examples_spec
-- all read the docs through here, so that docs_examples_spec's coverage check
-- sees exactly the blocks each of them runs.
local busted = require "busted"
local assert = require "luassert"
local run = require "spec.support.run"

local M = {}

-- How the docs run a Lua script from the checkout (README.md, lua-api.md).
M.LUA = "LUA_PATH='lua/?.lua;lua/?/init.lua;;' LUA_CPATH='build/?.so;;' lua5.4"
-- How the Lua examples run here: the same, on the module of the build under
-- test (BUILD, as make passes it: make test-cares runs the examples on the
-- second c-ares' build).
M.RUN_LUA = M.LUA:gsub("build/", (run.BUILD:gsub("%%", "%%%%")) .. "/", 1)

-- Every fenced block of a Markdown text, in order, as a table:
--   lang    the word after the opening fence ("" for none)
--   body    the lines inside, each with its newline
--   line    the line of the opening fence
--   next    the block after it, when only blank lines stand between them
--   output  next's body when next is a ```text block (what this block prints)
function M.blocks(text)
    local list, open, prose, n = {}, nil, true, 0
    for line in text:gmatch("([^\n]*)\n") do
        n = n + 1
        if open then
            if line:match("^```%s*$") then
                open.body = table.concat(open.lines)
                open.lines = nil
                list[#list + 1] = open
                open, prose = nil, false
            else
                open.lines[#open.lines + 1] = line .. "\n"
            end
        else
            local lang = line:match("^```(%S*)%s*$")
            if lang then
                open = { lang = lang, line = n, lines = {}, after_prose = prose }
            elseif line:match("%S") then
                prose = true
            end
        end
    end
    assert(not open, "the block opened at line " .. (open and open.line or 0) .. " is never closed")
    for i = 2, #list do
        local block, before = list[i], list[i - 1]
        if not block.after_prose then
            before.next = block
            if block.lang == "text" and before.lang ~= "text" then before.output = block.body end
        end
    end
    return list
end

-- The examples of a text: the blocks for which fields_of(block) gives a
-- table, that table with line (the block's), output (its ```text block) and
-- lines (both blocks' lines, for the coverage check) added.
function M.examples(text, fields_of)
    local list = {}
    for _, block in ipairs(M.blocks(text)) do
        local fields = fields_of(block)
        if fields then
            fields.line, fields.output = block.line, block.output
            fields.lines = { block.line, block.output and block.next.line }
            list[#list + 1] = fields
        end
    end
    return list
end

-- docs_spec's examples: every ```lua block { code = }.
function M.lua_examples(text)
    return M.examples(text, function(block) return block.lang == "lua" and { code = block.body } end)
end

-- srv_run_docs_spec's examples: ```sh blocks whose first line is
-- "$ build/srv-run ..." { block = the command without "$ " }.
-- (Not `srv-run watch`, which runs until interrupted: watch_examples.)
function M.srv_run_examples(text)
    return M.examples(text, function(block)
        local command = block.lang == "sh" and block.body:match("^%$ (build/srv%-run.-)\n$")
        return command and not command:match("^build/srv%-run watch ") and { block = command }
    end)
end

-- srv_run_watch_spec's examples: "$ build/srv-run watch WORDS" (plain words)
-- and the ```text block of what it prints before it is interrupted { words = }.
function M.watch_examples(text)
    return M.examples(text, function(block)
        local command = block.lang == "sh" and block.body:match("^%$ build/srv%-run (watch [^\n]*)\n$")
        if not command then return nil end
        local words = {}
        for word in command:gmatch("%S+") do words[#words + 1] = word end
        return { words = words }
    end)
end

-- scripts_spec's examples: ```sh blocks followed by a ```text block { command = }.
function M.sh_examples(text)
    return M.examples(text, function(block)
        return block.lang == "sh" and block.output and { command = block.body }
    end)
end

-- Whether an example asks the rig's knotd. It must not run without one:
-- with no SRV_TEST_SERVER it would ask the machine's resolvers.
function M.uses_knotd(code)
    local uses = code:find("SRV_TEST_SERVER", 1, true) ~= nil
    if uses then
        assert(os.getenv("SRV_TEST_SERVER"),
            "SRV_TEST_SERVER is not set: run the specs through spec/support/with-knotd.sh (make test)")
    end
    return uses
end

-- Runs Lua code in a fresh lua5.4 from the checkout: whether it succeeded, and
-- what it printed (stdout and stderr).
function M.run_lua(code)
    M.uses_knotd(code)
    local path = run.write_file(code)
    local pipe = assert(io.popen(M.RUN_LUA .. " " .. path .. " 2>&1"))
    local out = pipe:read("a")
    local ok = pipe:close()
    os.remove(path)
    return ok, out
end

local function sorted_lines(text)
    local lines = {}
    for line in text:gmatch("[^\n]+") do lines[#lines + 1] = line end
    table.sort(lines)
    return lines
end

-- Asserts that an example printed what its doc shows: exactly, but for
-- addresses (0x...) and trailing blank space. An example that asks knotd
-- prints its answers in the order they arrive: the same lines, in any order.
function M.assert_output(expected, out, code)
    local function normalise(s) return (s:gsub("0x%x+", "0x"):gsub("%s+$", "")) end
    expected, out = normalise(expected), normalise(out)
    if M.uses_knotd(code) then
        assert.same(sorted_lines(expected), sorted_lines(out), "printed:\n" .. out)
    else
        assert.equal(expected, out)
    end
end

-- A Lua example runs in a fresh lua5.4 from the checkout and succeeds, and
-- prints its ```text block when it has one (assert_output).
function M.assert_lua_example(code, output)
    local ok, out = M.run_lua(code)
    assert(ok, "the example failed:\n" .. out)
    if output then M.assert_output(output, out, code) end
end

-- Defines the tests that run the ```lua blocks of a doc (assert_lua_example).
function M.check_lua_examples(path, minimum)
    local list = M.lua_examples(run.read_file(path))

    busted.it("has examples", function()
        assert.is_true(#list >= minimum, "found " .. #list)
    end)

    for _, ex in ipairs(list) do
        busted.it("example at line " .. ex.line .. " runs as documented", function()
            M.assert_lua_example(ex.code, ex.output)
        end)
    end
end

return M
