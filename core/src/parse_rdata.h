/* parse_rdata.h - reading the rdata of one record into the zone. */
#ifndef SRV_PARSE_RDATA_H
#define SRV_PARSE_RDATA_H

#include "parse_reader.h"
#include "parse_types.h"

/* Reads the rdata of a record of type `type` starting at the current token
 * and adds the record to reader->zone. Fixed-size rdata (SRV, A, MX, ...)
 * stops after its last field, so another record may follow on the same
 * line; REST-shaped rdata takes the rest of the logical line. */
srv_status_t parse_rdata(parse_reader_t *reader, const parse_entry_t *entry,
                         const parse_type_t *type);

#endif
