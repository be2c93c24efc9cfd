/*
 * rng.c - the random source behind RFC 2782 ordering.
 *
 * xoshiro256** (Blackman and Vigna): fast, 256 bits of state, and good
 * enough for choosing among servers. It is not a cryptographic generator;
 * nothing here needs one, since a client's server choice is no secret.
 */
#include "srv.h"
#include "order_rng.h"

#include <errno.h>
#include <sys/random.h>

/* splitmix64 spreads one 64-bit seed over the four state words, so that
 * neighbouring seeds (1, 2, 3...) give unrelated streams and the state is
 * never all zero (the one state xoshiro cannot leave). */
static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

void srv_rng_seed(srv_rng_t *rng, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        rng->state[i] = splitmix64(&seed);
    rng->next = NULL;
    rng->ctx = NULL;
}

srv_status_t srv_rng_seed_os(srv_rng_t *rng)
{
    unsigned char bytes[sizeof rng->state];
    size_t have = 0;
    while (have < sizeof bytes) {
        ssize_t got = getrandom(bytes + have, sizeof bytes - have, 0);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            /* The caller can still fall back to srv_rng_seed(). */
            return SRV_ESYSTEM;
        }
        have += (size_t)got;
    }
    uint64_t words[4];
    for (int i = 0; i < 4; i++) {
        words[i] = 0;
        for (int b = 0; b < 8; b++)
            words[i] = (words[i] << 8) | bytes[i * 8 + b];
    }
    /* An all-zero state would stay zero forever; 2^-256 odds, but cheap. */
    if ((words[0] | words[1] | words[2] | words[3]) == 0)
        words[0] = 1;
    for (int i = 0; i < 4; i++)
        rng->state[i] = words[i];
    rng->next = NULL;
    rng->ctx = NULL;
    return SRV_OK;
}

void srv_rng_custom(srv_rng_t *rng, uint64_t (*next)(void *ctx), void *ctx)
{
    rng->next = next;
    rng->ctx = ctx;
}

/* The draws themselves live in order_rng.h, inline for order.c. */
uint64_t srv_rng_next(srv_rng_t *rng)
{
    return srv_rng_next_inline(rng);
}

uint64_t srv_rng_below(srv_rng_t *rng, uint64_t bound)
{
    return srv_rng_below_inline(rng, bound);
}
