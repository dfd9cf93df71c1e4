/* waitloop MODE PERIOD_MS SECONDS: an event loop's wait, the way many C/C++
 * loops write it, to check that CPU caps change nothing but speed.
 *
 * Timeout modes call one blocking wait with a PERIOD_MS timeout and count a
 * tick each time it times out; a call that fails with EINTR is retried with
 * the SAME relative timeout (as aria2 does), so a supervisor that interrupts
 * waits every slice starves the loop. Event modes block until an outside
 * event (fed every PERIOD_MS by the test, or by a child of ours for wait4).
 *
 *   timeout modes: epoll_wait epoll_pwait epoll_pwait2 poll ppoll select
 *                  pselect6 nanosleep clock_nanosleep futex sigtimedwait
 *   event modes:   recv (connects to $WAITLOOP_PORT on 127.0.0.1), accept
 *                  (listens, prints "port N"), read (stdin), wait4 (children
 *                  forked at the start exit one every PERIOD_MS)
 *
 * With WAITLOOP_FIFO=PATH, the epoll modes watch that FIFO too (a thief
 * takes its events: thief.c) and count only timeouts as ticks; with
 * WAITLOOP_CPU=N the loop is pinned to CPU N.
 *
 * With WAITLOOP_HANDLER=1 in the environment, SIGUSR1 has a handler
 * installed without SA_RESTART: each one should make the wait fail with
 * EINTR exactly once, as it does natively.
 *
 * Prints "ready" when it starts waiting and, at the end,
 * "ticks=N eintr=M maxlate_ms=X signals=S early_ms=E" (X: the most a tick
 * came after its due time; for event modes, the longest gap between events
 * minus PERIOD_MS; S: SIGUSR1s handled; E: the most a timeout-mode tick came
 * before its due time, which the kernel never lets happen: 0). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long period_ms;
static int epfd = -1, event_fd = -1;
static unsigned futex_word;
static volatile sig_atomic_t handled;

static void on_usr1(int sig)
{
    (void)sig;
    handled++;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static struct timespec period_ts(void)
{
    return (struct timespec){ period_ms / 1000, (period_ms % 1000) * 1000000L };
}

/* One timeout-mode wait: 0 when it timed out, -1 with errno otherwise. */
static int wait_once(const char *mode)
{
    struct epoll_event ev[8];
    struct timespec ts = period_ts();
    if (!strcmp(mode, "epoll_wait")) return epoll_wait(epfd, ev, 8, (int)period_ms);
    if (!strcmp(mode, "epoll_pwait")) return epoll_pwait(epfd, ev, 8, (int)period_ms, NULL);
    if (!strcmp(mode, "epoll_pwait2")) return (int)syscall(SYS_epoll_pwait2, epfd, ev, 8, &ts, NULL, 8);
    if (!strcmp(mode, "poll")) return poll(NULL, 0, (int)period_ms);
    if (!strcmp(mode, "ppoll")) return ppoll(NULL, 0, &ts, NULL);
    if (!strcmp(mode, "select")) {
        struct timeval tv = { period_ms / 1000, (period_ms % 1000) * 1000 };
        return select(0, NULL, NULL, NULL, &tv);
    }
    if (!strcmp(mode, "pselect6")) return pselect(0, NULL, NULL, NULL, &ts, NULL);
    if (!strcmp(mode, "nanosleep")) return nanosleep(&ts, NULL);
    if (!strcmp(mode, "clock_nanosleep")) {
        int e = clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL);
        if (e) { errno = e; return -1; }
        return 0;
    }
    if (!strcmp(mode, "futex")) {
        long r = syscall(SYS_futex, &futex_word, FUTEX_WAIT_PRIVATE, 0, &ts, NULL, 0);
        return r < 0 && errno == ETIMEDOUT ? 0 : (int)r;
    }
    if (!strcmp(mode, "sigtimedwait")) {
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGUSR2);
        int r = sigtimedwait(&set, NULL, &ts);
        return r < 0 && errno == EAGAIN ? 0 : r;
    }
    errno = EINVAL;
    return -2;
}

/* One event-mode wait: 1 per event, -1 with errno. */
static int event_once(const char *mode)
{
    char buf[64];
    if (!strcmp(mode, "recv")) return recv(event_fd, buf, sizeof buf, 0) > 0 ? 1 : -1;
    if (!strcmp(mode, "read")) {
        ssize_t n = read(0, buf, sizeof buf);
        if (n == 0) { errno = EPIPE; return -1; }
        return n > 0 ? 1 : -1;
    }
    if (!strcmp(mode, "accept")) {
        int c = accept(event_fd, NULL, NULL);
        if (c < 0) return -1;
        close(c);
        return 1;
    }
    if (!strcmp(mode, "wait4")) return wait4(-1, NULL, 0, NULL) < 0 ? -1 : 1;
    errno = EINVAL;
    return -2;
}

/* wait4: every child is forked now (forking is CPU work, not waiting);
 * child i exits PERIOD_MS * (i + 1) after the loop's start, which is taken
 * once all are forked (32 traced forks can take longer than two periods: a
 * loop timed from before them would outlast its children and meet ECHILD).
 * The children learn it through a pipe. */
static double children_origin_ms;

static int fork_children(double seconds)
{
    long n = (long)(seconds * 1000 / (double)period_ms) + 2;
    int p[2];
    if (pipe(p) != 0) return -1;
    for (long i = 0; i < n; i++) {
        pid_t c = fork();
        if (c < 0) return -1;
        if (c > 0) continue;
        close(p[1]);
        struct timespec start;
        if (read(p[0], &start, sizeof start) != (ssize_t)sizeof start) _exit(1);
        long ns = start.tv_nsec + (i + 1) * period_ms * 1000000L;
        struct timespec at = { start.tv_sec + ns / 1000000000L, ns % 1000000000L };
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, NULL) == EINTR) {}
        _exit(0);
    }
    close(p[0]);
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    children_origin_ms = start.tv_sec * 1e3 + start.tv_nsec / 1e6;
    for (long i = 0; i < n; i++)
        if (write(p[1], &start, sizeof start) != (ssize_t)sizeof start) return -1;
    close(p[1]);
    return 0;
}

static int setup_events(const char *mode, double seconds)
{
    const char *fifo = getenv("WAITLOOP_FIFO"), *cpu = getenv("WAITLOOP_CPU");
    if (cpu) {
        cpu_set_t cpus;
        CPU_ZERO(&cpus);
        CPU_SET(atoi(cpu), &cpus);
        if (sched_setaffinity(0, sizeof cpus, &cpus)) return -1;
    }
    if (fifo) {
        int fd = open(fifo, O_RDONLY | O_NONBLOCK);
        struct epoll_event ev = { .events = EPOLLIN };
        if (fd < 0 || epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev)) return -1;
    }
    if (!strcmp(mode, "wait4")) return fork_children(seconds);
    if (!strcmp(mode, "recv")) {
        const char *port = getenv("WAITLOOP_PORT");
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port ? (unsigned short)atoi(port) : 0) };
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        event_fd = socket(AF_INET, SOCK_STREAM, 0);
        return connect(event_fd, (struct sockaddr *)&a, sizeof a);
    }
    if (!strcmp(mode, "accept")) {
        struct sockaddr_in a = { .sin_family = AF_INET };
        socklen_t len = sizeof a;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        event_fd = socket(AF_INET, SOCK_STREAM, 0);
        if (bind(event_fd, (struct sockaddr *)&a, sizeof a) || listen(event_fd, 16) || getsockname(event_fd, (struct sockaddr *)&a, &len)) return -1;
        printf("port %d\n", ntohs(a.sin_port));
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 4) { fprintf(stderr, "usage: waitloop MODE PERIOD_MS SECONDS\n"); return 2; }
    const char *mode = argv[1];
    period_ms = atol(argv[2]);
    double seconds = atof(argv[3]);
    int event = !strcmp(mode, "recv") || !strcmp(mode, "read") || !strcmp(mode, "accept") || !strcmp(mode, "wait4");
    setvbuf(stdout, NULL, _IOLBF, 0);
    epfd = epoll_create1(0);
    sigset_t usr2;
    sigemptyset(&usr2);
    sigaddset(&usr2, SIGUSR2);
    sigprocmask(SIG_BLOCK, &usr2, NULL);
    if (getenv("WAITLOOP_HANDLER")) {
        struct sigaction sa = { .sa_handler = on_usr1 }; /* no SA_RESTART */
        sigaction(SIGUSR1, &sa, NULL);
    }
    if (period_ms <= 0 || epfd < 0 || setup_events(mode, seconds) != 0) { perror("waitloop: setup"); return 2; }
    printf("ready\n");

    long ticks = 0, eintr = 0;
    /* (wait4: the children's time base) */
    double start = children_origin_ms > 0 ? children_origin_ms : now_ms(), end = start + seconds * 1e3, last = start, maxlate = 0, early = 0;
    while (now_ms() < end) {
        int r = event ? event_once(mode) : wait_once(mode);
        if (r == -2) { fprintf(stderr, "waitloop: unknown mode %s\n", mode); return 2; }
        if (r < 0 && errno == EINTR) { eintr++; continue; }
        if (r < 0) { perror("waitloop"); return 1; }
        if (r > 0 && !event) continue; /* an event (WAITLOOP_FIFO), not a timeout */
        double t = now_ms(), late = t - last - (double)period_ms;
        if (late > maxlate) maxlate = late;
        if (!event && -late > early) early = -late;
        last = t;
        ticks++;
    }
    printf("ticks=%ld eintr=%ld maxlate_ms=%.1f signals=%d early_ms=%.2f\n", ticks, eintr, maxlate, (int)handled, early);
    return 0;
}
