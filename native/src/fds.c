/* fds: what a byte call on an fd is charged to (net, disk, other), the
 * per-fd-table cache of that answer and the fd-table calls that keep it
 * exact, and the small readers of a tracee's /proc files and fds. */
#include "helper.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/close_range.h>
#include <sched.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>
#include <sys/stat.h>

/* ------------------------------------------------------------------ */
/* fd tables                                                           */

struct fdtab *fdtab_new(void)
{
    struct fdtab *f = calloc(1, sizeof *f);
    if (f) f->refs = 1;
    return f;
}

struct fdtab *fdtab_copy(const struct fdtab *src)
{
    struct fdtab *f = fdtab_new();
    if (!f || !src || src->cap == 0) return f;
    f->diverged = src->diverged;
    f->cls = malloc((size_t)src->cap);
    f->flux = calloc((size_t)src->cap, sizeof *f->flux);
    f->dups = malloc((size_t)src->cap * sizeof *f->dups);
    f->meters = malloc((size_t)src->cap * sizeof *f->meters);
    if (!f->cls || !f->flux || !f->dups || !f->meters) {
        free(f->cls); free(f->flux); free(f->dups); free(f->meters);
        f->cls = NULL; f->flux = NULL; f->dups = NULL; f->meters = NULL;
        return f;
    }
    /* the copy's fds name the same files, but its duplicates are taken afresh */
    for (int i = 0; i < src->cap; i++) {
        f->cls[i] = src->cls[i] & (uint8_t)~FDF_STREAM;
        f->dups[i] = f->meters[i] = -1;
    }
    f->cap = src->cap;
    return f;
}

void fdtab_put(struct fdtab *f)
{
    if (!f || --f->refs > 0) return;
    fdtab_drop_dups(f);
    free(f->cls); free(f->flux); free(f->dups); free(f->meters); free(f);
}

static bool fdtab_reserve(struct fdtab *f, int fd)
{
    if (fd < f->cap) return true;
    if (fd >= FDCACHE_MAX) return false;
    int ncap = f->cap ? f->cap : 64;
    while (ncap <= fd) ncap *= 2;
    uint8_t *c = realloc(f->cls, (size_t)ncap);
    if (!c) return false;
    f->cls = c;
    uint16_t *x = realloc(f->flux, (size_t)ncap * sizeof *x);
    if (!x) return false;
    f->flux = x;
    int *d = realloc(f->dups, (size_t)ncap * sizeof *d);
    if (!d) return false;
    f->dups = d;
    int *m = realloc(f->meters, (size_t)ncap * sizeof *m);
    if (!m) return false;
    f->meters = m;
    memset(f->cls + f->cap, 0, (size_t)(ncap - f->cap));
    memset(f->flux + f->cap, 0, (size_t)(ncap - f->cap) * sizeof *x);
    for (int i = f->cap; i < ncap; i++) f->dups[i] = f->meters[i] = -1;
    f->cap = ncap;
    return true;
}

static void fdtab_clear(struct fdtab *f)
{
    if (f && f->cap) memset(f->cls, 0, (size_t)f->cap);
    fdtab_drop_dups(f);
}

/* Whether fd's entry may be cached now: no call is changing it, and the
 * numbers mean the same files for every task sharing the table. */
static bool cacheable(const struct fdtab *f, int fd)
{
    return f && !f->flux_all && !f->diverged && fd >= 0 && fd < f->cap && f->flux[fd] == 0;
}

/* Classifies fd of task tid (of process p): sockets of the inet families are
 * network, regular files and block devices are disk, everything else (pipes,
 * ttys, eventfds, AF_UNIX/netlink sockets) is not charged. */
static int classify_uncached(struct proc *p, pid_t tid, int fd)
{
    char path[64];
    struct stat st;
    snprintf(path, sizeof path, "/proc/%d/fd/%d", tid, fd);
    if (stat(path, &st) != 0) return -1; /* not open (EBADF will follow) */
    if (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode)) return FD_DISK;
    if (!S_ISSOCK(st.st_mode)) return FD_OTHER;
    /* Socket family: borrow a duplicate of the tracee's fd and ask SO_DOMAIN.
     * (Through the process's pidfd: pidfd_open refuses a thread that does not
     * lead its group, and every socket of a multi-threaded app's other
     * threads would then have been taken for the network.) */
    int dup = p ? dup_socket(p, fd) : -1;
    if (dup < 0) return FD_NET;
    int dom = 0;
    socklen_t len = sizeof dom;
    int r = getsockopt(dup, SOL_SOCKET, SO_DOMAIN, &dom, &len);
    close(dup);
    if (r != 0) return FD_NET;
    return (dom == AF_INET || dom == AF_INET6) ? FD_NET : FD_OTHER;
}

bool fdtab_flag(const struct fdtab *f, int fd, int flag)
{
    return cacheable(f, fd) && (f->cls[fd] & flag);
}

void fdtab_set_flag(struct fdtab *f, int fd, int flag, bool on)
{
    if (!cacheable(f, fd)) return;
    if (on) f->cls[fd] |= (uint8_t)flag;
    else f->cls[fd] &= (uint8_t)~flag;
}

/* An fd-table call answered CONTINUE is over by its thread's next trapped
 * call; a thread that makes none for a long time (one that closed a socket
 * and went back to sleep in epoll) would keep the fd in flux, and so
 * uncached, for good: libtorrent's peer socket reused such a number and every
 * call on it took a fresh copy, emulated. Its thread's current system call
 * tells: in another call (or none) it is over. */
struct flux_probe { struct fdtab *f; int fd; };

static void end_flux_if_over(struct thread *t, void *arg)
{
    struct flux_probe *fp = arg;
    if (!t->fdop_pending || t->fdop_tab != fp->f || (t->fdop_nr != SYS_close_range && t->fdop_fd != fp->fd)) return;
    char buf[32];
    if (!task_file(t, "syscall", buf, sizeof buf) || !strncmp(buf, "running", 7)) return; /* (maybe still in it) */
    if (strtol(buf, NULL, 10) != t->fdop_nr) fdtab_op_done(t);
}

/* The probe walks every thread and reads /proc: at most once a millisecond
 * per table, so an fd that stays in flux (its closing thread on a CPU, never
 * trapping) only costs its lookups a fresh classification. */
static bool cacheable_now(struct fdtab *f, int fd)
{
    uint64_t now;
    if (f && fd >= 0 && fd < f->cap && !f->diverged && (f->flux_all || f->flux[fd]) && (now = now_ns()) - f->flux_probed >= 1000000u) {
        f->flux_probed = now;
        struct flux_probe fp = { f, fd };
        for_each_thread(end_flux_if_over, &fp);
    }
    return cacheable(f, fd);
}

int classify_fd(struct proc *p, pid_t tid, int fd)
{
    if (fd < 0) return FD_OTHER;
    struct fdtab *f = p ? p->fdt : NULL;
    bool cache = f && fdtab_reserve(f, fd) && cacheable_now(f, fd);
    if (cache && (f->cls[fd] & FD_CLASS_MASK) != FD_UNKNOWN) return f->cls[fd] & FD_CLASS_MASK;
    int c = classify_uncached(p, tid, fd);
    if (c < 0) return FD_OTHER;
    if (cache) f->cls[fd] = (uint8_t)c;
    return c;
}

/* ------------------------------------------------------------------ */
/* a tracee's /proc files and fds                                      */

bool proc_file(pid_t pid, const char *name, char *buf, size_t cap)
{
    char path[80];
    snprintf(path, sizeof path, "/proc/%d/%s", pid, name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    ssize_t n = read(fd, buf, cap - 1);
    close(fd);
    if (n <= 0) return false;
    buf[n] = 0;
    return true;
}

bool task_file(const struct thread *t, const char *name, char *buf, size_t cap)
{
    char rel[64];
    snprintf(rel, sizeof rel, "task/%d/%s", t->tid, name);
    return proc_file(t->proc ? t->proc->pid : t->tid, rel, buf, cap);
}

/* /proc files kept open (task_file_kept), at most a quarter of our fd limit
 * (socket duplicates have another quarter). Under the tracing lock. */
static int proc_fds_kept, proc_fds_budget = -1;

static int quarter_of_fd_limit(void)
{
    struct rlimit rl;
    rlim_t cur = getrlimit(RLIMIT_NOFILE, &rl) == 0 ? rl.rlim_cur : 1024;
    return cur / 4 > 8192 ? 8192 : (int)(cur / 4);
}

/* task_file for a file read at every CPU stop (schedstat, stat): one pread of
 * *fd, which the first read opens and keeps while the budget allows. The
 * open and close are most of a read's cost (schedstat on this PTI VM: 6 us
 * opened each time, 1.6-2 us kept). kept_fd_close closes it. */
bool task_file_kept(const struct thread *t, int *fd, const char *name, char *buf, size_t cap)
{
    if (*fd < 0) {
        if (proc_fds_budget < 0) proc_fds_budget = quarter_of_fd_limit();
        if (proc_fds_kept >= proc_fds_budget) return task_file(t, name, buf, cap);
        char path[80];
        snprintf(path, sizeof path, "/proc/%d/task/%d/%s", t->proc ? t->proc->pid : t->tid, t->tid, name);
        if ((*fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) return false;
        proc_fds_kept++;
    }
    ssize_t n = pread(*fd, buf, cap - 1, 0);
    if (n <= 0) return false;
    buf[n] = 0;
    return true;
}

void kept_fd_close(int *fd)
{
    if (*fd < 0) return;
    close(*fd);
    *fd = -1;
    proc_fds_kept--;
}

/* A duplicate of process p's fd (we are its tracer, so pidfd_getfd is
 * permitted), or -1. The caller closes it. */
int dup_socket(struct proc *p, int fd)
{
    if (p->pidfd < 0) p->pidfd = (int)syscall(SYS_pidfd_open, p->pid, 0);
    if (p->pidfd < 0) return -1;
    return (int)syscall(SYS_pidfd_getfd, p->pidfd, fd, 0);
}

/* ------------------------------------------------------------------ */
/* socket duplicates kept for the notification path                    */

/* Taking a duplicate of the app's socket, and its SO_TYPE, for every send or
 * recv cost about 1.9 us of the call's added cost; the fd table keeps them.
 * A kept duplicate holds the app's socket open, so it is dropped before any
 * call that may close the app's fd is let through (fdop_begin: close, dup2,
 * dup3, close_range), at exec and when the process is gone: the app's own
 * close stays the last one (the peer gets its FIN, epoll forgets the socket,
 * the port is free again) exactly as natively. Under the tracing lock. */
static int dups_kept, dups_budget = -1;

/* at most a quarter of our fd limit (another: kept /proc files; the rest: pidfds, io files, the app's fds in flight) */
static bool dup_budget_left(void)
{
    if (dups_budget < 0) dups_budget = quarter_of_fd_limit();
    return dups_kept < dups_budget;
}

static void sockdup_drop(struct fdtab *f, int fd)
{
    if (!f || fd < 0 || fd >= f->cap || f->dups[fd] < 0) return;
    meter_detach(f->meters[fd], f->dups[fd]); /* (settled: the socket is still open) */
    f->meters[fd] = -1;
    close(f->dups[fd]);
    f->dups[fd] = -1;
    f->cls[fd] &= (uint8_t)~FDF_STREAM;
    dups_kept--;
}

void fdtab_drop_dups(struct fdtab *f)
{
    for (int fd = 0; f && fd < f->cap; fd++) sockdup_drop(f, fd);
}

static void kept_dup(const struct fdtab *f, int fd, struct sockdup *d)
{
    *d = (struct sockdup){ .fd = f->dups[fd], .stream = f->cls[fd] & FDF_STREAM, .cached = true, .meter = f->meters[fd] };
}

/* False when no duplicate is to be had: the fd is not open in the process's
 * leader (whose table pidfd_getfd reads: it may have exited), or the table
 * diverged (the leader's fd may be another file than the caller's). */
bool sockdup_get(struct proc *p, int fd, struct sockdup *d)
{
    struct fdtab *f = p->fdt;
    if (f && f->diverged) return false;
    bool cache = f && fdtab_reserve(f, fd) && cacheable_now(f, fd);
    if (cache && f->dups[fd] >= 0) { kept_dup(f, fd, d); return true; }
    int dup = dup_socket(p, fd);
    if (dup < 0) return false;
    int type = 0;
    socklen_t tl = sizeof type;
    *d = (struct sockdup){ .fd = dup, .stream = getsockopt(dup, SOL_SOCKET, SO_TYPE, &type, &tl) == 0 && type == SOCK_STREAM, .meter = -1 };
    if (cache && dup_budget_left()) {
        f->dups[fd] = dup;
        if (d->stream) {
            f->cls[fd] |= FDF_STREAM;
            f->meters[fd] = d->meter = meter_attach(dup);
        }
        dups_kept++;
        d->cached = true;
    } else if (d->stream) {
        d->meter = meter_find(dup); /* (a name above the cache of a socket a cached name meters) */
    }
    return true;
}

/* The meter of the TCP socket the app's fd names (taking and keeping our
 * duplicate of it first if need be), and a duplicate in *d that the caller
 * puts back (sockdup_put); -1 if it has none (not TCP, or no duplicate can be
 * kept and no other name keeps a meter; *d is then put already). Every name
 * of a metered socket must find its meter: a byte charged by a window or an
 * exit stop through another name would be charged twice. */
int socket_meter(struct proc *p, int fd, struct sockdup *d)
{
    if (!H.sock_notif || !sockdup_get(p, fd, d)) { *d = (struct sockdup){ .fd = -1, .meter = -1 }; return -1; }
    if (d->meter < 0) sockdup_put(d);
    return d->meter;
}

/* The kept duplicate of the app's fd, if there is one (none is taken). */
bool sockdup_peek(struct proc *p, int fd, struct sockdup *d)
{
    struct fdtab *f = p->fdt;
    if (!f || !cacheable(f, fd) || f->dups[fd] < 0) return false;
    kept_dup(f, fd, d);
    return true;
}

void sockdup_put(struct sockdup *d)
{
    if (!d->cached && d->fd >= 0) close(d->fd);
    d->fd = -1;
}

/* ------------------------------------------------------------------ */
/* fd-table calls: keep the classification cache exact                 */

/* While close/dup2/dup3/close_range may be changing an fd, its class is not
 * cached ("in flux"): a thread's read of it meanwhile is classified afresh. */
static void fdop_begin(struct thread *t, int nr, int fd, bool unshares)
{
    struct fdtab *f = t->proc ? t->proc->fdt : NULL;
    fdtab_op_done(t); /* (one at a time: a thread's calls are sequential) */
    t->fdop_nr = nr;
    t->fdop_fd = fd;
    if (!f) return;
    /* only a table another task shares can diverge (the process's threads or a CLONE_FILES child) */
    if (unshares && (t->proc->nthreads > 1 || f->refs > 1)) { f->diverged = true; fdtab_clear(f); }
    if (nr == SYS_unshare) return;
    if (nr == SYS_close_range) {
        f->flux_all++;
        fdtab_clear(f);
    } else if (fd >= 0 && fdtab_reserve(f, fd)) {
        f->flux[fd]++;
        sockdup_drop(f, fd); /* before the call closes the app's fd: its close must be the last */
        f->cls[fd] = FD_UNKNOWN;
    } else {
        return; /* uncacheable fd: nothing to track */
    }
    t->fdop_tab = f; /* (an exec may give the process another table meanwhile) */
    f->refs++;
    t->fdop_pending = true;
}

/* The call is over (seen at its exit stop, or at the thread's next trapped
 * call or its exit): what it changed is classified afresh when next used. */
void fdtab_op_done(struct thread *t)
{
    if (!t->fdop_pending) return;
    t->fdop_pending = false;
    struct fdtab *f = t->fdop_tab;
    t->fdop_tab = NULL;
    if (t->fdop_nr == SYS_close_range) {
        if (f->flux_all > 0) f->flux_all--;
        fdtab_clear(f);
    } else if (t->fdop_fd >= 0 && t->fdop_fd < f->cap) {
        if (f->flux[t->fdop_fd] > 0) f->flux[t->fdop_fd]--;
        f->cls[t->fdop_fd] = FD_UNKNOWN;
    }
    fdtab_put(f);
}

/* the fd a call changes: close's, or dup2/dup3's new one (close_range: all) */
static int fdop_target(int nr, uint64_t a0, uint64_t a1)
{
    int arg = fd_target_arg(nr);
    return arg < 0 ? -1 : (int)(arg ? a1 : a0);
}

/* unshare(CLONE_FILES) and close_range(CLOSE_RANGE_UNSHARE) give the calling
 * task a private copy of a table it shares (close_range then closes in it) */
static bool fdop_unshares(int nr, uint64_t a0, uint64_t a2)
{
    return (nr == SYS_unshare && (a0 & CLONE_FILES)) || (nr == SYS_close_range && (a2 & CLOSE_RANGE_UNSHARE));
}

void on_fdtab_entry(struct thread *t, struct user_regs_struct *r)
{
    int nr = (int)r->orig_rax;
    fdop_begin(t, nr, fdop_target(nr, r->rdi, r->rsi), fdop_unshares(nr, r->rdi, r->rdx));
    if (!t->fdop_pending) { resume_thread(t, PTRACE_CONT, 0); return; }
    t->exit_kind = EX_FDTAB;
    resume_thread(t, PTRACE_SYSCALL, 0);
}

void on_fdtab_exit(struct thread *t)
{
    fdtab_op_done(t);
    t->exit_kind = EX_NONE;
    resume_thread(t, PTRACE_CONT, 0);
}

/* Notification path: answered CONTINUE, the call runs after our answer and
 * no exit is seen; a thread's calls are sequential, so it is over by the
 * thread's next trapped call (notify.c and tracer.c call fdtab_op_done
 * there first). Until then the fd is in flux: never cached wrongly. */
void fdtab_on_notif(struct thread *t, uint64_t id, const struct seccomp_data *d)
{
    fdop_begin(t, d->nr, fdop_target(d->nr, d->args[0], d->args[1]), fdop_unshares(d->nr, d->args[0], d->args[2]));
    if (!notif_answer_continue(t, id)) fdtab_op_done(t); /* interrupted: it comes again */
}
