-- srv.names: the small facts about domain names the Lua layer needs.
local M = {}

-- Lower case, one trailing dot removed (the root stays "."): the form names
-- are compared and cached in (RFC 4343: DNS names compare case-insensitively).
-- Memoised: the same few names are keyed again and again on the cached path.
local KEY_MEMO_MAX = 4096
local key_memo, key_memo_count = {}, 0

function M.key(name)
    local key = key_memo[name]
    if key then return key end
    local n = #name
    key = name
    if n > 1 and key:byte(n) == 46 then key = key:sub(1, n - 1) end
    key = key:lower()
    if key_memo_count >= KEY_MEMO_MAX then key_memo, key_memo_count = {}, 0 end
    key_memo[name] = key
    key_memo_count = key_memo_count + 1
    return key
end

return M
