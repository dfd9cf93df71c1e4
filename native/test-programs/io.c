/* io MODE ...: moves exactly known numbers of bytes with every intercepted
 * call family, so tests can compare the helper's counters byte for byte.
 *   io file DIR            write 15000 B (write, pwrite, writev, pwritev, pwritev2),
 *                          read them back (read, pread, readv, preadv, preadv2),
 *                          each from storage (the file dropped from the page cache before
 *                          each, readahead off), copy_file_range 1000 B and sendfile 500 B
 *                          file->file: diskWrite = 16500; prints "read_bytes N", what the
 *                          kernel counted it as read from storage (the pages each spans)
 *   io fwrite PATH TOTAL CHUNK    write TOTAL bytes in CHUNK writes
 *   io fcopy SRC DST CHUNK        read SRC (readahead off) and write DST with CHUNK-sized calls
 *   io after-stdin MODE ...  MODE once a byte arrives on stdin (the loader's reads are over)
 *   io mapwrite PATH CHUNKS CHUNK  map PATH shared and writable (a control chunk,
 *                          then CHUNKS x CHUNK bytes), print "ready", wait until
 *                          the test writes 'g' at offset 0, then fill each chunk
 *                          by storing to memory, each followed by a 1-byte read
 *                          of /dev/zero (a trapped call that is no disk I/O)
 *   io mapwrite PATH CHUNKS CHUNK protect  the same, mapped read-only and made
 *                          writable with mprotect just before the stores
 *   io mapwrite PATH CHUNKS CHUNK fork  the same, the stores and reads done by
 *                          a forked child (the parent waits for it)
 *   io maprecv PATH TOTAL HOST PORT  map PATH (TOTAL bytes) shared and writable,
 *                          connect and receive TOTAL bytes straight into it with recv
 *   io mapread PATH CHUNK  drop the existing file PATH from the page cache,
 *                          map it shared and read-only (no readahead), read each CHUNK of it by
 *                          loading from memory, each followed by a 1-byte read of
 *                          /dev/zero; prints the sum of its bytes
 *   io mapsend PATH HOST PORT  drop the existing file PATH from the page cache,
 *                          map it shared and read-only, connect and send it
 *                          straight from the mapping with send
 *   io tcp HOST PORT UP DOWN CHUNK  connect; send UP bytes (send, sendto, sendmsg,
 *                          write in turn, CHUNK each), shut down writing, receive
 *                          until EOF (recv, recvfrom, recvmsg, read in turn);
 *                          exit 0 iff exactly DOWN bytes arrived
 *   io udp HOST PORT ROUNDS SIZE  datagrams to an echo peer: per round one of
 *                          sendto/recvfrom, sendmsg/recvmsg, sendmmsg/recvmmsg(2);
 *                          prints the bytes sent and received
 *   io uring               exit 0 iff io_uring_setup fails with ENOSYS
 *   io noop                nothing (baseline: the loader's own reads)
 *   io burn MS             burn MS ms of CPU time, then exit
 *   io spawnloop N         posix_spawn (clone with CLONE_VFORK) "io noop" N times
 *   io sigcalls N          N rounds (at most 10 s) of mmap, mprotect, munmap and close (of an fd that
 *                          is not open) under a SIGALRM 100 us after the last whose handler has
 *                          no SA_RESTART; prints the signals and the EINTRs seen (these
 *                          calls never fail with EINTR natively); exit 0 iff none
 *   io fdreuse DIR HOST PORT  reuse fd numbers across close, dup2, dup3 and
 *                          exec (O_CLOEXEC) with files and sockets in turn:
 *                          netUp = 610, diskWrite = 900 exactly
 *   io fdhigh DIR HOST PORT  the same above the helper's cache (fd 5000, whose
 *                          close/dup2/dup3 are not trapped; once as a second name
 *                          of a socket the cached name meters) and just below it
 *                          (4095), then closes every number from 6000 to its
 *                          hard RLIMIT_NOFILE (none open: all EBADF) and close(-1):
 *                          netUp = 265, diskWrite = 450 exactly */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <spawn.h>
#include <stdbool.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <signal.h>
#include <unistd.h>

static char buf[1 << 20];

static void die(const char *m) { fprintf(stderr, "io: %s: %s\n", m, strerror(errno)); exit(10); }

static void full(ssize_t got, size_t want, const char *what)
{
    if (got != (ssize_t)want) { fprintf(stderr, "io: %s moved %zd of %zu\n", what, got, want); exit(11); }
}

/* The storage reads the kernel has counted to the calling thread. */
static unsigned long long read_bytes_now(void)
{
    char text[512];
    int fd = open("/proc/thread-self/io", O_RDONLY | O_CLOEXEC);
    ssize_t n = fd >= 0 ? read(fd, text, sizeof text - 1) : -1;
    if (fd >= 0) close(fd);
    if (n <= 0) die("/proc/thread-self/io");
    text[n] = 0;
    const char *at = strstr(text, "\nread_bytes: ");
    if (!at) die("read_bytes");
    return strtoull(at + 13, NULL, 10);
}

/* Drops fd's file from the page cache (written back first), so that the
 * next read of it comes from storage: with readahead off (FADV_RANDOM), the
 * pages it spans and no more. */
static void cold(int fd)
{
    if (fdatasync(fd) != 0 || posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) != 0) die("cold");
}

static int do_file(const char *dir)
{
    char a[4096], b[4096];
    snprintf(a, sizeof a, "%s/io-a", dir);
    snprintf(b, sizeof b, "%s/io-b", dir);
    int fd = open(a, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) die("open");
    memset(buf, 'a', 16384);
    /* (every page it has mapped made resident now: a page of its code
     * faulted in from storage during its calls would count too) */
    (void)mlockall(MCL_CURRENT);
    unsigned long long before = read_bytes_now();
    struct iovec v[2];
    full(write(fd, buf, 1000), 1000, "write");
    full(pwrite(fd, buf, 2000, 1000), 2000, "pwrite");
    lseek(fd, 3000, SEEK_SET);
    v[0] = (struct iovec){ buf, 1000 }; v[1] = (struct iovec){ buf, 2000 };
    full(writev(fd, v, 2), 3000, "writev");
    v[0] = (struct iovec){ buf, 4000 };
    full(pwritev(fd, v, 1, 6000), 4000, "pwritev");
    v[0] = (struct iovec){ buf, 5000 };
    full(pwritev2(fd, v, 1, 10000, 0), 5000, "pwritev2");
    /* each read from storage (a disk read is what the disk did: a read the
     * page cache serves is none) */
    if (posix_fadvise(fd, 0, 0, POSIX_FADV_RANDOM) != 0) die("fadvise");
    cold(fd);
    lseek(fd, 0, SEEK_SET);
    full(read(fd, buf, 1000), 1000, "read");
    cold(fd);
    full(pread(fd, buf, 2000, 1000), 2000, "pread");
    cold(fd);
    lseek(fd, 3000, SEEK_SET);
    v[0] = (struct iovec){ buf, 1500 }; v[1] = (struct iovec){ buf + 1500, 1500 };
    full(readv(fd, v, 2), 3000, "readv");
    cold(fd);
    v[0] = (struct iovec){ buf, 4000 };
    full(preadv(fd, v, 1, 6000), 4000, "preadv");
    cold(fd);
    v[0] = (struct iovec){ buf, 5000 };
    full(preadv2(fd, v, 1, 10000, 0), 5000, "preadv2");
    int fb = open(b, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fb < 0) die("open b");
    cold(fd);
    loff_t in = 0, out = 0;
    full(copy_file_range(fd, &in, fb, &out, 1000, 0), 1000, "copy_file_range");
    cold(fd);
    off_t off = 0;
    full(sendfile(fb, fd, &off, 500), 500, "sendfile");
    printf("read_bytes %llu\n", read_bytes_now() - before);
    close(fd);
    close(fb);
    return 0;
}

static int do_fwrite(const char *path, long total, long chunk)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) die("open");
    memset(buf, 'w', sizeof buf);
    while (total > 0) {
        long n = total < chunk ? total : chunk;
        ssize_t w = write(fd, buf, (size_t)n);
        if (w <= 0) die("write");
        total -= w;
    }
    close(fd);
    return 0;
}

static int do_fcopy(const char *src, const char *dst, long chunk)
{
    int in = open(src, O_RDONLY | O_CLOEXEC), out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (in < 0 || out < 0) die("open");
    /* (readahead off: a read of a file not in the page cache reads the pages it spans, no more) */
    if (posix_fadvise(in, 0, 0, POSIX_FADV_RANDOM) != 0) die("fadvise");
    for (;;) {
        ssize_t n = read(in, buf, (size_t)chunk);
        if (n < 0) die("read");
        if (n == 0) break;
        for (ssize_t o = 0; o < n;) {
            ssize_t w = write(out, buf + o, (size_t)(n - o));
            if (w <= 0) die("write");
            o += w;
        }
    }
    return 0;
}

static int connect_to(const char *host, int port, int type, struct sockaddr_storage *ss, socklen_t *sl)
{
    memset(ss, 0, sizeof *ss);
    if (strchr(host, ':')) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((unsigned short)port);
        if (inet_pton(AF_INET6, host, &s6->sin6_addr) != 1) die("address");
        *sl = sizeof *s6;
    } else {
        struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
        s4->sin_family = AF_INET;
        s4->sin_port = htons((unsigned short)port);
        if (inet_pton(AF_INET, host, &s4->sin_addr) != 1) die("address");
        *sl = sizeof *s4;
    }
    int s = socket(ss->ss_family, type | SOCK_CLOEXEC, 0);
    if (s < 0) die("socket");
    if (connect(s, (struct sockaddr *)ss, *sl) != 0) die("connect");
    return s;
}

static int do_tcp(const char *host, int port, long up, long down, long chunk)
{
    struct sockaddr_storage ss;
    socklen_t sl;
    int s = connect_to(host, port, SOCK_STREAM, &ss, &sl);
    memset(buf, 'u', sizeof buf);
    for (int i = 0; up > 0; i++) {
        size_t n = (size_t)(up < chunk ? up : chunk);
        ssize_t w;
        struct iovec v = { buf, n };
        struct msghdr m = { .msg_iov = &v, .msg_iovlen = 1 };
        switch (i % 4) {
        case 0: w = send(s, buf, n, 0); break;
        case 1: w = sendto(s, buf, n, 0, NULL, 0); break;
        case 2: w = sendmsg(s, &m, 0); break;
        default: w = write(s, buf, n); break;
        }
        if (w <= 0) die("send");
        up -= w;
    }
    shutdown(s, SHUT_WR);
    long got = 0;
    for (int i = 0;; i++) {
        ssize_t r;
        struct iovec v = { buf, (size_t)chunk };
        struct msghdr m = { .msg_iov = &v, .msg_iovlen = 1 };
        switch (i % 4) {
        case 0: r = recv(s, buf, (size_t)chunk, 0); break;
        case 1: r = recvfrom(s, buf, (size_t)chunk, 0, NULL, NULL); break;
        case 2: r = recvmsg(s, &m, 0); break;
        default: r = read(s, buf, (size_t)chunk); break;
        }
        if (r < 0) die("recv");
        if (r == 0) break;
        got += r;
    }
    close(s);
    printf("received %ld\n", got);
    return got == down ? 0 : 1;
}

static int do_udp(const char *host, int port, int rounds, int size)
{
    struct sockaddr_storage ss;
    socklen_t sl;
    int s = connect_to(host, port, SOCK_DGRAM, &ss, &sl);
    struct timeval tv = { 5, 0 };
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    memset(buf, 'd', sizeof buf);
    long sent = 0, got = 0;
    for (int i = 0; i < rounds; i++) {
        struct iovec v[2] = { { buf, (size_t)size }, { buf + 65536, (size_t)size } };
        struct msghdr m = { .msg_iov = &v[0], .msg_iovlen = 1 };
        struct mmsghdr mm[2] = { { .msg_hdr = { .msg_iov = &v[0], .msg_iovlen = 1 } },
                                 { .msg_hdr = { .msg_iov = &v[1], .msg_iovlen = 1 } } };
        ssize_t w, r;
        switch (i % 3) {
        case 0:
            w = sendto(s, buf, (size_t)size, 0, NULL, 0);
            if (w != size) die("sendto");
            sent += w;
            r = recvfrom(s, buf, 65536, 0, NULL, NULL);
            if (r < 0) die("recvfrom");
            got += r;
            break;
        case 1:
            w = sendmsg(s, &m, 0);
            if (w != size) die("sendmsg");
            sent += w;
            v[0].iov_len = 65536;
            r = recvmsg(s, &m, 0);
            if (r < 0) die("recvmsg");
            got += r;
            break;
        default: {
            int k = sendmmsg(s, mm, 2, 0);
            if (k != 2) die("sendmmsg");
            sent += mm[0].msg_len + mm[1].msg_len;
            v[0].iov_len = 65536;
            v[1].iov_len = 65536;
            int done = 0;
            while (done < 2) {
                int q = recvmmsg(s, mm + done, (unsigned)(2 - done), 0, NULL);
                if (q <= 0) die("recvmmsg");
                for (int j = 0; j < q; j++) got += mm[done + j].msg_len;
                done += q;
            }
            break;
        }
        }
    }
    printf("sent %ld received %ld\n", sent, got);
    return 0;
}

static void wr(int fd, size_t n)
{
    memset(buf, 'r', n);
    full(write(fd, buf, n), n, "write");
}

static int do_fdreuse(const char *dir, const char *host, int port, const char *self)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/fdreuse", dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) die("open");
    wr(fd, 100);                                   /* disk 100 */
    close(fd);
    struct sockaddr_storage ss;
    socklen_t sl;
    int s = connect_to(host, port, SOCK_STREAM, &ss, &sl);
    if (s != fd) { fprintf(stderr, "io: fd not reused (%d vs %d)\n", s, fd); return 12; }
    wr(s, 200);                                    /* net 200 on the same number */
    int f2 = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
    if (f2 < 0) die("open");
    if (dup2(f2, s) != s) die("dup2");             /* s is now the file */
    wr(s, 300);                                    /* disk 300 */
    int s2 = connect_to(host, port, SOCK_STREAM, &ss, &sl);
    if (dup3(s2, f2, O_CLOEXEC) != f2) die("dup3"); /* f2 is now a socket */
    wr(f2, 400);                                   /* net 400 */
    if (dup3(s2, 50, O_CLOEXEC) != 50) die("dup3 50");
    wr(50, 10);                                    /* net 10; fd 50 dies at exec */
    execl(self, self, "fdexec", path, (char *)NULL);
    die("exec");
    return 1;
}

static int do_fdhigh(const char *dir, const char *host, int port)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) die("getrlimit");
    rl.rlim_cur = rl.rlim_max;
    if (rl.rlim_max < 6001 || setrlimit(RLIMIT_NOFILE, &rl) != 0) { fprintf(stderr, "io: RLIMIT_NOFILE's hard limit %ld is below 6001\n", (long)rl.rlim_max); return 15; }
    int last = rl.rlim_max > 65536 ? 65536 : (int)rl.rlim_max;
    char path[4096];
    snprintf(path, sizeof path, "%s/fdhigh", dir);
    int f = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (f < 0) die("open");
    struct sockaddr_storage ss;
    socklen_t sl;
    int s = connect_to(host, port, SOCK_STREAM, &ss, &sl), s2 = connect_to(host, port, SOCK_STREAM, &ss, &sl);
    if (dup2(f, 5000) != 5000) die("dup2 5000");
    wr(5000, 100);                                 /* disk 100 */
    if (close(5000) != 0) die("close 5000");
    wr(s, 5);                                      /* net 5: the socket gets its meter */
    if (dup2(s, 5000) != 5000) die("dup2 s 5000");
    wr(5000, 200);                                 /* net 200 */
    full(send(5000, buf, 20, 0), 20, "send");      /* net 20 */
    if (dup3(f, 5000, 0) != 5000) die("dup3 5000"); /* (closes the socket's second name) */
    wr(5000, 300);                                 /* disk 300 */
    if (dup3(s2, 4095, 0) != 4095) die("dup3 4095");
    wr(4095, 40);                                  /* net 40 */
    if (dup2(f, 4095) != 4095) die("dup2 4095");
    wr(4095, 50);                                  /* disk 50 */
    for (int fd = 6000; fd < last; fd++)
        if (close(fd) != -1 || errno != EBADF) { fprintf(stderr, "io: close(%d) did not fail with EBADF\n", fd); return 14; }
    if (close(-1) != -1 || errno != EBADF) { fprintf(stderr, "io: close(-1) did not fail with EBADF\n"); return 14; }
    return 0;
}

static int do_fdexec(const char *path)
{
    int f = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
    if (f < 0) die("open");
    if (fcntl(f, F_DUPFD_CLOEXEC, 50) != 50) { fprintf(stderr, "io: fd 50 not free after exec\n"); return 13; }
    wr(50, 500);                                   /* disk 500 on the old socket's number */
    return 0;
}

static volatile sig_atomic_t alarms, alarms_off;
/* One shot, re-armed by the handler: the next signal comes 100 us after this
 * one was handled, so the program advances however long a signal's ptrace
 * stop takes (a periodic timer outran a sanitizer-built helper: 75 rounds in
 * 10 s, ~1000 stops each). */
static void arm_alarm(void)
{
    struct itimerval it = { { 0, 0 }, { 0, alarms_off ? 0 : 100 } };
    setitimer(ITIMER_REAL, &it, NULL);
}
static void on_alarm(int sig) { (void)sig; alarms++; arm_alarm(); }

static int do_sigcalls(long n)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm; /* no SA_RESTART: a restartable call would fail with EINTR */
    sigaction(SIGALRM, &sa, NULL);
    arm_alarm();
    long eintr = 0, rounds = 0;
    /* at most 10 s: each signal is a ptrace stop, and on a loaded machine a
     * round can take many of them (the run would outlast any timeout) */
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (; rounds < n; rounds++) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec - t0.tv_sec >= 10) break;
        void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) { eintr += errno == EINTR; continue; }
        if (mprotect(p, 4096, PROT_READ) != 0) eintr += errno == EINTR;
        munmap(p, 4096);
        if (close(100000) != 0) eintr += errno == EINTR;
    }
    alarms_off = 1;
    arm_alarm();
    printf("rounds=%ld signals=%ld eintr=%ld\n", rounds, (long)alarms, eintr);
    return eintr == 0 ? 0 : 1;
}

static int do_burn(long ms)
{
    struct timespec ts;
    volatile unsigned long x = 0;
    for (;;) {
        for (int i = 0; i < 100000; i++) x++;
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
        if (ts.tv_sec * 1000L + ts.tv_nsec / 1000000L >= ms) return 0;
    }
}

/* Writes through a shared file mapping: no write call, only page dirtying.
 * The kernel counts a dirtied page cache folio whole (up to 2 MiB on x86-64),
 * so the control byte gets a chunk of its own: with CHUNK a multiple of the
 * largest folio no folio spans two chunks and each chunk counts exactly. */
static int do_mapwrite(const char *path, long chunks, long chunk, const char *how)
{
    size_t size = (size_t)(chunks + 1) * (size_t)chunk;
    int fd = open(path, O_RDWR | O_CREAT, 0644), zero = open("/dev/zero", O_RDONLY);
    if (fd < 0 || zero < 0 || ftruncate(fd, (off_t)size) != 0) die("mapwrite setup");
    bool protect = !strcmp(how, "protect"), in_child = !strcmp(how, "fork");
    char *m = mmap(NULL, size, protect ? PROT_READ : PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (m == MAP_FAILED) die("mmap");
    printf("ready\n");
    fflush(stdout);
    const struct timespec tick = { 0, 5 * 1000 * 1000 };
    while (__atomic_load_n(&m[0], __ATOMIC_ACQUIRE) != 'g') nanosleep(&tick, NULL);
    if (protect && mprotect(m, size, PROT_READ | PROT_WRITE) != 0) die("mprotect");
    if (in_child) {
        pid_t child = fork();
        if (child < 0) die("fork");
        if (child > 0) {
            int status;
            if (waitpid(child, &status, 0) != child) die("waitpid");
            printf("done\n");
            return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
        }
    }
    char c;
    for (long i = 0; i < chunks; i++) {
        memset(m + (size_t)(i + 1) * (size_t)chunk, 1, (size_t)chunk);
        full(read(zero, &c, 1), 1, "read /dev/zero");
    }
    printf("done\n");
    return 0;
}

/* Receives from a socket straight into a shared file mapping (rtorrent's way). */
static int do_maprecv(const char *path, long total, const char *host, int port)
{
    int fd = open(path, O_RDWR | O_CREAT, 0644);
    if (fd < 0 || ftruncate(fd, (off_t)total) != 0) die("maprecv setup");
    char *m = mmap(NULL, (size_t)total, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (m == MAP_FAILED) die("mmap");
    struct sockaddr_storage ss;
    socklen_t sl;
    int s = connect_to(host, port, SOCK_STREAM, &ss, &sl);
    for (long got = 0; got < total;) {
        ssize_t r = recv(s, m + got, (size_t)(total - got), 0);
        if (r <= 0) die("recv");
        got += r;
    }
    printf("done\n");
    return 0;
}

/* Maps the existing file at path shared and read-only, its pages dropped
 * from the page cache first, so that each load from it reads from storage. */
static const unsigned char *map_cold(const char *path, size_t *size)
{
    int fd = open(path, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) die("map_cold open");
    *size = (size_t)st.st_size;
    /* (written back first: a dirty page is not dropped) */
    if (fdatasync(fd) != 0 || posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) != 0) die("map_cold drop");
    const unsigned char *m = mmap(NULL, *size, PROT_READ, MAP_SHARED, fd, 0);
    if (m == MAP_FAILED) die("mmap");
    return m;
}

/* Reads through a shared file mapping: no read call, only page faults. */
static int do_mapread(const char *path, long chunk)
{
    size_t size;
    const volatile unsigned char *m = map_cold(path, &size);
    /* no readahead (it may take the whole file at the first fault): each
     * chunk's loads read that chunk from storage, and no more */
    if (madvise((void *)m, size, MADV_RANDOM) != 0) die("madvise");
    int zero = open("/dev/zero", O_RDONLY);
    if (zero < 0) die("open /dev/zero");
    unsigned long sum = 0;
    char c;
    for (size_t at = 0; at < size; at += (size_t)chunk) {
        for (size_t i = at; i < at + (size_t)chunk && i < size; i += 4096) sum += m[i];
        full(read(zero, &c, 1), 1, "read /dev/zero");
    }
    printf("sum %lu\n", sum);
    return 0;
}

/* Sends a file straight from a shared mapping of it (rtorrent's way of seeding). */
static int do_mapsend(const char *path, const char *host, int port)
{
    size_t size;
    const unsigned char *m = map_cold(path, &size);
    struct sockaddr_storage ss;
    socklen_t sl;
    int s = connect_to(host, port, SOCK_STREAM, &ss, &sl);
    for (size_t sent = 0; sent < size;) {
        ssize_t r = send(s, m + sent, size - sent, 0);
        if (r <= 0) die("send");
        sent += (size_t)r;
    }
    printf("done\n");
    return 0;
}

int main(int argc, char **argv)
{
    /* (a byte call on no file: the helper's window over the loader's reads of
     * the libraries ends here, so the pages of this program that its work
     * faults in later are charged to none of its calls, as in `io noop`) */
    if (write(1, "", 0) != 0) die("write");
    if (argc < 2) return 2;
    if (!strcmp(argv[1], "after-stdin")) {
        /* (the loader's reads are over: a test sets its caps, then writes a byte) */
        char go;
        if (read(0, &go, 1) != 1) die("stdin");
        argv++;
        argc--;
        if (argc < 2) return 2;
    }
    const char *m = argv[1];
    if (!strcmp(m, "file") && argc == 3) return do_file(argv[2]);
    if (!strcmp(m, "maprecv") && argc == 6) return do_maprecv(argv[2], atol(argv[3]), argv[4], atoi(argv[5]));
    if (!strcmp(m, "mapread") && argc == 4) return do_mapread(argv[2], atol(argv[3]));
    if (!strcmp(m, "mapsend") && argc == 5) return do_mapsend(argv[2], argv[3], atoi(argv[4]));
    if (!strcmp(m, "mapwrite") && (argc == 5 || argc == 6)) return do_mapwrite(argv[2], atol(argv[3]), atol(argv[4]), argc == 6 ? argv[5] : "");
    if (!strcmp(m, "fwrite") && argc == 5) return do_fwrite(argv[2], atol(argv[3]), atol(argv[4]));
    if (!strcmp(m, "fcopy") && argc == 5) return do_fcopy(argv[2], argv[3], atol(argv[4]));
    if (!strcmp(m, "tcp") && argc == 7) return do_tcp(argv[2], atoi(argv[3]), atol(argv[4]), atol(argv[5]), atol(argv[6]));
    if (!strcmp(m, "udp") && argc == 6) return do_udp(argv[2], atoi(argv[3]), atoi(argv[4]), atoi(argv[5]));
    if (!strcmp(m, "noop")) return 0;
    if (!strcmp(m, "spawnloop") && argc == 3) {
        extern char **environ;
        for (int i = 0, n = atoi(argv[2]); i < n; i++) {
            pid_t p;
            char *av[] = { argv[0], "noop", NULL };
            int st;
            if (posix_spawn(&p, argv[0], NULL, NULL, av, environ) != 0 || waitpid(p, &st, 0) != p || st != 0) return 1;
        }
        return 0;
    }
    if (!strcmp(m, "burn") && argc == 3) return do_burn(atol(argv[2]));
    if (!strcmp(m, "sigcalls") && argc == 3) return do_sigcalls(atol(argv[2]));
    if (!strcmp(m, "fdreuse") && argc == 5) return do_fdreuse(argv[2], argv[3], atoi(argv[4]), argv[0]);
    if (!strcmp(m, "fdexec") && argc == 3) return do_fdexec(argv[2]);
    if (!strcmp(m, "fdhigh") && argc == 5) return do_fdhigh(argv[2], argv[3], atoi(argv[4]));
    if (!strcmp(m, "uring")) {
        char params[120] = { 0 };
        long r = syscall(SYS_io_uring_setup, 4, params);
        return r < 0 && errno == ENOSYS ? 0 : 1;
    }
    fprintf(stderr, "io: bad arguments\n");
    return 2;
}
