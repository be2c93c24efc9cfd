/* fake_dns.h - a misbehaving DNS server on 127.0.0.1 for resolver tests,
 * run on a thread of the test process. Loopback only. */
#ifndef SRV_TEST_FAKE_DNS_H
#define SRV_TEST_FAKE_DNS_H

#include <pthread.h>
#include <stdatomic.h>

typedef enum fake_dns_mode {
    FAKE_DNS_SILENT,     /* reads queries, never answers: timeouts */
    FAKE_DNS_MALFORMED,  /* answers with the right id and question, then counts beyond the data */
    FAKE_DNS_SERVFAIL,   /* answers every query SERVFAIL */
    FAKE_DNS_REFUSED,    /* answers every query REFUSED */
    /* A and AAAA queries: the address (192.0.2.7, 2001:db8::7, TTL 60) of
     * real.fake.test, then the CNAME from the name asked to it; any other
     * type: NODATA */
    FAKE_DNS_ADDRESS_BEFORE_CNAME,
    /* A: 192.0.2.8 (TTL 60) at the name asked; AAAA: NODATA; any other type
     * SERVFAIL */
    FAKE_DNS_A_ONLY,
    /* A: NODATA; AAAA: SERVFAIL */
    FAKE_DNS_A_NODATA_AAAA_SERVFAIL,
    /* at the name asked, TTL 60: SRV "10 20 5060 target.fake.test"; A
     * 192.0.2.9; AAAA 2001:db8::9; any other type NODATA */
    FAKE_DNS_ANSWERS
} fake_dns_mode_t;

typedef struct fake_dns {
    int fd;
    int port;
    fake_dns_mode_t mode;
    atomic_int stop;
    atomic_int queries_seen;
    atomic_int last_arcount;   /* ARCOUNT of the last query: 1 when it carried EDNS0's OPT */
    pthread_t thread;
} fake_dns_t;

/* Binds a free UDP port on 127.0.0.1 and starts answering. 0 on success. */
int fake_dns_start(fake_dns_t *server, fake_dns_mode_t mode);
void fake_dns_stop(fake_dns_t *server);
/* A 127.0.0.1 UDP port with nothing bound to it (ICMP port unreachable). */
int fake_dns_closed_port(void);

#endif
