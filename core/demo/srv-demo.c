/*
 * srv-demo ZONE_FILE [SERVER]
 *
 * Shows the core at work on the bundled example zone: every SRV name of the
 * zone is resolved through DNS (SERVER, "ip:port") or, without a server,
 * read from the zone file itself; then one RFC 2782 order is drawn and the
 * first-choice shares over many draws are set beside what the RFC predicts,
 * with server1 up and with server1 down.
 */
#include "srv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { DRAWS = 100000 };

static char *read_file(const char *path, size_t *len)
{
    FILE *file = fopen(path, "rb");
    if (!file)
        return NULL;
    char *text = NULL;
    size_t size = 0, used = 0, got;
    char chunk[4096];
    while ((got = fread(chunk, 1, sizeof chunk, file)) > 0) {
        if (used + got > size) {
            size = (used + got) * 2;
            char *grown = realloc(text, size);
            if (!grown) {
                free(text);
                fclose(file);
                return NULL;
            }
            text = grown;
        }
        memcpy(text + used, chunk, got);
        used += got;
    }
    fclose(file);
    *len = used;
    return text ? text : calloc(1, 1);
}

typedef struct lookup {
    srv_status_t status;
    srv_recordset_t records;
} lookup_t;

static void keep_answer(const srv_srv_result_t *result, void *arg)
{
    lookup_t *lookup = arg;
    lookup->status = result->status;
    if (srv_recordset_copy(&lookup->records, result->records) != SRV_OK)
        lookup->status = SRV_ENOMEM;
}

/* Resolves name through DNS, or copies its records out of the zone. */
static srv_status_t records_for(const char *name, const srv_zone_t *zone,
                                srv_resolver_t *resolver, srv_recordset_t *out)
{
    if (!resolver) {
        for (size_t i = 0; i < zone->srv.count; i++) {
            const srv_record_t *r = &zone->srv.records[i];
            if (srv_name_equal(r->name, name) &&
                srv_recordset_add(out, r->name, r->target, r->priority, r->weight, r->port, r->ttl) != SRV_OK)
                return SRV_ENOMEM;
        }
        return out->count ? SRV_OK : SRV_ENODATA;
    }
    lookup_t lookup = {SRV_OK, {0}};
    srv_status_t status = srv_resolver_query_srv(resolver, name, keep_answer, &lookup);
    if (status == SRV_OK)
        status = srv_resolver_run(resolver);
    if (status == SRV_OK)
        status = lookup.status;
    *out = lookup.records;
    return status;
}

/* RFC 2782's chance that record i comes first: its weight share within the
 * lowest priority present (weight 0 only when all of that group are 0). */
static double predicted_first_share(const srv_recordset_t *set, size_t i)
{
    uint16_t lowest = 0xffff;
    uint64_t sum = 0;
    size_t group = 0;
    for (size_t j = 0; j < set->count; j++)
        if (set->records[j].priority < lowest)
            lowest = set->records[j].priority;
    for (size_t j = 0; j < set->count; j++)
        if (set->records[j].priority == lowest) {
            sum += set->records[j].weight;
            group++;
        }
    const srv_record_t *r = &set->records[i];
    if (r->priority != lowest)
        return 0.0;
    return sum ? (double)r->weight / (double)sum : 1.0 / (double)group;
}

static void print_first_choice_shares(const srv_recordset_t *set, srv_rng_t *rng)
{
    size_t *perm = calloc(set->count, sizeof *perm);
    unsigned long *firsts = calloc(set->count, sizeof *firsts);
    if (!perm || !firsts) {
        free(perm);
        free(firsts);
        return;
    }
    for (int draw = 0; draw < DRAWS; draw++) {
        size_t n;
        if (srv_order(set->records, set->count, SRV_ORDER_WEIGHTED, rng, perm, &n) == SRV_OK && n > 0)
            firsts[perm[0]]++;
    }
    printf("    %-26s %10s %10s\n", "first choice", "observed", "RFC 2782");
    for (size_t i = 0; i < set->count; i++)
        printf("    %-26s %9.1f%% %9.1f%%\n", set->records[i].target,
               100.0 * (double)firsts[i] / DRAWS, 100.0 * predicted_first_share(set, i));
    free(perm);
    free(firsts);
}

/* Priority ascending, then weight descending: the order people read a
 * zone in. Insertion sort: a handful of records. */
static void sort_for_display(srv_recordset_t *set)
{
    for (size_t i = 1; i < set->count; i++) {
        srv_record_t moving = set->records[i];
        size_t j = i;
        while (j > 0 && (set->records[j - 1].priority > moving.priority ||
                         (set->records[j - 1].priority == moving.priority &&
                          set->records[j - 1].weight < moving.weight))) {
            set->records[j] = set->records[j - 1];
            j--;
        }
        set->records[j] = moving;
    }
}

static void show_name(const char *name, const srv_zone_t *zone, srv_resolver_t *resolver, srv_rng_t *rng)
{
    srv_recordset_t records = {0};
    srv_status_t status = records_for(name, zone, resolver, &records);
    printf("\n%s  (%s)\n", name, resolver ? "resolved through DNS" : "read from the zone file");
    if (status != SRV_OK) {
        printf("  %s: %s\n", srv_status_code(status), srv_strerror(status));
        srv_recordset_clear(&records);
        return;
    }
    sort_for_display(&records);
    char line[1200];
    for (size_t i = 0; i < records.count; i++) {
        srv_record_format(&records.records[i], line, sizeof line);
        printf("  %s\n", line);
    }
    srv_recordset_t ordered = {0};
    if (srv_recordset_copy(&ordered, &records) == SRV_OK &&
        srv_recordset_order(&ordered, SRV_ORDER_WEIGHTED, rng) == SRV_OK) {
        printf("  one RFC 2782 order:");
        for (size_t i = 0; i < ordered.count; i++)
            printf(" %s:%u", ordered.records[i].target, (unsigned)ordered.records[i].port);
        printf("\n");
    }
    srv_recordset_clear(&ordered);
    if (records.count > 1) {
        print_first_choice_shares(&records, rng);
        /* What a client sees once the preferred target (lowest priority,
         * first after sorting) is down: it is tried last, so the next
         * priority group shares the first place. */
        srv_recordset_t without_first = {0};
        for (size_t i = 1; i < records.count; i++) {
            const srv_record_t *r = &records.records[i];
            srv_recordset_add(&without_first, r->name, r->target, r->priority, r->weight, r->port, r->ttl);
        }
        printf("  with %s down:\n", records.records[0].target);
        print_first_choice_shares(&without_first, rng);
        srv_recordset_clear(&without_first);
    }
    srv_recordset_clear(&records);
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: %s ZONE_FILE [SERVER_IP:PORT]\n", argv[0]);
        return 2;
    }
    size_t len;
    char *text = read_file(argv[1], &len);
    if (!text) {
        fprintf(stderr, "%s: cannot read %s\n", argv[0], argv[1]);
        return 1;
    }
    srv_zone_t zone;
    srv_zone_init(&zone);
    srv_parse_error_t error;
    srv_status_t status = srv_parse_zone(text, len, NULL, &zone, &error);
    free(text);
    if (status != SRV_OK) {
        fprintf(stderr, "%s:%u:%u: %s\n", argv[1], error.line, error.column, error.reason);
        return 1;
    }

    srv_resolver_t *resolver = NULL;
    if (argc == 3) {
        srv_resolver_options_t opts;
        srv_resolver_options_init(&opts);
        opts.servers = argv[2];
        opts.timeout_ms = 1000;
        status = srv_resolver_new(&resolver, &opts);
        if (status != SRV_OK) {
            fprintf(stderr, "%s: %s\n", argv[0], srv_strerror(status));
            srv_zone_clear(&zone);
            return 1;
        }
    }
    printf("srv %s demo: %zu SRV records in %s%s%s\n", SRV_VERSION, zone.srv.count, argv[1],
           resolver ? ", served by knotd on " : "", resolver ? argv[2] : "");

    srv_rng_t rng;
    srv_rng_seed(&rng, 2782);   /* fixed: the demo prints the same every run */
    for (size_t i = 0; i < zone.srv.count; i++) {
        const char *name = zone.srv.records[i].name;
        int seen = 0;
        for (size_t j = 0; j < i && !seen; j++)
            seen = srv_name_equal(zone.srv.records[j].name, name);
        if (!seen)
            show_name(name, &zone, resolver, &rng);
    }
    srv_resolver_destroy(resolver);
    srv_zone_clear(&zone);
    return 0;
}
