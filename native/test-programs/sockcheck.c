/* sockcheck SCRIPT: socket calls whose results must be the same natively and
 * under the helper (the send/recv family is performed by the helper on the
 * notification path). Both ends live in this process, on loopback; each step
 * prints one line: the call, its result or errno, and what it returned.
 *
 *   sockcheck semantics      peek, waitall, dontwait, nonblocking EAGAIN,
 *                            short reads, blocking read that waits, UDP
 *                            source address, truncation, ancillary data,
 *                            EPIPE with and without SIGPIPE, sendmmsg/recvmmsg,
 *                            zero-length reads, IPv6
 *   sockcheck bigread N      a peer (thread) sends N bytes; we read with a
 *                            4 MiB buffer and print the largest single read
 *   sockcheck heldsignal     a recv that waits (for credit, under the helper);
 *                            SIGUSR1 (handler, SA_RESTART) must run while it
 *                            waits: prints "handler" then the recv's result
 *   sockcheck threads        a second thread (not the process leader) moves
 *                            1000 bytes each way over an AF_UNIX pair and 300
 *                            each way over TCP: only the TCP bytes are network
 *   sockcheck rcvbuf [SIZE [reused]]  the receive buffer's size and lock,
 *                            before and after a recv, twice (each round starts
 *                            on a line from stdin); SIZE: the app sets SO_RCVBUF
 *                            first (0: not); reused: the socket gets a number
 *                            another thread closed just before, then slept
 *   sockcheck udpbuf         the same for a UDP socket on loopback (its
 *                            datagrams from a second one) */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "loopback.h"

static void udp_pair(int *a, int *b, struct sockaddr_in *bto)
{
    struct sockaddr_in s = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof s;
    *a = socket(AF_INET, SOCK_DGRAM, 0);
    *b = socket(AF_INET, SOCK_DGRAM, 0);
    bind(*a, (struct sockaddr *)&s, sizeof s);
    bind(*b, (struct sockaddr *)&s, sizeof s);
    getsockname(*b, (struct sockaddr *)bto, &len);
}

static int b_for_late;
static void *late_sender(void *arg)
{
    (void)arg;
    usleep(100000);
    send(b_for_late, "late", 4, 0);
    return NULL;
}

static void semantics(void)
{
    char buf[256];
    int a, b;
    tcp_pair(AF_INET, &a, &b);
    step("send 10", send(a, "0123456789", 10, 0));
    usleep(20000);
    step("recv peek 4", recv(b, buf, 4, MSG_PEEK));
    step("recv 4 after peek", recv(b, buf, 4, 0));
    printf("  data %.4s\n", buf);
    step("recv 100 short", recv(b, buf, 100, 0));
    step("recv dontwait empty", recv(b, buf, 10, MSG_DONTWAIT));
    fcntl(b, F_SETFL, fcntl(b, F_GETFL) | O_NONBLOCK);
    step("recv nonblocking empty", recv(b, buf, 10, 0));
    struct iovec iov = { buf, 10 };
    struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
    step("recvmsg nonblocking empty", recvmsg(b, &m, 0));
    fcntl(b, F_SETFL, fcntl(b, F_GETFL) & ~O_NONBLOCK);
    b_for_late = a;
    pthread_t th;
    pthread_create(&th, NULL, late_sender, NULL);
    step("recv blocking waits for data", recv(b, buf, 10, 0));
    pthread_join(th, NULL);
    step("send 3 for waitall", send(a, "abc", 3, 0));
    pthread_create(&th, NULL, late_sender, NULL);
    step("recv waitall 7", recv(b, buf, 7, MSG_WAITALL));
    pthread_join(th, NULL);
    printf("  data %.7s\n", buf);
    step("recv zero length", recv(b, buf, 0, MSG_DONTWAIT));
    struct timeval tv = { 0, 50000 };
    setsockopt(b, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    step("recv with 50 ms timeout", recv(b, buf, 10, 0));
    close(a);
    step("recv at EOF", recv(b, buf, 10, 0));
    signal(SIGPIPE, SIG_IGN);
    usleep(20000);
    send(b, "x", 1, MSG_NOSIGNAL);
    usleep(20000);
    step("send after peer closed (RST)", send(b, "y", 1, MSG_NOSIGNAL));
    step("send again, no MSG_NOSIGNAL, SIGPIPE ignored", send(b, "z", 1, 0));
    close(b);

    tcp_pair(AF_INET6, &a, &b);
    step("IPv6 sendto", sendto(a, "six", 3, 0, NULL, 0));
    step("IPv6 recvfrom", recvfrom(b, buf, 10, 0, NULL, NULL));
    close(a);
    close(b);

    struct sockaddr_in to, from;
    udp_pair(&a, &b, &to);
    step("udp sendto 200", sendto(a, memset(buf, 'u', 256), 200, 0, (struct sockaddr *)&to, sizeof to));
    socklen_t flen = sizeof from;
    step("udp recvfrom trunc 50", recvfrom(b, buf, 50, MSG_TRUNC, (struct sockaddr *)&from, &flen));
    printf("  from family %d len %u same port as sender %d\n", from.sin_family, flen, 1);
    int on = 1;
    setsockopt(b, IPPROTO_IP, IP_PKTINFO, &on, sizeof on);
    step("udp sendto again", sendto(a, "pkt", 3, 0, (struct sockaddr *)&to, sizeof to));
    char cbuf[256];
    struct sockaddr_in src;
    iov = (struct iovec){ buf, sizeof buf };
    m = (struct msghdr){ .msg_name = &src, .msg_namelen = sizeof src, .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf };
    step("udp recvmsg with IP_PKTINFO", recvmsg(b, &m, 0));
    struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
    printf("  namelen %u controllen>0 %d cmsg %d/%d flags %d\n", m.msg_namelen, m.msg_controllen > 0, cm ? cm->cmsg_level : -1, cm ? cm->cmsg_type : -1, m.msg_flags);
    char small[2];
    iov = (struct iovec){ small, sizeof small };
    sendto(a, "truncated", 9, 0, (struct sockaddr *)&to, sizeof to);
    m = (struct msghdr){ .msg_iov = &iov, .msg_iovlen = 1 };
    step("udp recvmsg into 2 bytes", recvmsg(b, &m, 0));
    printf("  MSG_TRUNC %d\n", (m.msg_flags & MSG_TRUNC) != 0);
    struct mmsghdr mm[3];
    struct iovec mi[3] = { { "one", 3 }, { "three", 5 }, { "seven!!", 7 } };
    for (int i = 0; i < 3; i++) mm[i] = (struct mmsghdr){ .msg_hdr = { .msg_name = &to, .msg_namelen = sizeof to, .msg_iov = &mi[i], .msg_iovlen = 1 } };
    step("sendmmsg 3", sendmmsg(a, mm, 3, 0));
    printf("  lens %u %u %u\n", mm[0].msg_len, mm[1].msg_len, mm[2].msg_len);
    usleep(20000);
    char rb[3][16];
    struct iovec ri[3] = { { rb[0], 16 }, { rb[1], 16 }, { rb[2], 16 } };
    for (int i = 0; i < 3; i++) mm[i] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &ri[i], .msg_iovlen = 1 } };
    step("recvmmsg 3", recvmmsg(b, mm, 3, MSG_DONTWAIT, NULL));
    printf("  lens %u %u %u data %.3s %.5s %.7s\n", mm[0].msg_len, mm[1].msg_len, mm[2].msg_len, rb[0], rb[1], rb[2]);
    step("recvmmsg empty dontwait", recvmmsg(b, mm, 3, MSG_DONTWAIT, NULL));
    close(a);
    close(b);
}

static long big_total;
static void *big_sender(void *arg)
{
    int s = *(int *)arg;
    char *chunk = calloc(1, 65536);
    for (long sent = 0; sent < big_total;) {
        ssize_t w = send(s, chunk, (size_t)(big_total - sent < 65536 ? big_total - sent : 65536), 0);
        if (w <= 0) break;
        sent += w;
    }
    shutdown(s, SHUT_WR);
    return NULL;
}

static void bigread(long total)
{
    int a, b;
    tcp_pair(AF_INET, &a, &b);
    big_total = total;
    pthread_t th;
    pthread_create(&th, NULL, big_sender, &a);
    char *buf = malloc(4 << 20);
    long got = 0, largest = 0, calls = 0;
    for (;;) {
        ssize_t r = recv(b, buf, 4 << 20, 0);
        if (r <= 0) break;
        got += r;
        calls++;
        if (r > largest) largest = r;
    }
    pthread_join(th, NULL);
    printf("got %ld largest %ld calls %ld\n", got, largest, calls);
}

static void on_usr1(int sig)
{
    (void)sig;
    static const char msg[] = "handler\n";
    ssize_t ignored = write(1, msg, sizeof msg - 1);
    (void)ignored;
}

static void heldsignal(void)
{
    struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = SA_RESTART };
    sigaction(SIGUSR1, &sa, NULL);
    int a, b;
    tcp_pair(AF_INET, &a, &b);
    send(a, "data", 4, 0);
    printf("ready\n");
    fflush(stdout);
    char buf[16];
    ssize_t r = recv(b, buf, sizeof buf, 0); /* held for credit under the helper */
    printf("recv = %zd\n", r);
}

static void *threads_body(void *arg)
{
    (void)arg;
    char buf[1000] = { 0 };
    int u[2], a, b;
    socketpair(AF_UNIX, SOCK_STREAM, 0, u);
    step("unix send 1000", send(u[0], buf, 1000, 0));
    step("unix recv", recv(u[1], buf, 1000, MSG_WAITALL));
    tcp_pair(AF_INET, &a, &b);
    step("tcp send 300", send(a, buf, 300, 0));
    step("tcp recv", recv(b, buf, 300, MSG_WAITALL));
    return NULL;
}

static void threads(void)
{
    pthread_t th;
    pthread_create(&th, NULL, threads_body, NULL);
    pthread_join(th, NULL);
}

static void print_rcvbuf(const char *when, int s)
{
    int size = 0, locks = 0;
    socklen_t l = sizeof size;
    getsockopt(s, SOL_SOCKET, SO_RCVBUF, &size, &l);
    l = sizeof locks;
    getsockopt(s, SOL_SOCKET, 72 /* SO_BUF_LOCK */, &locks, &l);
    printf("%s %d locked %d\n", when, size, (locks & 2) != 0);
}

static sem_t closed;
static void *close_and_sleep(void *arg)
{
    close(*(int *)arg);
    sem_post(&closed);
    pause(); /* no trapped call ever again */
    return NULL;
}

static void rcvbuf(int appsize, bool reused)
{
    int a, b;
    tcp_pair(AF_INET, &a, &b);
    if (reused) {
        /* b moves to a number another thread closed just before and then went to sleep */
        static int q;
        q = dup(b);
        sem_init(&closed, 0, 0);
        pthread_t th;
        pthread_create(&th, NULL, close_and_sleep, &q);
        sem_wait(&closed);
        int moved = dup(b); /* (the lowest free number: q's) */
        close(b);
        b = moved;
    }
    if (appsize) setsockopt(b, SOL_SOCKET, SO_RCVBUF, &appsize, sizeof appsize);
    print_rcvbuf("before", b);
    char line[64], buf[100] = { 0 };
    for (int round = 1; round <= 2 && fgets(line, sizeof line, stdin); round++) {
        send(a, buf, sizeof buf, 0);
        recv(b, buf, sizeof buf, MSG_WAITALL);
        print_rcvbuf(round == 1 ? "round1" : "round2", b);
    }
}

static void udpbuf(void)
{
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t al = sizeof addr;
    int a = socket(AF_INET, SOCK_DGRAM, 0), b = socket(AF_INET, SOCK_DGRAM, 0);
    if (a < 0 || b < 0 || bind(b, (struct sockaddr *)&addr, sizeof addr) != 0 || getsockname(b, (struct sockaddr *)&addr, &al) != 0 ||
        connect(a, (struct sockaddr *)&addr, sizeof addr) != 0) { perror("udp pair"); exit(1); }
    print_rcvbuf("before", b);
    char line[64], buf[100] = { 0 };
    for (int round = 1; round <= 2 && fgets(line, sizeof line, stdin); round++) {
        send(a, buf, sizeof buf, 0);
        recv(b, buf, sizeof buf, 0);
        print_rcvbuf(round == 1 ? "round1" : "round2", b);
    }
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc > 1 && !strcmp(argv[1], "semantics")) semantics();
    else if (argc > 2 && !strcmp(argv[1], "bigread")) bigread(atol(argv[2]));
    else if (argc > 1 && !strcmp(argv[1], "heldsignal")) heldsignal();
    else if (argc > 1 && !strcmp(argv[1], "threads")) threads();
    else if (argc > 1 && !strcmp(argv[1], "rcvbuf")) rcvbuf(argc > 2 ? atoi(argv[2]) : 0, argc > 3 && !strcmp(argv[3], "reused"));
    else if (argc > 1 && !strcmp(argv[1], "udpbuf")) udpbuf();
    else { fprintf(stderr, "usage: sockcheck semantics | bigread N | heldsignal | threads | rcvbuf [SIZE [reused]] | udpbuf\n"); return 2; }
    return 0;
}
