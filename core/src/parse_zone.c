/* parse_zone.c - the srv_zone_t container the parser fills. */
#include "parse_zone.h"

#include <stdlib.h>
#include <string.h>

void srv_zone_init(srv_zone_t *zone)
{
    srv_recordset_init(&zone->srv);
    zone->rrs = NULL;
    zone->rr_count = 0;
    zone->rr_capacity = 0;
}

void srv_zone_clear(srv_zone_t *zone)
{
    srv_recordset_clear(&zone->srv);
    for (size_t i = 0; i < zone->rr_count; i++) {
        free(zone->rrs[i].owner);
        free(zone->rrs[i].rdata);
    }
    free(zone->rrs);
    zone->rrs = NULL;
    zone->rr_count = 0;
    zone->rr_capacity = 0;
}

/* Grows an array of element_size items to hold at least wanted, doubling
 * so that appends stay linear overall. On failure *items is unchanged. */
static srv_status_t reserve(void **items, size_t *capacity, size_t wanted,
                            size_t element_size)
{
    if (wanted <= *capacity)
        return SRV_OK;
    size_t grown = *capacity ? *capacity : 8;
    while (grown < wanted)
        grown *= 2;
    if (grown > SIZE_MAX / element_size)
        return SRV_ENOMEM;
    void *larger = realloc(*items, grown * element_size);
    if (!larger)
        return SRV_ENOMEM;
    *items = larger;
    *capacity = grown;
    return SRV_OK;
}

static srv_status_t reserve_rrs(srv_zone_t *zone, size_t wanted)
{
    void *items = zone->rrs;
    srv_status_t status = reserve(&items, &zone->rr_capacity, wanted, sizeof *zone->rrs);
    zone->rrs = items;
    return status;
}

static srv_status_t reserve_records(srv_recordset_t *set, size_t wanted)
{
    void *items = set->records;
    srv_status_t status = reserve(&items, &set->capacity, wanted, sizeof *set->records);
    set->records = items;
    return status;
}

srv_status_t parse_zone_add_rr(srv_zone_t *zone, const char *owner, char *rdata,
                               uint32_t ttl, uint16_t type)
{
    size_t owner_len = strlen(owner);
    char *owner_copy = malloc(owner_len + 1);
    if (!owner_copy || reserve_rrs(zone, zone->rr_count + 1) != SRV_OK) {
        free(owner_copy);
        free(rdata);
        return SRV_ENOMEM;
    }
    memcpy(owner_copy, owner, owner_len + 1);
    zone->rrs[zone->rr_count++] = (srv_rr_t){
        .owner = owner_copy, .rdata = rdata, .ttl = ttl, .type = type,
    };
    return SRV_OK;
}

/* Assumes dst has room: cannot fail. */
static void append_records(srv_recordset_t *dst, srv_recordset_t *src)
{
    if (src->count > 0)
        memcpy(dst->records + dst->count, src->records, src->count * sizeof *src->records);
    dst->count += src->count;
    free(src->records);
    srv_recordset_init(src);
}

srv_status_t parse_recordset_move_into(srv_recordset_t *dst, srv_recordset_t *src)
{
    if (reserve_records(dst, dst->count + src->count) != SRV_OK)
        return SRV_ENOMEM;
    append_records(dst, src);
    return SRV_OK;
}

srv_status_t parse_zone_move_into(srv_zone_t *dst, srv_zone_t *src)
{
    /* both reservations first, so that nothing moves unless everything can */
    if (reserve_records(&dst->srv, dst->srv.count + src->srv.count) != SRV_OK ||
        reserve_rrs(dst, dst->rr_count + src->rr_count) != SRV_OK)
        return SRV_ENOMEM;
    append_records(&dst->srv, &src->srv);
    if (src->rr_count > 0)
        memcpy(dst->rrs + dst->rr_count, src->rrs, src->rr_count * sizeof *src->rrs);
    dst->rr_count += src->rr_count;
    free(src->rrs);
    srv_zone_init(src);
    return SRV_OK;
}
