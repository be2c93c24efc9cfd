/* cares_compat.c - every c-ares version difference srv deals with, gated
 * here and only here (docs/c-api.md, "c-ares versions"), on ARES_VERSION or
 * on the option's own macro:
 *
 *         a query cache (ARES_OPT_QUERY_CACHE; on by default from 1.31)
 *         adaptive timeouts, bounded by ARES_OPT_MAXTIMEOUTMS
 *   1.24  ares_get_servers_csv; ares_get_servers_ports deprecated, and setting
 *         the same servers again no longer closes their sockets
 *   1.28  ares_query_dnsrec, whose parsed record srv reads; ares_query
 *         deprecated (its reply is one c-ares parsed and wrote again)
 *   1.34  ares_process_fds: many ready sockets in one call
 */
#include "cares_compat.h"

#include "answer.h"

#include <poll.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>

enum { CLASS_IN = 1 };

const char *srv_cares_version(void)
{
    return ares_version(NULL);
}

/* ---- options -------------------------------------------------------- */

void cares_options_for_srv(struct ares_options *options, int *mask, int timeout_ms)
{
    (void)options;   /* 1.18 has neither option */
    (void)mask;
#ifdef ARES_OPT_QUERY_CACHE
    options->qcache_max_ttl = 0;
    *mask |= ARES_OPT_QUERY_CACHE;
#endif
#ifdef ARES_OPT_MAXTIMEOUTMS
    /* Timeouts adapt to the server's measured latency (between 250 ms and
     * this bound): a try never waits longer than the caller asked. */
    if (timeout_ms > 0) {
        options->maxtimeout = timeout_ms;
        *mask |= ARES_OPT_MAXTIMEOUTMS;
    }
#else
    (void)timeout_ms;
#endif
}

/* ---- queries --------------------------------------------------------- */

#if CARES_AT_LEAST(1, 28)

/* c-ares has parsed the reply already: srv reads its record rather than
 * writing it back to octets for srv's reader, which cost more CPU than the
 * rest of srv's work on a lookup (docs/testing.md, "Lookups against raw
 * c-ares"). What the reply means is answer.c's decision, made on the same
 * facts (answer.h); names are written as srv's reader writes them. What
 * c-ares has checked or dropped while parsing, srv cannot see: slack after
 * a record's fields, and names of 17 to 128 compression pointers, are read
 * (docs/c-api.md, "c-ares versions"). */
struct cares_answer {
    const ares_dns_record_t *record;
};

static void on_dnsrec(void *arg, ares_status_t status, size_t timeouts, const ares_dns_record_t *dnsrec)
{
    cares_reply_t *reply_to = arg;
    cares_answer_t answer = {dnsrec};
    reply_to->callback(reply_to->arg, (int)status, timeouts > 0x7fff ? 0x7fff : (int)timeouts,
                       dnsrec ? &answer : NULL);
}

void cares_query(ares_channel channel, const char *name, uint16_t type, cares_reply_t *reply_to)
{
    (void)ares_query_dnsrec(channel, name, ARES_CLASS_IN, (ares_dns_rec_type_t)type, on_dnsrec, reply_to, NULL);
}

static int text_name(const char *name, char text[WIRE_NAME_TEXT_MAX])
{
    return name && wire_name_from_text(name, text);
}

/* A type c-ares does not know is ARES_REC_TYPE_RAW_RR, past 16 bits: none
 * srv reads, so it stands as type 0. */
static uint16_t rr_type(const ares_dns_rr_t *rr)
{
    ares_dns_rec_type_t type = ares_dns_rr_get_type(rr);
    return type > 0xffff ? 0 : (uint16_t)type;
}

/* The question as the walks use it: c-ares' name, and its text (which
 * answer.h keeps till the end). */
typedef struct question {
    const char *name;
    char text[WIRE_NAME_TEXT_MAX];
} question_t;

/* Whether c-ares gives name as the question's name: the owner of every
 * answer to the question, checked and converted once. */
static int is_question_name(const char *name, const question_t *question)
{
    return name && strcmp(name, question->name) == 0;
}

/* The text of a record's owner (the question's when it is the question's
 * name); NULL when it is no name. */
static const char *owner_text(const ares_dns_rr_t *rr, const question_t *question,
                              char text[WIRE_NAME_TEXT_MAX])
{
    const char *name = ares_dns_rr_get_name(rr);
    if (is_question_name(name, question))
        return question->text;
    return text_name(name, text) ? text : NULL;
}

/* The header and the question. c-ares has joined the OPT's bits to the
 * RCODE (RFC 6891 6.1.3), or made it SERVFAIL when it has no name for it. */
static srv_status_t read_question(const ares_dns_record_t *record, answer_t *answer, question_t *question)
{
    srv_status_t status = answer_header(answer, (ares_dns_record_get_flags(record) & ARES_FLAG_QR) != 0,
                                        (unsigned)ares_dns_record_get_rcode(record),
                                        (unsigned)ares_dns_record_query_cnt(record));
    if (status != SRV_OK)
        return status;
    ares_dns_rec_type_t type;
    ares_dns_class_t rr_class;
    if (ares_dns_record_query_get(record, 0, &question->name, &type, &rr_class) != ARES_SUCCESS ||
        !text_name(question->name, question->text))
        return SRV_EBADRESP;
    return answer_question(answer, question->text, type > 0xffff ? 0 : (uint16_t)type, (uint16_t)rr_class);
}

static int is_name(const char *name)
{
    return name && wire_name_from_text(name, NULL);
}

/* Whether the names of a record are names srv's reader of octets reads:
 * the owner of every record, and the names in the rdata of an SRV, CNAME
 * or SOA of class IN (answer.c, read_rr and rdata_is_whole). c-ares 1.34
 * parses names over 255 octets, which that reader refuses. */
static int names_read(const ares_dns_rr_t *rr, const question_t *question)
{
    const char *owner = ares_dns_rr_get_name(rr);
    if (!is_question_name(owner, question) && !is_name(owner))
        return 0;
    if (ares_dns_rr_get_class(rr) != ARES_CLASS_IN)
        return 1;
    switch (rr_type(rr)) {
    case SRV_RR_SRV:
        return is_name(ares_dns_rr_get_str(rr, ARES_RR_SRV_TARGET));
    case SRV_RR_CNAME:
        return is_name(ares_dns_rr_get_str(rr, ARES_RR_CNAME_CNAME));
    case SRV_RR_SOA:
        return is_name(ares_dns_rr_get_str(rr, ARES_RR_SOA_MNAME)) &&
               is_name(ares_dns_rr_get_str(rr, ARES_RR_SOA_RNAME));
    default:
        return 1;
    }
}

static const ares_dns_section_t SECTIONS[] = {ARES_SECTION_ANSWER, ARES_SECTION_AUTHORITY,
                                              ARES_SECTION_ADDITIONAL};

/* The first walk, as answer.c's over octets. */
static srv_status_t read_sections(const ares_dns_record_t *record, const question_t *question,
                                  answer_t *answer)
{
    char owner[WIRE_NAME_TEXT_MAX], target[WIRE_NAME_TEXT_MAX];
    const char *owner_name;
    for (answer_section_t section = ANSWER_SECTION; section <= ADDITIONAL_SECTION; section++) {
        size_t count = ares_dns_record_rr_cnt(record, SECTIONS[section]);
        for (size_t i = 0; i < count; i++) {
            const ares_dns_rr_t *rr = ares_dns_record_rr_get_const(record, SECTIONS[section], i);
            if (!names_read(rr, question))
                return SRV_EBADRESP;
            srv_status_t status = SRV_OK;
            switch (answer_wants(answer, section, rr_type(rr), (uint16_t)ares_dns_rr_get_class(rr))) {
            case ANSWER_OPT:   /* its RCODE bits are in ares_dns_record_get_rcode()'s */
                owner_name = owner_text(rr, question, owner);
                status = owner_name ? answer_note_opt(answer, section, owner_name, 0) : SRV_EBADRESP;
                break;
            case ANSWER_ALIAS:
                owner_name = owner_text(rr, question, owner);
                status = owner_name && text_name(ares_dns_rr_get_str(rr, ARES_RR_CNAME_CNAME), target)
                             ? answer_note_alias(answer, owner_name, target) : SRV_EBADRESP;
                break;
            case ANSWER_SOA:
                answer_note_soa(answer, ares_dns_rr_get_ttl(rr),
                                ares_dns_rr_get_u32(rr, ARES_RR_SOA_MINIMUM));
                break;
            case ANSWER_SKIP:
                break;
            }
            if (status != SRV_OK)
                return status;
        }
    }
    return SRV_OK;
}

/* The second walk: the answer records answer.h takes. */
static srv_status_t take_answers(const ares_dns_record_t *record, const question_t *question,
                                 answer_t *answer)
{
    char owner_buffer[WIRE_NAME_TEXT_MAX], target[WIRE_NAME_TEXT_MAX];
    size_t count = ares_dns_record_rr_cnt(record, ARES_SECTION_ANSWER);
    for (size_t i = 0; i < count; i++) {
        const ares_dns_rr_t *rr = ares_dns_record_rr_get_const(record, ARES_SECTION_ANSWER, i);
        uint16_t type = rr_type(rr);
        const char *owner = owner_text(rr, question, owner_buffer);
        if (!owner)
            return SRV_EBADRESP;
        if (!answer_takes(answer, owner, type, (uint16_t)ares_dns_rr_get_class(rr)))
            continue;
        srv_status_t status;
        if (type == SRV_RR_SRV) {
            if (!text_name(ares_dns_rr_get_str(rr, ARES_RR_SRV_TARGET), target))
                return SRV_EBADRESP;
            status = answer_take_srv(answer, owner, target, ares_dns_rr_get_u16(rr, ARES_RR_SRV_PRIORITY),
                                     ares_dns_rr_get_u16(rr, ARES_RR_SRV_WEIGHT),
                                     ares_dns_rr_get_u16(rr, ARES_RR_SRV_PORT), ares_dns_rr_get_ttl(rr));
        } else if (type == SRV_RR_A) {
            status = answer_take_address(answer, AF_INET, ares_dns_rr_get_addr(rr, ARES_RR_A_ADDR),
                                         ares_dns_rr_get_ttl(rr));
        } else {
            status = answer_take_address(answer, AF_INET6,
                                         ares_dns_rr_get_addr6(rr, ARES_RR_AAAA_ADDR)->_S6_un._S6_u8,
                                         ares_dns_rr_get_ttl(rr));
        }
        if (status != SRV_OK)
            return status;
    }
    return SRV_OK;
}

static srv_status_t read_record(const ares_dns_record_t *record, answer_t *answer)
{
    question_t question;
    srv_status_t status = read_question(record, answer, &question);
    if (status == SRV_OK)
        status = read_sections(record, &question, answer);
    if (status == SRV_OK)
        status = answer_follow(answer);
    if (status == SRV_OK)
        status = take_answers(record, &question, answer);
    return status;
}

srv_status_t cares_record_read(const ares_dns_record_t *record, const char *qname, srv_recordset_t *out,
                               uint32_t *negative_ttl)
{
    answer_t answer;
    answer_begin(&answer, qname, SRV_RR_SRV);
    return answer_end_srv(&answer, read_record(record, &answer), out, negative_ttl);
}

srv_status_t cares_record_read_addresses(const ares_dns_record_t *record, const char *qname, uint16_t qtype,
                                         srv_address_t **addresses, size_t *count, uint32_t *negative_ttl)
{
    answer_t answer;
    answer_begin(&answer, qname, qtype);
    return answer_end_addresses(&answer, read_record(record, &answer), addresses, count, negative_ttl);
}

srv_status_t cares_answer_read(const cares_answer_t *answer, const char *qname, srv_recordset_t *out,
                               uint32_t *negative_ttl)
{
    return cares_record_read(answer->record, qname, out, negative_ttl);
}

srv_status_t cares_answer_read_addresses(const cares_answer_t *answer, const char *qname, uint16_t qtype,
                                         srv_address_t **addresses, size_t *count, uint32_t *negative_ttl)
{
    return cares_record_read_addresses(answer->record, qname, qtype, addresses, count, negative_ttl);
}

#else

struct cares_answer {
    const unsigned char *octets;
    size_t len;
};

static void on_reply(void *arg, int status, int timeouts, unsigned char *reply, int reply_len)
{
    cares_reply_t *reply_to = arg;
    cares_answer_t answer = {reply, reply_len > 0 ? (size_t)reply_len : 0};
    reply_to->callback(reply_to->arg, status, timeouts, reply && reply_len > 0 ? &answer : NULL);
}

void cares_query(ares_channel channel, const char *name, uint16_t type, cares_reply_t *reply_to)
{
    ares_query(channel, name, CLASS_IN, type, on_reply, reply_to);
}

srv_status_t cares_answer_read(const cares_answer_t *answer, const char *qname, srv_recordset_t *out,
                               uint32_t *negative_ttl)
{
    return srv_answer_parse(answer->octets, answer->len, qname, out, negative_ttl);
}

srv_status_t cares_answer_read_addresses(const cares_answer_t *answer, const char *qname, uint16_t qtype,
                                         srv_address_t **addresses, size_t *count, uint32_t *negative_ttl)
{
    return srv_answer_parse_addresses(answer->octets, answer->len, qname, qtype, addresses, count,
                                      negative_ttl);
}

#endif

/* ---- servers ------------------------------------------------------------ */

#if CARES_AT_LEAST(1, 24)

int cares_servers_after_first(ares_channel channel, ares_channel fallback, int *has_others)
{
    char *servers = ares_get_servers_csv(channel);
    if (!servers)
        return ARES_ENOMEM;
    const char *comma = strchr(servers, ',');
    *has_others = comma != NULL;
    int status = comma ? ares_set_servers_ports_csv(fallback, comma + 1) : ARES_SUCCESS;
    ares_free_string(servers);
    return status;
}

/* Here c-ares closes a connection whose stream it cannot read (a malformed
 * or misframed answer) and requeues its queries: nothing for srv to do. */
void cares_reopen_sockets(ares_channel channel)
{
    (void)channel;
}

#else

int cares_servers_after_first(ares_channel channel, ares_channel fallback, int *has_others)
{
    struct ares_addr_port_node *servers = NULL;
    int status = ares_get_servers_ports(channel, &servers);
    if (status != ARES_SUCCESS)
        return status;
    *has_others = servers && servers->next;
    if (*has_others)
        status = ares_set_servers_ports(fallback, servers->next);
    ares_free_data(servers);
    return status;
}

/* c-ares 1.18 never closes a TCP connection on which a try timed out (with
 * STAYOPEN not even when it falls idle): a server that sent half an answer
 * leaves the stream in mid-message, and every later answer on it is read
 * from the wrong offset. Setting the same servers again closes every
 * socket; c-ares refuses it while queries are pending, so the resolver
 * calls this only when idle. */
void cares_reopen_sockets(ares_channel channel)
{
    struct ares_addr_port_node *servers = NULL;
    if (ares_get_servers_ports(channel, &servers) != ARES_SUCCESS)
        return;
    (void)ares_set_servers_ports(channel, servers);
    ares_free_data(servers);
}

#endif

/* ---- processing ------------------------------------------------------- */

#if CARES_AT_LEAST(1, 34)

enum { EVENT_BATCH = 64 };

void cares_process(ares_channel channel, const srv_pollfd_t *ready, size_t count)
{
    ares_fd_events_t events[EVENT_BATCH];
    if (count == 0) {
        (void)ares_process_fds(channel, NULL, 0, ARES_PROCESS_FLAG_NONE);
        return;
    }
    while (count > 0) {
        size_t batch = count < EVENT_BATCH ? count : EVENT_BATCH;
        for (size_t i = 0; i < batch; i++) {
            events[i].fd = ready[i].fd;
            events[i].events = (ready[i].events & SRV_POLL_READ ? ARES_FD_EVENT_READ : 0u) |
                               (ready[i].events & SRV_POLL_WRITE ? ARES_FD_EVENT_WRITE : 0u);
        }
        (void)ares_process_fds(channel, events, batch, ARES_PROCESS_FLAG_NONE);
        ready += batch;
        count -= batch;
    }
}

#else

/* Before 1.34, c-ares reads one length prefix or one message per
 * ares_process_fd call on a TCP socket, so answers already waiting in it
 * would wait for later rounds, and a slow event loop would turn them into
 * timeouts. A readable socket is handed over again while it stays
 * readable, a bounded number of times. A UDP socket is read to the end in
 * one call: it is not handed over again (CARES_POLL_DATAGRAM), which saves
 * a poll() per answer. */
enum { READS_PER_ROUND = 64 };

static void process_one(ares_channel channel, const srv_pollfd_t *entry)
{
    ares_socket_t read_fd = entry->events & SRV_POLL_READ ? entry->fd : ARES_SOCKET_BAD;
    ares_socket_t write_fd = entry->events & SRV_POLL_WRITE ? entry->fd : ARES_SOCKET_BAD;
    ares_process_fd(channel, read_fd, write_fd);
    if (entry->events & CARES_POLL_DATAGRAM)
        return;
    for (int i = 1; i < READS_PER_ROUND && read_fd != ARES_SOCKET_BAD; i++) {
        /* c-ares may have closed the socket: poll then says POLLNVAL. */
        struct pollfd again = {.fd = read_fd, .events = POLLIN, .revents = 0};
        if (poll(&again, 1, 0) <= 0 || (again.revents & (POLLIN | POLLERR | POLLHUP)) == 0 ||
            (again.revents & POLLNVAL))
            break;
        ares_process_fd(channel, read_fd, ARES_SOCKET_BAD);
    }
}

void cares_process(ares_channel channel, const srv_pollfd_t *ready, size_t count)
{
    if (count == 0)
        ares_process_fd(channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
    for (size_t i = 0; i < count; i++)
        process_one(channel, &ready[i]);
}

#endif
