/* parse_zone.h - the srv_zone_t container the parser fills. */
#ifndef SRV_PARSE_ZONE_H
#define SRV_PARSE_ZONE_H

#include "srv.h"

/* Appends a record; copies owner, takes rdata (malloc'ed) in every case. */
srv_status_t parse_zone_add_rr(srv_zone_t *zone, const char *owner, char *rdata,
                               uint32_t ttl, uint16_t type);

/* Moves every record of src to the end of dst and leaves src empty. On
 * SRV_ENOMEM neither holds different records than before. */
srv_status_t parse_zone_move_into(srv_zone_t *dst, srv_zone_t *src);

/* The same for a record set. */
srv_status_t parse_recordset_move_into(srv_recordset_t *dst, srv_recordset_t *src);

#endif
