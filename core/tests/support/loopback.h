/* loopback.h - TCP endpoints on loopback for the connection race tests:
 * listeners, refused ports and blackholes (docs/testing.md, "The loopback
 * rig"). Every address is in 127.0.0.0/8 or ::1. */
#ifndef SRV_TEST_LOOPBACK_H
#define SRV_TEST_LOOPBACK_H

#include <stdint.h>

typedef struct loopback_endpoint {
    int fd;              /* the listening (or bound) socket */
    int fillers[4];      /* blackhole: the connections that fill its backlog */
    uint16_t port;
} loopback_endpoint_t;

/* A listener on address (port chosen by the kernel) that never accepts:
 * connects to it succeed. 0 on success. */
int loopback_listen(loopback_endpoint_t *ep, const char *address);
/* A bound socket that does not listen: a connect gets a RST, ECONNREFUSED. */
int loopback_refuse(loopback_endpoint_t *ep, const char *address);
/* A listener with backlog 0 whose queue is full: further SYNs are dropped,
 * so a connect to it stays in progress until a timeout. */
int loopback_blackhole(loopback_endpoint_t *ep, const char *address);
/* Whether a non-blocking connect to address:port is still in progress
 * after wait_ms: checks that a blackhole really drops SYNs here. */
int loopback_still_connecting(const char *address, uint16_t port, int wait_ms);
void loopback_close(loopback_endpoint_t *ep);
/* Descriptors this process has open (/proc/self/fd). */
int loopback_open_fds(void);

#endif
