/*
 * order.c - RFC 2782 target selection: priority first, then weight.
 *
 * RFC 2782, "Usage rules": a client tries the targets of the lowest
 * priority first; among targets of one priority it picks each next target
 * at random with a chance proportional to its weight, removes it, and
 * repeats. srv_order() computes that whole sequence at once, as an index
 * permutation, so the caller can walk it when connecting.
 *
 * Two modes (see srv.h):
 *  - SRV_ORDER_WEIGHTED draws r in [0, sum) and takes the record whose
 *    cumulative range holds r: exactly weight / sum, which is what the RFC
 *    means. Weight-0 records ("no server has any weight" / "very small
 *    chance") come after the weighted ones of their priority, shuffled.
 *  - SRV_ORDER_STRICT follows the RFC's words literally (0..sum inclusive,
 *    weight-0 records first, first running sum >= r). That is biased, but
 *    some peers do exactly this and tests may want to mimic them.
 *
 * Cost: O(n log n) (expected, for the weighted picks of large groups;
 * the sorts and strict mode are worst-case bounds). The priority sort is an
 * insertion sort for few records, a counting sort for a narrow range of
 * priorities and a stable radix sort otherwise. A priority group is ordered
 * by linear scan while small (cheaper than any structure at a handful of
 * records). Large groups use weight classes with rejection in weighted mode
 * (O(1) expected per pick) and a Fenwick tree in strict mode (O(log n) per
 * pick, and the RFC's running-sum order is positional, which a tree keeps).
 * Small inputs never touch the heap.
 */
#include "srv.h"
#include "order_fenwick.h"
#include "order_rng.h"
#include "records.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Tunables, measured with bench/bench_order.c on x86-64. */
#if !defined(SRV_ORDER_LINEAR_MAX)
/* A priority group of at most this many records is ordered by linear scan. */
#define SRV_ORDER_LINEAR_MAX 16
#endif
#if !defined(SRV_ORDER_INSERTION_SORT_MAX)
/* Up to this many records, sort priorities by insertion; above, radix. */
#define SRV_ORDER_INSERTION_SORT_MAX 32
#endif
#if !defined(SRV_ORDER_COUNTING_SORT_RANGE)
/* Priorities spanning at most this many values: counting sort, else radix. */
#define SRV_ORDER_COUNTING_SORT_RANGE 256
#endif
#if !defined(SRV_ORDER_STACK_RECORDS)
/* Up to this many records, scratch space lives on the stack (about 6 KiB). */
#define SRV_ORDER_STACK_RECORDS 256
#endif

/* A strict-mode position already taken (no record index is this large). */
#define TAKEN SIZE_MAX

/* Where the Fenwick path keeps its work: one index per record, and tree
 * nodes up to the next power of two plus the unused node 0. */
typedef struct order_scratch {
    size_t *positions;
    uint64_t *tree;
} order_scratch_t;

/* RFC 2782: "A Target of "." means that the service is decidedly not
 * available at this domain." */
static int is_root_target(const char *target)
{
    return target && target[0] == '.' && target[1] == '\0';
}

/* ------------------------------------------------------------------ */
/* The generator used when the caller passes none                      */
/* ------------------------------------------------------------------ */

/* Not thread-safe: two threads that order with rng NULL at the same time
 * race on this state (and on its first seeding). Threaded callers pass
 * their own srv_rng_t per thread. */
static srv_rng_t process_rng_state;
static int process_rng_seeded;

static srv_rng_t *process_rng(void)
{
    if (!process_rng_seeded) {
        if (srv_rng_seed_os(&process_rng_state) != SRV_OK) {
            /* No getrandom(2) (old kernel, seccomp): server choice needs
             * variety between processes, not secrecy, so time and pid do. */
            struct timespec now;
            clock_gettime(CLOCK_REALTIME, &now);
            uint64_t seed = (uint64_t)now.tv_sec * UINT64_C(1000000000)
                            + (uint64_t)now.tv_nsec;
            seed ^= (uint64_t)getpid() << 32;
            srv_rng_seed(&process_rng_state, seed);
        }
        process_rng_seeded = 1;
    }
    return &process_rng_state;
}

/* ------------------------------------------------------------------ */
/* Priority sort ("lowest-numbered priority" first)                    */
/* ------------------------------------------------------------------ */

/* Both sorts are stable, and perm arrives in index order, so records of
 * one priority keep their input order: the same seed always gives the same
 * permutation. */
static void insertion_sort_by_priority(const srv_record_t *records, size_t *perm,
                                       size_t count)
{
    for (size_t i = 1; i < count; i++) {
        size_t index = perm[i];
        uint16_t priority = records[index].priority;
        size_t j = i;
        while (j > 0 && records[perm[j - 1]].priority > priority) {
            perm[j] = perm[j - 1];
            j--;
        }
        perm[j] = index;
    }
}

/* LSD radix sort on the 16-bit priority: one pass counts both bytes, then
 * one scatter pass per byte, skipped when every record has the same byte
 * there (the usual case for the high byte). O(n), stable. */
static void radix_sort_by_priority(const srv_record_t *records, size_t *perm,
                                   size_t count, size_t *scratch)
{
    size_t bucket_start[2][256] = {{0}};
    for (size_t i = 0; i < count; i++) {
        uint16_t priority = records[perm[i]].priority;
        bucket_start[0][priority & 0xff]++;
        bucket_start[1][priority >> 8]++;
    }
    size_t *from = perm, *to = scratch;
    uint16_t first_priority = records[perm[0]].priority;
    for (int pass = 0; pass < 2; pass++) {
        int shift = 8 * pass;
        size_t *starts = bucket_start[pass];
        if (starts[(first_priority >> shift) & 0xff] == count)
            continue;
        size_t offset = 0;
        for (int b = 0; b < 256; b++) {
            size_t size = starts[b];
            starts[b] = offset;
            offset += size;
        }
        for (size_t i = 0; i < count; i++)
            to[starts[(records[from[i]].priority >> shift) & 0xff]++] = from[i];
        size_t *swap = from;
        from = to;
        to = swap;
    }
    if (from != perm)
        memcpy(perm, from, count * sizeof *perm);
}

/* Counting sort when the priorities span a narrow range (the usual case:
 * a few distinct values close together): one counting pass, one scatter
 * pass, and only range counters to clear. O(n + range), stable. */
static void counting_sort_by_priority(const srv_record_t *records, size_t *perm,
                                      size_t count, size_t *scratch,
                                      uint16_t lowest, size_t range)
{
    size_t bucket_start[SRV_ORDER_COUNTING_SORT_RANGE];
    memset(bucket_start, 0, range * sizeof bucket_start[0]);
    for (size_t i = 0; i < count; i++)
        bucket_start[records[perm[i]].priority - lowest]++;
    size_t offset = 0;
    for (size_t b = 0; b < range; b++) {
        size_t size = bucket_start[b];
        bucket_start[b] = offset;
        offset += size;
    }
    for (size_t i = 0; i < count; i++)
        scratch[bucket_start[records[perm[i]].priority - lowest]++] = perm[i];
    memcpy(perm, scratch, count * sizeof *perm);
}

static void sort_by_priority(const srv_record_t *records, size_t *perm,
                             size_t count, size_t *scratch,
                             uint16_t lowest, uint16_t highest)
{
    size_t range = (size_t)(highest - lowest) + 1;
    if (range == 1 || count < 2)
        return;
    if (count <= SRV_ORDER_INSERTION_SORT_MAX)
        insertion_sort_by_priority(records, perm, count);
    else if (range <= SRV_ORDER_COUNTING_SORT_RANGE)
        counting_sort_by_priority(records, perm, count, scratch, lowest, range);
    else
        radix_sort_by_priority(records, perm, count, scratch);
}

/* ------------------------------------------------------------------ */
/* Helpers shared by the group orderings                               */
/* ------------------------------------------------------------------ */

/* Uniform random order (Fisher-Yates). */
static void shuffle(size_t *items, size_t count, srv_rng_t *rng)
{
    for (size_t i = count; i > 1; i--) {
        size_t j = (size_t)srv_rng_below_inline(rng, i);
        size_t item = items[i - 1];
        items[i - 1] = items[j];
        items[j] = item;
    }
}

/* Moves group[chosen] to group[first], shifting the records in between up
 * by one, so the remaining records keep their relative order. */
static void move_to_front(size_t *group, size_t first, size_t chosen)
{
    size_t index = group[chosen];
    for (size_t i = chosen; i > first; i--)
        group[i] = group[i - 1];
    group[first] = index;
}

/* Stable partition of a small group: weight-0 records to the front
 * (zeros_first) or to the back. Returns how many records have weight 0. */
static size_t partition_zero_weights(const srv_record_t *records, size_t *group,
                                     size_t count, int zeros_first)
{
    size_t weighted[SRV_ORDER_LINEAR_MAX], zeros[SRV_ORDER_LINEAR_MAX];
    size_t weighted_count = 0, zero_count = 0;
    for (size_t i = 0; i < count; i++) {
        if (records[group[i]].weight)
            weighted[weighted_count++] = group[i];
        else
            zeros[zero_count++] = group[i];
    }
    if (zero_count == 0 || weighted_count == 0)
        return zero_count;
    size_t *out = group;
    if (zeros_first) {
        memcpy(out, zeros, zero_count * sizeof *out);
        memcpy(out + zero_count, weighted, weighted_count * sizeof *out);
    } else {
        memcpy(out, weighted, weighted_count * sizeof *out);
        memcpy(out + weighted_count, zeros, zero_count * sizeof *out);
    }
    return zero_count;
}

/* ------------------------------------------------------------------ */
/* SRV_ORDER_WEIGHTED                                                   */
/* ------------------------------------------------------------------ */

/*
 * Each pick draws r uniformly in [0, sum of remaining weights) and takes
 * the record whose cumulative range [before, before + weight) holds r, so
 * a record of weight w comes next with probability exactly w / sum. The
 * sum is computed once and the chosen weight subtracted: the running sum
 * is never recomputed.
 */
static void order_weighted_small(const srv_record_t *records, size_t *group,
                                 size_t count, srv_rng_t *rng)
{
    size_t zero_count = partition_zero_weights(records, group, count, 0);
    size_t weighted_count = count - zero_count;
    uint64_t sum = 0;
    for (size_t i = 0; i < weighted_count; i++)
        sum += records[group[i]].weight;
    /* The last weighted record needs no draw: it is the only one left. */
    for (size_t first = 0; first + 1 < weighted_count; first++) {
        uint64_t r = srv_rng_below_inline(rng, sum);
        size_t chosen = first;
        while (r >= records[group[chosen]].weight) {
            r -= records[group[chosen]].weight;
            chosen++;
        }
        sum -= records[group[chosen]].weight;
        move_to_front(group, first, chosen);
    }
    shuffle(group + weighted_count, zero_count, rng);
}

/*
 * The same choice for a large group, in O(1) expected time per pick
 * whatever the group size (a Fenwick tree needs log2(n) dependent loads per
 * pick, which measured 2-4x slower here at a few hundred records).
 *
 * Records are filed by weight class c = floor(log2(weight)), 16 classes
 * for 16-bit weights. A pick first chooses a class with probability
 * class_sum / sum (one draw, a scan over at most 16 sums), then a record
 * inside it by rejection: a uniform member j, kept when a uniform u in
 * [0, 2^(c+1)) is below its weight. Every member weighs at least 2^c, so a
 * try succeeds with probability >= 1/2, and a kept j has probability
 * weight_j / class_sum: together exactly weight_j / sum, with integers only.
 */
#define WEIGHT_CLASSES 16
/* Tries before an exact linear scan of the class takes over. A real
 * generator gets here with probability < 2^-64; a custom source that always
 * returns all ones (never accepting) would loop forever without it. The
 * scan is itself exact, so the distribution is unchanged. */
#define MAX_REJECTIONS 64

/* A class member: the record index above, its weight in the low 16 bits,
 * so one load gives both. Record indices stay below 2^48 (srv_order). */
#define ENTRY_INDEX(entry)  ((size_t)((entry) >> 16))
#define ENTRY_WEIGHT(entry) ((uint16_t)(entry))

static unsigned weight_class(uint16_t weight)
{
    return 31u - (unsigned)__builtin_clz(weight);
}

/* Lemire's method on 32 random bits for a bound below 2^32: 1 and *out
 * uniform in [0, bound), or 0 when these bits must be rejected. */
static int below_from_bits32(uint32_t bits, uint64_t bound, uint64_t *out)
{
    uint64_t product = (uint64_t)bits * bound;
    uint32_t low = (uint32_t)product;
    if (low < bound && low < (uint32_t)(0 - (uint32_t)bound) % (uint32_t)bound)
        return 0;
    *out = product >> 32;
    return 1;
}

/* One rejection try from 32 random bits: the low 16 pick a member
 * uniformly (Lemire, count < 2^16), the top c + 1 of the high 16 are u,
 * and the member is kept when u is below its weight. Disjoint bits of a
 * uniform draw are independent, so one 64-bit draw serves two tries, or a
 * class choice and a try. */
static int try_member(const uint64_t *members, uint32_t count, unsigned weight_class,
                      uint32_t bits, size_t *j)
{
    uint32_t product = (bits & 0xFFFFu) * count;
    uint32_t low = product & 0xFFFFu;
    if (low < count && low < (0x10000u - count) % count)
        return 0;
    *j = product >> 16;
    uint32_t u = (bits >> 16) >> (15 - weight_class);
    return u < ENTRY_WEIGHT(members[*j]);
}

static size_t pick_in_class(const uint64_t *members, size_t count, unsigned weight_class,
                            uint64_t class_sum, srv_rng_t *rng, uint32_t first_bits)
{
    if (count == 1)
        return 0;
    size_t j;
    if (count < 0x10000u) {
        if (try_member(members, (uint32_t)count, weight_class, first_bits, &j))
            return j;
        for (int tries = 0; tries < MAX_REJECTIONS; tries++) {
            uint64_t x = srv_rng_next_inline(rng);
            if (try_member(members, (uint32_t)count, weight_class, (uint32_t)x, &j) ||
                try_member(members, (uint32_t)count, weight_class, (uint32_t)(x >> 32), &j))
                return j;
        }
    } else {
        for (int tries = 0; tries < MAX_REJECTIONS; tries++) {
            j = (size_t)srv_rng_below_inline(rng, count);
            uint64_t u = srv_rng_next_inline(rng) >> (63 - weight_class);
            if (u < ENTRY_WEIGHT(members[j]))
                return j;
        }
    }
    uint64_t r = srv_rng_below_inline(rng, class_sum);
    j = 0;
    while (r >= ENTRY_WEIGHT(members[j])) {
        r -= ENTRY_WEIGHT(members[j]);
        j++;
    }
    return j;
}

static void order_weighted_large(const srv_record_t *records, size_t *group,
                                 size_t count, srv_rng_t *rng,
                                 const order_scratch_t *scratch)
{
    size_t class_count[WEIGHT_CLASSES] = {0}, class_start[WEIGHT_CLASSES];
    uint64_t class_sum[WEIGHT_CLASSES] = {0};
    for (size_t i = 0; i < count; i++) {
        uint16_t weight = records[group[i]].weight;
        if (weight) {
            unsigned c = weight_class(weight);
            class_count[c]++;
            class_sum[c] += weight;
        }
    }
    size_t weighted_count = 0;
    uint64_t sum = 0;
    int top_class = -1;
    for (unsigned c = 0; c < WEIGHT_CLASSES; c++) {
        class_start[c] = weighted_count;
        weighted_count += class_count[c];
        sum += class_sum[c];
        if (class_count[c])
            top_class = (int)c;
    }
    uint64_t *entries = scratch->tree;
    size_t filled[WEIGHT_CLASSES];
    memcpy(filled, class_start, sizeof filled);
    size_t zeros_seen = 0;
    for (size_t i = 0; i < count; i++) {
        uint16_t weight = records[group[i]].weight;
        if (weight)
            entries[filled[weight_class(weight)]++] = ((uint64_t)group[i] << 16) | weight;
        else
            scratch->positions[zeros_seen++] = group[i];
    }

    /* Picks go straight to the front of the group; the zeros wait at the
     * end of the scratch list until the picks are done. */
    size_t *zeros = scratch->positions;
    size_t zero_count = count - weighted_count;
    size_t placed = 0;
    while (placed < weighted_count) {
        unsigned c = (unsigned)top_class;
        /* The low half of x chooses the class, the high half makes the
         * first try inside it. */
        uint64_t x = srv_rng_next_inline(rng);
        if (placed + 1 < weighted_count) {
            uint64_t r;
            if (sum > UINT32_MAX || !below_from_bits32((uint32_t)x, sum, &r))
                r = srv_rng_below_inline(rng, sum);
            /* Classes are scanned heaviest first; empty ones have sum 0. */
            while (r >= class_sum[c]) {
                r -= class_sum[c];
                c--;
            }
        }
        uint64_t *members = entries + class_start[c];
        size_t j = pick_in_class(members, class_count[c], c, class_sum[c], rng, (uint32_t)(x >> 32));
        uint64_t entry = members[j];
        group[placed++] = ENTRY_INDEX(entry);
        members[j] = members[--class_count[c]];
        class_sum[c] -= ENTRY_WEIGHT(entry);
        sum -= ENTRY_WEIGHT(entry);
        while (top_class >= 0 && class_count[top_class] == 0)
            top_class--;
    }

    memcpy(group + weighted_count, zeros, zero_count * sizeof *group);
    shuffle(group + weighted_count, zero_count, rng);
}

/* ------------------------------------------------------------------ */
/* SRV_ORDER_STRICT                                                     */
/* ------------------------------------------------------------------ */

/*
 * RFC 2782, "Usage rules", word for word: "arrange all SRV RRs (that have
 * not been ordered yet) in any order, except that all those with weight 0
 * are placed at the beginning of the list. Compute the sum of the weights
 * ... associate the running sum ... Then choose a uniform random number
 * between 0 and the sum computed (inclusive), and select the RR whose
 * running sum value is the first in the selected order which is greater
 * than or equal to the random number selected."
 *
 * "Inclusive" gives the first record one extra chance (r = 0 and r = its
 * weight both select it): weights {1,1} come out 2/3 vs 1/3, and only the
 * first remaining weight-0 record can ever be chosen by r = 0. The order
 * of the remaining records matters here, so removal keeps it.
 */
static void order_strict_small(const srv_record_t *records, size_t *group,
                               size_t count, srv_rng_t *rng)
{
    partition_zero_weights(records, group, count, 1);
    uint64_t sum = 0;
    for (size_t i = 0; i < count; i++)
        sum += records[group[i]].weight;
    for (size_t first = 0; first + 1 < count; first++) {
        uint64_t r = srv_rng_below_inline(rng, sum + 1);
        uint64_t running = 0;
        size_t chosen = first;
        for (;; chosen++) {
            running += records[group[chosen]].weight;
            if (running >= r)
                break;
        }
        sum -= records[group[chosen]].weight;
        move_to_front(group, first, chosen);
    }
}

/* The same rule in O(log n) per pick. r = 0 takes the first remaining
 * record (weight 0 or not); r >= 1 takes the first position whose prefix
 * sum reaches r, which is the record whose range [prefix - weight, prefix)
 * holds r - 1, i.e. fenwick_find(r - 1). Taken positions have weight 0 in
 * the tree, so only r = 0 needs to skip them, and that cursor only moves
 * forward. */
static void order_strict_large(const srv_record_t *records, size_t *group,
                               size_t count, srv_rng_t *rng,
                               const order_scratch_t *scratch)
{
    size_t *list = scratch->positions;
    size_t listed = 0;
    for (size_t i = 0; i < count; i++)
        if (records[group[i]].weight == 0)
            list[listed++] = group[i];
    for (size_t i = 0; i < count; i++)
        if (records[group[i]].weight != 0)
            list[listed++] = group[i];

    uint64_t *tree = scratch->tree;
    uint64_t sum = 0;
    tree[0] = 0;
    for (size_t i = 0; i < count; i++) {
        tree[i + 1] = records[list[i]].weight;
        sum += tree[i + 1];
    }
    fenwick_t fw;
    fenwick_build_in_place(&fw, tree, count);

    size_t first_untaken = 0;
    for (size_t placed = 0; placed < count; placed++) {
        uint64_t r = srv_rng_below_inline(rng, sum + 1);
        size_t position;
        if (r == 0) {
            while (list[first_untaken] == TAKEN)
                first_untaken++;
            position = first_untaken;
        } else {
            position = fenwick_find(&fw, r - 1);
        }
        uint16_t weight = records[list[position]].weight;
        group[placed] = list[position];
        list[position] = TAKEN;
        if (weight) {
            fenwick_subtract(&fw, position, weight);
            sum -= weight;
        }
    }
}

/* ------------------------------------------------------------------ */
/* Entry points                                                         */
/* ------------------------------------------------------------------ */

static void order_group(const srv_record_t *records, size_t *group, size_t count,
                        srv_order_mode_t mode, srv_rng_t *rng,
                        const order_scratch_t *scratch)
{
    if (count < 2)
        return;
    if (mode == SRV_ORDER_STRICT) {
        if (count <= SRV_ORDER_LINEAR_MAX)
            order_strict_small(records, group, count, rng);
        else
            order_strict_large(records, group, count, rng, scratch);
    } else {
        if (count <= SRV_ORDER_LINEAR_MAX)
            order_weighted_small(records, group, count, rng);
        else
            order_weighted_large(records, group, count, rng, scratch);
    }
}

srv_status_t srv_order(const srv_record_t *records, size_t n,
                       srv_order_mode_t mode, srv_rng_t *rng,
                       size_t *perm, size_t *out_n)
{
    if (!out_n)
        return SRV_EINVAL;
    *out_n = 0;
    if (n == 0)
        return SRV_OK;
    if (!records || !perm || (mode != SRV_ORDER_WEIGHTED && mode != SRV_ORDER_STRICT))
        return SRV_EINVAL;

    /* RFC 2782: a lone "." means no service; mixed with real targets it
     * names nothing to connect to, so it is left out. */
    size_t count = 0;
    uint16_t lowest = UINT16_MAX, highest = 0;
    for (size_t i = 0; i < n; i++) {
        if (!is_root_target(records[i].target)) {
            uint16_t priority = records[i].priority;
            lowest = priority < lowest ? priority : lowest;
            highest = priority > highest ? priority : highest;
            perm[count++] = i;
        }
    }
    if (count == 0)
        return SRV_ENOSERVICE;
    /* order_weighted_large packs an index and a weight into 64 bits. No
     * record array gets near 2^48 entries (that would be 10 PB). */
    if ((uint64_t)count >> 48)
        return SRV_ENOMEM;
    if (!rng)
        rng = process_rng();

    /* Scratch serves the radix sort first (positions only) and then each
     * large group in turn (positions and tree). */
    size_t stack_positions[SRV_ORDER_STACK_RECORDS];
    uint64_t stack_tree[2 * SRV_ORDER_STACK_RECORDS];
    order_scratch_t scratch = {stack_positions, stack_tree};
    void *heap = NULL;
    if (count > SRV_ORDER_STACK_RECORDS) {
        size_t tree_nodes = fenwick_size_for(count) + 1;   /* < 2 * count */
        if (count > SIZE_MAX / 4 / sizeof(uint64_t))
            return SRV_ENOMEM;
        heap = malloc(tree_nodes * sizeof(uint64_t) + count * sizeof(size_t));
        if (!heap)
            return SRV_ENOMEM;
        scratch.tree = heap;
        scratch.positions = (size_t *)(scratch.tree + tree_nodes);
    }

    sort_by_priority(records, perm, count, scratch.positions, lowest, highest);

    size_t start = 0;
    while (start < count) {
        uint16_t priority = records[perm[start]].priority;
        size_t end = start + 1;
        while (end < count && records[perm[end]].priority == priority)
            end++;
        order_group(records, perm + start, end - start, mode, rng, &scratch);
        start = end;
    }

    free(heap);
    *out_n = count;
    return SRV_OK;
}

/* Up to this many records, srv_recordset_order needs no heap. */
#define RECORDSET_STACK_RECORDS 32

srv_status_t srv_recordset_order(srv_recordset_t *set, srv_order_mode_t mode,
                                 srv_rng_t *rng)
{
    if (!set)
        return SRV_EINVAL;
    size_t n = set->count;
    if (n == 0)
        return SRV_OK;

    size_t stack_perm[RECORDSET_STACK_RECORDS];
    srv_record_t stack_ordered[RECORDSET_STACK_RECORDS];
    size_t *perm = stack_perm;
    srv_record_t *ordered = stack_ordered;
    void *heap = NULL;
    if (n > RECORDSET_STACK_RECORDS) {
        /* The set's own array already holds n records, so n * size fits. */
        heap = malloc(n * (sizeof *perm + sizeof *ordered));
        if (!heap)
            return SRV_ENOMEM;
        ordered = heap;
        perm = (size_t *)(ordered + n);
    }

    size_t kept = 0;
    srv_status_t status = srv_order(set->records, n, mode, rng, perm, &kept);
    if (status == SRV_OK) {
        for (size_t i = 0; i < kept; i++)
            ordered[i] = set->records[perm[i]];
        /* srv_order left out exactly the "." records: free those. */
        for (size_t i = 0; i < n; i++) {
            if (is_root_target(set->records[i].target))
                records_free_strings(&set->records[i]);
        }
        memcpy(set->records, ordered, kept * sizeof *ordered);
        set->count = kept;
    }
    free(heap);
    return status;
}
