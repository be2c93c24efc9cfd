/* records.h - what the core's other files need of the record set's
 * insides (records.c). */
#ifndef SRV_RECORDS_H
#define SRV_RECORDS_H

#include "srv.h"

/* Frees a record's strings, which are one allocation: the target, then
 * the name (srv_recordset_add). */
void records_free_strings(srv_record_t *record);

#endif
