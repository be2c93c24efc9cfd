/* cares_compat.h - the c-ares calls whose form depends on the c-ares
 * version. srv builds against c-ares 1.18 through 1.34; every difference
 * between them is decided in cares_compat.c and nowhere else, so the rest
 * of the core reads the same on every version (docs/c-api.md, "c-ares
 * versions"). */
#ifndef SRV_CARES_COMPAT_H
#define SRV_CARES_COMPAT_H

#include "srv.h"

#include <ares.h>
#include <stddef.h>
#include <stdint.h>

/* True when the c-ares srv is built against is at least major.minor. */
#define CARES_AT_LEAST(major, minor) (ARES_VERSION >= (((major) << 16) | ((minor) << 8)))

/* A reply as c-ares hands it over: its octets before 1.28, the record
 * c-ares parsed from 1.28 (cares_compat.c). Valid only during the callback
 * it is given to; read it with cares_answer_read() or
 * cares_answer_read_addresses(). */
typedef struct cares_answer cares_answer_t;

/* Where a reply to cares_query() goes: the c-ares status, how many tries
 * timed out, and the reply when the server answered (NULL otherwise). The
 * caller owns the cares_reply_t and keeps it alive until the callback has
 * run. */
typedef void (*cares_reply_callback_t)(void *arg, int status, int timeouts, const cares_answer_t *answer);
typedef struct cares_reply {
    cares_reply_callback_t callback;
    void *arg;
} cares_reply_t;

/* Read a reply to an SRV query, or to an A or AAAA query, for qname as
 * srv_answer_parse() and srv_answer_parse_addresses() read a reply's
 * octets: with the same decisions (answer.h) and the same results. */
srv_status_t cares_answer_read(const cares_answer_t *answer, const char *qname, srv_recordset_t *out,
                               uint32_t *negative_ttl);
srv_status_t cares_answer_read_addresses(const cares_answer_t *answer, const char *qname, uint16_t qtype,
                                         srv_address_t **addresses, size_t *count, uint32_t *negative_ttl);

#if CARES_AT_LEAST(1, 28)
/* What the two do from 1.28: read the record c-ares parsed. */
srv_status_t cares_record_read(const ares_dns_record_t *record, const char *qname, srv_recordset_t *out,
                               uint32_t *negative_ttl);
srv_status_t cares_record_read_addresses(const ares_dns_record_t *record, const char *qname, uint16_t qtype,
                                         srv_address_t **addresses, size_t *count, uint32_t *negative_ttl);
#endif

/* Sends one query of type (SRV_RR_SRV, SRV_RR_A, SRV_RR_AAAA) for name, class
 * IN. The callback may run inside this call (a bad name). */
void cares_query(ares_channel channel, const char *name, uint16_t type, cares_reply_t *reply_to);

/* Adds the options only some versions have, set as srv needs them: no
 * query cache (srv hands out TTLs as the server sent them and leaves
 * caching to its callers), and timeout_ms (when > 0) as the upper bound of
 * the adaptive timeouts (where c-ares has them, the timeout option is only
 * the first try's, before the server's latency is known). */
void cares_options_for_srv(struct ares_options *options, int *mask, int timeout_ms);

/* Gives fallback every server of channel but the first. Sets *has_others
 * to 0 (and leaves fallback alone) when channel has one server. */
int cares_servers_after_first(ares_channel channel, ares_channel fallback, int *has_others);

/* Closes every socket of an idle channel, so that the next query opens
 * fresh ones; a no-op where c-ares closes a broken connection itself. */
void cares_reopen_sockets(ares_channel channel);

/* Hands c-ares the sockets that are ready (count may be 0: then only
 * timeouts are processed). Each entry's events say what it is ready for;
 * sockets of another channel are ignored. Every answer already received
 * on a ready socket is read. */
void cares_process(ares_channel channel, const srv_pollfd_t *ready, size_t count);

/* In the events of cares_process()'s entries (never in what srv.h hands
 * out): the socket is a datagram one, which c-ares reads to the end in one
 * call, so no version needs it handed over again. Without it a socket is
 * taken for a stream. */
#define CARES_POLL_DATAGRAM 0x100

#endif
