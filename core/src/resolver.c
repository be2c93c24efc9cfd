/* resolver.c - asynchronous SRV and address queries on a c-ares channel.
 *
 * Queries above the in-flight limit wait in a FIFO: c-ares slows down
 * sharply with hundreds of queries outstanding on one channel (docs/c-api.md,
 * "Why an in-flight limit"), so the pipe is kept full at a size it handles
 * well. A query identical to one waiting or on the wire joins it instead
 * (docs/c-api.md, "Identical queries share"). Completed queries move to a
 * done list and their callbacks run from the processing calls, never from
 * inside c-ares nor inside the call that submitted them. */
#include "resolver_internal.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

void srv_resolver_options_init(srv_resolver_options_t *opts)
{
    memset(opts, 0, sizeof *opts);
    opts->timeout_ms = SRV_DEFAULT_TIMEOUT_MS;
    opts->tries = SRV_DEFAULT_TRIES;
    opts->max_inflight = SRV_DEFAULT_MAX_INFLIGHT;
}

static srv_status_t status_of_ares(int status)
{
    switch (status) {
    case ARES_SUCCESS:      return SRV_OK;
    case ARES_ENODATA:      return SRV_ENODATA;
    case ARES_ENOTFOUND:    return SRV_ENXDOMAIN;
    case ARES_ESERVFAIL:    return SRV_ESERVFAIL;
    case ARES_EREFUSED:     return SRV_EREFUSED;
    case ARES_EFORMERR:     return SRV_EFORMERR;
    case ARES_ENOTIMP:      return SRV_ENOTIMP;
    case ARES_ETIMEOUT:     return SRV_ETIMEOUT;
    case ARES_EBADNAME:
    case ARES_EBADQUERY:
    case ARES_EBADFAMILY:   return SRV_EBADNAME;
    case ARES_EBADRESP:     return SRV_EBADRESP;
    case ARES_ECONNREFUSED: return SRV_ECONNREFUSED;
    case ARES_ECANCELLED:
    case ARES_EDESTRUCTION: return SRV_ECANCELLED;
    case ARES_ENOMEM:       return SRV_ENOMEM;
    default:                return SRV_EDNS;
    }
}

/* Statuses that come with the server's reply, which then says more than
 * the status: records, TTLs, the SOA of a negative answer. */
static int reply_is_readable(int status)
{
    switch (status) {
    case ARES_SUCCESS: case ARES_ENODATA: case ARES_ENOTFOUND:
    case ARES_ESERVFAIL: case ARES_EREFUSED: case ARES_EFORMERR: case ARES_ENOTIMP:
        return 1;
    default:
        return 0;
    }
}

/* A follower's own copy of its leader's outcome; the whole of it or, out
 * of memory, nothing and SRV_ENOMEM (srv.h: no partial results). */
static srv_status_t copy_outcome(query_t *follower, const query_t *leader)
{
    follower->negative_ttl = leader->negative_ttl;
    if (leader->records.count > 0 &&
        srv_recordset_copy(&follower->records, &leader->records) != SRV_OK)
        return SRV_ENOMEM;
    if (leader->address_count > 0) {
        follower->addresses = malloc(leader->address_count * sizeof *follower->addresses);
        if (!follower->addresses)
            return SRV_ENOMEM;
        memcpy(follower->addresses, leader->addresses,
               leader->address_count * sizeof *follower->addresses);
        follower->address_count = leader->address_count;
    }
    return leader->status;
}

/* A query's outcome is in. It stops being joinable, so that a query
 * submitted from now on asks again, and it moves to done with its
 * followers right behind it in the order they were submitted. */
static void settle(query_t *query, srv_status_t status)
{
    srv_resolver_t *resolver = query->resolver;
    query->status = status;
    if (query->joinable) {
        query_table_remove(&resolver->joinable, query);
        query->joinable = 0;
    }
    query_list_push(&resolver->done, query);
    query_t *follower = query->followers;
    resolver->following -= query->follower_count;
    query->followers = query->last_follower = NULL;
    query->follower_count = 0;
    while (follower) {
        query_t *next = follower->next;
        follower->status = copy_outcome(follower, query);
        query_list_push(&resolver->done, follower);
        follower = next;
    }
}

static void complete(query_t *query, srv_status_t status)
{
    query->resolver->inflight--;
    settle(query, status);
    /* The pipe is refilled when the processing call that ran this returns
     * (resolver_launch_waiting): never from inside a c-ares callback. */
}

static void ask(ares_channel channel, lookup_t *lookup);

/* Where a status was found: by srv's reader in a reply, or elsewhere (c-ares, srv). */
typedef enum { FOUND_ELSEWHERE, FOUND_BY_READER } found_by_t;

/* A SERVFAIL, REFUSED or NOTIMP from the first server is asked again of the
 * others, and so is a reply srv's reader finds malformed (c-ares took it, so
 * it asked no other server; a reply c-ares itself finds malformed has been
 * asked of the others already where c-ares reads replies first). Each
 * lookup of a query is retried on its own. This runs inside a callback of
 * the first channel and starts a query on the other one, never on the
 * channel whose callback it is. Returns 1 when the lookup went to the
 * fallback channel. */
static int retry_on_fallback(lookup_t *lookup, srv_status_t status, found_by_t found_by)
{
    srv_resolver_t *resolver = lookup->query->resolver;
    int retryable = status == SRV_ESERVFAIL || status == SRV_EREFUSED || status == SRV_ENOTIMP ||
                    (status == SRV_EBADRESP && found_by == FOUND_BY_READER);
    if (!retryable || !resolver->fallback || lookup->first_failure != SRV_OK || resolver->closing)
        return 0;
    lookup->first_failure = status;
    if (lookup->type == SRV_RR_SRV)
        srv_recordset_clear(&lookup->query->records);
    ask(resolver->fallback, lookup);
    return 1;
}

/* The fallback channel checks answers itself and says ECONNREFUSED when
 * every other server also failed or refused: the first server's answer
 * then says more. A success, a name error or no data stand as they are. */
static srv_status_t after_fallback(const lookup_t *lookup, srv_status_t status)
{
    if (lookup->first_failure == SRV_OK)
        return status;
    if (status == SRV_ECONNREFUSED || status == SRV_ETIMEOUT || status == SRV_ESERVFAIL ||
        status == SRV_EREFUSED || status == SRV_ENOTIMP)
        return lookup->first_failure;
    return status;
}

/* One result from the A and AAAA lookups (or the one getaddrinfo lookup):
 * the addresses of every family that has some, A first; with none, a
 * NXDOMAIN from either, else a failure of either (which leaves it unknown
 * whether the name has addresses), else NODATA: NODATA only when every
 * lookup says NODATA. */
static srv_status_t merge_addresses(query_t *query)
{
    size_t total = 0;
    for (size_t i = 0; i < query->lookup_count; i++)
        total += query->lookups[i].address_count;
    if (total > 0) {
        query->addresses = calloc(total, sizeof *query->addresses);
        if (!query->addresses)
            return SRV_ENOMEM;
        for (size_t i = 0; i < query->lookup_count; i++) {
            const lookup_t *lookup = &query->lookups[i];
            if (lookup->address_count == 0)
                continue;
            memcpy(query->addresses + query->address_count, lookup->addresses,
                   lookup->address_count * sizeof *lookup->addresses);
            query->address_count += lookup->address_count;
        }
        return SRV_OK;
    }
    srv_status_t failure = SRV_ENODATA;
    for (size_t i = 0; i < query->lookup_count; i++) {
        srv_status_t status = query->lookups[i].status;
        if (status == SRV_ENXDOMAIN)
            return SRV_ENXDOMAIN;
        if (status != SRV_OK && status != SRV_ENODATA && failure == SRV_ENODATA)
            failure = status;
    }
    return failure;
}

/* A lookup's answer: retried on the other servers, or kept; the query
 * completes with its last lookup. */
static void finish(lookup_t *lookup, srv_status_t status, found_by_t found_by)
{
    if (retry_on_fallback(lookup, status, found_by))
        return;
    lookup->status = after_fallback(lookup, status);
    query_t *query = lookup->query;
    if (--query->lookups_unanswered > 0)
        return;
    if (query->kind == QUERY_ADDR_INET || query->kind == QUERY_ADDR_INET6)
        /* One lookup: its negative TTL is the result's (srv.h). */
        query->negative_ttl = lookup->status == SRV_ENXDOMAIN || lookup->status == SRV_ENODATA
                              ? lookup->negative_ttl : 0;
    complete(query, query->kind == QUERY_SRV ? lookup->status : merge_addresses(query));
}

/* Any try that timed out, whatever the query's outcome (c-ares may have
 * gone on to another server, or the fallback channel's answer may stand in
 * for the first server's), may have left a connection in mid-message: the
 * sockets are reopened once the resolver is idle (reset_sockets_when_idle). */
static void note_timeouts(query_t *query, int status, int timeouts)
{
    if (timeouts > 0 || status == ARES_ETIMEOUT)
        query->resolver->reset_sockets = 1;
}

/* srv's own reading: SRV records into the query, addresses into the lookup. */
static srv_status_t read_reply(lookup_t *lookup, const cares_answer_t *answer)
{
    query_t *query = lookup->query;
    if (lookup->type == SRV_RR_SRV)
        return cares_answer_read(answer, query->name, &query->records, &query->negative_ttl);
    return cares_answer_read_addresses(answer, query->name, lookup->type, &lookup->addresses,
                                       &lookup->address_count, &lookup->negative_ttl);
}

static void on_reply(void *arg, int status, int timeouts, const cares_answer_t *answer)
{
    lookup_t *lookup = arg;
    srv_resolver_t *resolver = lookup->query->resolver;
    resolver->answering++;
    note_timeouts(lookup->query, status, timeouts);
    if (answer && reply_is_readable(status))
        finish(lookup, read_reply(lookup, answer), FOUND_BY_READER);
    else
        finish(lookup, status_of_ares(status), FOUND_ELSEWHERE);
    resolver->answering--;
}

static srv_status_t copy_addresses(lookup_t *lookup, const struct ares_addrinfo *info)
{
    size_t count = 0;
    for (const struct ares_addrinfo_node *node = info->nodes; node; node = node->ai_next)
        count++;
    if (count == 0)
        return SRV_ENODATA;
    lookup->addresses = calloc(count, sizeof *lookup->addresses);
    if (!lookup->addresses)
        return SRV_ENOMEM;
    for (const struct ares_addrinfo_node *node = info->nodes; node; node = node->ai_next) {
        srv_address_t *address = &lookup->addresses[lookup->address_count];
        const void *raw;
        if (node->ai_family == AF_INET)
            raw = &((const struct sockaddr_in *)(const void *)node->ai_addr)->sin_addr;
        else if (node->ai_family == AF_INET6)
            raw = &((const struct sockaddr_in6 *)(const void *)node->ai_addr)->sin6_addr;
        else
            continue;
        if (!inet_ntop(node->ai_family, raw, address->text, sizeof address->text))
            continue;
        address->family = node->ai_family;
        address->ttl = node->ai_ttl < 0 ? 0 : (uint32_t)node->ai_ttl;
        lookup->address_count++;
    }
    return lookup->address_count ? SRV_OK : SRV_ENODATA;
}

static void on_addrinfo(void *arg, int status, int timeouts, struct ares_addrinfo *info)
{
    lookup_t *lookup = arg;
    srv_resolver_t *resolver = lookup->query->resolver;
    resolver->answering++;
    note_timeouts(lookup->query, status, timeouts);
    srv_status_t result = status_of_ares(status);
    if (result == SRV_OK)
        result = info ? copy_addresses(lookup, info) : SRV_ENODATA;
    if (info)
        ares_freeaddrinfo(info);
    if (result != SRV_OK) {
        free(lookup->addresses);
        lookup->addresses = NULL;
        lookup->address_count = 0;
    }
    finish(lookup, result, FOUND_ELSEWHERE);
    resolver->answering--;
}

static int family_of(query_kind_t kind)
{
    return kind == QUERY_ADDR_INET ? AF_INET : kind == QUERY_ADDR_INET6 ? AF_INET6 : AF_UNSPEC;
}

static void ask(ares_channel channel, lookup_t *lookup)
{
    if (lookup->type != LOOKUP_GETADDRINFO) {
        lookup->reply_to = (cares_reply_t){on_reply, lookup};
        cares_query(channel, lookup->query->name, lookup->type, &lookup->reply_to);
    } else {
        struct ares_addrinfo_hints hints;
        memset(&hints, 0, sizeof hints);
        hints.ai_family = family_of(lookup->query->kind);
        /* NOSORT: RFC 6724 sorting in c-ares 1.18 connects a UDP socket to
         * every address; the order is the caller's business. */
        hints.ai_flags = ARES_AI_NOSORT;
        ares_getaddrinfo(channel, lookup->query->name, NULL, &hints, on_addrinfo, lookup);
    }
}

/* An IP literal is its own address, TTL 0, as ares_getaddrinfo() has it;
 * asked for the other family only, it has none (NODATA). */
static srv_status_t literal_address(query_t *query, int *is_literal)
{
    unsigned char raw[16];
    int family = inet_pton(AF_INET, query->name, raw) == 1 ? AF_INET
               : inet_pton(AF_INET6, query->name, raw) == 1 ? AF_INET6 : 0;
    *is_literal = family != 0;
    if (!family)
        return SRV_OK;
    int wanted = family_of(query->kind);
    if (wanted != AF_UNSPEC && wanted != family)
        return SRV_ENODATA;
    query->addresses = calloc(1, sizeof *query->addresses);
    if (!query->addresses)
        return SRV_ENOMEM;
    query->addresses[0].family = family;
    inet_ntop(family, raw, query->addresses[0].text, sizeof query->addresses[0].text);
    query->address_count = 1;
    return SRV_OK;
}

/* The lookups a query makes: SRV; A and AAAA with explicit servers (only
 * one of them for a query of one family), read by srv's reader like SRV
 * replies (docs/c-api.md, "The resolver"); else ares_getaddrinfo(), which
 * also reads the hosts file and follows the search list of the system
 * configuration. */
static void plan_lookups(srv_resolver_t *resolver, query_t *query)
{
    static const uint16_t srv_types[] = {SRV_RR_SRV};
    static const uint16_t address_types[] = {SRV_RR_A, SRV_RR_AAAA};
    static const uint16_t getaddrinfo_types[] = {LOOKUP_GETADDRINFO};
    const uint16_t *types = query->kind == QUERY_SRV ? srv_types
                          : resolver->explicit_servers ? address_types : getaddrinfo_types;
    query->lookup_count = 1;
    if (types == address_types) {
        if (query->kind == QUERY_ADDR_INET6)
            types = address_types + 1;
        else if (query->kind == QUERY_ADDR)
            query->lookup_count = 2;
    }
    for (size_t i = 0; i < query->lookup_count; i++)
        query->lookups[i] = (lookup_t){.query = query, .type = types[i], .first_failure = SRV_OK};
}

static void launch(srv_resolver_t *resolver, query_t *query)
{
    resolver->inflight++;
    resolver->stats.queries++;
    /* c-ares would ask for the root: an empty name is no name at all. */
    if (query->name[0] == '\0') {
        complete(query, SRV_EBADNAME);
        return;
    }
    if (query->kind != QUERY_SRV && resolver->explicit_servers) {
        int is_literal;
        srv_status_t status = literal_address(query, &is_literal);
        if (is_literal || status != SRV_OK) {
            complete(query, status);
            return;
        }
    }
    plan_lookups(resolver, query);
    /* Counted before the first is asked: c-ares may answer it inside the
     * call (a bad name). */
    query->lookups_unanswered = query->lookup_count;
    for (size_t i = 0; i < query->lookup_count; i++)
        ask(resolver->channel, &query->lookups[i]);
}

void resolver_launch_waiting(srv_resolver_t *resolver)
{
    /* Never from inside a c-ares callback: c-ares 1.34.7 and 1.34.8 can give
     * a query started there the ID of the query just answered, then drop
     * that ID when freeing the old one, and the new query is never answered
     * (docs/c-api.md, "c-ares versions"). The processing call refills the
     * pipe when c-ares returns. A launch can also complete synchronously
     * (c-ares reports a bad name inside ares_query); the outer loop carries
     * on. */
    if (resolver->launching || resolver->answering || resolver->closing)
        return;
    resolver->launching = 1;
    while (resolver->inflight < resolver->max_inflight && resolver->waiting.head)
        launch(resolver, query_list_pop(&resolver->waiting));
    resolver->launching = 0;
}

static void deliver(query_t *query)
{
    if (query->kind == QUERY_SRV) {
        srv_srv_result_t result = {
            .status = query->status,
            .name = query->name,
            .records = &query->records,
            .negative_ttl = query->negative_ttl,
        };
        query->callback.srv(&result, query->arg);
    } else {
        srv_addr_result_t result = {
            .status = query->status,
            .name = query->name,
            .addresses = query->addresses,
            .count = query->address_count,
            .negative_ttl = query->negative_ttl,
        };
        query->callback.addr(&result, query->arg);
    }
}

static void reset_sockets_when_idle(srv_resolver_t *resolver)
{
    if (!resolver->reset_sockets || resolver->inflight > 0 || resolver->closing)
        return;
    resolver->reset_sockets = 0;
    cares_reopen_sockets(resolver->channel);
    if (resolver->fallback)
        cares_reopen_sockets(resolver->fallback);
}

void resolver_deliver_done(srv_resolver_t *resolver)
{
    reset_sockets_when_idle(resolver);
    query_t *query;
    while ((query = query_list_pop(&resolver->done))) {
        deliver(query);
        query_free(query);
        /* A callback may have queued more work, or asked for destruction. */
        resolver_launch_waiting(resolver);
        if (resolver->destroy_requested && !resolver->closing)
            return;
    }
}

/* One c-ares channel with srv's options. check_answers = 0 sets
 * NOCHECKRESP: without it c-ares 1.18 reports SERVFAIL and REFUSED both as
 * ECONNREFUSED (docs/c-api.md, "c-ares details srv relies on"); with it they arrive as themselves, but c-ares no
 * longer moves on to the next server for them (see the fallback below). */
static srv_status_t init_channel(srv_resolver_t *resolver, const srv_resolver_options_t *opts,
                                 int check_answers, ares_channel *out)
{
    struct ares_options options;
    int mask = ARES_OPT_FLAGS | ARES_OPT_SOCK_STATE_CB;
    memset(&options, 0, sizeof options);
    options.flags = (check_answers ? 0 : ARES_FLAG_NOCHECKRESP) | (opts->edns ? ARES_FLAG_EDNS : 0);
    /* STAYOPEN: c-ares 1.18 closes a server's sockets whenever its last
     * query ends. Callbacks run after c-ares returns, so the next query is
     * submitted too late to keep them, and every lookup would pay for a new
     * socket (measured: a third of the throughput at one in flight). */
    options.flags |= ARES_FLAG_STAYOPEN;
    options.sock_state_cb = events_socket_state;
    options.sock_state_cb_data = resolver;
    /* srv's defaults, never c-ares' (5 s and 4 tries: 75 s for a silent
     * server on 1.18), nor resolv.conf's (docs/c-api.md, "Timeouts"). */
    int timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms : SRV_DEFAULT_TIMEOUT_MS;
    options.timeout = timeout_ms;
    options.tries = opts->tries > 0 ? opts->tries : SRV_DEFAULT_TRIES;
    mask |= ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES;
    cares_options_for_srv(&options, &mask, timeout_ms);
    char lookups[] = "b";
    if (opts->servers) {
        /* Explicit servers mean "ask these": no hosts file, no search list. */
        options.lookups = lookups;
        options.ndomains = 0;
        options.domains = NULL;
        mask |= ARES_OPT_LOOKUPS | ARES_OPT_DOMAINS;
    }
    int status = ares_init_options(out, &options, mask);
    if (status != ARES_SUCCESS)
        return status == ARES_ENOMEM ? SRV_ENOMEM : SRV_EDNS;
    return SRV_OK;
}

/* With two servers or more, a second channel asks the others, with c-ares'
 * own answer checks on, when the first answers SERVFAIL or REFUSED: the
 * failover c-ares does by itself without NOCHECKRESP. */
static srv_status_t init_fallback(srv_resolver_t *resolver, const srv_resolver_options_t *opts)
{
    srv_status_t status = init_channel(resolver, opts, 1, &resolver->fallback);
    if (status != SRV_OK)
        return status;
    int has_others = 0;
    int set = cares_servers_after_first(resolver->channel, resolver->fallback, &has_others);
    if (set != ARES_SUCCESS || !has_others) {
        ares_destroy(resolver->fallback);
        resolver->fallback = NULL;
    }
    return set == ARES_SUCCESS ? SRV_OK : SRV_ENOMEM;
}

static srv_status_t configure_channels(srv_resolver_t *resolver, const srv_resolver_options_t *opts)
{
    srv_status_t status = init_channel(resolver, opts, 0, &resolver->channel);
    if (status != SRV_OK)
        return status;
    resolver->explicit_servers = opts->servers != NULL;
    if (opts->servers) {
        int set = ares_set_servers_ports_csv(resolver->channel, opts->servers);
        if (set != ARES_SUCCESS)
            status = set == ARES_ENOMEM ? SRV_ENOMEM : SRV_EINVAL;
    }
    if (status == SRV_OK)
        status = init_fallback(resolver, opts);
    if (status != SRV_OK) {
        ares_destroy(resolver->channel);
        resolver->channel = NULL;
    }
    return status;
}

srv_status_t srv_resolver_new(srv_resolver_t **out, const srv_resolver_options_t *opts)
{
    srv_resolver_options_t defaults;
    if (!out)
        return SRV_EINVAL;
    *out = NULL;
    if (!opts) {
        srv_resolver_options_init(&defaults);
        opts = &defaults;
    }
    if (opts->timeout_ms < 0 || opts->tries < 0)
        return SRV_EINVAL;
    if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS)
        return SRV_EDNS;
    srv_resolver_t *resolver = calloc(1, sizeof *resolver);
    if (!resolver) {
        ares_library_cleanup();
        return SRV_ENOMEM;
    }
    resolver->epoll_fd = -1;
    resolver->max_inflight = opts->max_inflight ? opts->max_inflight : SRV_DEFAULT_MAX_INFLIGHT;
    srv_status_t status = configure_channels(resolver, opts);
    if (status != SRV_OK) {
        free(resolver);
        ares_library_cleanup();
        return status;
    }
    *out = resolver;
    return SRV_OK;
}

/* A query identical to one waiting or on the wire (same kind, same name
 * as DNS compares names) joins it: it sends nothing, takes no place under
 * the in-flight limit, and completes with it. Returns 1 when it joined;
 * else the query is joinable itself, unless its text is no name (c-ares
 * then fails it on its own, as before) or memory ran out. */
static int join(srv_resolver_t *resolver, query_t *query)
{
    if (query->key_length == 0)
        return 0;
    query_t *leader = query_table_find(&resolver->joinable, query);
    if (!leader) {
        query->joinable = query_table_insert(&resolver->joinable, query) == SRV_OK;
        return 0;
    }
    if (leader->last_follower)
        leader->last_follower->next = query;
    else
        leader->followers = query;
    leader->last_follower = query;
    leader->follower_count++;
    resolver->following++;
    resolver->stats.shared++;
    return 1;
}

static srv_status_t submit(srv_resolver_t *resolver, query_kind_t kind, const char *name,
                           query_callback_t callback, void *arg)
{
    int has_callback = kind == QUERY_SRV ? callback.srv != NULL : callback.addr != NULL;
    if (!resolver || !name || !has_callback)
        return SRV_EINVAL;
    if (resolver->closing || resolver->destroy_requested)
        return SRV_ECANCELLED;
    query_t *query = query_new(resolver, kind, name);
    if (!query)
        return SRV_ENOMEM;
    query->callback = callback;
    query->arg = arg;
    if (join(resolver, query))
        return SRV_OK;
    query_list_push(&resolver->waiting, query);
    resolver_launch_waiting(resolver);
    return SRV_OK;
}

srv_status_t srv_resolver_query_srv(srv_resolver_t *resolver, const char *name,
                                    srv_srv_callback_t callback, void *arg)
{
    return submit(resolver, QUERY_SRV, name, (query_callback_t){.srv = callback}, arg);
}

srv_status_t srv_resolver_query_addr(srv_resolver_t *resolver, const char *name,
                                     srv_addr_callback_t callback, void *arg)
{
    return submit(resolver, QUERY_ADDR, name, (query_callback_t){.addr = callback}, arg);
}

srv_status_t srv_resolver_query_addr_family(srv_resolver_t *resolver, const char *name, int family,
                                            srv_addr_callback_t callback, void *arg)
{
    query_kind_t kind = family == AF_INET ? QUERY_ADDR_INET
                      : family == AF_INET6 ? QUERY_ADDR_INET6
                      : family == AF_UNSPEC ? QUERY_ADDR : QUERY_SRV;
    if (kind == QUERY_SRV)
        return SRV_EINVAL;
    return submit(resolver, kind, name, (query_callback_t){.addr = callback}, arg);
}

size_t srv_resolver_pending(const srv_resolver_t *resolver)
{
    return resolver->waiting.count + resolver->inflight + resolver->following + resolver->done.count;
}

void srv_resolver_stats(const srv_resolver_t *resolver, srv_resolver_stats_t *out)
{
    *out = resolver->stats;
}

void resolver_destroy_now(srv_resolver_t *resolver)
{
    resolver->closing = 1;
    /* Never-sent queries are cancelled here; ares_destroy() calls back the
     * ones on the wire with ARES_EDESTRUCTION. Followers go with the query
     * they joined. Then every callback runs. */
    query_t *query;
    while ((query = query_list_pop(&resolver->waiting)))
        settle(query, SRV_ECANCELLED);
    ares_destroy(resolver->channel);
    resolver->channel = NULL;
    if (resolver->fallback)
        ares_destroy(resolver->fallback);
    resolver->fallback = NULL;
    resolver_deliver_done(resolver);
    query_table_release(&resolver->joinable);
    events_release(resolver);
    free(resolver);
    ares_library_cleanup();
}

void srv_resolver_destroy(srv_resolver_t *resolver)
{
    if (!resolver || resolver->closing)
        return;
    if (resolver->depth > 0) {
        /* Inside a callback: the processing call that ran it finishes the
         * job when it unwinds, so no caller is left holding freed state. */
        resolver->destroy_requested = 1;
        return;
    }
    resolver_destroy_now(resolver);
}
