/*
 * srv.h - public API of the srv core: SRV records, a presentation-format
 * parser, RFC 2782 ordering and an asynchronous resolver on c-ares.
 *
 * Conventions
 *  - Every fallible function returns srv_status_t; SRV_OK (0) is success.
 *  - Names are in presentation format without the trailing dot
 *    ("server1.example.net"); the root is ".".
 *  - Callbacks never run inside the call that submits a query: they run from
 *    srv_resolver_process*(), srv_resolver_run() or srv_resolver_destroy().
 *  - Data handed to a callback is valid only during the callback; copy what
 *    must outlive it (srv_recordset_copy()), or take an SRV result's records
 *    (srv_recordset_take()).
 *
 * The core has no Lua dependency.
 *
 * Contents: status codes, records, the presentation-format parser,
 * randomness, RFC 2782 ordering, DNS answers, the asynchronous resolver,
 * and the connection race (RFC 8305 Happy Eyeballs over SRV, XEP-0495).
 */
#ifndef SRV_H
#define SRV_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SRV_VERSION "0.1.0"

/* The version of the c-ares library srv runs on, e.g. "1.34.8" (the one
 * loaded at run time, which may differ from the headers srv was built
 * with). docs/c-api.md, "c-ares versions", says what differs between them. */
const char *srv_cares_version(void);

/* ------------------------------------------------------------------ */
/* Status codes                                                         */
/* ------------------------------------------------------------------ */

typedef enum srv_status {
    SRV_OK = 0,
    SRV_ENXDOMAIN,    /* "NXDOMAIN": the name does not exist */
    SRV_ENODATA,      /* "NODATA": the name exists, no SRV records (also a lone CNAME) */
    SRV_ENOSERVICE,   /* "NOSERVICE": a lone target "." (RFC 2782: decidedly not available) */
    SRV_ESERVFAIL,    /* "SERVFAIL": the server answered SERVFAIL */
    SRV_EREFUSED,     /* "REFUSED": the server answered REFUSED */
    SRV_ETIMEOUT,     /* "TIMEOUT": no answer within timeout x tries */
    SRV_EBADNAME,     /* "BADNAME": label > 63 or name > 255 octets, or not a name */
    SRV_EBADRESP,     /* "BADRESP": a malformed reply */
    SRV_ECANCELLED,   /* "CANCELLED": the resolver was destroyed while pending */
    SRV_ECONNREFUSED, /* "CONNREFUSED": every server refused the connection (ICMP/RST) */
    SRV_EFORMERR,     /* "FORMERR": the server could not read the query */
    SRV_ENOTIMP,      /* "NOTIMP": the server does not implement the query */
    SRV_ENOMEM,       /* "NOMEM": out of memory */
    SRV_EINVAL,       /* "INVAL": a bad argument (programmer error) */
    SRV_EPARSE,       /* "PARSE": presentation-format text could not be parsed */
    SRV_EDNS,         /* "DNSERROR": any other resolver failure */
    SRV_ESYSTEM,      /* "SYSTEM": a system call failed (e.g. getrandom) */
    SRV_ECONNECT,     /* "CONNECT": every connection attempt of a race failed */
    SRV_STATUS_COUNT
} srv_status_t;

/* A sentence for humans, e.g. "domain name not found". Never NULL. */
const char *srv_strerror(srv_status_t status);
/* The short code, e.g. "NXDOMAIN"; "OK" for SRV_OK. Never NULL. */
const char *srv_status_code(srv_status_t status);

/* ------------------------------------------------------------------ */
/* Records                                                              */
/* ------------------------------------------------------------------ */

#define SRV_NAME_MAX_WIRE   255   /* octets of a name in wire format (RFC 1035 2.3.4) */
#define SRV_LABEL_MAX       63    /* octets of one label */

typedef struct srv_record {
    char *name;        /* owner name ("_xmpp-client._tcp.example.net"); may be NULL */
    char *target;      /* "." for the root */
    uint32_t ttl;      /* seconds; values >= 2^31 arrive as 0 (RFC 2181 8) */
    uint16_t priority;
    uint16_t weight;
    uint16_t port;
} srv_record_t;

/* A growable array of records. Zero-initialised (or srv_recordset_init) is
 * empty. The set owns its records' strings, one allocation per record:
 * read them, but free or replace them only through the set's functions. */
typedef struct srv_recordset {
    srv_record_t *records;
    size_t count;
    size_t capacity;
} srv_recordset_t;

void srv_recordset_init(srv_recordset_t *set);
/* Frees every record and the array; the set is empty and reusable afterwards. */
void srv_recordset_clear(srv_recordset_t *set);
/* Appends a copy of the strings. name may be NULL. A trailing dot on name or
 * target is removed (except for the root "."). */
srv_status_t srv_recordset_add(srv_recordset_t *set, const char *name,
                               const char *target, uint16_t priority,
                               uint16_t weight, uint16_t port, uint32_t ttl);
/* Replaces dst's content by a deep copy of src. */
srv_status_t srv_recordset_copy(srv_recordset_t *dst, const srv_recordset_t *src);
/* Replaces dst's content by src's, which src gives up (it is left empty):
 * no copy, nothing to fail. */
void srv_recordset_take(srv_recordset_t *dst, srv_recordset_t *src);
/* Smallest TTL of the set; 0 for an empty set. */
uint32_t srv_recordset_min_ttl(const srv_recordset_t *set);
/* Nonzero when the set is exactly one record with target "." (RFC 2782). */
int srv_recordset_is_noservice(const srv_recordset_t *set);

/* Case-insensitive name comparison that ignores one trailing dot. */
int srv_name_equal(const char *a, const char *b);
/* Writes "name TTL IN SRV priority weight port target." (the name part is
 * left out when record->name is NULL). Returns the length it needed, like
 * snprintf. */
int srv_record_format(const srv_record_t *record, char *buf, size_t size);

/* ------------------------------------------------------------------ */
/* Presentation-format parser (RFC 1035 5.1 subset)                     */
/* ------------------------------------------------------------------ */

/* RR type numbers the parser knows by mnemonic. Others: TYPEnnn (RFC 3597). */
enum {
    SRV_RR_A = 1, SRV_RR_NS = 2, SRV_RR_CNAME = 5, SRV_RR_SOA = 6,
    SRV_RR_PTR = 12, SRV_RR_MX = 15, SRV_RR_TXT = 16, SRV_RR_AAAA = 28,
    SRV_RR_SRV = 33
};

typedef struct srv_parse_error {
    unsigned line;      /* 1-based */
    unsigned column;    /* 1-based, of the offending token */
    char reason[160];
} srv_parse_error_t;

/* Records one parse may add unless the options say otherwise: a bound, so
 * that a runaway or hostile text fails with a message, not by eating memory
 * (a DNS answer holds at most about 3,300 SRV records). */
#define SRV_PARSE_DEFAULT_MAX_RECORDS 1000000

typedef struct srv_parse_options {
    const char *origin;    /* initial $ORIGIN; NULL = the root */
    uint32_t default_ttl;  /* TTL when neither the record, an earlier record nor $TTL gives one */
    int srv_only;          /* nonzero: any type other than SRV is an error */
    size_t max_records;    /* records of every type one call may add; 0 = SRV_PARSE_DEFAULT_MAX_RECORDS */
} srv_parse_options_t;

/* A non-SRV record of a zone, rdata in canonical presentation text:
 * A/AAAA the address, CNAME/NS/PTR the name without trailing dot,
 * SOA "mname rname serial refresh retry expire minimum", others the
 * tokens joined by single spaces. */
typedef struct srv_rr {
    char *owner;
    char *rdata;
    uint32_t ttl;
    uint16_t type;
} srv_rr_t;

typedef struct srv_zone {
    srv_recordset_t srv;   /* the SRV records, owner in record.name, in text order */
    srv_rr_t *rrs;         /* every other record, in text order */
    size_t rr_count;
    size_t rr_capacity;
} srv_zone_t;

void srv_parse_options_init(srv_parse_options_t *opts); /* root origin, TTL 3600, any type, default bound */
void srv_zone_init(srv_zone_t *zone);
void srv_zone_clear(srv_zone_t *zone);

/*
 * Parses zone-file text: $ORIGIN, $TTL, '@', relative and absolute names,
 * ';' comments, optional TTL and class in either order, any case, owner
 * omitted by leading white space, and several records back to back on one
 * line ("a. 60 IN SRV 1 2 3 t. b. 60 IN SRV 1 2 3 u."), as pasted text has.
 * On error returns SRV_EPARSE (or SRV_ENOMEM), fills err (may be NULL) and
 * leaves zone as it was before the call: never a partial result.
 * opts may be NULL (defaults).
 */
srv_status_t srv_parse_zone(const char *text, size_t len,
                            const srv_parse_options_t *opts,
                            srv_zone_t *zone, srv_parse_error_t *err);

/* Parses SRV records only (srv_only, root origin, default TTL 3600) and
 * appends them to out. Same error contract as srv_parse_zone. */
srv_status_t srv_parse_srv(const char *text, size_t len, srv_recordset_t *out,
                           srv_parse_error_t *err);

/* ------------------------------------------------------------------ */
/* Randomness                                                           */
/* ------------------------------------------------------------------ */

/* xoshiro256** by default; a custom source can be injected. */
typedef struct srv_rng {
    uint64_t state[4];
    uint64_t (*next)(void *ctx);   /* NULL: the built-in generator */
    void *ctx;
} srv_rng_t;

/* Same seed, same sequence. */
void srv_rng_seed(srv_rng_t *rng, uint64_t seed);
/* Seeds from the OS (getrandom(2)). */
srv_status_t srv_rng_seed_os(srv_rng_t *rng);
/* Every draw calls next(ctx). */
void srv_rng_custom(srv_rng_t *rng, uint64_t (*next)(void *ctx), void *ctx);
uint64_t srv_rng_next(srv_rng_t *rng);
/* Uniform in [0, bound); bound must be > 0. Unbiased (Lemire's method). */
uint64_t srv_rng_below(srv_rng_t *rng, uint64_t bound);

/* ------------------------------------------------------------------ */
/* RFC 2782 ordering                                                    */
/* ------------------------------------------------------------------ */

typedef enum srv_order_mode {
    /* Priority ascending; inside a priority each remaining record of
     * positive weight comes next with probability weight / remaining sum;
     * weight-0 records follow the weighted ones of their priority in
     * uniform random order (all zero: uniform). O(n log n). */
    SRV_ORDER_WEIGHTED = 0,
    /* The RFC's literal text: weight-0 records first, random number in
     * 0..sum inclusive, first running sum >= it. Biased, kept for
     * interoperability tests. */
    SRV_ORDER_STRICT = 1
} srv_order_mode_t;

/*
 * Computes an order of records[0..n): writes the chosen indices to
 * perm[0..*out_n). Records with target "." are left out. When n > 0 and
 * every record is ".", returns SRV_ENOSERVICE with *out_n = 0.
 * rng NULL: a generator seeded from the OS once per process.
 */
srv_status_t srv_order(const srv_record_t *records, size_t n,
                       srv_order_mode_t mode, srv_rng_t *rng,
                       size_t *perm, size_t *out_n);

/* Reorders set in place (dropping "." records). SRV_ENOSERVICE leaves the
 * set untouched. */
srv_status_t srv_recordset_order(srv_recordset_t *set, srv_order_mode_t mode,
                                 srv_rng_t *rng);

/* ------------------------------------------------------------------ */
/* DNS answers                                                          */
/* ------------------------------------------------------------------ */

/*
 * Reads a DNS reply to an SRV query for qname: appends the SRV records of
 * the answer section (owner qname or an alias CNAME'd from it, the records
 * in any order; 8 aliases at most) with their TTLs to out, and sets *negative_ttl from the authority SOA
 * (min(SOA TTL, SOA minimum), RFC 2308) or 0. Returns SRV_OK,
 * SRV_ENOSERVICE (lone "."), SRV_ENXDOMAIN, SRV_ENODATA (includes an answer
 * holding only a CNAME), SRV_ESERVFAIL, SRV_EREFUSED, SRV_EFORMERR,
 * SRV_ENOTIMP, SRV_EDNS (any other RCODE), SRV_EBADRESP (malformed, or
 * not a reply to this query: one question, qname in any case, type SRV,
 * class IN), SRV_ENOMEM. On failure out holds no records from this call.
 */
srv_status_t srv_answer_parse(const unsigned char *reply, size_t len,
                              const char *qname, srv_recordset_t *out,
                              uint32_t *negative_ttl);

typedef struct srv_address {
    int family;          /* AF_INET or AF_INET6 */
    char text[46];       /* INET6_ADDRSTRLEN */
    uint32_t ttl;        /* seconds; values >= 2^31 arrive as 0 (RFC 2181 8) */
} srv_address_t;

/*
 * Reads a DNS reply to an address query for qname, qtype SRV_RR_A or
 * SRV_RR_AAAA, as srv_answer_parse reads an SRV reply (the same checks; the
 * question's type must be qtype): appends the addresses of qtype in the
 * answer section owned by qname or an alias, each with its TTL, to
 * *addresses, an array of *count entries grown with realloc() (start from
 * NULL and 0; release it with free()). Sets *negative_ttl as
 * srv_answer_parse does. Returns SRV_OK (at least one address),
 * SRV_ENODATA (none, also a lone CNAME), SRV_ENXDOMAIN, SRV_ESERVFAIL,
 * SRV_EREFUSED, SRV_EFORMERR, SRV_ENOTIMP, SRV_EDNS, SRV_EBADRESP,
 * SRV_ENOMEM, SRV_EINVAL (another qtype). On failure *addresses and *count
 * are as they were.
 */
srv_status_t srv_answer_parse_addresses(const unsigned char *reply, size_t len,
                                        const char *qname, uint16_t qtype,
                                        srv_address_t **addresses, size_t *count,
                                        uint32_t *negative_ttl);

/* ------------------------------------------------------------------ */
/* Asynchronous resolver                                                */
/* ------------------------------------------------------------------ */

typedef struct srv_resolver srv_resolver_t;

#define SRV_DEFAULT_MAX_INFLIGHT 50
/* A server that never answers fails a query in 6 s on c-ares 1.18 (2 s, then
 * 4 s: each further round doubles) and in 4 s on c-ares 1.34 (every try held
 * to timeout_ms); docs/c-api.md, "Timeouts". */
#define SRV_DEFAULT_TIMEOUT_MS 2000
#define SRV_DEFAULT_TRIES 2

typedef struct srv_resolver_options {
    const char *servers;   /* "ip[:port],[ipv6]:port,..."; NULL = system configuration */
    int timeout_ms;        /* first try's timeout; 0 = SRV_DEFAULT_TIMEOUT_MS */
    int tries;             /* tries per server; 0 = SRV_DEFAULT_TRIES */
    int edns;              /* nonzero: send EDNS0 (larger UDP answers) */
    size_t max_inflight;   /* queries on the wire at once; 0 = SRV_DEFAULT_MAX_INFLIGHT */
} srv_resolver_options_t;

void srv_resolver_options_init(srv_resolver_options_t *opts);
/* opts may be NULL (defaults). */
srv_status_t srv_resolver_new(srv_resolver_t **out, const srv_resolver_options_t *opts);
/* Every pending callback runs exactly once (SRV_ECANCELLED unless it had
 * already completed), then everything is freed. Called from inside a
 * callback, destruction is deferred until the processing call returns. */
void srv_resolver_destroy(srv_resolver_t *resolver);

typedef struct srv_srv_result {
    srv_status_t status;
    const char *name;                 /* as submitted */
    /* Answer order; non-empty only for SRV_OK and SRV_ENOSERVICE. Valid
     * during the callback, which may also take them instead of copying
     * (srv_recordset_take): the core frees what is left. */
    srv_recordset_t *records;
    uint32_t negative_ttl;            /* NXDOMAIN/NODATA: from the SOA, else 0 */
} srv_srv_result_t;

typedef void (*srv_srv_callback_t)(const srv_srv_result_t *result, void *arg);

/* Queues an SRV query. SRV_OK: the callback will run exactly once. Any other
 * return: it will not run.
 *
 * Identical queries share: a query of the same kind (SRV, or addresses) as
 * one still waiting or on the wire, for the same name as DNS compares names
 * (any case, RFC 4343; one trailing dot or none; "\DDD" and "\X" escapes as
 * the octets they stand for), sends nothing and takes no place under
 * max_inflight. It completes with that query's outcome, its own copy of it,
 * its callback running right after that query's (several: in the order they
 * were submitted); result->name is the name it was submitted with. Text that
 * is no name (empty, an empty label, a label over 63 octets, ...) is never
 * shared. A query submitted once the other has completed asks again. */
srv_status_t srv_resolver_query_srv(srv_resolver_t *resolver, const char *name,
                                    srv_srv_callback_t callback, void *arg);

typedef struct srv_addr_result {
    srv_status_t status;
    const char *name;
    const srv_address_t *addresses;   /* A and AAAA together */
    size_t count;
    /* A query of one family on explicit servers
     * (srv_resolver_query_addr_family): the negative TTL of its NXDOMAIN or
     * NODATA answer (RFC 2308, as for SRV). 0 for any other result. */
    uint32_t negative_ttl;
} srv_addr_result_t;

typedef void (*srv_addr_callback_t)(const srv_addr_result_t *result, void *arg);

/* Queues an A+AAAA resolution of name. With explicit servers it is an A and
 * an AAAA query read by srv_answer_parse_addresses(), merged: the addresses
 * of both families (A first); without any, NXDOMAIN from either, else the
 * failure of either, else NODATA (both said so). An IP literal is its own
 * address (TTL 0). With the system configuration it is ares_getaddrinfo(),
 * which reads the hosts file too, as c-ares does by default. */
srv_status_t srv_resolver_query_addr(srv_resolver_t *resolver, const char *name,
                                     srv_addr_callback_t callback, void *arg);

/* The same for one family: AF_INET (an A query alone), AF_INET6 (an AAAA
 * query alone) or AF_UNSPEC (srv_resolver_query_addr); SRV_EINVAL for any
 * other. What RFC 8305 section 3 asks: each family's answer as soon as it
 * is in. The result holds only addresses of that family; NODATA when the
 * name has none (an IP literal of the other family too); a failure is that
 * family's own. With the system configuration it is ares_getaddrinfo() for
 * that family. Identical queries share only within one family: a query of
 * one family never joins one of both families or of the other. */
srv_status_t srv_resolver_query_addr_family(srv_resolver_t *resolver, const char *name, int family,
                                            srv_addr_callback_t callback, void *arg);

/* Counters since the resolver was created. */
typedef struct srv_resolver_stats {
    /* Queries started: every query that did not join another, counted when
     * it leaves the in-flight FIFO. One per SRV query or address query,
     * however many DNS messages it takes (A and AAAA, retries, the other
     * servers); those answered without a message (an IP literal, an empty
     * name, one c-ares finds is no name) count too. */
    uint64_t queries;
    /* Queries that joined an identical one (see srv_resolver_query_srv). */
    uint64_t shared;
} srv_resolver_stats_t;

void srv_resolver_stats(const srv_resolver_t *resolver, srv_resolver_stats_t *out);

/* Event-loop integration ------------------------------------------------ */

#define SRV_POLL_READ  1
#define SRV_POLL_WRITE 2

typedef struct srv_pollfd {
    int fd;
    int events;   /* SRV_POLL_READ | SRV_POLL_WRITE */
} srv_pollfd_t;

/* Writes up to cap sockets to watch; returns how many there are. */
size_t srv_resolver_fds(const srv_resolver_t *resolver, srv_pollfd_t *out, size_t cap);
/* One descriptor (epoll) that polls readable when any socket is ready; for
 * loops that watch a single fd (cqueues convention). -1 on failure. Owned
 * by the resolver. */
int srv_resolver_pollfd(srv_resolver_t *resolver);
/* Milliseconds until srv_resolver_process() has work to do: 0 = now,
 * -1 = nothing pending. */
int srv_resolver_timeout_ms(srv_resolver_t *resolver);
/* Queries waiting, on the wire (or joined to one that is), or completed but
 * not yet delivered. */
size_t srv_resolver_pending(const srv_resolver_t *resolver);
/* Processes whatever is ready now (sockets, timeouts, queued queries,
 * completed callbacks) without blocking. */
srv_status_t srv_resolver_process(srv_resolver_t *resolver);
/* Same, for loops that know which socket is ready (-1 for none). */
srv_status_t srv_resolver_process_fd(srv_resolver_t *resolver, int read_fd, int write_fd);
/* Processes what is ready, first waiting for a socket up to max_wait_ms
 * (-1: no limit) and never past srv_resolver_timeout_ms(); returns at once
 * when nothing is pending. One poll() both waits and finds the ready
 * sockets: a loop of its own costs a system call less per round than
 * waiting on srv_resolver_pollfd() and then processing. */
srv_status_t srv_resolver_wait(srv_resolver_t *resolver, int max_wait_ms);
/* Blocks until nothing is pending. */
srv_status_t srv_resolver_run(srv_resolver_t *resolver);

/* ------------------------------------------------------------------ */
/* Connection race (RFC 8305 Happy Eyeballs, XEP-0495)                   */
/* ------------------------------------------------------------------ */

/* A non-blocking TCP connection race over addresses the caller resolved
 * (docs/c-api.md, "Connection race"). Driven like the resolver: watch
 * srv_connect_fds() or srv_connect_pollfd(), wake up after
 * srv_connect_timeout_ms(), call srv_connect_process(). No threads, no
 * blocking call, no callbacks: the caller asks for the outcome. */
typedef struct srv_connect srv_connect_t;

/* RFC 8305 5: the Connection Attempt Delay, recommended 250 ms; srv keeps
 * it within 100 ms .. 2 s. */
#define SRV_CONNECT_DEFAULT_DELAY_MS 250
#define SRV_CONNECT_MIN_DELAY_MS     100
#define SRV_CONNECT_MAX_DELAY_MS     2000
#define SRV_CONNECT_DEFAULT_TIMEOUT_MS 30000

typedef struct srv_connect_options {
    int attempt_delay_ms;    /* 0 = SRV_CONNECT_DEFAULT_DELAY_MS; clamped to MIN..MAX */
    int timeout_ms;          /* the whole race; 0 = SRV_CONNECT_DEFAULT_TIMEOUT_MS */
    int connect_timeout_ms;  /* one attempt; 0 = only the whole race's timeout */
    /* Nonzero: a connected socket does not win by itself. It is offered
     * (srv_connect_offer) and wins only when the caller accepts it, after
     * a TLS handshake or a greeting, say (XEP-0495); a rejected one counts
     * as failed and the next attempt starts at once. */
    int manual_accept;
} srv_connect_options_t;

typedef enum srv_attempt_result {
    SRV_ATTEMPT_PENDING = 0,  /* connect(2) in progress */
    SRV_ATTEMPT_OFFERED,      /* connected, offered, not yet accepted or rejected */
    SRV_ATTEMPT_CONNECTED,    /* the winner */
    SRV_ATTEMPT_REFUSED,      /* ECONNREFUSED: nothing listens there */
    SRV_ATTEMPT_TIMEOUT,      /* the attempt's or the race's timeout passed first */
    SRV_ATTEMPT_FAILED,       /* any other error (unreachable, no route, ...; see error) */
    SRV_ATTEMPT_CANCELLED,    /* closed because another won, or the race was cancelled */
    SRV_ATTEMPT_REJECTED      /* connected, then rejected by the caller */
} srv_attempt_result_t;

/* "pending", "offered", "connected", "refused", "timeout", "failed",
 * "cancelled", "rejected"; "unknown" otherwise. */
const char *srv_attempt_result_name(srv_attempt_result_t result);

/* One attempt: one address tried. Times in milliseconds from
 * srv_connect_start(); ended_ms is -1 while it is pending or offered. */
typedef struct srv_attempt {
    size_t candidate;         /* as given to srv_connect_add */
    int family;               /* AF_INET or AF_INET6 */
    char address[46];
    uint16_t port;
    int64_t started_ms;
    int64_t ended_ms;
    srv_attempt_result_t result;
    int error;                /* errno of REFUSED and FAILED, else 0 */
} srv_attempt_t;

void srv_connect_options_init(srv_connect_options_t *opts);
/* opts may be NULL (defaults). */
srv_status_t srv_connect_new(srv_connect_t **out, const srv_connect_options_t *opts);
/* Closes every descriptor the race still owns (an untaken winner too). */
void srv_connect_destroy(srv_connect_t *race);

/* Adds an address to try. candidate numbers the target it belongs to:
 * candidates are tried in ascending number (the caller's RFC 2782 order)
 * and, inside one candidate, the families alternate IPv6 first (RFC 8305
 * 4), each family in the order added. A running race takes addresses too
 * (RFC 8305 3: an answer that comes late joins the race): the address goes
 * among those not tried yet, in the same order, the families alternating
 * on from the candidate's last attempt; call srv_connect_process() next,
 * which starts it when it is due. SRV_EINVAL: not an IPv4 or IPv6
 * literal, port 0, or the race is over. */
srv_status_t srv_connect_add(srv_connect_t *race, size_t candidate,
                             const char *address, uint16_t port);
/* While more is non-zero, a running race that has tried every address it
 * has, with none pending, waits for srv_connect_add (its timeout still
 * runs) instead of ending with SRV_ECONNECT: the caller is still looking
 * addresses up. Set it back to 0 when the lookups are over, then call
 * srv_connect_process(). */
void srv_connect_expect_more(srv_connect_t *race, int more);
/* Starts the race: the first attempt now, the others one every attempt
 * delay while earlier ones are pending, at once when none is (RFC 8305 5).
 * SRV_EINVAL: already started. With no address the race ends at once
 * with SRV_ECONNECT. */
srv_status_t srv_connect_start(srv_connect_t *race);

/* Processes whatever is ready now without blocking: finished connects,
 * expired timers, attempts due. */
srv_status_t srv_connect_process(srv_connect_t *race);
/* Writes up to cap sockets to watch (SRV_POLL_WRITE); returns how many. */
size_t srv_connect_fds(const srv_connect_t *race, srv_pollfd_t *out, size_t cap);
/* One epoll descriptor standing for every socket (polls readable); owned by
 * the race; -1 on failure. */
int srv_connect_pollfd(srv_connect_t *race);
/* Milliseconds until srv_connect_process has work: 0 = now, -1 = the race
 * is over (or not started). An offered socket waits for the caller, but
 * the race's timeout still runs. */
int srv_connect_timeout_ms(const srv_connect_t *race);
/* Blocks, processing, until the race is over or offers a socket. */
srv_status_t srv_connect_run(srv_connect_t *race);

/* Whether the race is over; its status then: SRV_OK (a winner),
 * SRV_ECONNECT (every attempt failed), SRV_ETIMEOUT (the race's timeout),
 * SRV_ECANCELLED (srv_connect_cancel). */
int srv_connect_done(const srv_connect_t *race);
srv_status_t srv_connect_status(const srv_connect_t *race);
/* Index into the attempts of the winner, -1 when there is none. */
long srv_connect_winner(const srv_connect_t *race);
/* The winner's descriptor, now the caller's (connected, non-blocking,
 * close-on-exec);
 * -1 when there is no winner or it was taken already. */
int srv_connect_take(srv_connect_t *race);

/* Manual accept: the index of the next attempt connected and not offered
 * yet, -1 when there is none. Its socket (attempts[i] fd:
 * srv_connect_attempt_fd) stays the race's until accepted or rejected. */
long srv_connect_offer(srv_connect_t *race);
int srv_connect_attempt_fd(const srv_connect_t *race, size_t attempt);
/* The offered attempt wins: every other attempt is closed (CANCELLED). */
srv_status_t srv_connect_accept(srv_connect_t *race, size_t attempt);
/* The offered attempt is closed (REJECTED), and the next starts at once. */
srv_status_t srv_connect_reject(srv_connect_t *race, size_t attempt);
/* Ends the race (SRV_ECANCELLED) unless it is over; every socket is closed. */
void srv_connect_cancel(srv_connect_t *race);

/* The attempts made so far, in the order they started. The array stays
 * where it is until srv_connect_add() on the running race or
 * srv_connect_destroy(). */
const srv_attempt_t *srv_connect_attempts(const srv_connect_t *race, size_t *count);
/* Milliseconds since srv_connect_start (to the end once the race is over). */
int64_t srv_connect_elapsed_ms(const srv_connect_t *race);

#ifdef __cplusplus
}
#endif

#endif /* SRV_H */
