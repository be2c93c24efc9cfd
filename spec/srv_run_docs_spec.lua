-- The srv-run examples of docs/srv-run.md and README.md run, and print what
-- the text says they print; the man page docs/srv-run.1 renders without
-- warnings; the manual and the man page name every option of `srv-run --help`.
--
-- An example is a ```sh block whose first line is "$ build/srv-run ...",
-- followed by a ```text block with exactly what the command prints on
-- stdout. The command line is split into words as sh would for the quoting
-- the manual uses ('...', "...", \ and a \ at the end of a line); two forms
-- of redirection are understood:
--   <<'EOF' at the end of the line: the lines after it, up to EOF, are stdin;
--   2>&1: the text block shows stderr too. Only used where stdout is empty,
--         so the order of the two cannot differ from a terminal's.
-- Lookups must answer from a zone file: no example may use the network.
local run = require "spec.support.run"

local DOC = "docs/srv-run.md"
local MAN = "docs/srv-run.1"
local README = "README.md"

local read = require("spec.support.run").read_file

-- sh-like word splitting: whitespace separates words; '...' is literal;
-- "..." is literal except for \" \\ \$ \`; a \ outside quotes escapes the
-- next character, and \ + newline joins lines.
local function split_words(line)
    local words, word, i, n = {}, nil, 1, #line
    local function add(text) word = (word or "") .. text end
    while i <= n do
        local c = line:sub(i, i)
        if c:match("%s") then
            if word then words[#words + 1] = word; word = nil end
            i = i + 1
        elseif c == "'" then
            local close = line:find("'", i + 1, true)
            assert(close, "unterminated ' in: " .. line)
            add(line:sub(i + 1, close - 1))
            i = close + 1
        elseif c == '"' then
            local j, text = i + 1, {}
            while true do
                local d = line:sub(j, j)
                assert(d ~= "", 'unterminated " in: ' .. line)
                if d == '"' then break end
                if d == "\\" and line:sub(j + 1, j + 1):match('["\\$`]') then
                    d = line:sub(j + 1, j + 1)
                    j = j + 1
                end
                text[#text + 1] = d
                j = j + 1
            end
            add(table.concat(text))
            i = j + 1
        elseif c == "\\" then
            local d = line:sub(i + 1, i + 1)
            if d ~= "\n" then add(d) end
            i = i + 2
        else
            assert(not c:match("[|;&<>`$(){}*?%[]"), "a shell feature the spec does not run: " .. line)
            add(c)
            i = i + 1
        end
    end
    if word then words[#words + 1] = word end
    return words
end

-- One example from the text of its sh block (without the "$ ").
local function parse_command(block)
    local command, stdin = block, nil
    local first, delimiter, rest = block:match("^(.-)%s*<<'?([%w_]+)'?%s*\n(.*)$")
    if first then
        -- the here-document runs to its delimiter, the last line of the block
        local body = rest == delimiter and "" or rest:match("^(.*\n)" .. delimiter .. "$")
        assert(body, "the here-document must end the block with " .. delimiter)
        command, stdin = first, body
    end
    local merge_stderr = false
    command = command:gsub("%s+2>&1", function()
        merge_stderr = true
        return ""
    end)
    local words = split_words(command)
    assert(words[1] == "build/srv-run", "an example runs build/srv-run: " .. command)
    table.remove(words, 1)
    return { words = words, stdin = stdin, merge_stderr = merge_stderr }
end

local examples = require("spec.support.doc_blocks").srv_run_examples

-- The options srv-run --help lists: every "--name" in it.
local function help_options()
    local r = run.srv_run { "--help" }
    assert.equal(0, r.code)
    local options, seen = {}, {}
    for name in r.stdout:gmatch("%-%-([%a][%w-]*)") do
        if not seen[name] then
            seen[name] = true
            options[#options + 1] = name
        end
    end
    return options
end

-- The man page's source as text: \- is -, fonts and \& removed.
local function man_text()
    return (read(MAN):gsub("\\%-", "-"):gsub("\\f[BIRP]", ""):gsub("\\&", ""))
end

local function command_exists(name)
    local ok = os.execute("command -v " .. name .. " >/dev/null 2>&1")
    return ok == true or ok == 0
end

-- srv-run's messages begin with the path it was called by; the docs call
-- build/srv-run, the specs may run another build (BUILD=...).
local function as_documented_program(text)
    local called = run.SRV_RUN
    if called == "build/srv-run" then return text end
    local out = {}
    for line in text:gmatch("[^\n]*\n?") do
        if line:sub(1, #called + 1) == called .. ":" then
            line = "build/srv-run" .. line:sub(#called + 1)
        end
        out[#out + 1] = line
    end
    return table.concat(out)
end

local function check_examples(path, minimum)
    local list = examples(read(path))

    it("has examples", function()
        assert.is_true(#list >= minimum, "found " .. #list)
    end)

    for _, example in ipairs(list) do
        it("example at line " .. example.line .. " prints what " .. path .. " shows", function()
            assert(example.output, "no ```text block after the example")
            local command = parse_command(example.block)
            if command.words[1] == "lookup" then
                local offline = false
                for _, word in ipairs(command.words) do
                    offline = offline or word == "--zone" or word:match("^%-%-zone=") ~= nil
                end
                assert(offline, "a lookup example must answer from --zone, not the network")
            end
            local r = run.srv_run(command.words, { stdin = command.stdin })
            local out = r.stdout
            if command.merge_stderr then
                assert.equal("", r.stdout, "2>&1 examples must print nothing on stdout")
                -- srv-run names itself as called; the docs call build/srv-run
                out = as_documented_program(r.stderr)
            end
            assert.equal(example.output, out, "stderr was:\n" .. r.stderr)
        end)
    end
end

describe(DOC, function()
    check_examples(DOC, 15)

    it("names every option of srv-run --help", function()
        local text = read(DOC)
        for _, name in ipairs(help_options()) do
            assert(text:find("--" .. name, 1, true), "--" .. name .. " is not in " .. DOC)
        end
    end)
end)

describe(README, function()
    check_examples(README, 1)
end)

describe("docs/policies.md", function()
    check_examples("docs/policies.md", 1)
end)

describe(MAN, function()
    it("names every option of srv-run --help", function()
        local text = man_text()
        local options = help_options()
        assert.is_true(#options >= 15, "found " .. #options)
        for _, name in ipairs(options) do
            assert(text:find("--" .. name, 1, true), "--" .. name .. " is not in " .. MAN)
        end
    end)

    -- The shell example must tell the outcomes apart for any service,
    -- XMPP's included, whose lookups fall back to the domain.
    it("shows a shell example whose 'no such service' fires for a name without SRV records", function()
        local script = man_text():match('\n(srv%-run lookup "%$name".-\nesac)\n')
        assert(script, "no `case $?` example in " .. MAN)
        script = script:gsub("^srv%-run lookup", run.quote(run.SRV_RUN) .. " lookup --zone docs/examples/example.net.zone")
        local function outcome(name)
            local pipe = assert(io.popen("name=" .. run.quote(name) .. "\n" .. script))
            local out = pipe:read("a")
            pipe:close()
            return out
        end
        assert.equal("no such service\n", outcome("_xmpp-client._tcp.missing.example.net"))
        assert.equal("found\n", outcome("_xmpp-client._tcp.example.net"))
    end)

    it("says what srv-run does with several tasks that failed unobserved: reports each", function()
        local r = run.srv_run({ "-" }, { stdin = [[
            local srv = require "srv"
            for _, what in ipairs { "first", "second" } do srv.spawn(function() error(what, 0) end) end
        ]] })
        assert.equal(1, r.code)
        local reported = {}
        for message in r.stderr:gmatch(": (%a+)\nstack traceback") do reported[#reported + 1] = message end
        assert.same({ "first", "second" }, reported)
        local text = man_text():gsub("%s+", " ")
        assert.falsy(text:find("the oldest", 1, true))
        assert.truthy(text:find("of several, every one, in the order they failed", 1, true))
    end)

    if command_exists("groff") then
        it("renders without warnings (groff -man -ww)", function()
            local pipe = assert(io.popen("groff -man -Tutf8 -ww -z " .. MAN .. " 2>&1"))
            local out = pipe:read("a")
            local ok = pipe:close()
            assert.is_true(ok, "groff failed:\n" .. out)
            assert.equal("", out)
        end)
    else
        pending("renders without warnings: groff is not installed (apt-get install groff), not checked")
    end
end)
