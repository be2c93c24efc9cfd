-- srv.argcheck: argument errors that point at the user's code.
--
-- luaL_argerror blames the caller of a C function. srv's checks run a few
-- Lua frames deep (method wrapper, method, helper), so a fixed error level
-- would blame srv itself from one path and the user from another; this
-- walks the stack to the first frame outside srv instead.
local M = {}

local function is_srv(source)
    return source:find("[/\\]srv[/\\][^/\\]+%.lua$") ~= nil
        or source:find("[/\\]srv%.lua$") ~= nil
        or source:find("^@srv[/\\]") ~= nil
        or source == "@srv.lua"
end

-- Raises msg at the first stack frame that is not srv's own Lua code.
function M.raise(msg)
    local level = 2
    while true do
        local info = debug.getinfo(level, "S")
        if not info then break end
        if not is_srv(info.source) then break end
        level = level + 1
    end
    -- error()'s levels count from the function that calls it: this one.
    error(msg, level)
end

function M.arg_error(n, fname, msg)
    M.raise(string.format("bad argument #%d to '%s' (%s)", n, fname, msg))
end

return M
