/* Shared by the socket test programs: a connected TCP pair on loopback, and
 * the one-line report of a call. */
#ifndef LOOPBACK_H
#define LOOPBACK_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static inline void step(const char *what, long r)
{
    if (r < 0) printf("%s = -1 %s\n", what, strerrorname_np(errno));
    else printf("%s = %ld\n", what, r);
    fflush(stdout);
}

static inline void tcp_pair(int family, int *a, int *b)
{
    struct sockaddr_storage ss = { 0 };
    socklen_t len;
    if (family == AF_INET6) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
        s6->sin6_family = AF_INET6;
        s6->sin6_addr = in6addr_loopback;
        len = sizeof *s6;
    } else {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
        s4->sin_family = AF_INET;
        s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        len = sizeof *s4;
    }
    int l = socket(family, SOCK_STREAM, 0);
    if (l < 0 || bind(l, (struct sockaddr *)&ss, len) || listen(l, 1) || getsockname(l, (struct sockaddr *)&ss, &len)) { perror("listen"); exit(2); }
    *a = socket(family, SOCK_STREAM, 0);
    if (connect(*a, (struct sockaddr *)&ss, len)) { perror("connect"); exit(2); }
    *b = accept(l, NULL, NULL);
    close(l);
}

#endif
