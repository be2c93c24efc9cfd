/* strerror.c - names and sentences for srv_status_t. */
#include "srv.h"

static const struct {
    const char *code;
    const char *message;
} status_text[SRV_STATUS_COUNT] = {
    [SRV_OK]           = {"OK", "success"},
    [SRV_ENXDOMAIN]    = {"NXDOMAIN", "domain name not found"},
    [SRV_ENODATA]      = {"NODATA", "no SRV records at this name"},
    [SRV_ENOSERVICE]   = {"NOSERVICE", "service decidedly not available (target \".\")"},
    [SRV_ESERVFAIL]    = {"SERVFAIL", "server failure"},
    [SRV_EREFUSED]     = {"REFUSED", "query refused by the server"},
    [SRV_ETIMEOUT]     = {"TIMEOUT", "no answer before the timeout"},
    [SRV_EBADNAME]     = {"BADNAME", "malformed domain name"},
    [SRV_EBADRESP]     = {"BADRESP", "malformed reply"},
    [SRV_ECANCELLED]   = {"CANCELLED", "query cancelled"},
    [SRV_ECONNREFUSED] = {"CONNREFUSED", "every server refused or dropped the connection"},
    [SRV_EFORMERR]     = {"FORMERR", "the server could not read the query"},
    [SRV_ENOTIMP]      = {"NOTIMP", "query not implemented by the server"},
    [SRV_ENOMEM]       = {"NOMEM", "out of memory"},
    [SRV_EINVAL]       = {"INVAL", "invalid argument"},
    [SRV_EPARSE]       = {"PARSE", "malformed presentation-format text"},
    [SRV_EDNS]         = {"DNSERROR", "resolver failure"},
    [SRV_ESYSTEM]      = {"SYSTEM", "a system call failed"},
    [SRV_ECONNECT]     = {"CONNECT", "every connection attempt failed"},
};

static int known(srv_status_t status)
{
    return (unsigned)status < SRV_STATUS_COUNT;
}

const char *srv_strerror(srv_status_t status)
{
    return known(status) ? status_text[status].message : "unknown status";
}

const char *srv_status_code(srv_status_t status)
{
    return known(status) ? status_text[status].code : "UNKNOWN";
}
