/* fake_dns.c - see fake_dns.h. */
#include "fake_dns.h"
#include "dns_builder.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int bind_loopback_udp(int *port)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in address;
    memset(&address, 0, sizeof address);
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof address;
    if (bind(fd, (struct sockaddr *)&address, sizeof address) != 0 ||
        getsockname(fd, (struct sockaddr *)&address, &size) != 0) {
        close(fd);
        return -1;
    }
    *port = ntohs(address.sin_port);
    return fd;
}

/* The reply echoes the query's id and question, claims three answers and
 * ends: the counts promise more than the data holds. */
static size_t malformed_reply(const unsigned char *query, size_t query_len, dns_builder_t *reply)
{
    if (query_len < 12)
        return 0;
    memcpy(reply->data, query, query_len);
    reply->len = query_len;
    reply->data[2] = 0x81;   /* QR, opcode 0, RD */
    reply->data[3] = 0x80;   /* RA, NOERROR */
    reply->data[7] = 3;      /* ANCOUNT 3, with no answer data following */
    dns_u8(reply, 0xC0);     /* and half a compression pointer */
    return reply->len;
}

/* The query itself turned into a reply with the given rcode. */
static size_t rcode_reply(const unsigned char *query, size_t query_len, unsigned rcode,
                          dns_builder_t *reply)
{
    if (query_len < 12)
        return 0;
    memcpy(reply->data, query, query_len);
    reply->len = query_len;
    reply->data[2] = (unsigned char)(0x80 | (query[2] & 0x01));   /* QR, keep RD */
    reply->data[3] = (unsigned char)(0x80 | rcode);              /* RA, rcode */
    return reply->len;
}

/* Where the question ends and its type, or 0 for a query that does not
 * read. */
static size_t question_end(const unsigned char *query, size_t query_len, unsigned *qtype)
{
    size_t at = 12;
    while (at < query_len && query[at] != 0 && query[at] < 64)
        at += 1u + query[at];
    if (at >= query_len || query[at] != 0 || at + 5 > query_len)
        return 0;
    *qtype = (unsigned)(query[at + 1] << 8 | query[at + 2]);
    return at + 5;
}

/* The query's header and question as the start of a NOERROR reply with
 * ancount answers (no EDNS: ARCOUNT 0). */
static size_t reply_start(const unsigned char *query, size_t query_len, unsigned ancount,
                          unsigned *qtype, dns_builder_t *reply)
{
    size_t end = query_len >= 12 ? question_end(query, query_len, qtype) : 0;
    if (end == 0)
        return 0;
    memcpy(reply->data, query, end);
    reply->len = end;
    reply->data[2] = (unsigned char)(0x80 | (query[2] & 0x01));   /* QR, keep RD */
    reply->data[3] = 0x80;                                       /* RA, NOERROR */
    reply->data[6] = 0;
    reply->data[7] = (unsigned char)ancount;
    reply->data[10] = reply->data[11] = 0;
    return end;
}

/* An A or AAAA record of 192.0.2.last or 2001:db8::last, TTL 60. */
static void address_rr(dns_builder_t *reply, const char *owner, unsigned qtype, unsigned last)
{
    if (owner)
        dns_name(reply, owner);
    else
        dns_pointer(reply, 12);   /* the name asked */
    dns_u16(reply, qtype);
    dns_u16(reply, 1);
    dns_u32(reply, 60);
    if (qtype == 1) {
        dns_u16(reply, 4);
        dns_u32(reply, 0xc0000200u | last);
    } else {
        dns_u16(reply, 16);
        dns_u32(reply, 0x20010db8u);
        dns_u32(reply, 0);
        dns_u32(reply, 0);
        dns_u32(reply, last);
    }
}

static size_t address_reply(const fake_dns_t *server, const unsigned char *query, size_t query_len,
                            dns_builder_t *reply)
{
    unsigned qtype = 0;
    if (!reply_start(query, query_len, 0, &qtype, reply))
        return 0;
    int address = qtype == 1 || qtype == 28;
    if (server->mode == FAKE_DNS_ADDRESS_BEFORE_CNAME && address) {
        reply->data[7] = 2;
        size_t real = reply->len;
        address_rr(reply, "real.fake.test", qtype, 7);
        dns_pointer(reply, 12);
        dns_u16(reply, 5);        /* CNAME */
        dns_u16(reply, 1);
        dns_u32(reply, 60);
        dns_u16(reply, 2);
        dns_pointer(reply, real);
    } else if (server->mode == FAKE_DNS_ANSWERS && address) {
        reply->data[7] = 1;
        address_rr(reply, NULL, qtype, 9);
    } else if (server->mode == FAKE_DNS_ANSWERS && qtype == 33) {
        reply->data[7] = 1;
        dns_pointer(reply, 12);
        dns_u16(reply, 33);
        dns_u16(reply, 1);
        dns_u32(reply, 60);
        dns_u16(reply, (unsigned)(6 + dns_name_size("target.fake.test")));
        dns_u16(reply, 10);
        dns_u16(reply, 20);
        dns_u16(reply, 5060);
        dns_name(reply, "target.fake.test");
    } else if (server->mode == FAKE_DNS_A_ONLY && qtype == 1) {
        reply->data[7] = 1;
        address_rr(reply, NULL, qtype, 8);
    } else if ((server->mode == FAKE_DNS_A_ONLY && !address) ||
               (server->mode == FAKE_DNS_A_NODATA_AAAA_SERVFAIL && qtype == 28)) {
        reply->data[3] = 0x80 | DNS_RCODE_SERVFAIL;
    }
    return reply->len;
}

static void *serve(void *arg)
{
    fake_dns_t *server = arg;
    /* Per thread: a test may run several servers at once. */
    static _Thread_local dns_builder_t reply;
    unsigned char query[4096];
    while (!server->stop) {
        struct pollfd pfd = {server->fd, POLLIN, 0};
        if (poll(&pfd, 1, 20) <= 0)
            continue;
        struct sockaddr_in peer;
        socklen_t peer_len = sizeof peer;
        ssize_t got = recvfrom(server->fd, query, sizeof query, 0, (struct sockaddr *)&peer, &peer_len);
        if (got <= 0)
            continue;
        server->queries_seen++;
        if (got >= 12)
            server->last_arcount = query[10] << 8 | query[11];
        size_t len = 0;
        if (server->mode == FAKE_DNS_MALFORMED)
            len = malformed_reply(query, (size_t)got, &reply);
        else if (server->mode == FAKE_DNS_SERVFAIL)
            len = rcode_reply(query, (size_t)got, DNS_RCODE_SERVFAIL, &reply);
        else if (server->mode == FAKE_DNS_REFUSED)
            len = rcode_reply(query, (size_t)got, DNS_RCODE_REFUSED, &reply);
        else if (server->mode != FAKE_DNS_SILENT)
            len = address_reply(server, query, (size_t)got, &reply);
        if (len)
            sendto(server->fd, reply.data, len, 0, (struct sockaddr *)&peer, peer_len);
    }
    return NULL;
}

int fake_dns_start(fake_dns_t *server, fake_dns_mode_t mode)
{
    memset(server, 0, sizeof *server);
    server->mode = mode;
    server->fd = bind_loopback_udp(&server->port);
    if (server->fd < 0)
        return -1;
    if (pthread_create(&server->thread, NULL, serve, server) != 0) {
        close(server->fd);
        return -1;
    }
    return 0;
}

void fake_dns_stop(fake_dns_t *server)
{
    server->stop = 1;
    pthread_join(server->thread, NULL);
    close(server->fd);
}

int fake_dns_closed_port(void)
{
    int port;
    int fd = bind_loopback_udp(&port);
    if (fd < 0)
        return -1;
    close(fd);
    return port;
}
