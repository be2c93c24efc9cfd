-- Every fenced block of README.md and docs/*.md is run or checked by a spec,
-- so that the docs cannot rot. This spec runs the blocks no other spec runs,
-- and checks that none is left over.
--
-- Who runs what:
--   spec/docs_spec.lua          docs/lua-api.md's ```lua blocks
--   spec/srv_run_docs_spec.lua  ```sh blocks "$ build/srv-run ..." and their ```text
--   spec/scripts_spec.lua       docs/scripts.md's ```sh + ```text pairs
--   spec/srv_run_watch_spec.lua  ```sh blocks "$ build/srv-run watch ..." and their ```text
--   spec/support/test-install.sh  (make test-install, part of make test) docs/install.md's
--                               ```sh blocks, each found by its first line: run_block 'LINE'
-- The specs take their examples from spec/support/doc_blocks.lua. Each runner
-- is credited with the docs its source names: a doc taken out of it uncovers
-- its blocks.
--
-- This spec, everything else:
--   ```c, any doc          a complete program: built with C_COMPILE in a temporary
--                          directory and run there; it exits 0 and prints the ```text
--                          block after it, if any (the rule of Lua examples below)
--   ```lua, LUA_DOCS       as docs_spec runs lua-api.md's: fresh lua5.4, must succeed,
--                          prints its ```text block exactly (0x... aside), or line for
--                          line in any order when it asks knotd (SRV_TEST_SERVER)
--   ```lua, srv-run.md     a script for build/srv-run, run with --zone and the example zone
--   ```lua, README.md      with the ```sh block after it showing it run ("$ LUA_PATH=...
--                          lua5.4 example.lua", then what it prints): the same command
--                          line as the Lua examples', the same lines in any order (the
--                          weighted order changes from run to run)
--   ```text, install.md    not an output but a configuration snippet: test-install.sh
--                          writes the same lines (TEST_INSTALL holds each of them)
--   plain ```, zone text   (overview.md) every record is one of _xmpp-client._tcp.example.net's
--                          in docs/examples/example.net.zone; overview.md shows them all once
--   plain ```, forms       a synopsis of resolver methods (each exists), of srv-run lookup
--                          (its first line and every --option are in srv-run --help),
--                          srv-run lookup's row format (the rows of a real lookup have it),
--                          a make fuzz summary (it has the form core/fuzz/run.sh prints)
--   ```sh, the rest        command references, not examples; each line (less its # comment):
--       make [-jN] [TARGET...] [VAR=VALUE...]  `make -n` with the same words succeeds in the
--           checkout
--       make install|uninstall ..., luarocks ...  the line is in TEST_INSTALL word for word
--           (that script runs it in a temporary directory)
--       LUA_PATH=... lua5.4 SCRIPT  the command line the Lua examples run with
--       [gdb --args] build/PATH ...  a program the Makefile builds (`make -n build/PATH`);
--           not run: it needs that build (fuzzing), or a debugger
--       a script of the checkout with its arguments  the files it names exist, and Lua
--           files compile; not run (such commands rewrite the checkout)
local srv = require "srv"
local run = require "spec.support.run"
local doc_blocks = require "spec.support.doc_blocks"

-- The C examples link the core of the build under test, and its c-ares
-- (make test-cares passes CARES_LIBDIR: the second c-ares), as docs/c-api.md
-- says to.
local CARES_LIBS = "$(pkg-config --libs libcares)"
if os.getenv("CARES_LIBDIR") then
    local libdir = run.quote(os.getenv("CARES_LIBDIR"))
    CARES_LIBS = "-L" .. libdir .. " -Wl,-rpath," .. libdir .. " -lcares"
end
local C_COMPILE = "cc -std=c11 -Wall -Wextra -Werror -Icore/include %s "
    .. run.quote(run.BUILD .. "/libsrvcore.a") .. " " .. CARES_LIBS:gsub("%%", "%%%%") .. " -lm -o %s"
local LUA_DOCS = { ["docs/event-loops.md"] = true, ["docs/policies.md"] = true,
                   ["docs/long-running.md"] = true }
local ZONE = "docs/examples/example.net.zone"
local REFERENCE = "_xmpp-client._tcp.example.net"
local TEST_INSTALL = "spec/support/test-install.sh"

-- test-install.sh's examples: the ```sh blocks it runs with run_block 'FIRST LINE'.
local function install_examples(text)
    local script = run.read_file(TEST_INSTALL)
    return doc_blocks.examples(text, function(block)
        local first = block.body:match("^[^\n]*")
        return block.lang == "sh" and script:find("\nrun_block '" .. first .. "'\n", 1, true) and {}
    end)
end

local OTHER_SPECS = {
    { spec = "spec/docs_spec.lua", examples = doc_blocks.lua_examples },
    { spec = "spec/srv_run_docs_spec.lua", examples = doc_blocks.srv_run_examples },
    { spec = "spec/scripts_spec.lua", examples = doc_blocks.sh_examples },
    { spec = "spec/srv_run_watch_spec.lua", examples = doc_blocks.watch_examples },
    { spec = TEST_INSTALL, examples = install_examples },
}

local function exists(path)
    local f = io.open(path)
    if f then f:close() end
    return f ~= nil
end

-- Runs a command line through sh from the checkout: whether it succeeded, and
-- what it printed (stdout and stderr).
local function shell(command)
    local pipe = assert(io.popen(command .. " 2>&1"))
    local out = pipe:read("a")
    local ok = pipe:close()
    return ok == true, out
end

local function lines_of(text)
    local lines = {}
    for line in text:gmatch("[^\n]+") do lines[#lines + 1] = line end
    return lines
end

local function sorted(list)
    table.sort(list)
    return list
end

-- The records of REFERENCE in ZONE, in presentation format, sorted.
local function reference_records()
    local r <close> = assert(srv.resolver { zone = ZONE })
    local list = {}
    for i, record in ipairs(assert(r:lookup(REFERENCE))) do list[i] = tostring(record) end
    return sorted(list)
end

-- make with the words given, as the doc writes them, but -n: nothing is
-- built or installed. The environment of an enclosing make is left out.
local function make_n(words)
    return shell("env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make -n " .. words)
end

-- The checks of a command reference's lines (see the top).
local function check_make(line, words)
    local ok, out = make_n(words)
    assert(ok, "make -n " .. words .. " failed:\n" .. out)
end

local function check_test_install(line)
    assert(run.read_file(TEST_INSTALL):find(line, 1, true), TEST_INSTALL .. " does not run: " .. line)
end

local function check_command(line)
    local first, rest = line:match("^(%S+)%s*(.*)$")
    if first == "make" then
        if rest:match("^install") or rest:match("^uninstall") then check_test_install(line) end
        return check_make(line, rest)
    elseif first == "luarocks" then
        return check_test_install(line)
    elseif line:sub(1, #doc_blocks.LUA + 1) == doc_blocks.LUA .. " " then
        assert.truthy(line:sub(#doc_blocks.LUA + 2):match("^%S+%.lua$"), "not a script name: " .. line)
        return
    end
    local program = line:match("^gdb %-%-args (%S+)") or first
    if program:match("^build/") then
        local ok, out = make_n("BUILD=build " .. program)
        return assert(ok, "the Makefile does not build " .. program .. ":\n" .. out)
    end
    assert(program:find("/", 1, true) and exists(program), "a command no rule checks: " .. line)
    for word in line:gmatch("%S+") do
        if word:find("/", 1, true) then assert(exists(word), word .. " does not exist: " .. line) end
        if word:match("%.lua$") then assert(loadfile(word)) end
    end
end

-- Whether a block is a plain one whose every line starts with pattern.
local function plain_lines(block, pattern)
    return block.lang == "" and block.body:gsub(pattern .. "[^\n]*\n", "") == ""
end

-- The rules for the blocks this spec runs, tried in order: match(doc, block)
-- says whether one applies; check(block) runs in a test of its own;
-- claims(block) gives the lines of the blocks it takes (by default the
-- block's and its ```text block's).
local RULES = {
    {
        name = "C program",
        match = function(_, block) return block.lang == "c" end,
        check = function(block)
            doc_blocks.uses_knotd(block.body)
            local made, dir = shell("mktemp -d")
            assert(made, dir)
            dir = dir:gsub("\n$", "")
            local file = assert(io.open(dir .. "/example.c", "w"))
            file:write(block.body)
            file:close()
            local built, errors = shell(C_COMPILE:format(dir .. "/example.c", dir .. "/example"))
            local ok, out = true, ""
            if built then ok, out = shell("cd " .. run.quote(dir) .. " && ./example") end
            shell("rm -rf " .. run.quote(dir))
            assert(built, "the program does not build:\n" .. errors)
            assert(ok, "the program failed:\n" .. out)
            if block.output then doc_blocks.assert_output(block.output, out, block.body) end
        end,
    },
    {
        name = "Lua example",
        match = function(doc, block) return block.lang == "lua" and LUA_DOCS[doc] end,
        check = function(block) doc_blocks.assert_lua_example(block.body, block.output) end,
    },
    {
        name = "srv-run script",
        match = function(doc, block) return block.lang == "lua" and doc == "docs/srv-run.md" end,
        check = function(block)
            local path = run.write_file(block.body)
            local r = run.srv_run { path, "--zone", ZONE, "--seed", "1", "example.net" }
            os.remove(path)
            assert.equal(0, r.code, r.stderr)
            if block.output then assert.equal(block.output, r.stdout) end
        end,
    },
    {
        name = "README example",
        match = function(doc, block)
            return doc == "README.md" and block.lang == "lua" and block.next ~= nil
                and block.next.lang == "sh" and block.next.body:match("^%$ ") ~= nil
        end,
        claims = function(block) return { block.line, block.next.line } end,
        check = function(block)
            local command, shown = block.next.body:match("^%$ ([^\n]*)\n(.*)$")
            assert.truthy(command:match("^" .. doc_blocks.LUA:gsub("%p", "%%%0") .. " %S+%.lua$"),
                "not how the Lua examples run: " .. command)
            local ok, out = doc_blocks.run_lua(block.body)
            assert(ok, "the example failed:\n" .. out)
            assert.same(sorted(lines_of(shown)), sorted(lines_of(out)))
        end,
    },
    {
        name = "install configuration",
        match = function(doc, block) return doc == "docs/install.md" and block.lang == "text" end,
        check = function(block)
            local script = run.read_file(TEST_INSTALL)
            for line in block.body:gmatch("[^\n]+") do
                assert.truthy(script:find(line, 1, true), TEST_INSTALL .. " does not write: " .. line)
            end
        end,
    },
    {
        name = "zone text",
        match = function(_, block) return block.lang == "" and srv.parse(block.body) ~= nil end,
        check = function(block)
            local reference = {}
            for _, key in ipairs(reference_records()) do reference[key] = true end
            for _, record in ipairs(assert(srv.parse(block.body))) do
                assert(reference[tostring(record)], "not a record of " .. REFERENCE .. " in " .. ZONE
                    .. ": " .. tostring(record))
            end
        end,
    },
    {
        name = "resolver method synopsis",
        match = function(_, block) return plain_lines(block, "r:[%w_]+%(") end,
        check = function(block)
            local r <close> = assert(srv.resolver { zone = ZONE })
            for method in block.body:gmatch("r:([%w_]+)%(") do
                assert.equal("function", type(r[method]), "r:" .. method)
            end
        end,
    },
    {
        name = "srv-run synopsis",
        match = function(_, block) return plain_lines(block, "srv%-run ") end,
        check = function(block)
            local help = run.srv_run({ "--help" }).stdout
            assert.truthy(help:find(block.body:match("^[^\n]*"), 1, true), "not in srv-run --help")
            for option in block.body:gmatch("%-%-[%w-]+") do
                assert.truthy(help:find(option, 1, true), option .. " is not in srv-run --help")
            end
        end,
    },
    {
        name = "srv-run lookup row format",
        match = function(_, block)
            return block.lang == "" and block.body:match("^[A-Z][A-Z ]+%[key=value %.%.%.%]\n$")
        end,
        check = function(block)
            local columns = select(2, block.body:match("^[A-Z ]+"):gsub("%u+", ""))
            -- every row has addresses=, server1's down=yes too
            local r = run.srv_run { "lookup", REFERENCE, "--zone", ZONE, "--addresses",
                                    "--down", "server1.example.net" }
            assert.equal(0, r.code, r.stderr)
            local rows = run.rows(r.stdout)
            assert.equal(5, #rows)
            for _, row in ipairs(rows) do
                assert.is_true(#row > columns, table.concat(row, " "))
                for i = columns + 1, #row do assert.truthy(row[i]:match("^[%w_]+=%S+$"), row[i]) end
            end
        end,
    },
    {
        name = "fuzz summary",
        match = function(_, block) return block.lang == "" and block.body:match("^fuzz_%w+: ") end,
        check = function(block)
            local echo = run.read_file("core/fuzz/run.sh"):match('\necho "(%$name: [^"]*)"')
            assert.truthy(echo, "core/fuzz/run.sh no longer prints the summary with echo")
            -- the echo's text, each $var and ${var...} standing for one word
            local pattern = echo:gsub("%$%b{}", "\0"):gsub("%$%w+", "\0"):gsub("%p", "%%%0")
            pattern = "^" .. pattern:gsub("\0", "%%S+") .. "\n$"
            assert.truthy(block.body:match(pattern), "not what core/fuzz/run.sh prints: " .. echo)
        end,
    },
    {
        name = "command reference",
        match = function(_, block) return block.lang == "sh" and not block.body:match("^%$ ") end,
        check = function(block)
            for line in block.body:gmatch("[^\n]+") do
                line = line:gsub("^%s*#.*", ""):gsub("%s+#.*", "")
                if line:match("%S") then check_command(line) end
            end
        end,
    },
}

local function doc_paths()
    local list = { "README.md" }
    local pipe = assert(io.popen("ls docs/*.md"))
    for path in pipe:lines() do list[#list + 1] = path end
    pipe:close()
    return list
end

-- For one doc: the blocks, each with the spec or rule that runs it (claimed_by),
-- and the rule's tests to define.
local function plan(doc, text)
    local blocks, by_line, tests = doc_blocks.blocks(text), {}, {}
    for _, block in ipairs(blocks) do by_line[block.line] = block end
    local function claim(lines, who)
        for _, line in ipairs(lines) do by_line[line].claimed_by = by_line[line].claimed_by or who end
    end
    for _, other in ipairs(OTHER_SPECS) do
        if exists(other.spec) and run.read_file(other.spec):find(doc, 1, true) then
            for _, example in ipairs(other.examples(text)) do claim(example.lines, other.spec) end
        end
    end
    for _, block in ipairs(blocks) do
        if not block.claimed_by then
            for _, rule in ipairs(RULES) do
                if rule.match(doc, block) then
                    local lines = rule.claims and rule.claims(block)
                        or { block.line, block.output and block.next.line }
                    claim(lines, rule.name)
                    tests[#tests + 1] = { block = block, rule = rule }
                    break
                end
            end
        end
    end
    return blocks, tests
end

for _, doc in ipairs(doc_paths()) do
    describe(doc, function()
        local blocks, tests = plan(doc, run.read_file(doc))

        for _, test in ipairs(tests) do
            it("line " .. test.block.line .. ", " .. test.rule.name, function()
                test.rule.check(test.block)
            end)
        end

        it("has no block that no spec runs or checks", function()
            local left = {}
            for _, block in ipairs(blocks) do
                if not block.claimed_by then
                    left[#left + 1] = string.format("line %d: ```%s %s", block.line, block.lang,
                        block.body:match("^[^\n]*"))
                end
            end
            assert(#left == 0, "blocks no spec runs (an \"$ build/srv-run\" example is run by "
                .. "spec/srv_run_docs_spec.lua once it names the doc; see the rules at the top of "
                .. "spec/docs_examples_spec.lua):\n" .. table.concat(left, "\n"))
        end)
    end)
end

describe("docs/overview.md", function()
    it("shows the reference records whole, as docs/examples/example.net.zone holds them", function()
        local reference = reference_records()
        local shown = false
        for _, block in ipairs(doc_blocks.blocks(run.read_file("docs/overview.md"))) do
            local records = block.lang == "" and srv.parse(block.body)
            if records and #records == #reference then
                local keys = {}
                for i, record in ipairs(records) do keys[i] = tostring(record) end
                assert.same(reference, sorted(keys))
                shown = true
            end
        end
        assert.is_true(shown)
    end)
end)
