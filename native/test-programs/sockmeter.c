/* sockmeter: moves bytes through TCP sockets by every route the helper's
 * socket meters (native/src/meters.c) must count exactly once, and prints
 * what it sent and received (peeks excluded):
 *   - send/recv, write/read, writev/readv, sendmsg/recvmsg and a peek on one socket;
 *   - two fds naming one socket (dup), used in turn;
 *   - a forked child writing to the parent's socket;
 *   - a blocking recv already in the kernel while the caps change (the
 *     test flips them while it waits: "waiting" is printed first);
 *   - shutdown (FIN sent), EOF read (FIN received) and a reset.
 * Usage: sockmeter */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include "loopback.h"

static long sent, received;

static void sent_(long r) { if (r > 0) sent += r; }
static void got(long r) { if (r > 0) received += r; }

/* reads exactly n bytes from fd with read() */
static void drain(int fd, long n, char *buf)
{
    while (n > 0) {
        ssize_t r = read(fd, buf, (size_t)(n < 65536 ? n : 65536));
        if (r <= 0) { perror("drain"); exit(3); }
        got(r);
        n -= r;
    }
}

static void every_call(void)
{
    static char buf[65536];
    int a, b;
    tcp_pair(AF_INET, &a, &b);
    memset(buf, 'm', sizeof buf);
    sent_(send(a, buf, 1000, 0));
    got(recv(b, buf, 1000, MSG_WAITALL));
    sent_(write(a, buf, 2000));
    drain(b, 2000, buf);
    struct iovec v[2] = { { buf, 300 }, { buf + 300, 700 } };
    sent_(writev(a, v, 2));
    step("peek", recv(b, buf, 10, MSG_PEEK | MSG_WAITALL)); /* not charged: read again below */
    got(readv(b, v, 2));
    struct msghdr m = { .msg_iov = v, .msg_iovlen = 2 };
    sent_(sendmsg(a, &m, 0));
    got(recvmsg(b, &m, MSG_WAITALL));

    /* two names for b */
    int d = dup(b);
    for (int i = 0; i < 4; i++) {
        sent_(send(a, buf, 4096, 0));
        if (i % 2) got(recv(d, buf, 4096, MSG_WAITALL));
        else drain(b, 4096, buf);
    }
    close(d);

    /* a child writes to the parent's socket a (one socket, two processes) */
    pid_t pid = fork();
    if (pid == 0) {
        for (int i = 0; i < 10; i++) if (write(a, buf, 5000) != 5000) _exit(4);
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status)) { fprintf(stderr, "child failed\n"); exit(3); }
    sent += 50000;
    drain(b, 50000, buf);
    sent_(send(a, buf, 100, 0));
    drain(b, 100, buf);

    /* FIN both ways, EOF read, then a reset: nothing more is charged */
    shutdown(a, SHUT_WR);
    step("recv at EOF", recv(b, buf, 10, 0));
    sent_(send(b, buf, 77, 0));
    got(recv(a, buf, 77, MSG_WAITALL));
    close(a);
    usleep(20000);
    send(b, buf, 1, MSG_NOSIGNAL); /* (reset by the closed peer: the byte counts, it was written) */
    sent += 1;
    usleep(20000);
    step("send after reset", send(b, buf, 1, MSG_NOSIGNAL));
    close(b);
}

static int late_a;
static void *late_sender(void *arg)
{
    (void)arg;
    sleep(1); /* the test changes the caps meanwhile */
    char buf[6000];
    memset(buf, 'l', sizeof buf);
    if (send(late_a, buf, sizeof buf, 0) != (ssize_t)sizeof buf) exit(5);
    return NULL;
}

/* A recv already waiting in the kernel when the test caps the download. */
static void across_a_cap_change(void)
{
    static char buf[6000];
    int b;
    tcp_pair(AF_INET, &late_a, &b);
    pthread_t th;
    pthread_create(&th, NULL, late_sender, NULL);
    printf("waiting\n");
    fflush(stdout);
    got(recv(b, buf, sizeof buf, MSG_WAITALL));
    pthread_join(th, NULL);
    sent += sizeof buf;
    close(late_a);
    close(b);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    every_call();
    across_a_cap_change();
    printf("sent %ld received %ld\n", sent, received);
    return 0;
}
