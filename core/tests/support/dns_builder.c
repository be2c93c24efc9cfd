/* dns_builder.c - see dns_builder.h. Writes past 64 KiB are dropped: tests
 * never come close. */
#include "dns_builder.h"

#include <string.h>

void dns_u8(dns_builder_t *b, unsigned value)
{
    if (b->len < sizeof b->data)
        b->data[b->len++] = (unsigned char)value;
}

void dns_u16(dns_builder_t *b, unsigned value)
{
    dns_u8(b, value >> 8 & 0xff);
    dns_u8(b, value & 0xff);
}

void dns_u32(dns_builder_t *b, uint32_t value)
{
    dns_u16(b, value >> 16);
    dns_u16(b, value & 0xffff);
}

void dns_header(dns_builder_t *b, uint16_t id, unsigned rcode,
                uint16_t qdcount, uint16_t ancount, uint16_t nscount)
{
    b->len = 0;
    dns_u16(b, id);
    dns_u16(b, 0x8180 | (rcode & 0xf));   /* QR, RD, RA */
    dns_u16(b, qdcount);
    dns_u16(b, ancount);
    dns_u16(b, nscount);
    dns_u16(b, 0);
}

void dns_set_arcount(dns_builder_t *b, uint16_t arcount)
{
    b->data[10] = (unsigned char)(arcount >> 8);
    b->data[11] = (unsigned char)(arcount & 0xff);
}

size_t dns_name_size(const char *name)
{
    if (strcmp(name, ".") == 0)
        return 1;
    return strlen(name) + 2;
}

size_t dns_name(dns_builder_t *b, const char *name)
{
    size_t offset = b->len;
    if (strcmp(name, ".") != 0) {
        const char *label = name;
        while (*label) {
            const char *dot = strchr(label, '.');
            size_t length = dot ? (size_t)(dot - label) : strlen(label);
            dns_u8(b, (unsigned)length);
            for (size_t i = 0; i < length; i++)
                dns_u8(b, (unsigned char)label[i]);
            label += length;
            if (*label == '.')
                label++;
        }
    }
    dns_u8(b, 0);
    return offset;
}

void dns_pointer(dns_builder_t *b, size_t offset)
{
    dns_u16(b, 0xC000 | (unsigned)offset);
}

void dns_question(dns_builder_t *b, const char *name, unsigned type)
{
    dns_name(b, name);
    dns_u16(b, type);
    dns_u16(b, 1);
}

static void rr_fields(dns_builder_t *b, unsigned type, uint32_t ttl, unsigned rdlength)
{
    dns_u16(b, type);
    dns_u16(b, 1);
    dns_u32(b, ttl);
    dns_u16(b, rdlength);
}

void dns_rr_header(dns_builder_t *b, const char *owner, unsigned type, uint32_t ttl, unsigned rdlength)
{
    dns_name(b, owner);
    rr_fields(b, type, ttl, rdlength);
}

void dns_rr_header_at(dns_builder_t *b, size_t owner_offset, unsigned type, uint32_t ttl, unsigned rdlength)
{
    dns_pointer(b, owner_offset);
    rr_fields(b, type, ttl, rdlength);
}

void dns_rr_srv(dns_builder_t *b, const char *owner, uint32_t ttl, unsigned priority,
                unsigned weight, unsigned port, const char *target)
{
    dns_rr_header(b, owner, 33, ttl, (unsigned)(6 + dns_name_size(target)));
    dns_u16(b, priority);
    dns_u16(b, weight);
    dns_u16(b, port);
    dns_name(b, target);
}

void dns_rr_cname(dns_builder_t *b, const char *owner, uint32_t ttl, const char *target)
{
    dns_rr_header(b, owner, 5, ttl, (unsigned)dns_name_size(target));
    dns_name(b, target);
}

void dns_rr_soa(dns_builder_t *b, const char *owner, uint32_t ttl, uint32_t minimum)
{
    dns_rr_header(b, owner, 6, ttl, (unsigned)(dns_name_size("ns.test") + dns_name_size("host.test") + 20));
    dns_name(b, "ns.test");
    dns_name(b, "host.test");
    dns_u32(b, 1);
    dns_u32(b, 3600);
    dns_u32(b, 600);
    dns_u32(b, 86400);
    dns_u32(b, minimum);
}

void dns_rr_opt(dns_builder_t *b, const char *owner, unsigned extended_rcode)
{
    dns_name(b, owner);
    dns_u16(b, 41);
    dns_u16(b, 1232);
    dns_u32(b, (uint32_t)(extended_rcode & 0xff) << 24);
    dns_u16(b, 0);
}
