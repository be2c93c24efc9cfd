/* loopback.c - see loopback.h. */
#include "loopback.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static socklen_t make_address(struct sockaddr_storage *sa, const char *address, uint16_t port)
{
    memset(sa, 0, sizeof *sa);
    struct sockaddr_in *v4 = (struct sockaddr_in *)sa;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)sa;
    if (inet_pton(AF_INET, address, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(port);
        return sizeof *v4;
    }
    if (inet_pton(AF_INET6, address, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(port);
        return sizeof *v6;
    }
    return 0;
}

static int bound(loopback_endpoint_t *ep, const char *address)
{
    memset(ep, 0, sizeof *ep);
    for (int i = 0; i < 4; i++)
        ep->fillers[i] = -1;
    struct sockaddr_storage sa;
    socklen_t len = make_address(&sa, address, 0);
    if (!len)
        return -1;
    ep->fd = socket(sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (ep->fd < 0)
        return -1;
    if (bind(ep->fd, (struct sockaddr *)&sa, len) != 0 ||
        getsockname(ep->fd, (struct sockaddr *)&sa, &len) != 0) {
        close(ep->fd);
        ep->fd = -1;
        return -1;
    }
    ep->port = ntohs(sa.ss_family == AF_INET ? ((struct sockaddr_in *)&sa)->sin_port
                                              : ((struct sockaddr_in6 *)&sa)->sin6_port);
    return 0;
}

int loopback_listen(loopback_endpoint_t *ep, const char *address)
{
    if (bound(ep, address) != 0)
        return -1;
    return listen(ep->fd, 64);
}

int loopback_refuse(loopback_endpoint_t *ep, const char *address)
{
    return bound(ep, address);
}

int loopback_blackhole(loopback_endpoint_t *ep, const char *address)
{
    if (bound(ep, address) != 0 || listen(ep->fd, 0) != 0)
        return -1;
    /* Backlog 0 queues one connection (Linux queues backlog + 1); fill it
     * with blocking connects, the last of which may itself hang, so they
     * run non-blocking and only the queued ones count. */
    struct sockaddr_storage sa;
    socklen_t len = make_address(&sa, address, ep->port);
    for (int i = 0; i < 2; i++) {
        int fd = socket(sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
            return -1;
        ep->fillers[i] = fd;
        (void)connect(fd, (struct sockaddr *)&sa, len);
        struct pollfd pfd = {.fd = fd, .events = POLLOUT, .revents = 0};
        (void)poll(&pfd, 1, 100);
    }
    return 0;
}

int loopback_still_connecting(const char *address, uint16_t port, int wait_ms)
{
    struct sockaddr_storage sa;
    socklen_t len = make_address(&sa, address, port);
    int fd = socket(sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return 0;
    int hanging = 0;
    if (connect(fd, (struct sockaddr *)&sa, len) != 0 && errno == EINPROGRESS) {
        struct pollfd pfd = {.fd = fd, .events = POLLOUT, .revents = 0};
        hanging = poll(&pfd, 1, wait_ms) == 0;
    }
    close(fd);
    return hanging;
}

void loopback_close(loopback_endpoint_t *ep)
{
    for (int i = 0; i < 4; i++)
        if (ep->fillers[i] >= 0)
            close(ep->fillers[i]);
    if (ep->fd >= 0)
        close(ep->fd);
    ep->fd = -1;
}

int loopback_open_fds(void)
{
    DIR *dir = opendir("/proc/self/fd");
    if (!dir)
        return -1;
    int count = 0;
    struct dirent *entry;
    while ((entry = readdir(dir)))
        if (entry->d_name[0] != '.')
            count++;
    closedir(dir);
    return count - 1;   /* the directory's own descriptor */
}
