/* dns_builder.h - writes DNS messages for tests: replies with chosen
 * sections, including deliberately malformed ones. */
#ifndef SRV_TEST_DNS_BUILDER_H
#define SRV_TEST_DNS_BUILDER_H

#include <stddef.h>
#include <stdint.h>

typedef struct dns_builder {
    unsigned char data[65536];
    size_t len;
} dns_builder_t;

enum { DNS_RCODE_NOERROR = 0, DNS_RCODE_SERVFAIL = 2, DNS_RCODE_NXDOMAIN = 3, DNS_RCODE_REFUSED = 5 };

/* A response header (QR set) with the given counts. */
void dns_header(dns_builder_t *b, uint16_t id, unsigned rcode,
                uint16_t qdcount, uint16_t ancount, uint16_t nscount);
/* Sets the header's ARCOUNT (dns_header leaves it 0). */
void dns_set_arcount(dns_builder_t *b, uint16_t arcount);
void dns_u8(dns_builder_t *b, unsigned value);
void dns_u16(dns_builder_t *b, unsigned value);
void dns_u32(dns_builder_t *b, uint32_t value);
/* An uncompressed name ("a.b.c", "." for the root); returns its offset. */
size_t dns_name(dns_builder_t *b, const char *name);
/* A compression pointer to offset. */
void dns_pointer(dns_builder_t *b, size_t offset);
void dns_question(dns_builder_t *b, const char *name, unsigned type);
void dns_rr_header(dns_builder_t *b, const char *owner, unsigned type, uint32_t ttl, unsigned rdlength);
/* The same, the owner a compression pointer to owner_offset. */
void dns_rr_header_at(dns_builder_t *b, size_t owner_offset, unsigned type, uint32_t ttl, unsigned rdlength);
void dns_rr_srv(dns_builder_t *b, const char *owner, uint32_t ttl, unsigned priority,
                unsigned weight, unsigned port, const char *target);
void dns_rr_cname(dns_builder_t *b, const char *owner, uint32_t ttl, const char *target);
void dns_rr_soa(dns_builder_t *b, const char *owner, uint32_t ttl, uint32_t minimum);
/* An OPT record (RFC 6891 6.1.2): UDP size 1232, the extended RCODE in the
 * TTL's top octet, no options. The owner is the root in a well-formed one. */
void dns_rr_opt(dns_builder_t *b, const char *owner, unsigned extended_rcode);
/* Octets a name takes uncompressed. */
size_t dns_name_size(const char *name);

#endif
