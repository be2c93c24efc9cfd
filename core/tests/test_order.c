/*
 * test_order.c - RFC 2782 ordering and the random source behind it.
 *
 * The distribution tests run a fixed seed many times and compare the
 * observed counts with the exact probabilities through a chi-square
 * statistic, against the critical value at p = 0.001. With a fixed seed
 * they are deterministic; a wrong distribution (the strict mode's bias,
 * say) lands far above the bound, as one test below checks on purpose.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "srv.h"
#include "order_fenwick.h"

/* Chi-square critical values at p = 0.001, by degrees of freedom. */
#define CHI2_DF1  10.83
#define CHI2_DF2  13.82
#define CHI2_DF3  16.27
#define CHI2_DF5  20.52
#define CHI2_DF19 43.82
#define CHI2_DF23 49.73

#define MAX_RECORDS 128

/* ------------------------------------------------------------------ */
/* Helpers                                                              */
/* ------------------------------------------------------------------ */

static double chi_square(const unsigned long *observed, const double *probability,
                         size_t cells, unsigned long total)
{
    double statistic = 0.0;
    for (size_t i = 0; i < cells; i++) {
        double expected = probability[i] * (double)total;
        double difference = (double)observed[i] - expected;
        statistic += difference * difference / expected;
    }
    return statistic;
}

static void assert_chi_square_below(const unsigned long *observed,
                                    const double *probability, size_t cells,
                                    unsigned long total, double critical)
{
    double statistic = chi_square(observed, probability, cells, total);
    if (statistic >= critical) {
        for (size_t i = 0; i < cells; i++)
            print_message("cell %zu: observed %lu, expected %.1f\n", i,
                          observed[i], probability[i] * (double)total);
        fail_msg("chi-square %.2f >= %.2f", statistic, critical);
    }
}

static srv_record_t make_record(const char *target, uint16_t priority, uint16_t weight)
{
    srv_record_t record = {
        .name = NULL, .target = (char *)(uintptr_t)target, .ttl = 300,
        .priority = priority, .weight = weight, .port = 5222,
    };
    return record;
}

/* The reference example (README.md, docs/overview.md): server1 alone at priority 5, then
 * server2/3/4 weighted 30/10/10 at priority 10, then backup at 15. */
enum { SERVER1, SERVER2, SERVER3, SERVER4, BACKUP, REFERENCE_COUNT };

static void reference_records(srv_record_t *records)
{
    records[SERVER1] = make_record("server1.example.net", 5, 50);
    records[SERVER2] = make_record("server2.example.net", 10, 30);
    records[SERVER3] = make_record("server3.example.net", 10, 10);
    records[SERVER4] = make_record("server4.example.net", 10, 10);
    records[BACKUP] = make_record("backup.example.net", 15, 0);
}

/* Orders records `runs` times and counts which index lands at `position`. */
static void count_at_position(const srv_record_t *records, size_t n,
                              srv_order_mode_t mode, uint64_t seed,
                              unsigned long runs, size_t position,
                              unsigned long *counts)
{
    assert_true(n <= MAX_RECORDS);
    srv_rng_t rng;
    srv_rng_seed(&rng, seed);
    size_t perm[MAX_RECORDS], out_n;
    memset(counts, 0, n * sizeof *counts);
    for (unsigned long run = 0; run < runs; run++) {
        assert_int_equal(srv_order(records, n, mode, &rng, perm, &out_n), SRV_OK);
        assert_int_equal(out_n, n);
        counts[perm[position]]++;
    }
}

static void assert_is_permutation(const size_t *perm, size_t n, size_t universe)
{
    unsigned char *seen = calloc(universe, 1);
    assert_non_null(seen);
    for (size_t i = 0; i < n; i++) {
        assert_true(perm[i] < universe);
        assert_int_equal(seen[perm[i]], 0);
        seen[perm[i]] = 1;
    }
    free(seen);
}

/* ------------------------------------------------------------------ */
/* The reference example                                                */
/* ------------------------------------------------------------------ */

static void test_reference_server1_always_first_and_backup_always_last(void **state)
{
    (void)state;
    srv_record_t records[REFERENCE_COUNT];
    reference_records(records);
    srv_rng_t rng;
    srv_rng_seed(&rng, 42);
    srv_order_mode_t modes[] = {SRV_ORDER_WEIGHTED, SRV_ORDER_STRICT};
    for (size_t m = 0; m < 2; m++) {
        for (int run = 0; run < 2000; run++) {
            size_t perm[REFERENCE_COUNT], out_n = 99;
            assert_int_equal(srv_order(records, REFERENCE_COUNT, modes[m], &rng, perm, &out_n), SRV_OK);
            assert_int_equal(out_n, REFERENCE_COUNT);
            assert_is_permutation(perm, out_n, REFERENCE_COUNT);
            assert_int_equal(perm[0], SERVER1);
            assert_int_equal(perm[4], BACKUP);
        }
    }
}

static void test_weighted_first_choice_is_60_20_20_for_weights_30_10_10(void **state)
{
    (void)state;
    srv_record_t group[3] = {
        make_record("server2.example.net", 10, 30),
        make_record("server3.example.net", 10, 10),
        make_record("server4.example.net", 10, 10),
    };
    unsigned long counts[3];
    count_at_position(group, 3, SRV_ORDER_WEIGHTED, 2782, 60000, 0, counts);
    const double shares[3] = {0.6, 0.2, 0.2};
    assert_chi_square_below(counts, shares, 3, 60000, CHI2_DF2);
}

static void test_weighted_second_choice_follows_from_the_first(void **state)
{
    (void)state;
    srv_record_t group[3] = {
        make_record("server2.example.net", 10, 30),
        make_record("server3.example.net", 10, 10),
        make_record("server4.example.net", 10, 10),
    };
    /* P(server2 second) = 0.2 * 30/40 + 0.2 * 30/40 = 0.30;
     * P(server3 second) = 0.6 * 10/20 + 0.2 * 10/40 = 0.35 = P(server4). */
    unsigned long counts[3];
    count_at_position(group, 3, SRV_ORDER_WEIGHTED, 5, 60000, 1, counts);
    const double shares[3] = {0.30, 0.35, 0.35};
    assert_chi_square_below(counts, shares, 3, 60000, CHI2_DF2);
}

static void test_weighted_reference_group_comes_first_60_20_20_when_server1_is_down(void **state)
{
    (void)state;
    srv_record_t records[REFERENCE_COUNT];
    reference_records(records);
    /* Position 1 is the first choice of the priority-10 group. */
    unsigned long counts[REFERENCE_COUNT];
    count_at_position(records, REFERENCE_COUNT, SRV_ORDER_WEIGHTED, 77, 30000, 1, counts);
    assert_int_equal(counts[SERVER1], 0);
    assert_int_equal(counts[BACKUP], 0);
    const double shares[3] = {0.6, 0.2, 0.2};
    assert_chi_square_below(counts + SERVER2, shares, 3, 30000, CHI2_DF2);
}

/* The check above must be able to fail: the strict mode's 31/51 split is
 * only a little off 60/20/20 (expected statistic about 15 at 60,000 runs,
 * about 60 at 240,000), and the statistic flags it. */
static void test_chi_square_check_rejects_the_strict_distribution(void **state)
{
    (void)state;
    srv_record_t group[3] = {
        make_record("server2.example.net", 10, 30),
        make_record("server3.example.net", 10, 10),
        make_record("server4.example.net", 10, 10),
    };
    unsigned long counts[3];
    count_at_position(group, 3, SRV_ORDER_STRICT, 2782, 240000, 0, counts);
    const double weighted_shares[3] = {0.6, 0.2, 0.2};
    assert_true(chi_square(counts, weighted_shares, 3, 240000) > CHI2_DF2);
}

/* ------------------------------------------------------------------ */
/* Strict mode: the RFC's literal text and its bias                    */
/* ------------------------------------------------------------------ */

static void test_strict_weights_1_1_come_first_two_thirds_and_one_third(void **state)
{
    (void)state;
    srv_record_t group[2] = {make_record("a", 1, 1), make_record("b", 1, 1)};
    unsigned long counts[2];
    count_at_position(group, 2, SRV_ORDER_STRICT, 9, 30000, 0, counts);
    const double shares[2] = {2.0 / 3.0, 1.0 / 3.0};
    assert_chi_square_below(counts, shares, 2, 30000, CHI2_DF1);
}

static void test_weighted_weights_1_1_come_first_half_the_time_each(void **state)
{
    (void)state;
    srv_record_t group[2] = {make_record("a", 1, 1), make_record("b", 1, 1)};
    unsigned long counts[2];
    count_at_position(group, 2, SRV_ORDER_WEIGHTED, 9, 30000, 0, counts);
    const double shares[2] = {0.5, 0.5};
    assert_chi_square_below(counts, shares, 2, 30000, CHI2_DF1);
}

static void test_strict_only_the_first_zero_weight_record_ever_comes_first(void **state)
{
    (void)state;
    srv_record_t group[3] = {
        make_record("zero-a", 1, 0), make_record("zero-b", 1, 0),
        make_record("weighted", 1, 10),
    };
    unsigned long counts[3];
    count_at_position(group, 3, SRV_ORDER_STRICT, 11, 33000, 0, counts);
    /* r in 0..10: r = 0 picks zero-a (running sum 0 >= 0), r >= 1 the
     * weighted record; zero-b, behind zero-a with the same running sum,
     * is never reached. */
    assert_int_equal(counts[1], 0);
    unsigned long present[2] = {counts[0], counts[2]};
    const double shares[2] = {1.0 / 11.0, 10.0 / 11.0};
    assert_chi_square_below(present, shares, 2, 33000, CHI2_DF1);
}

static void test_strict_zero_weight_records_go_first_even_after_weighted_input(void **state)
{
    (void)state;
    /* Input order puts the zeros last; the RFC moves them to the front. */
    srv_record_t group[3] = {
        make_record("weighted", 1, 10), make_record("zero-a", 1, 0),
        make_record("zero-b", 1, 0),
    };
    unsigned long counts[3];
    count_at_position(group, 3, SRV_ORDER_STRICT, 12, 33000, 0, counts);
    assert_int_equal(counts[2], 0);
    unsigned long present[2] = {counts[1], counts[0]};
    const double shares[2] = {1.0 / 11.0, 10.0 / 11.0};
    assert_chi_square_below(present, shares, 2, 33000, CHI2_DF1);
}

static void test_strict_weights_30_10_10_come_first_31_10_10_of_51(void **state)
{
    (void)state;
    srv_record_t group[3] = {
        make_record("server2.example.net", 10, 30),
        make_record("server3.example.net", 10, 10),
        make_record("server4.example.net", 10, 10),
    };
    unsigned long counts[3];
    count_at_position(group, 3, SRV_ORDER_STRICT, 2782, 60000, 0, counts);
    const double shares[3] = {31.0 / 51.0, 10.0 / 51.0, 10.0 / 51.0};
    assert_chi_square_below(counts, shares, 3, 60000, CHI2_DF2);
}

/* ------------------------------------------------------------------ */
/* Weight 0 in weighted mode                                            */
/* ------------------------------------------------------------------ */

static void test_weighted_zero_weight_records_follow_the_weighted_ones_uniformly(void **state)
{
    (void)state;
    srv_record_t group[5] = {
        make_record("zero-a", 1, 0), make_record("five", 1, 5),
        make_record("zero-b", 1, 0), make_record("seven", 1, 7),
        make_record("zero-c", 1, 0),
    };
    srv_rng_t rng;
    srv_rng_seed(&rng, 13);
    /* The six orders of the three zeros, keyed by (first, second). */
    unsigned long orders[6] = {0};
    const unsigned long runs = 30000;
    for (unsigned long run = 0; run < runs; run++) {
        size_t perm[5], out_n;
        assert_int_equal(srv_order(group, 5, SRV_ORDER_WEIGHTED, &rng, perm, &out_n), SRV_OK);
        assert_int_equal(out_n, 5);
        assert_is_permutation(perm, 5, 5);
        assert_true(group[perm[0]].weight > 0);
        assert_true(group[perm[1]].weight > 0);
        size_t z0 = perm[2] / 2, z1 = perm[3] / 2;   /* indices 0,2,4 -> 0,1,2 */
        assert_int_equal(group[perm[2]].weight, 0);
        assert_int_equal(group[perm[3]].weight, 0);
        assert_int_equal(group[perm[4]].weight, 0);
        orders[z0 * 2 + (z1 > z0 ? z1 - 1 : z1)]++;
    }
    const double shares[6] = {1.0 / 6, 1.0 / 6, 1.0 / 6, 1.0 / 6, 1.0 / 6, 1.0 / 6};
    assert_chi_square_below(orders, shares, 6, runs, CHI2_DF5);
}

static void test_weighted_all_zero_group_is_uniform(void **state)
{
    (void)state;
    srv_record_t group[4] = {
        make_record("a", 3, 0), make_record("b", 3, 0),
        make_record("c", 3, 0), make_record("d", 3, 0),
    };
    srv_rng_t rng;
    srv_rng_seed(&rng, 14);
    /* All 24 permutations equally likely: index them by Lehmer code. */
    unsigned long orders[24] = {0};
    const unsigned long runs = 48000;
    for (unsigned long run = 0; run < runs; run++) {
        size_t perm[4], out_n;
        assert_int_equal(srv_order(group, 4, SRV_ORDER_WEIGHTED, &rng, perm, &out_n), SRV_OK);
        assert_is_permutation(perm, 4, 4);
        size_t code = 0;
        for (size_t i = 0; i < 4; i++) {
            size_t smaller_after = 0;
            for (size_t j = i + 1; j < 4; j++)
                smaller_after += perm[j] < perm[i];
            code = code * (4 - i) + smaller_after;
        }
        orders[code]++;
    }
    double shares[24];
    for (size_t i = 0; i < 24; i++)
        shares[i] = 1.0 / 24;
    assert_chi_square_below(orders, shares, 24, runs, CHI2_DF23);
}

/* ------------------------------------------------------------------ */
/* Seeds and custom sources                                             */
/* ------------------------------------------------------------------ */

static void build_mixed_records(srv_record_t *records, size_t n, uint64_t seed)
{
    srv_rng_t rng;
    srv_rng_seed(&rng, seed);
    for (size_t i = 0; i < n; i++)
        records[i] = make_record("t.example.net", (uint16_t)(srv_rng_below(&rng, 3) * 5),
                                 (uint16_t)srv_rng_below(&rng, 101));
}

static void test_same_seed_gives_the_same_order(void **state)
{
    (void)state;
    srv_record_t records[40];
    build_mixed_records(records, 40, 1);
    srv_order_mode_t modes[] = {SRV_ORDER_WEIGHTED, SRV_ORDER_STRICT};
    for (size_t m = 0; m < 2; m++) {
        srv_rng_t a, b;
        srv_rng_seed(&a, 123456789);
        srv_rng_seed(&b, 123456789);
        for (int run = 0; run < 200; run++) {
            size_t perm_a[40], perm_b[40], n_a, n_b;
            assert_int_equal(srv_order(records, 40, modes[m], &a, perm_a, &n_a), SRV_OK);
            assert_int_equal(srv_order(records, 40, modes[m], &b, perm_b, &n_b), SRV_OK);
            assert_int_equal(n_a, n_b);
            assert_memory_equal(perm_a, perm_b, n_a * sizeof *perm_a);
        }
    }
}

static void test_different_seeds_give_different_orders(void **state)
{
    (void)state;
    srv_record_t records[40];
    build_mixed_records(records, 40, 2);
    size_t first[40], out_n;
    srv_rng_t rng;
    srv_rng_seed(&rng, 0);
    assert_int_equal(srv_order(records, 40, SRV_ORDER_WEIGHTED, &rng, first, &out_n), SRV_OK);
    int differing = 0;
    for (uint64_t seed = 1; seed <= 100; seed++) {
        size_t perm[40];
        srv_rng_seed(&rng, seed);
        assert_int_equal(srv_order(records, 40, SRV_ORDER_WEIGHTED, &rng, perm, &out_n), SRV_OK);
        differing += memcmp(first, perm, sizeof perm) != 0;
    }
    /* 40 records in three groups: two seeds agreeing is rare, not impossible. */
    assert_true(differing >= 95);
}

static void test_rng_seed_repeats_the_sequence(void **state)
{
    (void)state;
    srv_rng_t a, b, c;
    srv_rng_seed(&a, 7);
    srv_rng_seed(&b, 7);
    srv_rng_seed(&c, 8);
    int differs_from_other_seed = 0;
    for (int i = 0; i < 1000; i++) {
        uint64_t x = srv_rng_next(&a);
        assert_true(x == srv_rng_next(&b));
        differs_from_other_seed += x != srv_rng_next(&c);
    }
    assert_int_equal(differs_from_other_seed, 1000);
}

static void test_rng_seed_os_gives_a_fresh_sequence(void **state)
{
    (void)state;
    srv_rng_t a, b;
    assert_int_equal(srv_rng_seed_os(&a), SRV_OK);
    assert_int_equal(srv_rng_seed_os(&b), SRV_OK);
    assert_null(a.next);
    assert_false(srv_rng_next(&a) == srv_rng_next(&b));
}

static uint64_t all_ones_source(void *ctx)
{
    (*(unsigned *)ctx)++;
    return UINT64_MAX;
}

static void test_custom_source_drives_every_draw(void **state)
{
    (void)state;
    srv_record_t records[REFERENCE_COUNT];
    reference_records(records);
    unsigned calls = 0;
    srv_rng_t rng;
    srv_rng_custom(&rng, all_ones_source, &calls);
    assert_true(srv_rng_next(&rng) == UINT64_MAX);
    assert_int_equal(calls, 1);
    /* All ones is the top of every range: below(bound) = bound - 1, so
     * each pick takes the last remaining record of the group. */
    assert_true(srv_rng_below(&rng, 50) == 49);
    calls = 0;
    size_t perm[REFERENCE_COUNT], out_n;
    assert_int_equal(srv_order(records, REFERENCE_COUNT, SRV_ORDER_WEIGHTED, &rng, perm, &out_n), SRV_OK);
    const size_t expected[] = {SERVER1, SERVER4, SERVER3, SERVER2, BACKUP};
    assert_memory_equal(perm, expected, sizeof expected);
    assert_int_equal(calls, 2);   /* two draws for three records, none for singletons */

    /* Strict: r = sum each time picks the last record too. */
    calls = 0;
    assert_int_equal(srv_order(records, REFERENCE_COUNT, SRV_ORDER_STRICT, &rng, perm, &out_n), SRV_OK);
    assert_memory_equal(perm, expected, sizeof expected);
    assert_int_equal(calls, 2);
}

struct scripted {
    const uint64_t *values;
    size_t count;
    size_t used;
};

static uint64_t scripted_source(void *ctx)
{
    struct scripted *script = ctx;
    assert_true(script->used < script->count);
    return script->values[script->used++];
}

static void test_rng_below_rejects_the_draw_that_would_bias_it(void **state)
{
    (void)state;
    /* bound 3: 2^64 mod 3 = 1, so a draw whose low word x * 3 mod 2^64 is 0
     * (x = 0) must be thrown away, or 0 would get one extra preimage. */
    const uint64_t values[] = {0, UINT64_MAX};
    struct scripted script = {values, 2, 0};
    srv_rng_t rng;
    srv_rng_custom(&rng, scripted_source, &script);
    assert_true(srv_rng_below(&rng, 3) == 2);
    assert_int_equal(script.used, 2);

    /* bound 2^63 + 1: x = 2 gives low word 2 < 2^64 mod bound = 2^63 - 1. */
    const uint64_t big_values[] = {2, 1};
    struct scripted big = {big_values, 2, 0};
    srv_rng_custom(&rng, scripted_source, &big);
    assert_true(srv_rng_below(&rng, (UINT64_C(1) << 63) + 1) == 0);
    assert_int_equal(big.used, 2);
}

static void test_rng_below_stays_in_range_and_is_uniform(void **state)
{
    (void)state;
    srv_rng_t rng;
    srv_rng_seed(&rng, 99);
    for (int i = 0; i < 1000; i++)
        assert_true(srv_rng_below(&rng, 1) == 0);

    unsigned long thirds[3] = {0};
    for (int i = 0; i < 30000; i++) {
        uint64_t x = srv_rng_below(&rng, 3);
        assert_true(x < 3);
        thirds[x]++;
    }
    const double third_shares[3] = {1.0 / 3, 1.0 / 3, 1.0 / 3};
    assert_chi_square_below(thirds, third_shares, 3, 30000, CHI2_DF2);

    /* Near 2^63 half the draws are rejected; the survivors must still
     * spread evenly over the quarters of the range. */
    const uint64_t bound = (UINT64_C(1) << 63) + 1;
    const uint64_t quarter = bound / 4 + 1;
    unsigned long quarters[4] = {0};
    for (int i = 0; i < 40000; i++) {
        uint64_t x = srv_rng_below(&rng, bound);
        assert_true(x < bound);
        quarters[x / quarter]++;
    }
    const double quarter_shares[4] = {0.25, 0.25, 0.25, 0.25};
    assert_chi_square_below(quarters, quarter_shares, 4, 40000, CHI2_DF3);
}

static void test_null_rng_uses_a_process_generator(void **state)
{
    (void)state;
    srv_record_t records[REFERENCE_COUNT];
    reference_records(records);
    unsigned long first_of_group[REFERENCE_COUNT] = {0};
    for (int run = 0; run < 3000; run++) {
        size_t perm[REFERENCE_COUNT], out_n;
        assert_int_equal(srv_order(records, REFERENCE_COUNT, SRV_ORDER_WEIGHTED, NULL, perm, &out_n), SRV_OK);
        assert_int_equal(perm[0], SERVER1);
        first_of_group[perm[1]]++;
    }
    /* Random, not stuck: every group member gets its turn. */
    assert_true(first_of_group[SERVER2] > 0);
    assert_true(first_of_group[SERVER3] > 0);
    assert_true(first_of_group[SERVER4] > 0);
}

/* ------------------------------------------------------------------ */
/* Target "." (RFC 2782: "decidedly not available")                    */
/* ------------------------------------------------------------------ */

static void test_lone_root_target_is_noservice(void **state)
{
    (void)state;
    srv_record_t records[1] = {make_record(".", 0, 0)};
    size_t perm[1], out_n = 99;
    assert_int_equal(srv_order(records, 1, SRV_ORDER_WEIGHTED, NULL, perm, &out_n), SRV_ENOSERVICE);
    assert_int_equal(out_n, 0);
}

static void test_two_root_targets_are_noservice(void **state)
{
    (void)state;
    srv_record_t records[2] = {make_record(".", 0, 0), make_record(".", 1, 5)};
    size_t perm[2], out_n = 99;
    assert_int_equal(srv_order(records, 2, SRV_ORDER_STRICT, NULL, perm, &out_n), SRV_ENOSERVICE);
    assert_int_equal(out_n, 0);
}

static void test_root_target_mixed_with_real_ones_is_dropped(void **state)
{
    (void)state;
    srv_record_t records[4] = {
        make_record("a.example.net", 10, 5), make_record(".", 0, 0),
        make_record("b.example.net", 10, 5), make_record(".", 10, 50),
    };
    srv_rng_t rng;
    srv_rng_seed(&rng, 3);
    for (int run = 0; run < 100; run++) {
        size_t perm[4], out_n;
        assert_int_equal(srv_order(records, 4, SRV_ORDER_WEIGHTED, &rng, perm, &out_n), SRV_OK);
        assert_int_equal(out_n, 2);
        assert_true((perm[0] == 0 && perm[1] == 2) || (perm[0] == 2 && perm[1] == 0));
    }
}

static void test_no_records_is_an_empty_order(void **state)
{
    (void)state;
    size_t out_n = 99;
    assert_int_equal(srv_order(NULL, 0, SRV_ORDER_WEIGHTED, NULL, NULL, &out_n), SRV_OK);
    assert_int_equal(out_n, 0);
}

static void test_bad_arguments_are_einval(void **state)
{
    (void)state;
    srv_record_t records[1] = {make_record("a", 0, 0)};
    size_t perm[1], out_n;
    assert_int_equal(srv_order(records, 1, SRV_ORDER_WEIGHTED, NULL, NULL, &out_n), SRV_EINVAL);
    assert_int_equal(srv_order(records, 1, SRV_ORDER_WEIGHTED, NULL, perm, NULL), SRV_EINVAL);
    assert_int_equal(srv_order(records, 1, (srv_order_mode_t)7, NULL, perm, &out_n), SRV_EINVAL);
    assert_int_equal(srv_recordset_order(NULL, SRV_ORDER_WEIGHTED, NULL), SRV_EINVAL);
}

/* ------------------------------------------------------------------ */
/* Many records: the Fenwick path                                       */
/* ------------------------------------------------------------------ */

static void test_fenwick_finds_the_record_whose_range_holds_r(void **state)
{
    (void)state;
    /* Weights 3, 0, 2, 5: ranges [0,3) [3,3) [3,5) [5,10). */
    uint64_t tree[5] = {0, 3, 0, 2, 5};
    fenwick_t fw;
    fenwick_build_in_place(&fw, tree, 4);
    const size_t expected[10] = {0, 0, 0, 2, 2, 3, 3, 3, 3, 3};
    for (uint64_t r = 0; r < 10; r++)
        assert_int_equal(fenwick_find(&fw, r), expected[r]);
    fenwick_subtract(&fw, 2, 2);   /* now [0,3) then [3,8) for position 3 */
    for (uint64_t r = 3; r < 8; r++)
        assert_int_equal(fenwick_find(&fw, r), 3);
    fenwick_subtract(&fw, 0, 3);
    assert_int_equal(fenwick_find(&fw, 0), 3);
}

static void test_many_records_give_a_permutation_in_priority_order(void **state)
{
    (void)state;
    const size_t n = 5000;
    srv_record_t *records = malloc(n * sizeof *records);
    size_t *perm = malloc(n * sizeof *perm);
    assert_non_null(records);
    assert_non_null(perm);
    srv_rng_t rng;
    srv_rng_seed(&rng, 5000);
    for (size_t i = 0; i < n; i++) {
        /* Priorities spread over both bytes so both radix passes run. */
        static const uint16_t priorities[] = {700, 5, 10, 300, 15, 65535};
        uint16_t weight = (uint16_t)srv_rng_below(&rng, 65536);
        if (i % 10 == 0)
            weight = 0;
        records[i] = make_record(i % 97 == 0 ? "." : "t.example.net",
                                 priorities[srv_rng_below(&rng, 6)], weight);
    }
    size_t roots = (n + 96) / 97;
    srv_order_mode_t modes[] = {SRV_ORDER_WEIGHTED, SRV_ORDER_STRICT};
    for (size_t m = 0; m < 2; m++) {
        size_t out_n;
        assert_int_equal(srv_order(records, n, modes[m], &rng, perm, &out_n), SRV_OK);
        assert_int_equal(out_n, n - roots);
        assert_is_permutation(perm, out_n, n);
        for (size_t i = 0; i < out_n; i++)
            assert_int_not_equal(perm[i] % 97, 0);
        for (size_t i = 1; i < out_n; i++) {
            const srv_record_t *before = &records[perm[i - 1]], *after = &records[perm[i]];
            assert_true(before->priority <= after->priority);
            /* Weighted mode: zeros close their group. Strict: they tend
             * to come first, but that is a tendency, not a rule. */
            if (modes[m] == SRV_ORDER_WEIGHTED && before->priority == after->priority)
                assert_false(before->weight == 0 && after->weight != 0);
        }
    }
    free(records);
    free(perm);
}

static void test_large_group_first_choice_follows_weights(void **state)
{
    (void)state;
    /* 200 records of one priority, weights cycling 1,2,3,4: the first pick
     * falls in each weight class with probability 10/20/30/40%. */
    enum { N = 200 };
    srv_record_t records[N];
    for (size_t i = 0; i < N; i++)
        records[i] = make_record("t", 1, (uint16_t)(1 + i % 4));
    srv_rng_t rng;
    srv_rng_seed(&rng, 200);
    unsigned long classes[4] = {0}, last_classes[4] = {0};
    const unsigned long runs = 20000;
    size_t *perm = malloc(N * sizeof *perm);
    assert_non_null(perm);
    for (unsigned long run = 0; run < runs; run++) {
        size_t out_n;
        assert_int_equal(srv_order(records, N, SRV_ORDER_WEIGHTED, &rng, perm, &out_n), SRV_OK);
        assert_int_equal(out_n, N);
        classes[perm[0] % 4]++;
        last_classes[perm[N - 1] % 4]++;
    }
    const double shares[4] = {0.1, 0.2, 0.3, 0.4};
    assert_chi_square_below(classes, shares, 4, runs, CHI2_DF3);
    /* The last record is most likely a light one: a weight-4 record
     * outlasting all others is far rarer than a weight-1 one. */
    assert_true(last_classes[0] > last_classes[1]);
    assert_true(last_classes[1] > last_classes[2]);
    assert_true(last_classes[2] > last_classes[3]);
    assert_is_permutation(perm, N, N);
    free(perm);
}

static void test_large_group_first_choice_follows_weights_across_classes(void **state)
{
    (void)state;
    /* Weights 5, 12, 40, 100 sit in four different power-of-two classes;
     * the class is chosen by its sum, the member by rejection. First-pick
     * shares: 5/157, 12/157, 40/157, 100/157 by weight. */
    enum { N = 40 };
    static const uint16_t weights[4] = {5, 12, 40, 100};
    srv_record_t records[N];
    for (size_t i = 0; i < N; i++)
        records[i] = make_record("t", 1, weights[i % 4]);
    unsigned long counts[N], by_weight[4] = {0};
    const unsigned long runs = 20000;
    count_at_position(records, N, SRV_ORDER_WEIGHTED, 157, runs, 0, counts);
    for (size_t i = 0; i < N; i++)
        by_weight[i % 4] += counts[i];
    const double shares[4] = {5.0 / 157, 12.0 / 157, 40.0 / 157, 100.0 / 157};
    assert_chi_square_below(by_weight, shares, 4, runs, CHI2_DF3);
    /* Inside one class, members are equally likely: the ten weight-100
     * records share their 100/157 evenly. */
    unsigned long heavy[10];
    for (size_t i = 0; i < 10; i++)
        heavy[i] = counts[4 * i + 3];
    double heavy_shares[10];
    for (size_t i = 0; i < 10; i++)
        heavy_shares[i] = 0.1;
    assert_chi_square_below(heavy, heavy_shares, 10, by_weight[3], 27.88);   /* df 9 */
}

static void test_large_group_terminates_with_a_source_that_never_accepts(void **state)
{
    (void)state;
    /* All ones makes every rejection test fail; after a bounded number of
     * tries an exact scan takes over, so the call still returns. */
    enum { N = 40 };
    srv_record_t records[N];
    for (size_t i = 0; i < N; i++)
        records[i] = make_record("t", 1, (uint16_t)(1 + 37 * i % 1000));
    unsigned calls = 0;
    srv_rng_t rng;
    srv_rng_custom(&rng, all_ones_source, &calls);
    size_t perm[N], out_n;
    assert_int_equal(srv_order(records, N, SRV_ORDER_WEIGHTED, &rng, perm, &out_n), SRV_OK);
    assert_int_equal(out_n, N);
    assert_is_permutation(perm, N, N);
    assert_true(calls < N * 70);
}

static void test_large_group_weighted_puts_zeros_last_uniformly(void **state)
{
    (void)state;
    /* 40 records, the even ones weight 0: the zeros fill positions 20..39
     * and the first of them is uniform over the 20 zero records. */
    enum { N = 40 };
    srv_record_t records[N];
    for (size_t i = 0; i < N; i++)
        records[i] = make_record("t", 1, (uint16_t)(i % 2 ? 100 + i : 0));
    srv_rng_t rng;
    srv_rng_seed(&rng, 40);
    unsigned long first_zero[20] = {0};
    const unsigned long runs = 20000;
    for (unsigned long run = 0; run < runs; run++) {
        size_t perm[N], out_n;
        assert_int_equal(srv_order(records, N, SRV_ORDER_WEIGHTED, &rng, perm, &out_n), SRV_OK);
        for (size_t i = 0; i < N / 2; i++)
            assert_true(perm[i] % 2 == 1);
        first_zero[perm[N / 2] / 2]++;
    }
    double shares[20];
    for (size_t i = 0; i < 20; i++)
        shares[i] = 1.0 / 20;
    assert_chi_square_below(first_zero, shares, 20, runs, CHI2_DF19);
}

static void test_large_group_strict_keeps_the_literal_bias(void **state)
{
    (void)state;
    /* 30 records of one priority: zeros at input 5 and 17, 28 records of
     * weight 1. Strict order is zero@5, zero@17, then the weighted ones in
     * input order (index 0 first); r in 0..28: r = 0 takes zero@5, r = 1
     * takes record 0, r = k the k-th weighted record. zero@17 never. */
    enum { N = 30 };
    srv_record_t records[N];
    for (size_t i = 0; i < N; i++)
        records[i] = make_record("t", 1, (uint16_t)(i == 5 || i == 17 ? 0 : 1));
    unsigned long counts[N];
    const unsigned long runs = 29000;
    count_at_position(records, N, SRV_ORDER_STRICT, 30, runs, 0, counts);
    assert_int_equal(counts[17], 0);
    unsigned long cells[3] = {counts[5], counts[0], runs - counts[5] - counts[0]};
    const double shares[3] = {1.0 / 29, 1.0 / 29, 27.0 / 29};
    assert_chi_square_below(cells, shares, 3, runs, CHI2_DF2);

    /* And the {1,1}-style bias at scale: 100 records of weight 1, r in
     * 0..100, the first one wins r = 0 and r = 1. */
    enum { M = 100 };
    srv_record_t ones[M];
    for (size_t i = 0; i < M; i++)
        ones[i] = make_record("t", 1, 1);
    unsigned long ones_counts[M];
    const unsigned long ones_runs = 101000;
    count_at_position(ones, M, SRV_ORDER_STRICT, 31, ones_runs, 0, ones_counts);
    unsigned long split[3] = {ones_counts[0], ones_counts[1], ones_runs - ones_counts[0] - ones_counts[1]};
    const double split_shares[3] = {2.0 / 101, 1.0 / 101, 98.0 / 101};
    assert_chi_square_below(split, split_shares, 3, ones_runs, CHI2_DF2);
}

/* ------------------------------------------------------------------ */
/* srv_recordset_order                                                  */
/* ------------------------------------------------------------------ */

static void add_record(srv_recordset_t *set, const char *target, uint16_t priority,
                       uint16_t weight)
{
    assert_int_equal(srv_recordset_add(set, "_xmpp-client._tcp.example.net", target,
                                       priority, weight, 5222, 300), SRV_OK);
}

static void test_recordset_order_permutes_and_drops_root_targets(void **state)
{
    (void)state;
    srv_recordset_t set;
    srv_recordset_init(&set);
    add_record(&set, "backup.example.net", 15, 0);
    add_record(&set, "server3.example.net", 10, 10);
    add_record(&set, ".", 0, 0);
    add_record(&set, "server2.example.net", 10, 30);
    add_record(&set, "server1.example.net", 5, 50);
    add_record(&set, "server4.example.net", 10, 10);
    srv_rng_t rng;
    srv_rng_seed(&rng, 1);
    assert_int_equal(srv_recordset_order(&set, SRV_ORDER_WEIGHTED, &rng), SRV_OK);
    assert_int_equal(set.count, 5);
    assert_string_equal(set.records[0].target, "server1.example.net");
    assert_int_equal(set.records[0].weight, 50);
    assert_string_equal(set.records[4].target, "backup.example.net");
    int seen = 0;
    for (size_t i = 1; i < 4; i++) {
        assert_int_equal(set.records[i].priority, 10);
        assert_string_equal(set.records[i].name, "_xmpp-client._tcp.example.net");
        seen |= 1 << (set.records[i].target[6] - '0');
    }
    assert_int_equal(seen, (1 << 2) | (1 << 3) | (1 << 4));
    srv_recordset_clear(&set);
}

static void test_recordset_order_leaves_a_lone_root_untouched(void **state)
{
    (void)state;
    srv_recordset_t set;
    srv_recordset_init(&set);
    add_record(&set, ".", 0, 0);
    srv_record_t *before = set.records;
    assert_int_equal(srv_recordset_order(&set, SRV_ORDER_WEIGHTED, NULL), SRV_ENOSERVICE);
    assert_int_equal(set.count, 1);
    assert_ptr_equal(set.records, before);
    assert_string_equal(set.records[0].target, ".");
    assert_true(srv_recordset_is_noservice(&set));
    srv_recordset_clear(&set);

    assert_int_equal(srv_recordset_order(&set, SRV_ORDER_WEIGHTED, NULL), SRV_OK);
    assert_int_equal(set.count, 0);
}

static void test_recordset_order_handles_many_records(void **state)
{
    (void)state;
    srv_recordset_t set;
    srv_recordset_init(&set);
    enum { N = 300 };
    char target[32];
    for (int i = 0; i < N; i++) {
        if (i % 7 == 3)
            snprintf(target, sizeof target, ".");
        else
            snprintf(target, sizeof target, "host%d.example.net", i);
        add_record(&set, target, (uint16_t)(i % 5), (uint16_t)(i % 11));
    }
    size_t roots = 0;
    for (int i = 0; i < N; i++)
        roots += i % 7 == 3;
    srv_rng_t rng;
    srv_rng_seed(&rng, 300);
    assert_int_equal(srv_recordset_order(&set, SRV_ORDER_STRICT, &rng), SRV_OK);
    assert_int_equal(set.count, N - roots);
    unsigned char seen[N] = {0};
    for (size_t i = 0; i < set.count; i++) {
        int host;
        assert_int_equal(sscanf(set.records[i].target, "host%d.", &host), 1);
        assert_true(host >= 0 && host < N);
        assert_int_equal(seen[host], 0);
        seen[host] = 1;
        assert_int_equal(set.records[i].priority, host % 5);
        assert_int_equal(set.records[i].weight, host % 11);
        if (i > 0)
            assert_true(set.records[i - 1].priority <= set.records[i].priority);
    }
    srv_recordset_clear(&set);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reference_server1_always_first_and_backup_always_last),
        cmocka_unit_test(test_weighted_first_choice_is_60_20_20_for_weights_30_10_10),
        cmocka_unit_test(test_weighted_second_choice_follows_from_the_first),
        cmocka_unit_test(test_weighted_reference_group_comes_first_60_20_20_when_server1_is_down),
        cmocka_unit_test(test_chi_square_check_rejects_the_strict_distribution),
        cmocka_unit_test(test_strict_weights_1_1_come_first_two_thirds_and_one_third),
        cmocka_unit_test(test_weighted_weights_1_1_come_first_half_the_time_each),
        cmocka_unit_test(test_strict_only_the_first_zero_weight_record_ever_comes_first),
        cmocka_unit_test(test_strict_zero_weight_records_go_first_even_after_weighted_input),
        cmocka_unit_test(test_strict_weights_30_10_10_come_first_31_10_10_of_51),
        cmocka_unit_test(test_weighted_zero_weight_records_follow_the_weighted_ones_uniformly),
        cmocka_unit_test(test_weighted_all_zero_group_is_uniform),
        cmocka_unit_test(test_same_seed_gives_the_same_order),
        cmocka_unit_test(test_different_seeds_give_different_orders),
        cmocka_unit_test(test_rng_seed_repeats_the_sequence),
        cmocka_unit_test(test_rng_seed_os_gives_a_fresh_sequence),
        cmocka_unit_test(test_custom_source_drives_every_draw),
        cmocka_unit_test(test_rng_below_rejects_the_draw_that_would_bias_it),
        cmocka_unit_test(test_rng_below_stays_in_range_and_is_uniform),
        cmocka_unit_test(test_null_rng_uses_a_process_generator),
        cmocka_unit_test(test_lone_root_target_is_noservice),
        cmocka_unit_test(test_two_root_targets_are_noservice),
        cmocka_unit_test(test_root_target_mixed_with_real_ones_is_dropped),
        cmocka_unit_test(test_no_records_is_an_empty_order),
        cmocka_unit_test(test_bad_arguments_are_einval),
        cmocka_unit_test(test_fenwick_finds_the_record_whose_range_holds_r),
        cmocka_unit_test(test_many_records_give_a_permutation_in_priority_order),
        cmocka_unit_test(test_large_group_first_choice_follows_weights),
        cmocka_unit_test(test_large_group_first_choice_follows_weights_across_classes),
        cmocka_unit_test(test_large_group_terminates_with_a_source_that_never_accepts),
        cmocka_unit_test(test_large_group_weighted_puts_zeros_last_uniformly),
        cmocka_unit_test(test_large_group_strict_keeps_the_literal_bias),
        cmocka_unit_test(test_recordset_order_permutes_and_drops_root_targets),
        cmocka_unit_test(test_recordset_order_leaves_a_lone_root_untouched),
        cmocka_unit_test(test_recordset_order_handles_many_records),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
