-- rockspec/srv-scm-1.rockspec lists the files luarocks installs; the list
-- must follow lua/srv.lua and lua/srv/ as they grow. srv-run's own Lua
-- (lua/runner/) is built into srv-run and not installed. make test-install
-- builds and installs the rock itself (spec/support/test-install.sh).
local ROCKSPEC = "rockspec/srv-scm-1.rockspec"

local function load_rockspec()
    local spec = {}
    local chunk = assert(loadfile(ROCKSPEC, "t", spec))
    chunk()
    return spec
end

local function lua_modules()
    local modules = {}
    local pipe = assert(io.popen("cd lua && find srv.lua srv -name '*.lua' | sort"))
    for path in pipe:lines() do
        modules[path:gsub("%.lua$", ""):gsub("/", ".")] = "lua/" .. path
    end
    pipe:close()
    return modules
end

describe(ROCKSPEC, function()
    local spec = load_rockspec()

    it("installs every library module of lua/, under its module name, and nothing else", function()
        assert.same(lua_modules(), spec.build.install.lua)
    end)

    it("installs the binding and the runner the Makefile's rock target builds", function()
        assert.same({ ["srv.core"] = "build/srv/core.so" }, spec.build.install.lib)
        assert.same({ ["srv-run"] = "build/srv-run" }, spec.build.install.bin)
        assert.equal("rock", spec.build.build_target)
        local pipe = assert(io.popen("make -n rock 2>&1"))
        local out = pipe:read("a")
        assert.is_true(pipe:close(), out)
    end)

    it("is a format 3.0 rockspec building against the system c-ares, tested with busted", function()
        assert.equal("3.0", spec.rockspec_format)
        assert.same({ header = "ares.h", library = "cares" }, spec.external_dependencies.CARES)
        assert.equal("$(CARES_INCDIR)", spec.build.build_variables.CARES_INCDIR)
        assert.equal("$(CARES_LIBDIR)", spec.build.build_variables.CARES_LIBDIR)
        assert.same({ "busted" }, spec.test_dependencies)
    end)
end)
