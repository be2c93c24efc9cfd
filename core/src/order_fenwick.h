/*
 * order_fenwick.h - a Fenwick (binary indexed) tree of record weights.
 *
 * Weighted choice needs two operations on the remaining weights: "which
 * record's cumulative range holds r" and "remove this record's weight".
 * A plain array makes one of them O(n); the tree makes both O(log n), which
 * turns ordering a priority group of n records from O(n^2) into
 * O(n log n). order.c uses it for large groups in strict mode, where the
 * RFC's running sums depend on the records' positions. Private to order.c
 * (and its tests).
 *
 * The tree is 1-based: tree[i] holds the sum of the weights at positions
 * (i - lowbit(i), i], so a prefix sum or a descent touches log2(n) nodes.
 */
#ifndef SRV_ORDER_FENWICK_H
#define SRV_ORDER_FENWICK_H

#include <stddef.h>
#include <stdint.h>

typedef struct fenwick {
    uint64_t *tree;   /* tree[1..size]; tree[0] is unused */
    size_t size;      /* a power of two: the descent needs no bounds check */
} fenwick_t;

/* The tree size for count weights: the next power of two, so that every
 * node a descent visits exists. The padding positions weigh 0. */
static inline size_t fenwick_size_for(size_t count)
{
    size_t size = 1;
    while (size < count)
        size <<= 1;
    return size;
}

/* Builds in O(size) from weights already written to tree[1..count]; the
 * padding up to fenwick_size_for(count) is zeroed here. Each node passes
 * its sum to its parent once. */
static inline void fenwick_build_in_place(fenwick_t *fw, uint64_t *tree, size_t count)
{
    size_t size = fenwick_size_for(count);
    for (size_t i = count + 1; i <= size; i++)
        tree[i] = 0;
    for (size_t i = 1; i <= size; i++) {
        size_t parent = i + (i & (0 - i));
        if (parent <= size)
            tree[parent] += tree[i];
    }
    fw->tree = tree;
    fw->size = size;
}

/* The 0-based position whose cumulative range [prefix(p), prefix(p + 1))
 * holds r, for r < the total weight. Zero-weight positions have empty ranges
 * and are never returned. The step taken at each level is random, so it is
 * chosen with masks rather than a branch the CPU would mispredict half the
 * time. */
static inline size_t fenwick_find(const fenwick_t *fw, uint64_t r)
{
    size_t pos = 0;
    for (size_t step = fw->size; step; step >>= 1) {
        uint64_t node = fw->tree[pos + step];
        uint64_t take = 0 - (uint64_t)(node <= r);   /* all ones or zero */
        pos += step & (size_t)take;
        r -= node & take;
    }
    return pos;
}

/* Takes weight off the 0-based position. */
static inline void fenwick_subtract(fenwick_t *fw, size_t position, uint64_t weight)
{
    for (size_t i = position + 1; i <= fw->size; i += i & (0 - i))
        fw->tree[i] -= weight;
}

#endif /* SRV_ORDER_FENWICK_H */
