/* sysbench: the C side of bench/helper-overhead.ts.
 *   sysbench lat KIND N        N timed calls; prints "median_ns P10_ns P90_ns"
 *                              KIND: file  = pwrite(1 B) to a regular file (charged: disk)
 *                                    null  = write(1 B) to /dev/null (intercepted, not charged)
 *                                    send, recv = sendto(1 B), recvfrom (EAGAIN) on UDP
 *                                    tcpsend = send(1 B) on a connected non-blocking TCP socket
 *                                    close = close of an fd that is not open (EBADF;
 *                                            rtorrent closes ~20 000 such at start)
 *                                    highclose = the same at fd 10 000+, above the
 *                                            helper's fd cache: not trapped there
 *                                    mprotect = one page made RW again (malloc, Go's heap)
 *                                    guard = one page made read-only (RELRO, guard
 *                                            pages): not trapped by the helper
 *   sysbench unotif KIND N     the same calls answered by a bare seccomp
 *                              user-notification supervisor
 *   sysbench unotif-sync KIND N   the same with SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
 *                              (Linux 6.6+: the supervisor runs on the caller's
 *                              CPU): the floor of any per-call interception
 *   sysbench unotif-sync-proc KIND N   the same with the supervisor in another
 *                              process, as the helper is: each round trip also
 *                              switches address spaces (dear in some VMs)
 *   sysbench wrap CMD ARGS...  exec any CMD under the bare sync supervisor
 *                              in another process (the same calls trapped as
 *                              the helper's notifications, each answered at once)
 *   sysbench under SUP CMD ARGS...  CMD (tcp or fcopy, as below) with every
 *                              read/write-family call of it (both processes of
 *                              tcp) answered by the bare supervisor SUP
 *                              (unotif, unotif-sync or unotif-sync-proc): the
 *                              throughput bound
 *   sysbench ptrace STOPS KIND N  the same calls under a minimal ptrace tracer that
 *                              only resumes them: STOPS=1 (seccomp stop) or 2
 *                              (seccomp stop + syscall-exit stop, as needed to
 *                              read a return value): the mechanism's own floor
 *   sysbench tcp BYTES         loopback TCP transfer with 64 KiB I/O between
 *                              two processes; prints "bytes seconds"
 *   sysbench fcopy SRC DST     copy with 64 KiB read/write; prints "bytes seconds" */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../src/helper.h" /* build_filter: the helper's own filter */

#include "../src/seccomp_compat.h"

static void tcp(long long bytes);
static void fcopy(const char *src, const char *dst);

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static long long nsnow(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return x < y ? -1 : x > y;
}

/* A loopback UDP socket connected to itself: "send" sends it 1 B (dropped
 * when its queue is full, the send succeeds anyway), "recv" finds it empty. */
static int udp_self(void)
{
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t al = sizeof a;
    if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) != 0 || getsockname(s, (struct sockaddr *)&a, &al) != 0 ||
        connect(s, (struct sockaddr *)&a, sizeof a) != 0) return -1;
    return s;
}

/* A connected non-blocking loopback TCP socket, as P2P clients use them:
 * "tcpsend" sends it 1 B (20 000 of them fit in the peer's receive buffer,
 * which nobody reads). */
static int tcp_connected(void)
{
    int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t al = sizeof a;
    if (l < 0 || s < 0 || bind(l, (struct sockaddr *)&a, sizeof a) != 0 || listen(l, 1) != 0 ||
        getsockname(l, (struct sockaddr *)&a, &al) != 0 || (connect(s, (struct sockaddr *)&a, sizeof a) != 0 && errno != EINPROGRESS) ||
        accept(l, NULL, NULL) < 0) return -1;
    struct pollfd p = { .fd = s, .events = POLLOUT };
    if (poll(&p, 1, 5000) != 1) return -1; /* (connected) */
    return s;
}

static char *page;

static int open_target(const char *kind)
{
    if (!page) page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (!strcmp(kind, "null")) return open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (!strcmp(kind, "send") || !strcmp(kind, "recv")) return udp_self();
    if (!strcmp(kind, "tcpsend")) return tcp_connected();
    char path[] = "/tmp/sysbench-XXXXXX";
    int fd = mkstemp(path);
    if (fd >= 0) unlink(path);
    return fd;
}

/* One call of the kind; false if it did not do what it should. */
static bool one_call(const char *kind, int fd)
{
    char c = 'x';
    switch (kind[0]) {
    case 'n': return write(fd, &c, 1) == 1;                                /* null */
    case 's': return sendto(fd, &c, 1, 0, NULL, 0) == 1;                   /* send */
    case 't': return send(fd, &c, 1, 0) == 1;                              /* tcpsend */
    case 'c': return close(fd + 1000) == -1 && errno == EBADF;             /* close */
    case 'h': return close(fd + 10000) == -1 && errno == EBADF;            /* highclose */
    case 'm': return mprotect(page, 4096, PROT_READ | PROT_WRITE) == 0;    /* mprotect */
    case 'g': return mprotect(page, 4096, PROT_READ) == 0;                 /* guard */
    case 'r': return recvfrom(fd, &c, 1, MSG_DONTWAIT, NULL, NULL) == -1 && errno == EAGAIN; /* recv */
    default: return pwrite(fd, &c, 1, 0) == 1;                             /* file */
    }
}

static void latency(const char *kind, int n)
{
    int fd = open_target(kind);
    if (fd < 0) { perror("open"); exit(1); }
    long long *t = malloc(sizeof *t * (size_t)n);
    for (int i = -n / 10; i < n; i++) { /* warm-up first: fills the helper's fd cache, faults pages */
        long long a = nsnow();
        bool ok = one_call(kind, fd);
        if (i >= 0) t[i] = nsnow() - a;
        if (!ok) { perror(kind); exit(1); }
    }
    qsort(t, (size_t)n, sizeof *t, cmp);
    printf("%lld %lld %lld\n", t[n / 2], t[n / 10], t[n * 9 / 10]);
}

static int listener = -1;

static void *supervisor(void *arg)
{
    (void)arg;
    struct seccomp_notif_sizes sz;
    if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sz) != 0) { perror("sizes"); exit(1); }
    struct seccomp_notif *req = calloc(1, sz.seccomp_notif);
    struct seccomp_notif_resp *resp = calloc(1, sz.seccomp_notif_resp);
    while (__atomic_load_n(&listener, __ATOMIC_ACQUIRE) < 0) usleep(1000); /* setup only */
    for (;;) {
        memset(req, 0, sz.seccomp_notif);
        if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, req) != 0) {
            /* ENOENT: the caller was interrupted (a signal) before we read it */
            if (errno == EINTR || errno == ENOENT) continue;
            return NULL;
        }
        memset(resp, 0, sz.seccomp_notif_resp);
        resp->id = req->id;
        resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
        ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, resp);
    }
}

/* The supervisor in a child process, forked before the filter exists (so not
 * under it); it dies with us. Every call the parent could hand the listener
 * over with (sendmsg, write) is trapped once the filter is in, so the parent
 * only stores the fd's number in a shared page and the child takes a copy of
 * it (pidfd_getfd: needs ptrace rights over the parent, root here), then says
 * so in the same page. */
static volatile int *shared_listener;

static void fork_supervisor(void)
{
    shared_listener = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (shared_listener == MAP_FAILED) { perror("mmap"); exit(1); }
    shared_listener[0] = -1; /* [0]: the listener's number in the parent, [1]: the child holds a copy */
    shared_listener[1] = 0;
    pid_t parent = getpid(), p = fork();
    if (p < 0) { perror("fork"); exit(1); }
    if (p > 0) return;
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(0);
    int pidfd = (int)syscall(SYS_pidfd_open, parent, 0);
    while (__atomic_load_n(shared_listener, __ATOMIC_ACQUIRE) < 0) usleep(100); /* setup only */
    int l = pidfd < 0 ? -1 : (int)syscall(SYS_pidfd_getfd, pidfd, *shared_listener, 0);
    if (l < 0) { perror("sysbench: pidfd_getfd of the listener"); kill(parent, SIGKILL); _exit(1); }
    listener = l;
    __atomic_store_n(&shared_listener[1], 1, __ATOMIC_RELEASE);
    supervisor(NULL);
    _exit(0);
}

/* Puts this thread (and processes it forks) under a bare supervisor that
 * answers every read/write-family call with CONTINUE, as the helper's
 * notifier does. Filters bind the calling thread and threads created later:
 * the supervisor thread (or process, with in_child) is created first, then
 * this thread installs the filter and hands the listener fd over. */
static void supervise(int sync, bool in_child)
{
    /* the helper's own filter (native/src/filter.c), its ptrace-path calls let through */
    struct sock_filter f[FILTER_MAX];
    struct sock_fprog prog = { .len = (unsigned short)build_filter(f, true, true, false), .filter = f };
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    pthread_t sup;
    if (in_child) fork_supervisor();
    else if (pthread_create(&sup, NULL, supervisor, NULL) != 0) exit(1);
    int l = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
    if (l < 0) { perror("seccomp"); exit(1); }
    if (sync && ioctl(l, SECCOMP_IOCTL_NOTIF_SET_FLAGS, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP) != 0) {
        perror("SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP");
        exit(1);
    }
    if (in_child) {
        __atomic_store_n(shared_listener, l, __ATOMIC_RELEASE);
        /* (the listener is close-on-exec: the child must hold its copy first) */
        while (!__atomic_load_n(&shared_listener[1], __ATOMIC_ACQUIRE)) usleep(100);
    } else {
        __atomic_store_n(&listener, l, __ATOMIC_RELEASE);
    }
}

static void unotif(int sync, bool in_child, const char *kind, int n)
{
    supervise(sync, in_child);
    latency(kind, n);
    fflush(stdout);
    _exit(0);
}

static void under(const char *sup, int argc, char **argv)
{
    supervise(strcmp(sup, "unotif") != 0, !strcmp(sup, "unotif-sync-proc"));
    if (argc >= 2 && !strcmp(argv[0], "tcp")) tcp(atoll(argv[1]));
    else if (argc >= 3 && !strcmp(argv[0], "fcopy")) fcopy(argv[1], argv[2]);
    else { fprintf(stderr, "usage: see source\n"); _exit(2); }
    fflush(stdout);
    _exit(0);
}

/* Any program under the bare supervisor (from another process, sync
 * wake-up): what interception costs a real client before the helper does
 * any work (bench/swarm.ts, tool "bare"). */
static void wrap(char **cmd)
{
    supervise(1, true);
    execvp(cmd[0], cmd);
    fprintf(stderr, "sysbench wrap: %s: %s\n", cmd[0], strerror(errno));
    _exit(127);
}

static void minimal_tracer(int stops, const char *kind, int n, char *self)
{
    pid_t p = fork();
    if (p == 0) {
        struct sock_filter f[] = {
            BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
            BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_close, 6, 0),
            BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_mprotect, 5, 0),
            BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_write, 4, 0),
            BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_pwrite64, 3, 0),
            BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_sendto, 2, 0),
            BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_recvfrom, 1, 0),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE),
        };
        struct sock_fprog prog = { .len = sizeof f / sizeof f[0], .filter = f };
        prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
        prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0);
        raise(SIGSTOP);
        char nbuf[32];
        snprintf(nbuf, sizeof nbuf, "%d", n);
        execl(self, self, "lat", kind, nbuf, (char *)NULL);
        _exit(127);
    }
    int st;
    waitpid(p, &st, WSTOPPED);
    ptrace(PTRACE_SEIZE, p, 0, (void *)(long)(PTRACE_O_TRACESECCOMP | PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL));
    kill(p, SIGCONT);
    for (;;) {
        pid_t w = waitpid(-1, &st, __WALL);
        if (w < 0) break;
        if (WIFEXITED(st) || WIFSIGNALED(st)) break;
        int ev = st >> 16, sig = WSTOPSIG(st);
        if (ev == PTRACE_EVENT_SECCOMP) {
            struct user_regs_struct r;
            ptrace(PTRACE_GETREGS, w, 0, &r);
            ptrace(stops == 2 ? PTRACE_SYSCALL : PTRACE_CONT, w, 0, 0);
        } else if (sig == (SIGTRAP | 0x80)) {
            ptrace(PTRACE_PEEKUSER, w, offsetof(struct user_regs_struct, rax), 0);
            ptrace(PTRACE_CONT, w, 0, 0);
        } else {
            ptrace(PTRACE_CONT, w, 0, (void *)(long)(ev == 0 && sig != SIGSTOP && sig != SIGCONT ? sig : 0));
        }
    }
}

static void tcp(long long bytes)
{
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t al = sizeof a;
    if (bind(ls, (struct sockaddr *)&a, sizeof a) || listen(ls, 1) || getsockname(ls, (struct sockaddr *)&a, &al)) { perror("listen"); exit(1); }
    static char buf[65536];
    pid_t p = fork();
    if (p == 0) {
        int s = socket(AF_INET, SOCK_STREAM, 0);
        if (connect(s, (struct sockaddr *)&a, sizeof a)) { perror("connect"); _exit(1); }
        long long left = bytes;
        while (left > 0) {
            ssize_t w = write(s, buf, left < (long long)sizeof buf ? (size_t)left : sizeof buf);
            if (w <= 0) _exit(1);
            left -= w;
        }
        close(s);
        _exit(0);
    }
    int c = accept(ls, NULL, NULL);
    double t0 = now();
    long long got = 0;
    for (;;) {
        ssize_t r = read(c, buf, sizeof buf);
        if (r <= 0) break;
        got += r;
    }
    double t1 = now();
    waitpid(p, NULL, 0);
    printf("%lld %.6f\n", got, t1 - t0);
}

static void fcopy(const char *src, const char *dst)
{
    static char buf[65536];
    int in = open(src, O_RDONLY), out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (in < 0 || out < 0) { perror("open"); exit(1); }
    double t0 = now();
    long long total = 0;
    for (;;) {
        ssize_t r = read(in, buf, sizeof buf);
        if (r <= 0) break;
        if (write(out, buf, (size_t)r) != r) { perror("write"); exit(1); }
        total += r;
    }
    double t1 = now();
    printf("%lld %.6f\n", total, t1 - t0);
}

int main(int argc, char **argv)
{
    if (argc >= 4 && !strcmp(argv[1], "lat")) latency(argv[2], atoi(argv[3]));
    else if (argc >= 4 && !strcmp(argv[1], "unotif")) unotif(0, false, argv[2], atoi(argv[3]));
    else if (argc >= 4 && !strcmp(argv[1], "unotif-sync")) unotif(1, false, argv[2], atoi(argv[3]));
    else if (argc >= 4 && !strcmp(argv[1], "unotif-sync-proc")) unotif(1, true, argv[2], atoi(argv[3]));
    else if (argc >= 4 && !strcmp(argv[1], "under")) under(argv[2], argc - 3, argv + 3);
    else if (argc >= 3 && !strcmp(argv[1], "wrap")) wrap(argv + 2);
    else if (argc >= 5 && !strcmp(argv[1], "ptrace")) minimal_tracer(atoi(argv[2]), argv[3], atoi(argv[4]), argv[0]);
    else if (argc >= 3 && !strcmp(argv[1], "tcp")) tcp(atoll(argv[2]));
    else if (argc >= 4 && !strcmp(argv[1], "fcopy")) fcopy(argv[2], argv[3]);
    else { fprintf(stderr, "usage: see source\n"); return 2; }
    return 0;
}
