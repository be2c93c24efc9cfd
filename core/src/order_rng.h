/*
 * order_rng.h - the generator's draw functions, inline.
 *
 * rng.c's public srv_rng_next()/srv_rng_below() are thin wrappers around
 * these. order.c includes them directly: ordering makes one to three draws
 * per record, and a function call per draw was a measurable share of its
 * time (bench/bench_order.c). One implementation, two ways in.
 */
#ifndef SRV_ORDER_RNG_H
#define SRV_ORDER_RNG_H

#include "srv.h"

#include <stdint.h>

/* gcc and clang have 128-bit integers; __extension__ keeps -Wpedantic quiet. */
__extension__ typedef unsigned __int128 srv_uint128_t;

static inline uint64_t srv_rotate_left(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

/* xoshiro256** (Blackman and Vigna), or the injected source. */
static inline uint64_t srv_rng_next_inline(srv_rng_t *rng)
{
    if (rng->next)
        return rng->next(rng->ctx);
    uint64_t *s = rng->state;
    uint64_t result = srv_rotate_left(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = srv_rotate_left(s[3], 45);
    return result;
}

/*
 * Lemire, "Fast Random Integer Generation in an Interval" (2019): the high
 * word of x * bound is uniform over [0, bound) once the draws whose low word
 * falls below 2^64 mod bound are rejected. The division that computes that
 * remainder runs only when the low word is below bound, i.e. rarely for
 * the small bounds ordering uses, so the common path is one multiply.
 */
static inline uint64_t srv_rng_below_inline(srv_rng_t *rng, uint64_t bound)
{
    srv_uint128_t product = (srv_uint128_t)srv_rng_next_inline(rng) * bound;
    uint64_t low = (uint64_t)product;
    if (low < bound) {
        uint64_t threshold = (0 - bound) % bound;
        while (low < threshold) {
            product = (srv_uint128_t)srv_rng_next_inline(rng) * bound;
            low = (uint64_t)product;
        }
    }
    return (uint64_t)(product >> 64);
}

#endif /* SRV_ORDER_RNG_H */
