/*
 * fuzz_order.c - libFuzzer target for RFC 2782 ordering: srv_order() and
 * srv_recordset_order() in both modes.
 *
 * order.c picks among several code paths by size and shape (insertion,
 * counting or radix sort; linear scan, weight classes with rejection or a
 * Fenwick tree; stack or heap scratch), and the records come from DNS
 * replies anyone can write. This drives every path with records built from
 * the input and checks what srv.h promises whatever the weights are.
 *
 * Input:
 *   byte 0     shape: bits 0-1 priorities (as given, mod 4, & 0xF00F so the
 *              range is wide but the values few, all 0); bits 2-3 weights
 *              (as given, & 0xF, & 1, | 0x8000); bit 4 the random source
 *              (xoshiro seeded from bytes 1-8, or a source that replays the
 *              input after the records and then returns all ones, which
 *              never passes a rejection test); bits 5-7 k: each record
 *              is repeated 2^k times, so small inputs reach large groups
 *   bytes 1-8  seed
 *   byte 9     record count (at most 255)
 *   then       7 bytes a record: priority, weight, port (big-endian 16
 *              bits), flags (bit 0: target "."; bit 1: no owner name)
 *   the rest   the replayed random source
 * At most 300 records after repetition: past the 256 that fit the stack
 * scratch, and fast enough to run many inputs.
 *
 * Checked for each mode, besides ASan and UBSan:
 *  - n = 0 is SRV_OK with nothing; records all "." are SRV_ENOSERVICE with
 *    *out_n = 0; otherwise SRV_OK;
 *  - perm[0..*out_n) holds each index of a record whose target is not "."
 *    exactly once, and nothing else;
 *  - priorities never decrease along the order;
 *  - SRV_ORDER_WEIGHTED: inside a priority, no record of positive weight
 *    comes after one of weight 0 (srv.h);
 *  - the same seed (or the same replayed source) gives the same order;
 *  - srv_recordset_order() with the same source gives the set in exactly
 *    srv_order()'s order, the "." records dropped (their strings freed:
 *    ASan's leak check sees it), and a set of "." records untouched.
 */
#include "fuzz_check.h"

#define MAX_RECORDS 300

/* Replays bytes as 64-bit draws, then all ones forever. */
typedef struct replay {
    const uint8_t *bytes;
    size_t len;
    size_t pos;
} replay_t;

static uint64_t replay_next(void *ctx)
{
    replay_t *replay = ctx;
    uint64_t value = 0;
    for (int i = 0; i < 8; i++) {
        uint8_t byte = replay->pos < replay->len ? replay->bytes[replay->pos++] : 0xff;
        value = value << 8 | byte;
    }
    return value;
}

typedef struct source {
    int replaying;
    uint64_t seed;
    replay_t replay;
} source_t;

/* A fresh generator at the start of the source, for each call compared. */
static void source_start(source_t *source, srv_rng_t *rng)
{
    if (source->replaying) {
        source->replay.pos = 0;
        srv_rng_seed(rng, 0);
        srv_rng_custom(rng, replay_next, &source->replay);
    } else {
        srv_rng_seed(rng, source->seed);
    }
}

static uint16_t shape_priority(uint16_t priority, unsigned shape)
{
    switch (shape & 3) {
    case 0: return priority;
    case 1: return priority % 4;
    case 2: return priority & 0xF00F;
    default: return 0;
    }
}

static uint16_t shape_weight(uint16_t weight, unsigned shape)
{
    switch ((shape >> 2) & 3) {
    case 0: return weight;
    case 1: return weight & 0xF;
    case 2: return weight & 1;
    default: return weight | 0x8000;
    }
}

static int is_root(const srv_record_t *record)
{
    return strcmp(record->target, ".") == 0;
}

static void check_order(const srv_record_t *records, size_t n, srv_order_mode_t mode,
                        srv_status_t status, const size_t *perm, size_t out_n)
{
    size_t real = 0;
    for (size_t i = 0; i < n; i++)
        real += !is_root(&records[i]);
    if (n > 0 && real == 0) {
        FUZZ_CHECK(status == SRV_ENOSERVICE && out_n == 0, "all \".\": %s, %zu",
                   srv_status_code(status), out_n);
        return;
    }
    FUZZ_CHECK(status == SRV_OK, "status %s", srv_status_code(status));
    FUZZ_CHECK(out_n == real, "%zu of %zu records ordered", out_n, real);

    unsigned char *seen = calloc(n ? n : 1, 1);
    FUZZ_CHECK(seen != NULL, "out of memory");
    for (size_t i = 0; i < out_n; i++) {
        FUZZ_CHECK(perm[i] < n, "index %zu of %zu", perm[i], n);
        FUZZ_CHECK(!seen[perm[i]], "index %zu twice", perm[i]);
        FUZZ_CHECK(!is_root(&records[perm[i]]), "\".\" record %zu ordered", perm[i]);
        seen[perm[i]] = 1;
        if (i == 0)
            continue;
        const srv_record_t *previous = &records[perm[i - 1]], *current = &records[perm[i]];
        FUZZ_CHECK(previous->priority <= current->priority, "priority %u after %u",
                   current->priority, previous->priority);
        if (mode == SRV_ORDER_WEIGHTED && previous->priority == current->priority)
            FUZZ_CHECK(previous->weight > 0 || current->weight == 0,
                       "weight %u after weight 0 in priority %u", current->weight,
                       current->priority);
    }
    free(seen);
}

static void build_set(srv_recordset_t *set, const srv_record_t *records, size_t n)
{
    srv_recordset_init(set);
    for (size_t i = 0; i < n; i++)
        FUZZ_CHECK(srv_recordset_add(set, records[i].name, records[i].target,
                                     records[i].priority, records[i].weight, records[i].port,
                                     records[i].ttl) == SRV_OK, "add");
}

static void check_mode(const srv_record_t *records, size_t n, srv_order_mode_t mode,
                       source_t *source)
{
    size_t *perm = malloc((n ? n : 1) * sizeof *perm);
    size_t *again = malloc((n ? n : 1) * sizeof *again);
    FUZZ_CHECK(perm && again, "out of memory");
    srv_rng_t rng;

    size_t out_n = 12345;
    source_start(source, &rng);
    srv_status_t status = srv_order(records, n, mode, &rng, perm, &out_n);
    check_order(records, n, mode, status, perm, out_n);

    size_t again_n = 12345;
    source_start(source, &rng);
    srv_status_t again_status = srv_order(records, n, mode, &rng, again, &again_n);
    FUZZ_CHECK(again_status == status && again_n == out_n, "the same source, another result");
    FUZZ_CHECK(out_n == 0 || memcmp(perm, again, out_n * sizeof *perm) == 0,
               "the same source, another order");

    srv_recordset_t set;
    build_set(&set, records, n);
    source_start(source, &rng);
    srv_status_t set_status = srv_recordset_order(&set, mode, &rng);
    FUZZ_CHECK(set_status == status, "srv_recordset_order %s, srv_order %s",
               srv_status_code(set_status), srv_status_code(status));
    if (status == SRV_OK) {
        FUZZ_CHECK(set.count == out_n, "set of %zu, order of %zu", set.count, out_n);
        for (size_t i = 0; i < out_n; i++)
            FUZZ_CHECK(fuzz_same_record(&set.records[i], &records[perm[i]]),
                       "set position %zu is not record %zu", i, perm[i]);
    } else {
        srv_recordset_t untouched;
        build_set(&untouched, records, n);
        FUZZ_CHECK(fuzz_same_recordset(&set, &untouched), "%s changed the set",
                   srv_status_code(status));
        srv_recordset_clear(&untouched);
    }
    srv_recordset_clear(&set);
    free(perm);
    free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 10)
        return 0;
    unsigned shape = data[0];
    source_t source = { .replaying = (shape >> 4) & 1 };
    for (int i = 0; i < 8; i++)
        source.seed = source.seed << 8 | data[1 + i];
    size_t given = data[9];
    size_t available = (size - 10) / 7;
    if (given > available)
        given = available;
    const uint8_t *bytes = data + 10;
    source.replay.bytes = bytes + given * 7;
    source.replay.len = size - 10 - given * 7;

    size_t copies = (size_t)1 << (shape >> 5);
    size_t n = given * copies;
    if (n > MAX_RECORDS)
        n = MAX_RECORDS;

    /* Unique targets, so that a record can be told from its copies. */
    static char owner[] = "_x._tcp.example";
    srv_record_t *records = calloc(n ? n : 1, sizeof *records);
    char (*targets)[24] = malloc((n ? n : 1) * sizeof *targets);
    FUZZ_CHECK(records && targets, "out of memory");
    for (size_t i = 0; i < n; i++) {
        const uint8_t *r = bytes + (i % given) * 7;
        srv_record_t *record = &records[i];
        record->priority = shape_priority((uint16_t)(r[0] << 8 | r[1]), shape);
        record->weight = shape_weight((uint16_t)(r[2] << 8 | r[3]), shape);
        record->port = (uint16_t)(r[4] << 8 | r[5]);
        record->ttl = (uint32_t)i;
        if (r[6] & 1) {
            memcpy(targets[i], ".", 2);
        } else {
            snprintf(targets[i], sizeof targets[i], "t%zu.example", i);
        }
        record->target = targets[i];
        record->name = (r[6] & 2) ? NULL : owner;
    }

    check_mode(records, n, SRV_ORDER_WEIGHTED, &source);
    check_mode(records, n, SRV_ORDER_STRICT, &source);

    free(records);
    free(targets);
    return 0;
}
