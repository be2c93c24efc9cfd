-- compare_lookup.lua - srv's C resolver against the strongest raw c-ares
-- loop, at 1, 50 and 500 lookups in flight, for every c-ares given: one
-- bench_lookup program per c-ares (bench/bench_lookup.c), all in this run.
--
--   lua5.4 bench/compare_lookup.lua build/bench/bench_lookup \
--       build/cares-1.34.8/srv/bench/bench_lookup
--
-- Each measurement is a child process (`bench_lookup --plain|--srv N
-- SECONDS`) under a watchdog (timeout(1)): a stuck run is killed and
-- reported, and the benchmark goes on. Rounds interleave everything: in
-- each round every program runs both sides, the order of programs and of
-- sides turning from round to round, so that drift on a shared machine
-- hits every column alike. Printed per c-ares and in-flight count: the best
-- rate of each side and the range over the rounds, the ratio of the bests
-- and the range of the ratios of the same round, and the CPU time per
-- lookup (getrusage of the timed part, the lowest of the rounds) with its
-- ratio, raw over srv: on a machine other work shares, the rates swing
-- with it and the CPU per lookup much less. Where
-- perf(1) can count instructions, instructions per lookup too (the whole
-- child, divided by the lookups it started).
--
-- Environment: SRV_TEST_SERVER (from `make bench`), SRV_BENCH_ROUNDS (5),
-- SRV_BENCH_SECONDS (1 per measurement).
-- Target (issue 12): srv/raw >= 0.9 at 1 and 50 in flight. Not a test:
-- prints PASS or MISS and exits 0.
local ROUNDS = tonumber(os.getenv("SRV_BENCH_ROUNDS")) or 5
local SECONDS = tonumber(os.getenv("SRV_BENCH_SECONDS")) or 1
local CASES = {
    { in_flight = 1, target = 0.9 },
    { in_flight = 50, target = 0.9 },
    { in_flight = 500 },
}
local SIDES = { "plain", "srv" }
local WATCHDOG = math.ceil(SECONDS) + 30

local programs = { ... }
if #programs == 0 or not os.getenv("SRV_TEST_SERVER") then
    io.stderr:write("usage: compare_lookup.lua BENCH_LOOKUP... (under `make bench`, which sets SRV_TEST_SERVER)\n")
    os.exit(2)
end

local function run_quietly(command)
    local pipe = assert(io.popen(command .. " 2>&1"))
    local output = pipe:read("a")
    pipe:close()
    return output
end

-- perf counts instructions only where the machine lends it hardware
-- counters; in a container it often cannot.
local perf_counts = run_quietly("perf stat -x, -e instructions -- true"):match("^(%d+),") ~= nil

local function measure(program, side, in_flight)
    local stat = os.tmpname()
    local command = string.format("timeout -k 5 %d %s%s --%s %d %g", WATCHDOG,
        perf_counts and ("perf stat -x, -e instructions -o " .. stat .. " -- ") or "", program, side,
        in_flight, SECONDS)
    local output = run_quietly(command)
    local result = {
        cares = output:match("cares=(%S+)"),
        rate = tonumber(output:match("per_second=([%d.]+)")),
        cpu = tonumber(output:match("cpu_us_per_lookup=([%d.]+)")),
        failed = tonumber(output:match("failed=(%d+)")),
        submitted = tonumber(output:match("submitted=(%d+)")),
    }
    if perf_counts then
        local file = io.open(stat)
        local count = file and file:read("a"):match("\n(%d+),") or nil
        if file then file:close() end
        if count and result.submitted and result.submitted > 0 then
            result.instructions = tonumber(count) / result.submitted
        end
    end
    os.remove(stat)
    if not result.rate then
        io.stderr:write(string.format("compare_lookup: %s gave no result (watchdog %d s):\n%s\n", command,
            WATCHDOG, output))
        return nil
    end
    return result
end

local function range(list)
    local low, high = math.huge, -math.huge
    for _, v in ipairs(list) do
        if v < low then low = v end
        if v > high then high = v end
    end
    return low, high
end

local function rotated(list, by)
    local out = {}
    for i = 1, #list do out[i] = list[(i - 1 + by) % #list + 1] end
    return out
end

-- Rows are named by c-ares version; two programs on the same one (srv
-- before and after a change, say) by version and place on the command line.
local labels_taken = {}
local function label_of(program, version)
    local label = version or "?"
    if labels_taken[label] then
        for i, p in ipairs(programs) do
            if p == program then label = label .. "#" .. i end
        end
    end
    labels_taken[label] = true
    return label
end

-- results[program][in_flight][side] = list of measurements, in round order
local results, versions = {}, {}
for _, program in ipairs(programs) do results[program] = {} end

print(string.format("SRV lookups/s against knotd on loopback (%s): distinct names, each answered with a record;",
    os.getenv("SRV_TEST_SERVER")))
print(string.format("%g s per measurement, %d interleaved rounds, each measurement a child under a %d s watchdog.",
    SECONDS, ROUNDS, WATCHDOG))
print("raw: c-ares alone with its best options (bench_lookup.c); best of the rounds, [lowest-highest].")
if not perf_counts then
    print("perf cannot count instructions on this machine: CPU per lookup is getrusage's, timed part only.")
end
io.stdout:flush()

for _, case in ipairs(CASES) do
    local n = case.in_flight
    for _, program in ipairs(programs) do results[program][n] = { plain = {}, srv = {} } end
    for round = 1, ROUNDS do
        for _, program in ipairs(rotated(programs, round)) do
            for _, side in ipairs(rotated(SIDES, round)) do
                local result = measure(program, side, n)
                if result then
                    versions[program] = versions[program] or label_of(program, result.cares)
                    result.round = round
                    table.insert(results[program][n][side], result)
                end
            end
        end
    end
end

local function best_of(list, field, lowest)
    local best
    for _, r in ipairs(list) do
        local v = r[field]
        if v and (not best or (lowest and v < best) or (not lowest and v > best)) then best = v end
    end
    return best
end

local function rates_of(list)
    local rates = {}
    for _, r in ipairs(list) do rates[#rates + 1] = r.rate end
    return rates
end

-- The ratios of srv to raw measured in the same round.
local function round_ratios(sides)
    local raw_by_round, ratios = {}, {}
    for _, r in ipairs(sides.plain) do raw_by_round[r.round] = r.rate end
    for _, r in ipairs(sides.srv) do
        local raw = raw_by_round[r.round]
        if raw and raw > 0 then ratios[#ratios + 1] = r.rate / raw end
    end
    return ratios
end

print("lookups/s in thousands; cpu: microseconds of CPU per lookup, raw/srv")
print(string.format("%-9s %9s %-19s %-19s %-19s %-11s %-11s %-9s %s", "c-ares", "in flight", "raw c-ares k/s",
    "srv k/s", "ratio (per round)", "target", "cpu raw/srv", "cpu ratio",
    perf_counts and "instr/lookup raw/srv" or ""))
for _, program in ipairs(programs) do
    for _, case in ipairs(CASES) do
        local n = case.in_flight
        local sides = results[program][n]
        local raw_best, srv_best = best_of(sides.plain, "rate"), best_of(sides.srv, "rate")
        if raw_best and srv_best then
            local raw_low, raw_high = range(rates_of(sides.plain))
            local srv_low, srv_high = range(rates_of(sides.srv))
            local ratio_low, ratio_high = range(round_ratios(sides))
            local ratio = srv_best / raw_best
            local verdict = case.target and
                string.format(">=%.1f %s", case.target, ratio >= case.target and "PASS" or "MISS") or "-"
            local failed = 0
            for _, side in ipairs(SIDES) do
                for _, r in ipairs(sides[side]) do failed = failed + (r.failed or 0) end
            end
            local instructions = ""
            if perf_counts then
                local raw_i, srv_i = best_of(sides.plain, "instructions", true), best_of(sides.srv, "instructions", true)
                instructions = string.format("%.0f / %.0f", raw_i or 0, srv_i or 0)
            end
            local raw_cpu, srv_cpu = best_of(sides.plain, "cpu", true), best_of(sides.srv, "cpu", true)
            print(string.format("%-9s %9d %-19s %-19s %-19s %-11s %-11s %-9s %s%s", versions[program], n,
                string.format("%.1f [%.1f-%.1f]", raw_best / 1e3, raw_low / 1e3, raw_high / 1e3),
                string.format("%.1f [%.1f-%.1f]", srv_best / 1e3, srv_low / 1e3, srv_high / 1e3),
                string.format("%.2fx [%.2f-%.2f]", ratio, ratio_low, ratio_high), verdict,
                string.format("%.1f/%.1f", raw_cpu, srv_cpu), string.format("%.2fx", raw_cpu / srv_cpu),
                instructions, failed > 0 and string.format(" (%d failed)", failed) or ""))
        else
            print(string.format("%-9s %9d no result (see above)", versions[program] or program, n))
        end
        io.stdout:flush()
    end
end
