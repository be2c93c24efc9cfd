-- Running build/srv-run from specs: srv_run{args...} -> { stdout, stderr, code }.
-- The words are quoted for the shell; stderr goes through a temporary file.
local assert = require "luassert"

local M = {}

M.BUILD = os.getenv("BUILD") or "build"
M.SRV_RUN = M.BUILD .. "/srv-run"

local function quote(word)
    return "'" .. tostring(word):gsub("'", "'\\''") .. "'"
end
M.quote = quote

-- A temporary file holding text; its path.
function M.write_file(text)
    local path = os.tmpname()
    local f = assert(io.open(path, "w"))
    f:write(text)
    f:close()
    return path
end

function M.read_file(path)
    local f = assert(io.open(path))
    local text = f:read("a")
    f:close()
    return text
end

-- Runs srv-run with words in the background, sends it SIGINT after delay
-- seconds (0.5) and gives it grace seconds (3) to end, then SIGKILL (and
-- "still-running" is printed). Returns what the shell printed (srv-run's
-- stdout, then "status=N") and srv-run's stderr.
function M.interrupt(words, delay, grace)
    local parts = { quote(M.SRV_RUN) }
    for _, word in ipairs(words) do parts[#parts + 1] = quote(word) end
    local err_file = os.tmpname()
    local pipe = assert(io.popen(string.format(
        "exec 2>/dev/null; %s 2>%s & pid=$!; sleep %s; kill -INT $pid; i=0; "
        .. "while kill -0 $pid 2>/dev/null && [ $i -lt %d ]; do sleep 0.1; i=$((i+1)); done; "
        .. "if kill -0 $pid 2>/dev/null; then echo still-running; kill -KILL $pid; fi; "
        .. "wait $pid; echo status=$?",
        table.concat(parts, " "), quote(err_file), tostring(delay or 0.5), math.floor((grace or 3) * 10))))
    local out = pipe:read("a")
    pipe:close()
    local err = M.read_file(err_file)
    os.remove(err_file)
    return out, err
end

-- opts.stdin: text fed to the program; opts.env: { NAME = value } added;
-- opts.timeout: seconds after which timeout(1) kills it (code 124), for a
-- run that must not hang the spec.
function M.srv_run(words, opts)
    opts = opts or {}
    local parts = {}
    for name, value in pairs(opts.env or {}) do parts[#parts + 1] = name .. "=" .. quote(value) end
    if opts.timeout then
        parts[#parts + 1] = "timeout"
        parts[#parts + 1] = tostring(opts.timeout)
    end
    parts[#parts + 1] = quote(M.SRV_RUN)
    for _, word in ipairs(words) do parts[#parts + 1] = quote(word) end
    local err_file = os.tmpname()
    local in_file
    local command = table.concat(parts, " ") .. " 2>" .. quote(err_file)
    if opts.stdin then
        in_file = os.tmpname()
        local f = assert(io.open(in_file, "w"))
        f:write(opts.stdin)
        f:close()
        command = command .. " <" .. quote(in_file)
    else
        command = command .. " </dev/null"
    end
    local pipe = assert(io.popen(command, "r"))
    local stdout = pipe:read("a")
    local _, how, code = pipe:close()
    local f = assert(io.open(err_file, "r"))
    local stderr = f:read("a")
    f:close()
    os.remove(err_file)
    if in_file then os.remove(in_file) end
    if how == "signal" then code = 128 + code end
    return { stdout = stdout, stderr = stderr, code = code }
end

-- The non-comment lines of lookup's text output, each split into words.
function M.rows(stdout)
    local rows = {}
    for line in stdout:gmatch("[^\n]+") do
        if not line:match("^;") then
            local row = {}
            for word in line:gmatch("%S+") do row[#row + 1] = word end
            rows[#rows + 1] = row
        end
    end
    return rows
end

-- The TARGET column (4th) of each row of lookup's text output.
function M.targets(stdout)
    local out = {}
    for i, row in ipairs(M.rows(stdout)) do out[i] = row[4] end
    return out
end

-- The usage error's shape: exit 2, nothing on stdout, one line naming the
-- problem on stderr, then the usage.
function M.assert_usage_error(result, problem)
    assert.equal(2, result.code)
    assert.equal("", result.stdout)
    local first, second = result.stderr:match("^([^\n]*)\n([^\n]*)\n$")
    assert.truthy(first, "two lines on stderr: " .. result.stderr)
    assert.truthy(first:find(problem, 1, true), first)
    assert.truthy(second:match("^usage: srv%-run"), second)
end

return M
