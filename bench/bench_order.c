/*
 * bench_order.c - srv_order() against the textbook RFC 2782 ordering.
 *
 * The baseline is the running-sum loop most resolvers carry (qsort by
 * priority; per priority group, again and again: sum the remaining weights,
 * draw 0..sum, scan for the first running sum >= the draw, swap it out).
 * That is O(n^2) per group. Both sides read the same srv_record_t array,
 * write an index permutation and draw from the same kind of srv_rng_t, in
 * this one process, so the ratio compares the algorithms and not the
 * machines.
 *
 * Not a test: it prints ns per ordering and the ratio srv/textbook, with
 * PASS or MISS beside each target, and exits 0 either way.
 */
#include "srv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Each timed batch runs at least this long; the median of REPEATS counts. */
#define BATCH_SECONDS 0.1
#define REPEATS 5

/* ------------------------------------------------------------------ */
/* The baseline                                                          */
/* ------------------------------------------------------------------ */

static int compare_priority(const void *a, const void *b)
{
    const srv_record_t *x = *(const srv_record_t *const *)a;
    const srv_record_t *y = *(const srv_record_t *const *)b;
    return (x->priority > y->priority) - (x->priority < y->priority);
}

/* RFC 2782's selection as usually written. scratch holds n pointers. */
static void textbook_order(const srv_record_t *records, size_t n, srv_rng_t *rng,
                           size_t *perm, const srv_record_t **scratch)
{
    for (size_t i = 0; i < n; i++)
        scratch[i] = &records[i];
    qsort(scratch, n, sizeof *scratch, compare_priority);

    size_t start = 0;
    while (start < n) {
        size_t end = start + 1;
        while (end < n && scratch[end]->priority == scratch[start]->priority)
            end++;
        for (; start < end; start++) {
            uint64_t sum = 0;
            for (size_t i = start; i < end; i++)
                sum += scratch[i]->weight;
            uint64_t r = srv_rng_below(rng, sum + 1);
            uint64_t running = 0;
            size_t chosen = start;
            for (; chosen < end; chosen++) {
                running += scratch[chosen]->weight;
                if (running >= r)
                    break;
            }
            const srv_record_t *picked = scratch[chosen];
            scratch[chosen] = scratch[start];
            scratch[start] = picked;
        }
    }
    for (size_t i = 0; i < n; i++)
        perm[i] = (size_t)(scratch[i] - records);
}

/* ------------------------------------------------------------------ */
/* Timing                                                                */
/* ------------------------------------------------------------------ */

typedef struct bench_case {
    size_t n;
    srv_record_t *records;
    char *names;              /* backing store of the targets */
    size_t *perm;
    const srv_record_t **scratch;
    srv_rng_t rng;
} bench_case_t;

static volatile size_t sink;   /* keeps the orderings from being optimised away */

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void run_srv(bench_case_t *c, unsigned long iterations)
{
    size_t out_n = 0, acc = 0;
    for (unsigned long i = 0; i < iterations; i++) {
        if (srv_order(c->records, c->n, SRV_ORDER_WEIGHTED, &c->rng, c->perm, &out_n) != SRV_OK) {
            fprintf(stderr, "bench_order: srv_order failed\n");
            exit(1);
        }
        acc += c->perm[0] + out_n;
    }
    sink += acc;
}

static void run_textbook(bench_case_t *c, unsigned long iterations)
{
    size_t acc = 0;
    for (unsigned long i = 0; i < iterations; i++) {
        textbook_order(c->records, c->n, &c->rng, c->perm, c->scratch);
        acc += c->perm[0];
    }
    sink += acc;
}

typedef void (*runner_t)(bench_case_t *c, unsigned long iterations);

/* Doubles the iteration count until one batch takes BATCH_SECONDS. */
static unsigned long calibrate(runner_t run, bench_case_t *c)
{
    unsigned long iterations = 1;
    for (;;) {
        double start = now_seconds();
        run(c, iterations);
        double elapsed = now_seconds() - start;
        if (elapsed >= BATCH_SECONDS)
            return iterations;
        if (elapsed < BATCH_SECONDS / 16)
            iterations *= 8;
        else
            iterations = (unsigned long)((double)iterations * BATCH_SECONDS / elapsed * 1.1) + 1;
    }
}

static double ns_per_call(runner_t run, bench_case_t *c, unsigned long iterations)
{
    double start = now_seconds();
    run(c, iterations);
    return (now_seconds() - start) * 1e9 / (double)iterations;
}

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* ------------------------------------------------------------------ */
/* Cases                                                                 */
/* ------------------------------------------------------------------ */

#define NAME_SIZE 48

static void build_case(bench_case_t *c, size_t n)
{
    c->n = n;
    c->records = calloc(n, sizeof *c->records);
    c->names = calloc(n, NAME_SIZE);
    c->perm = calloc(n, sizeof *c->perm);
    c->scratch = calloc(n, sizeof *c->scratch);
    if (!c->records || !c->names || !c->perm || !c->scratch) {
        fprintf(stderr, "bench_order: out of memory\n");
        exit(1);
    }
    srv_rng_t setup;
    srv_rng_seed(&setup, 2782);
    static const uint16_t reference_priority[5] = {5, 10, 10, 10, 15};
    static const uint16_t reference_weight[5] = {50, 30, 10, 10, 0};
    static const uint16_t priorities[3] = {5, 10, 15};
    for (size_t i = 0; i < n; i++) {
        char *name = c->names + i * NAME_SIZE;
        snprintf(name, NAME_SIZE, "server%zu.example.net", i + 1);
        c->records[i].target = name;
        c->records[i].port = 5222;
        c->records[i].ttl = 3600;
        if (n == 5) {
            c->records[i].priority = reference_priority[i];
            c->records[i].weight = reference_weight[i];
        } else {
            c->records[i].priority = priorities[srv_rng_below(&setup, 3)];
            c->records[i].weight = (uint16_t)srv_rng_below(&setup, 101);
        }
    }
    srv_rng_seed(&c->rng, 42);
}

static void free_case(bench_case_t *c)
{
    free(c->records);
    free(c->names);
    free(c->perm);
    free(c->scratch);
}

int main(void)
{
    static const struct {
        size_t n;
        double target;   /* srv/textbook must be at most this; 0 = none */
    } cases[] = {{5, 0.7}, {50, 0.0}, {500, 0.2}, {5000, 0.05}};

    printf("srv_order (SRV_ORDER_WEIGHTED) vs textbook RFC 2782 running sum\n");
    printf("median of %d batches of >= %.1f s each\n\n", REPEATS, BATCH_SECONDS);
    printf("%6s  %14s  %14s  %9s  %s\n", "n", "srv ns/order", "textbook ns", "ratio", "target");

    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        bench_case_t c;
        build_case(&c, cases[k].n);
        unsigned long srv_iterations = calibrate(run_srv, &c);
        unsigned long textbook_iterations = calibrate(run_textbook, &c);
        double srv_ns[REPEATS], textbook_ns[REPEATS];
        /* Interleaved, so drift (frequency scaling, a noisy neighbour)
         * hits both sides alike. */
        for (int r = 0; r < REPEATS; r++) {
            srv_ns[r] = ns_per_call(run_srv, &c, srv_iterations);
            textbook_ns[r] = ns_per_call(run_textbook, &c, textbook_iterations);
        }
        qsort(srv_ns, REPEATS, sizeof srv_ns[0], compare_double);
        qsort(textbook_ns, REPEATS, sizeof textbook_ns[0], compare_double);
        double srv_median = srv_ns[REPEATS / 2], textbook_median = textbook_ns[REPEATS / 2];
        double ratio = srv_median / textbook_median;
        printf("%6zu  %14.1f  %14.1f  %9.4f", c.n, srv_median, textbook_median, ratio);
        if (cases[k].target > 0.0)
            printf("  <= %.2f %s\n", cases[k].target, ratio <= cases[k].target ? "PASS" : "MISS");
        else
            printf("  (none)\n");
        fflush(stdout);
        free_case(&c);
    }
    return 0;
}
