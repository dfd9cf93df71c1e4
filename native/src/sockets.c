/* The send/recv family on the notification path. A call whose direction is
 * capped (and any call on an inet socket without a meter: UDP, or no kept
 * duplicate) is performed by the helper itself, on a duplicate of the app's
 * socket (pidfd_getfd), moving the data with process_vm_readv/writev, and the
 * notification is answered with the call's result: the bytes are exact per
 * call without any ptrace stop. An uncapped call on a metered TCP socket is
 * answered CONTINUE and its bytes come from the socket's kernel counters
 * (meters.c), so the kernel runs it with every flag, wait and timeout.
 *
 * A call moves exactly what it would natively: never a shorter read or write
 * (an event loop on edge-triggered epoll takes a short write for a full
 * buffer and a short read for a drained one, and would wait for an edge that
 * never comes: libtorrent does). Under a download cap the socket's receive
 * buffer is sized instead (size_receive_buffer).
 *
 * What is emulated is what can be done exactly now: the call runs with
 * MSG_DONTWAIT. A call that would block (a blocking socket with nothing to
 * read, or no room to write), a blocking stream write, and anything unusual
 * (MSG_OOB, MSG_WAITALL, MSG_ERRQUEUE, MSG_ZEROCOPY, a recvmmsg timeout, more
 * than 64 buffers or messages) is handed off: the notification is answered
 * with a restart and the restarted call runs natively on the ptrace path
 * (tracer.c), where the kernel blocks, times out and is interrupted as it
 * always does, and its exit stop gives the bytes.
 *
 * The filter's notifications wait killable once received
 * (SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV): a signal cannot take the call
 * away between our reading the data off the socket and our answer, so no
 * byte is ever lost or sent twice. (stops.c answers a held notification with
 * a restart when a signal is pending, so signals still get through.)
 *
 * Not on inet sockets (AF_UNIX, netlink...): answered CONTINUE, not charged. */
#include "helper.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/socket.h> /* SOCK_RCVBUF_LOCK */
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "seccomp_compat.h"

#ifndef SO_BUF_LOCK
#define SO_BUF_LOCK 72 /* Linux 5.14 */
#endif

#define MAX_IOV 64
#define MAX_MSGS 64
#define MAX_BYTES (64u << 20)     /* larger calls are handed off */
#define CTL_BYTES 65536           /* ancillary data of one message */
#define NAME_BYTES 128            /* a socket address */
#define MIN_RCVBUF 65536          /* a capped download socket's buffer: at least this, ... */
#define RCVBUF_RTTS 2             /* ... this many round trips of the granted rate, ... */
#define MAX_RCVBUF (16 << 20)     /* ... at most this */

/* Flags emulated exactly with MSG_DONTWAIT added (anything else is handed off). */
#define RECV_FLAGS (MSG_DONTWAIT | MSG_PEEK | MSG_TRUNC | MSG_CMSG_CLOEXEC | MSG_WAITFORONE)
#define SEND_FLAGS (MSG_DONTWAIT | MSG_NOSIGNAL | MSG_MORE | MSG_CONFIRM | MSG_EOR)

/* Under the tracing lock: one call at a time, whichever thread runs it. */
static char *buf, ctl[CTL_BYTES], name[NAME_BYTES];
static size_t bufcap;

/* buf holds at least len bytes. */
static bool room(size_t len)
{
    if (len <= bufcap) return true;
    if (len > MAX_BYTES) return false;
    size_t cap = bufcap ? bufcap : 65536;
    while (cap < len) cap *= 2;
    char *b = realloc(buf, cap);
    if (!b) return false;
    buf = b;
    bufcap = cap;
    return true;
}

bool sock_call(int nr)
{
    return nr == SYS_sendto || nr == SYS_recvfrom || nr == SYS_sendmsg || nr == SYS_recvmsg ||
           nr == SYS_sendmmsg || nr == SYS_recvmmsg;
}

static bool is_send(int nr) { return nr == SYS_sendto || nr == SYS_sendmsg || nr == SYS_sendmmsg; }

/* ---- the app's memory ---- */

static bool rd(pid_t tid, unsigned long addr, void *to, size_t len)
{
    if (len == 0) return true;
    struct iovec l = { to, len }, r = { (void *)addr, len };
    return process_vm_readv(tid, &l, 1, &r, 1, 0) == (ssize_t)len;
}

static bool wr(pid_t tid, unsigned long addr, const void *from, size_t len)
{
    if (len == 0) return true;
    struct iovec l = { (void *)from, len }, r = { (void *)addr, len };
    return process_vm_writev(tid, &l, 1, &r, 1, 0) == (ssize_t)len;
}

/* The app's iovecs (at most MAX_IOV), their total length in *total. */
static int read_iov(pid_t tid, unsigned long addr, size_t n, struct iovec *out, uint64_t *total)
{
    if (n > MAX_IOV || !rd(tid, addr, out, n * sizeof *out)) return -1;
    *total = 0;
    for (size_t i = 0; i < n; i++) *total += out[i].iov_len;
    return (int)n;
}

/* Scatters len bytes of buf over the app's iovecs. */
static bool scatter(pid_t tid, const struct iovec *iov, int n, size_t len)
{
    if (len == 0) return true;
    struct iovec l = { buf, len };
    return process_vm_writev(tid, &l, 1, iov, (unsigned long)n, 0) == (ssize_t)len;
}

/* Gathers len bytes from the app's iovecs into buf. */
static bool gather(pid_t tid, const struct iovec *iov, int n, size_t len)
{
    if (len == 0) return true;
    struct iovec l = { buf, len };
    return process_vm_readv(tid, &l, 1, iov, (unsigned long)n, 0) == (ssize_t)len;
}

/* ---- one emulated call ---- */

struct ctx {
    struct thread *t;
    int fd;          /* our duplicate of the app's socket */
    int fdnum;       /* the app's fd number */
    bool stream;
    int res;         /* R_NETUP or R_NETDOWN */
    bool charged;    /* sendmmsg/recvmmsg charge message by message */
    int meter;       /* the socket's meter (meters.c), -1 = none */
};

/* Whether the app's call would block: no MSG_DONTWAIT and a blocking socket. */
static bool blocking(const struct ctx *c, int flags)
{
    if (flags & MSG_DONTWAIT) return false;
    int fl = fcntl(c->fd, F_GETFL);
    return fl >= 0 && !(fl & O_NONBLOCK);
}

static void charge(const struct ctx *c, uint64_t bytes)
{
    meter_moved(c->meter, c->res == R_NETUP, bytes); /* (charged here: its meter must not again) */
    charge_moved(c->res, c->res == R_NETUP ? C_NETUP : C_NETDOWN, bytes);
}

enum outcome { DONE, HANDOFF };

/* One message each way (sendmsg/recvmsg, and each of sendmmsg/recvmmsg's).
 * Returns DONE with *ret = bytes or -errno, or HANDOFF. */
static enum outcome one_msg(struct ctx *c, unsigned long msgp, int flags, bool send, long *ret)
{
    pid_t tid = c->t->tid;
    struct msghdr m;
    struct iovec iov[MAX_IOV];
    uint64_t total;
    if (!rd(tid, msgp, &m, sizeof m)) { *ret = -EFAULT; return DONE; }
    int n = read_iov(tid, (unsigned long)m.msg_iov, m.msg_iovlen, iov, &total);
    if (n < 0) return HANDOFF;
    if (m.msg_controllen > CTL_BYTES || (m.msg_name && m.msg_namelen > NAME_BYTES) || !room(total)) return HANDOFF;
    size_t len = (size_t)total;
    struct iovec l = { buf, len };
    struct msghdr k = {
        .msg_name = m.msg_name ? name : NULL, .msg_namelen = m.msg_name ? m.msg_namelen : 0,
        .msg_iov = &l, .msg_iovlen = 1,
        .msg_control = m.msg_controllen ? ctl : NULL, .msg_controllen = m.msg_controllen,
    };
    if (send) {
        if (!gather(tid, iov, n, len) || (k.msg_name && !rd(tid, (unsigned long)m.msg_name, name, k.msg_namelen)) ||
            !rd(tid, (unsigned long)m.msg_control, ctl, k.msg_controllen)) {
            *ret = -EFAULT;
            return DONE;
        }
        ssize_t r = sendmsg(c->fd, &k, flags | MSG_DONTWAIT | MSG_NOSIGNAL);
        *ret = r < 0 ? -errno : r;
        return DONE;
    }
    ssize_t r = recvmsg(c->fd, &k, flags | MSG_DONTWAIT);
    if (r < 0) { *ret = -errno; return DONE; }
    /* the kernel's fields of the app's msghdr: name length, control length, flags */
    size_t copied = (size_t)r < len ? (size_t)r : len;
    bool ok = scatter(tid, iov, n, copied) &&
              (!k.msg_name || wr(tid, (unsigned long)m.msg_name, name, k.msg_namelen < m.msg_namelen ? k.msg_namelen : m.msg_namelen)) &&
              (!k.msg_controllen || wr(tid, (unsigned long)m.msg_control, ctl, k.msg_controllen));
    m.msg_namelen = k.msg_namelen;
    m.msg_controllen = k.msg_controllen;
    m.msg_flags = k.msg_flags;
    ok = ok && wr(tid, msgp, &m, sizeof m);
    *ret = ok ? r : -EFAULT;
    return DONE;
}

static enum outcome emulate(struct ctx *c, const struct seccomp_data *d, long *ret)
{
    pid_t tid = c->t->tid;
    int nr = d->nr, flags = (int)d->args[3];
    if (nr == SYS_sendmsg || nr == SYS_recvmsg) flags = (int)d->args[2];
    bool send = is_send(nr);
    if (flags & ~(send ? SEND_FLAGS : RECV_FLAGS)) return HANDOFF;
    /* a blocking stream write must write it all: the native call does that */
    if (send && c->stream && blocking(c, flags)) return HANDOFF;

    if (nr == SYS_sendto || nr == SYS_recvfrom) {
        unsigned long ubuf = d->args[1], uaddr = d->args[4], ualen = d->args[5];
        size_t len = (size_t)d->args[2];
        if (!room(len)) return HANDOFF;
        socklen_t alen = 0;
        if (send) {
            alen = (socklen_t)ualen;
            if (uaddr && alen > NAME_BYTES) return HANDOFF;
            if (!rd(tid, ubuf, buf, len) || (uaddr && !rd(tid, uaddr, name, alen))) { *ret = -EFAULT; return DONE; }
            ssize_t r = sendto(c->fd, buf, len, flags | MSG_DONTWAIT | MSG_NOSIGNAL, uaddr ? (struct sockaddr *)name : NULL, uaddr ? alen : 0);
            *ret = r < 0 ? -errno : r;
            return DONE;
        }
        if (uaddr && (!ualen || !rd(tid, ualen, &alen, sizeof alen))) { *ret = -EFAULT; return DONE; }
        socklen_t got = NAME_BYTES;
        ssize_t r = recvfrom(c->fd, buf, len, flags | MSG_DONTWAIT, uaddr ? (struct sockaddr *)name : NULL, uaddr ? &got : NULL);
        if (r < 0) { *ret = -errno; return DONE; }
        size_t copied = (size_t)r < len ? (size_t)r : len;
        bool ok = wr(tid, ubuf, buf, copied) && (!uaddr || (wr(tid, uaddr, name, got < alen ? got : alen) && wr(tid, ualen, &got, sizeof got)));
        *ret = ok ? r : -EFAULT;
        return DONE;
    }
    if (nr == SYS_sendmsg || nr == SYS_recvmsg) return one_msg(c, d->args[1], flags, send, ret);

    /* sendmmsg / recvmmsg: message by message, as many as go now */
    unsigned long vec = d->args[1], vlen = d->args[2];
    if (vlen > MAX_MSGS || (nr == SYS_recvmmsg && d->args[4])) return HANDOFF;
    long done = 0;
    for (unsigned long i = 0; i < vlen; i++) {
        long r;
        unsigned long msgp = vec + i * sizeof(struct mmsghdr);
        if (one_msg(c, msgp, flags & ~MSG_WAITFORONE, send, &r) == HANDOFF) {
            if (done == 0) return HANDOFF;
            break;
        }
        if (r < 0) {
            if (done == 0) { *ret = r; return DONE; }
            break;
        }
        unsigned int len = (unsigned int)r;
        if (!wr(tid, msgp + offsetof(struct mmsghdr, msg_len), &len, sizeof len)) { *ret = done ? done : -EFAULT; return DONE; }
        if (!(flags & MSG_PEEK)) charge(c, (uint64_t)r);
        done++;
    }
    c->charged = true;
    *ret = done;
    return DONE;
}

/* A datagram socket has no flow control: while the app waits for credit,
 * what arrives queues in its receive buffer, and past it the kernel drops
 * it. A sender that backs off on loss (uTP halves its window, as TCP does)
 * then falls far below the cap: qBittorrent over uTP under --down 2MB/s
 * (the swarm test's setup in namespaces, 8 runs) kept 1.27-2.00 MB/s over its link, 145-412 of
 * 14 000 datagrams dropped per 20 MB. Capped, the buffer holds
 * UDP_RCVBUF_SECONDS of the granted rate (a delay-based sender, uTP's
 * LEDBAT, keeps its queue near 100 ms: no loss); uncapped again, the
 * system's default. Never smaller than the default; SO_RCVBUFFORCE (root)
 * goes past net.core.rmem_max. A buffer the app sized itself is left alone. */
#define UDP_RCVBUF_SECONDS 0.5
static void size_datagram_buffer(struct ctx *c, struct fdtab *f, bool capped, bool ours, int locks)
{
    static int deflt;
    if (!deflt) {
        FILE *d = fopen("/proc/sys/net/core/rmem_default", "re");
        if (!d || fscanf(d, "%d", &deflt) != 1 || deflt <= 0) deflt = 212992;
        if (d) fclose(d);
    }
    int half = deflt / 2; /* (the kernel doubles what is set: a new socket has the default itself) */
    if (!capped) {
        if (setsockopt(c->fd, SOL_SOCKET, SO_RCVBUFFORCE, &half, sizeof half) != 0) setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &half, sizeof half);
        int unlocked = locks & ~SOCK_RCVBUF_LOCK;
        setsockopt(c->fd, SOL_SOCKET, SO_BUF_LOCK, &unlocked, sizeof unlocked);
        fdtab_set_flag(f, c->fdnum, FDF_RCVBUF, false);
        return;
    }
    if (!ours && (locks & SOCK_RCVBUF_LOCK)) return; /* the app's own size */
    double want = H.cr[R_NETDOWN].grant_rate * UDP_RCVBUF_SECONDS;
    int size = want < half ? half : want > MAX_RCVBUF ? MAX_RCVBUF : (int)want;
    if (setsockopt(c->fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) == 0 || setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size) == 0)
        fdtab_set_flag(f, c->fdnum, FDF_RCVBUF, true);
}

/* Under a download cap, a TCP socket's receive buffer is sized to the granted
 * rate (SO_RCVBUF): a couple of its round trips' worth, at least MIN_RCVBUF.
 * The kernel then cannot pile up megabytes while the app waits for credit
 * (qBittorrent reads up to 3 MB at once: its reads, and the peer's sending,
 * would come in bursts of that size), so what the app reads, and what crosses
 * the wire, follow the cap. Uncapped again, the kernel's autotuning of the
 * buffer is switched back on (SO_BUF_LOCK, Linux 5.14+; before that the
 * buffer is set as large as net.core.rmem_max allows).
 * A buffer the app sized itself is left alone: it chose it, and the credit
 * still holds its reads to the cap. (A visible change while capped: the app's
 * getsockopt(SO_RCVBUF) sees our size.) */
static void size_receive_buffer(struct ctx *c)
{
    struct fdtab *f = c->t->proc->fdt; /* (what we did is remembered with the fd's class) */
    bool ours = fdtab_flag(f, c->fdnum, FDF_RCVBUF);
    bool capped = is_credit(R_NETDOWN);
    if (!capped && !ours) return;
    int locks = 0;
    socklen_t ll = sizeof locks;
    bool have_lock_opt = getsockopt(c->fd, SOL_SOCKET, SO_BUF_LOCK, &locks, &ll) == 0;
    if (!c->stream) { size_datagram_buffer(c, f, capped, ours, locks); return; }
    if (!capped) {
        int unlocked = locks & ~SOCK_RCVBUF_LOCK, large = INT_MAX;
        if (have_lock_opt) setsockopt(c->fd, SOL_SOCKET, SO_BUF_LOCK, &unlocked, sizeof unlocked);
        else setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &large, sizeof large);
        fdtab_set_flag(f, c->fdnum, FDF_RCVBUF, false);
        return;
    }
    if (!ours && (locks & SOCK_RCVBUF_LOCK)) return; /* the app's own size */
    struct tcp_info ti;
    socklen_t tl = sizeof ti;
    double rtt = getsockopt(c->fd, IPPROTO_TCP, TCP_INFO, &ti, &tl) == 0 ? ti.tcpi_rtt / 1e6 : 0;
    double want = H.cr[R_NETDOWN].grant_rate * rtt * RCVBUF_RTTS;
    int size = want < MIN_RCVBUF ? MIN_RCVBUF : want > MAX_RCVBUF ? MAX_RCVBUF : (int)want;
    if (setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size) == 0) fdtab_set_flag(f, c->fdnum, FDF_RCVBUF, true);
}

/* ---- decision ---- */

/* What the call asks to move, for the `demand` of a held call. */
static uint64_t want_of(pid_t tid, const struct seccomp_data *d)
{
    if (d->nr == SYS_sendto || d->nr == SYS_recvfrom) return d->args[2];
    uint64_t total = d->nr == SYS_sendmsg || d->nr == SYS_recvmsg ? msghdr_sum(tid, d->args[1]) : 0;
    return total ? total : 65536; /* (mmsg: a datagram's worth is as good a guess as any) */
}

/* The thread's call id (data d) on an inet or other socket: performed and
 * answered, held for credit, or handed off to the ptrace path. */
void sock_decide(struct thread *t, uint64_t id, const struct seccomp_data *d)
{
    int fd = (int)d->args[0];
    if (classify_fd(t->proc, t->tid, fd) != FD_NET) {
        notif_answer_continue(t, id); /* AF_UNIX, netlink, ...: not charged, not touched */
        return;
    }
    bool send = is_send(d->nr);
    struct ctx c = { .t = t, .fdnum = fd, .res = send ? R_NETUP : R_NETDOWN, .meter = -1 };
    struct credit_state *cs = &H.cr[c.res];
    /* A queue entry of the thread is this call restarted (it keeps its place) or one it gave up. */
    bool restarted = t->held && t->held_sock && t->held_res == c.res;
    if (t->held && !restarted) queue_remove(t);
    if (is_credit(c.res)) {
        if (cs->credit <= 0) {
            t->notif_data = *d;
            t->notif_id = id;
            if (!restarted) {
                t->held_notif = true;
                t->held_sock = true;
                queue_hold(t, c.res, want_of(t->tid, d), true);
            }
            return;
        }
    }
    if (restarted) queue_remove(t);
    struct sockdup sd;
    if (!sockdup_get(t->proc, fd, &sd)) { handoff(t, id, true); return; } /* the call runs natively, traced */
    c.fd = sd.fd;
    c.stream = sd.stream;
    c.meter = sd.meter;
    if (!send) size_receive_buffer(&c);
    if (c.meter >= 0 && !is_credit(c.res)) {
        /* uncapped TCP: natively, no copy; its meter charges what it moves
         * (settled now too: what the previous call moved is charged in time) */
        meter_settle(c.meter, c.fd);
        sockdup_put(&sd);
        notif_answer_continue(t, id);
        return;
    }
    long ret = 0;
    /* a recv into (a send from) a file mapped shared dirties (fetches) its pages in our name (mapped.c) */
    struct mapped_copy copy = mapped_copy_begin(t->proc);
    enum outcome o = emulate(&c, d, &ret);
    mapped_copy_end(&copy);
    int flags = (int)(d->nr == SYS_sendmsg || d->nr == SYS_recvmsg ? d->args[2] : d->args[3]);
    /* nothing to read or no room to write, and the app's call would wait: natively */
    if (o == DONE && ret == -EAGAIN && blocking(&c, flags)) o = HANDOFF;
    sockdup_put(&sd);
    if (o == HANDOFF) { handoff(t, id, true); return; }
    if (ret >= 0 && !c.charged && !(flags & MSG_PEEK)) charge(&c, (uint64_t)ret);
    if (ret == -EPIPE && !(flags & MSG_NOSIGNAL)) syscall(SYS_tgkill, t->proc->pid, t->tid, SIGPIPE); /* as the kernel would */
    if (ret >= 0) notif_answer(t, id, ret, 0);
    else notif_answer(t, id, 0, (int)-ret);
}
