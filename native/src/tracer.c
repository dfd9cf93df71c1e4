/* The Catcher proper: creates the app under a seccomp filter, traces every
 * task of its tree with ptrace (SEIZE semantics), classifies fds, charges the
 * bytes each call actually moved, holds calls that lack credit, and parks
 * every thread when the engine takes the CPU away.
 *
 * Every tracee error (ESRCH because a task died under us, unreadable
 * memory, ...) is handled locally: it never kills the helper. */
#include "helper.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "seccomp_compat.h"

#ifndef PTRACE_EVENT_STOP
#define PTRACE_EVENT_STOP 128
#endif
#ifndef CLOSE_RANGE_UNSHARE
#define CLOSE_RANGE_UNSHARE (1U << 1)
#endif

/* seccomp RET_TRACE data: which handler a stop belongs to */
enum { CAT_BYTES = 1, CAT_FDTAB = 2, CAT_MEM = 3, CAT_EXEC = 4 };

/* ------------------------------------------------------------------ */
/* thread table                                                        */

#define HBUCKETS 4096
static struct thread *htab[HBUCKETS];

struct thread *thread_find(pid_t tid)
{
    for (struct thread *t = htab[(unsigned)tid % HBUCKETS]; t; t = t->hnext)
        if (t->tid == tid) return t;
    return NULL;
}

static struct thread *thread_new(pid_t tid)
{
    struct thread *t = calloc(1, sizeof *t);
    if (!t) { helper_log("error", "out of memory tracking thread %d", tid); return NULL; }
    t->tid = tid;
    t->state = TS_STOPPED;
    t->iofd = -1;
    t->hnext = htab[(unsigned)tid % HBUCKETS];
    htab[(unsigned)tid % HBUCKETS] = t;
    return t;
}

static void thread_unhash(struct thread *t)
{
    struct thread **pp = &htab[(unsigned)t->tid % HBUCKETS];
    while (*pp && *pp != t) pp = &(*pp)->hnext;
    if (*pp) *pp = t->hnext;
}

void for_each_thread(void (*fn)(struct thread *, void *), void *arg)
{
    for (int i = 0; i < HBUCKETS; i++) {
        struct thread *t = htab[i];
        while (t) {
            struct thread *next = t->hnext; /* fn may free t */
            fn(t, arg);
            t = next;
        }
    }
}

/* ------------------------------------------------------------------ */
/* fd tables                                                           */

static struct fdtab *fdtab_new(void)
{
    struct fdtab *f = calloc(1, sizeof *f);
    if (f) f->refs = 1;
    return f;
}

static struct fdtab *fdtab_copy(const struct fdtab *src)
{
    struct fdtab *f = fdtab_new();
    if (!f || !src || src->cap == 0) return f;
    f->cls = malloc((size_t)src->cap);
    f->flux = calloc((size_t)src->cap, sizeof *f->flux);
    if (!f->cls || !f->flux) { free(f->cls); free(f->flux); f->cls = NULL; f->flux = NULL; return f; }
    memcpy(f->cls, src->cls, (size_t)src->cap);
    f->cap = src->cap;
    return f;
}

static void fdtab_put(struct fdtab *f)
{
    if (f && --f->refs == 0) { free(f->cls); free(f->flux); free(f); }
}

#define FDCACHE_MAX 65536
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
    memset(f->cls + f->cap, 0, (size_t)(ncap - f->cap));
    memset(f->flux + f->cap, 0, (size_t)(ncap - f->cap) * sizeof *x);
    f->cap = ncap;
    return true;
}


static void fdtab_clear(struct fdtab *f)
{
    if (f && f->cap) memset(f->cls, 0, (size_t)f->cap);
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
    return f && fd >= 0 && fd < f->cap && !f->flux_all && f->flux[fd] == 0 && (f->cls[fd] & flag);
}

void fdtab_set_flag(struct fdtab *f, int fd, int flag, bool on)
{
    if (!f || fd < 0 || fd >= f->cap || f->flux_all || f->flux[fd]) return;
    if (on) f->cls[fd] |= (uint8_t)flag;
    else f->cls[fd] &= (uint8_t)~flag;
}

int classify_fd(struct proc *p, pid_t tid, int fd)
{
    if (fd < 0) return FD_OTHER;
    struct fdtab *f = p ? p->fdt : NULL;
    bool cacheable = f && !f->flux_all && fdtab_reserve(f, fd) && f->flux[fd] == 0;
    if (cacheable && (f->cls[fd] & FD_CLASS_MASK) != FD_UNKNOWN) return f->cls[fd] & FD_CLASS_MASK;
    int c = classify_uncached(p, tid, fd);
    if (c < 0) return FD_OTHER;
    if (cacheable) f->cls[fd] = (uint8_t)c;
    return c;
}

/* ------------------------------------------------------------------ */
/* processes                                                           */


static struct proc *proc_new(pid_t pid, pid_t ppid)
{
    struct proc *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->pid = pid;
    p->ppid = ppid;
    p->pidfd = -1;
    p->next = H.procs;
    H.procs = p;
    H.nprocs++;
    return p;
}

static clockid_t process_cpuclock(pid_t pid)
{
    /* MAKE_PROCESS_CPUCLOCK(pid, CPUCLOCK_SCHED): readable for any process,
     * and it includes every thread of the group, live or exited. */
    return (clockid_t)((~(unsigned)pid << 3) | 2);
}

static void proc_read_cpu(struct proc *p)
{
    struct timespec ts;
    if (clock_gettime(process_cpuclock(p->pid), &ts) == 0) {
        uint64_t v = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
        if (v > p->last_cpu) p->last_cpu = v;
    }
}

uint64_t tree_cpu_ns(void)
{
    uint64_t sum = H.exited_cpu;
    for (struct proc *p = H.procs; p; p = p->next) {
        proc_read_cpu(p);
        sum += p->last_cpu;
    }
    return sum;
}


static void proc_gone(struct proc *p)
{
    proc_read_cpu(p);
    H.exited_cpu += p->last_cpu;
    send_tree("exit", p->pid, p->ppid, p->comm, sizeof p->comm);
    struct proc **pp = &H.procs;
    while (*pp && *pp != p) pp = &(*pp)->next;
    if (*pp) *pp = p->next;
    H.nprocs--;
    fdtab_put(p->fdt);
    if (p->pidfd >= 0) close(p->pidfd);
    free(p);
}

/* A duplicate of process p's fd (we are its tracer, so pidfd_getfd is
 * permitted), or -1. The caller closes it. */
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

int dup_socket(struct proc *p, int fd)
{
    if (p->pidfd < 0) p->pidfd = (int)syscall(SYS_pidfd_open, p->pid, 0);
    if (p->pidfd < 0) return -1;
    return (int)syscall(SYS_pidfd_getfd, p->pidfd, fd, 0);
}

/* ------------------------------------------------------------------ */
/* the tree                                                            */

static void kill_one_proc(int sig)
{
    for (struct proc *p = H.procs; p; p = p->next) kill(p->pid, sig);
}

void tracer_kill_tree(int sig)
{
    kill_one_proc(sig);
}

/* ------------------------------------------------------------------ */
/* credits                                                             */

bool is_credit(int res) { return H.cr[res].mode == 1; }

void queue_remove(struct thread *t)
{
    if (!t->held) return;
    struct credit_state *cs = &H.cr[t->held_res];
    struct thread **pp = &cs->qhead, *prev = NULL;
    while (*pp && *pp != t) { prev = *pp; pp = &(*pp)->qnext; }
    if (*pp) {
        *pp = t->qnext;
        if (cs->qtail == t) cs->qtail = prev;
    }
    cs->held_bytes -= t->held_want;
    cs->held_calls--;
    t->held = false;
    t->held_notif = false;
    t->held_sock = false;
    t->notif_id = 0;
    t->held_want = 0;
    t->qnext = NULL;
}

static const char *res_name(int r)
{
    return r == R_NETUP ? "netUp" : r == R_NETDOWN ? "netDown" : "disk";
}

/* Queues t at the tail of res (its call asks want bytes) and, unless it is
 * a restarted call already reported, tells the engine. */
void queue_hold(struct thread *t, int res, uint64_t want, bool demand)
{
    struct credit_state *cs = &H.cr[res];
    t->held = true;
    t->held_res = res;
    t->held_want = want;
    t->qnext = NULL;
    if (cs->qtail) cs->qtail->qnext = t; else cs->qhead = t;
    cs->qtail = t;
    cs->held_bytes += want;
    cs->held_calls++;
    stops_watch_arm(); /* (signals for it) */
    if (!demand) return;
    char line[160];
    snprintf(line, sizeof line, "{\"type\":\"demand\",\"resource\":\"%s\",\"bytes\":%llu}",
             res_name(res), (unsigned long long)want);
    control_send(line, false);
    send_usage(true);
}

/* Admits the thread's pending call if every charged side has credit; the
 * requested size is reserved so that concurrent calls cannot overshoot a
 * budget by more than one call. Otherwise the thread is held (left in its
 * seccomp stop, costing nothing) at the tail of the first short resource. */
static void try_admit(struct thread *t)
{
    struct call *c = &t->call;
    for (int i = 0; i < c->nsides; i++) {
        int r = c->side[i].res;
        /* windows may still reserve what completed calls did not use */
        if (is_credit(r) && H.cr[r].credit <= 0) io_windows_flush();
        if (is_credit(r) && H.cr[r].credit <= 0) {
            queue_hold(t, r, c->want, true);
            return;
        }
    }
    for (int i = 0; i < c->nsides; i++) {
        struct side *s = &c->side[i];
        s->reserved = false;
        if (is_credit(s->res)) {
            H.cr[s->res].credit -= (int64_t)c->want;
            s->reserved = true;
        }
    }
    t->exit_kind = EX_BYTES;
    resume_thread(t, PTRACE_SYSCALL, 0);
}

/* Tracer thread only (a ptrace-held call is resumed with ptrace). A stale
 * notification entry (its thread left the call for a ptrace stop) keeps its
 * place while credit is short; its restarted call takes it over. */
void credit_release(int res)
{
    struct credit_state *cs = &H.cr[res];
    H.release_pending[res] = false;
    /* a stopped tree gets nothing now: the next `run`/`free` releases */
    if (H.paused) return;
    /* from the head each time: what we call may release (engine loss) too */
    while (cs->mode == 0 || cs->credit > 0) {
        struct thread *t = cs->qhead;
        while (t && cs->mode == 1 && t->held_notif && t->notif_id == 0) t = t->qnext;
        if (!t) break;
        if (t->held_notif && t->notif_id == 0) {
            queue_remove(t); /* unlimited: its restart passes anyway */
        } else if (t->held_notif) {
            notif_admit(t); /* leaves the queue itself */
        } else {
            queue_remove(t);
            try_admit(t);
        }
    }
}

void release_pending_credit(void)
{
    for (int r = 0; r < R_COUNT; r++)
        if (H.release_pending[r]) credit_release(r);
}

/* ------------------------------------------------------------------ */
/* byte calls                                                          */

static ssize_t peek(pid_t pid, unsigned long addr, void *buf, size_t len)
{
    struct iovec local = { buf, len }, remote = { (void *)addr, len };
    return process_vm_readv(pid, &local, 1, &remote, 1, 0);
}

uint64_t iov_sum(pid_t pid, unsigned long iov, unsigned long cnt)
{
    struct iovec v[64];
    uint64_t sum = 0;
    if (cnt > 1024) cnt = 1024;
    while (cnt > 0) {
        size_t n = cnt > 64 ? 64 : cnt;
        if (peek(pid, iov, v, n * sizeof v[0]) != (ssize_t)(n * sizeof v[0])) break;
        for (size_t i = 0; i < n; i++) sum += v[i].iov_len;
        iov += n * sizeof v[0];
        cnt -= n;
    }
    return sum;
}

static uint64_t msghdr_sum(pid_t pid, unsigned long addr)
{
    struct msghdr m;
    if (peek(pid, addr, &m, sizeof m) != (ssize_t)sizeof m) return 0;
    return iov_sum(pid, (unsigned long)m.msg_iov, m.msg_iovlen);
}

static uint64_t mmsg_want(pid_t pid, unsigned long vec, unsigned long vlen)
{
    uint64_t sum = 0;
    if (vlen > 64) vlen = 64;
    for (unsigned long i = 0; i < vlen; i++) sum += msghdr_sum(pid, vec + i * sizeof(struct mmsghdr));
    return sum;
}

/* Bytes moved by a completed sendmmsg/recvmmsg: the msg_len of the first n. */
static uint64_t mmsg_done(pid_t pid, unsigned long vec, long n)
{
    struct mmsghdr m[32];
    uint64_t sum = 0;
    if (n > 1024) n = 1024;
    while (n > 0) {
        long k = n > 32 ? 32 : n;
        if (peek(pid, vec, m, (size_t)k * sizeof m[0]) != (ssize_t)((size_t)k * sizeof m[0])) break;
        for (long i = 0; i < k; i++) sum += m[i].msg_len;
        vec += (unsigned long)k * sizeof m[0];
        n -= k;
    }
    return sum;
}

static void add_side(struct call *c, int cls, bool write)
{
    if (cls == FD_NET) {
        c->side[c->nsides].res = write ? R_NETUP : R_NETDOWN;
        c->side[c->nsides].counter = write ? C_NETUP : C_NETDOWN;
        c->nsides++;
    } else if (cls == FD_DISK) {
        c->side[c->nsides].res = R_DISK;
        c->side[c->nsides].counter = write ? C_DISKWRITE : C_DISKREAD;
        c->nsides++;
    }
}

/* ------------------------------------------------------------------ */
/* I/O windows: the uncapped fast path                                  */
/*
 * Reading a return value costs a second ptrace stop (syscall-exit), which
 * doubles the price of every charged call. When a resource is unlimited the
 * engine only needs exact cumulative counters, and the kernel keeps them per
 * thread: rchar/wchar in /proc/<pid>/task/<tid>/io grow by exactly the return
 * value of every read()/write()-family call (vfs_read/vfs_write and the
 * vectored and positional forms), whatever the fd. A thread's calls are
 * sequential, so while all of its read/write-family calls are on fds of one
 * class (a "window"), the growth of rchar/wchar over the window is exactly
 * those calls' bytes. A window closes (one pread of the io file) when the
 * thread makes any other kind of byte call (other class, send/recv family,
 * sendfile/splice/copy_file_range, a credit-mode resource), before execve
 * (the kernel's own ELF reads count in rchar), at thread exit, and it is
 * flushed at every usage report. Calls that cannot use a window keep the
 * exit stop.
 */
static bool thread_io(struct thread *t, uint64_t *rchar, uint64_t *wchar)
{
    char buf[256];
    if (t->iofd < 0) {
        char path[80];
        snprintf(path, sizeof path, "/proc/%d/task/%d/io", t->proc ? t->proc->pid : t->tid, t->tid);
        t->iofd = open(path, O_RDONLY | O_CLOEXEC);
        if (t->iofd < 0) return false;
    }
    ssize_t n = pread(t->iofd, buf, sizeof buf - 1, 0);
    if (n <= 0) return false;
    buf[n] = 0;
    char *r = strstr(buf, "rchar:"), *w = strstr(buf, "wchar:");
    if (!r || !w) return false;
    *rchar = strtoull(r + 6, NULL, 10);
    *wchar = strtoull(w + 6, NULL, 10);
    return true;
}

/* Counts the window's bytes so far and settles the credit its calls
 * reserved (credit += reserved - moved). how: WS_CLOSE ends the window (the
 * thread is between calls); WS_IDLE keeps it open, thread between calls;
 * WS_FLUSH keeps it open and its latest call may still be in flight, so that
 * call's reservation is kept until the next settlement (which then refunds
 * it: the sum stays exact). */
void window_settle(struct thread *t, int how)
{
    if (t->win_class == FD_UNKNOWN) return;
    uint64_t now[2];
    if (thread_io(t, &now[0], &now[1])) {
        bool net = t->win_class == FD_NET;
        uint64_t *base[2] = { &t->win_rchar, &t->win_wchar };
        for (int s = 0; s < 2; s++) {
            uint64_t got = now[s] > *base[s] ? now[s] - *base[s] : 0;
            *base[s] = now[s];
            int res = net ? (s ? R_NETUP : R_NETDOWN) : R_DISK;
            H.counters[net ? (s ? C_NETUP : C_NETDOWN) : (s ? C_DISKWRITE : C_DISKREAD)] += got;
            uint64_t resv = t->win_resv[s], keep = how == WS_FLUSH ? t->win_last[s] : 0;
            if (keep > resv) keep = resv;
            if (resv > 0 || is_credit(res)) {
                int64_t back = (int64_t)(resv - keep) - (int64_t)got;
                H.cr[res].credit += back;
                if (back > 0 && H.cr[res].qhead) H.release_pending[res] = true;
            }
            t->win_resv[s] = t->win_last[s] = keep;
        }
    }
    if (how == WS_CLOSE) {
        /* unknown figures (thread gone): what was reserved stays charged */
        t->win_resv[0] = t->win_resv[1] = t->win_last[0] = t->win_last[1] = 0;
        t->win_class = FD_UNKNOWN;
    }
}

/* The read/write family: the calls whose bytes rchar/wchar count exactly
 * (I/O windows), and the ones the notification fast path takes. */
static const int rw_calls[] = {
    SYS_read, SYS_write, SYS_pread64, SYS_pwrite64, SYS_readv, SYS_writev,
    SYS_preadv, SYS_pwritev, SYS_preadv2, SYS_pwritev2,
};

static bool in_list(const int *list, size_t n, long nr)
{
    for (size_t i = 0; i < n; i++) if (list[i] == nr) return true;
    return false;
}
#define IN_LIST(list, nr) in_list((list), sizeof (list) / sizeof (list)[0], (nr))

static bool rw_family(long nr) { return IN_LIST(rw_calls, nr); }

/* Whether t may be inside a read/write-family call (its latest admitted one
 * still in flight). Its next one cannot start meanwhile: it would wait for
 * the helper lock in the notifier. */
static bool maybe_in_rw_call(struct thread *t)
{
    char buf[32];
    if (!task_file(t, "syscall", buf, sizeof buf)) return true;
    if (!strncmp(buf, "running", 7)) return true; /* on a CPU: maybe in the kernel doing it */
    long nr = strtol(buf, NULL, 10);
    return nr >= 0 && rw_family(nr);
}

static void flush_one(struct thread *t, void *arg)
{
    (void)arg;
    /* stopped or waiting in a notification: none of its calls is in flight */
    bool idle = t->state != TS_RUNNING || t->notif_id != 0 || (t->held && t->held_notif);
    /* a reservation kept for a call that has ended would lower the credit
     * for as long as the thread makes no other call (an idle Go M) */
    if (!idle && t->win_class != FD_UNKNOWN && (t->win_last[0] || t->win_last[1])) idle = !maybe_in_rw_call(t);
    window_settle(t, idle ? WS_IDLE : WS_FLUSH);
}

void io_windows_flush(void)
{
    for_each_thread(flush_one, NULL);
}

/* Makes sure t has a window of class cls open (the thread must be between
 * calls). False if its counters cannot be read. */
bool window_open(struct thread *t, int cls)
{
    if (t->win_class != FD_UNKNOWN && t->win_class != cls) window_settle(t, WS_CLOSE);
    if (t->win_class == FD_UNKNOWN) {
        if (!thread_io(t, &t->win_rchar, &t->win_wchar)) return false;
        t->win_class = cls;
    }
    return true;
}

/* Returns true if the call was admitted on the fast path (resumed already). */
static bool try_window(struct thread *t, struct call *c, int cls)
{
    bool ok = rw_family(c->nr) && c->nsides == 1 && !is_credit(c->side[0].res) && !H.no_windows;
    if (!ok) {
        if (t->win_class != FD_UNKNOWN) window_settle(t, WS_CLOSE);
        return false;
    }
    if (!window_open(t, cls)) return false;
    resume_thread(t, PTRACE_CONT, 0);
    return true;
}

void bytes_call_entry(struct thread *t, struct user_regs_struct *r)
{
    struct call *c = &t->call;
    memset(c, 0, sizeof *c);
    c->nr = (int)r->orig_rax;
    c->a0 = r->rdi;
    c->a1 = r->rsi;
    struct proc *p = t->proc;
    bool write = false;
    int cls = FD_OTHER;
    switch (c->nr) {
    case SYS_write: case SYS_pwrite64: case SYS_writev: case SYS_pwritev: case SYS_pwritev2:
    case SYS_sendto: case SYS_sendmsg: case SYS_sendmmsg:
        write = true;
        /* fallthrough */
    case SYS_read: case SYS_pread64: case SYS_readv: case SYS_preadv: case SYS_preadv2:
    case SYS_recvfrom: case SYS_recvmsg: case SYS_recvmmsg:
        cls = classify_fd(p, t->tid, (int)r->rdi);
        add_side(c, cls, write);
        break;
    case SYS_sendfile: /* out_fd, in_fd */
        add_side(c, classify_fd(p, t->tid, (int)r->rsi), false);
        add_side(c, classify_fd(p, t->tid, (int)r->rdi), true);
        break;
    case SYS_splice: case SYS_copy_file_range: /* fd_in, off_in, fd_out */
        add_side(c, classify_fd(p, t->tid, (int)r->rdi), false);
        add_side(c, classify_fd(p, t->tid, (int)r->rdx), true);
        break;
    }
    /* (as on the notification path: a peek is read again by the call that takes it) */
    c->peek = ((c->nr == SYS_recvfrom || c->nr == SYS_recvmmsg) && (r->r10 & MSG_PEEK)) ||
              (c->nr == SYS_recvmsg && (r->rdx & MSG_PEEK));
    if (try_window(t, c, cls)) return;
    if (c->nsides == 0) { resume_thread(t, PTRACE_CONT, 0); return; }

    bool need_want = false;
    for (int i = 0; i < c->nsides; i++) need_want |= is_credit(c->side[i].res);
    if (!need_want) {
        /* Uncapped fast path: no tracee memory reads, just catch the exit. */
        t->exit_kind = EX_BYTES;
        resume_thread(t, PTRACE_SYSCALL, 0);
        return;
    }
    switch (c->nr) {
    case SYS_read: case SYS_write: case SYS_pread64: case SYS_pwrite64:
    case SYS_recvfrom: case SYS_sendto:
        c->want = r->rdx; break;
    case SYS_readv: case SYS_writev: case SYS_preadv: case SYS_pwritev:
    case SYS_preadv2: case SYS_pwritev2:
        c->want = iov_sum(t->tid, r->rsi, r->rdx); break;
    case SYS_recvmsg: case SYS_sendmsg:
        c->want = msghdr_sum(t->tid, r->rsi); break;
    case SYS_recvmmsg: case SYS_sendmmsg:
        c->want = mmsg_want(t->tid, r->rsi, r->rdx); break;
    case SYS_sendfile: c->want = r->r10; break;
    default: c->want = r->r8; break; /* splice, copy_file_range */
    }
    if (c->want > MAX_WANT) c->want = MAX_WANT;
    try_admit(t);
}

static void on_bytes_exit(struct thread *t)
{
    struct call *c = &t->call;
    errno = 0;
    long rax = ptrace(PTRACE_PEEKUSER, t->tid, offsetof(struct user_regs_struct, rax), 0);
    if (errno) rax = 0;
    uint64_t bytes = rax > 0 ? (uint64_t)rax : 0;
    if ((c->nr == SYS_sendmmsg || c->nr == SYS_recvmmsg) && rax > 0) bytes = mmsg_done(t->tid, c->a1, rax);
    if (c->peek) bytes = 0;
    bool refunded[R_COUNT] = { false };
    for (int i = 0; i < c->nsides; i++) {
        struct side *s = &c->side[i];
        H.counters[s->counter] += bytes;
        if (s->reserved) {
            /* settle the reservation against what really moved */
            H.cr[s->res].credit += (int64_t)c->want - (int64_t)bytes;
            if (c->want > bytes) refunded[s->res] = true;
        } else if (is_credit(s->res)) {
            H.cr[s->res].credit -= (int64_t)bytes;
        }
        s->reserved = false;
    }
    t->exit_kind = EX_NONE;
    resume_thread(t, PTRACE_CONT, 0);
    for (int r = 0; r < R_COUNT; r++) if (refunded[r]) credit_release(r);
}

/* ------------------------------------------------------------------ */
/* fd-table calls: keep the classification cache exact                 */

static void on_fdtab_entry(struct thread *t, struct user_regs_struct *r)
{
    struct fdtab *f = t->proc->fdt;
    int nr = (int)r->orig_rax;
    int fd = -1;
    if (nr == SYS_close) fd = (int)r->rdi;
    else if (nr == SYS_dup2 || nr == SYS_dup3) fd = (int)r->rsi;
    t->fdop_nr = nr;
    t->fdop_fd = fd;
    if (!f) { resume_thread(t, PTRACE_CONT, 0); return; }
    if (nr == SYS_close_range) {
        f->flux_all++;
        fdtab_clear(f);
    } else if (fd >= 0 && fdtab_reserve(f, fd)) {
        f->flux[fd]++;
        f->cls[fd] = FD_UNKNOWN;
    } else {
        t->fdop_fd = -2; /* uncacheable fd: nothing to track */
    }
    t->exit_kind = EX_FDTAB;
    resume_thread(t, PTRACE_SYSCALL, 0);
}

static void on_fdtab_exit(struct thread *t)
{
    struct fdtab *f = t->proc->fdt;
    if (f) {
        if (t->fdop_nr == SYS_close_range) {
            if (f->flux_all > 0) f->flux_all--;
            fdtab_clear(f);
        } else if (t->fdop_fd >= 0 && t->fdop_fd < f->cap) {
            if (f->flux[t->fdop_fd] > 0) f->flux[t->fdop_fd]--;
            f->cls[t->fdop_fd] = FD_UNKNOWN;
        }
    }
    t->exit_kind = EX_NONE;
    resume_thread(t, PTRACE_CONT, 0);
}

/* ------------------------------------------------------------------ */
/* seccomp filter                                                      */

/* the send/recv family: the notification path performs them (sockets.c) */
static const int sock_calls[] = { SYS_sendto, SYS_recvfrom, SYS_sendmsg, SYS_recvmsg, SYS_sendmmsg, SYS_recvmmsg };
/* the byte calls between two fds: always the ptrace path */
static const int pipe_calls[] = { SYS_sendfile, SYS_splice, SYS_copy_file_range };
static const int fdtab_calls[] = { SYS_close, SYS_dup2, SYS_dup3, SYS_close_range };
static const int mem_calls[] = { SYS_brk, SYS_mmap, SYS_mremap, SYS_mprotect, SYS_pkey_mprotect };
/* exec: the kernel's reads of the new image count in rchar: settle first */
static const int exec_calls[] = { SYS_execve, SYS_execveat };

/* The filter's RET_TRACE data says the same; deriving it from the number
 * saves a PTRACE_GETEVENTMSG on every stop. */
static int category_of(long nr)
{
    if (IN_LIST(rw_calls, nr) || IN_LIST(sock_calls, nr) || IN_LIST(pipe_calls, nr)) return CAT_BYTES;
    if (IN_LIST(fdtab_calls, nr)) return CAT_FDTAB;
    if (IN_LIST(mem_calls, nr)) return CAT_MEM;
    if (IN_LIST(exec_calls, nr)) return CAT_EXEC;
    return 0;
}

/* With unotif, the read/write family goes to the listener (SECCOMP_RET_USER_NOTIF,
 * the fast path, notify.c) and the filter is installed with a new listener.
 * Returns 0 or -1. */
static int install_filter(bool unotif)
{
    struct sock_filter f[160];
    int n = 0;
    /* Architecture first: a foreign ABI's numbers mean other calls. */
    f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
    f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0);
    f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
    f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
    /* x32 calls (bit 30) would bypass the x86-64 numbers below: refuse them. */
    f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 0, 1);
    f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS);
    /* io_uring would move bytes without any system call we see. */
    f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_io_uring_setup, 0, 1);
    f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS);
#define ADD_RET(list, ret)                                                                           \
    for (size_t i = 0; i < sizeof list / sizeof list[0]; i++) {                                      \
        f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)list[i], 0, 1);   \
        f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, (ret));                               \
    }
#define ADD(list, cat) ADD_RET(list, SECCOMP_RET_TRACE | (cat))
    if (unotif) {
        ADD_RET(rw_calls, SECCOMP_RET_USER_NOTIF)
    } else {
        ADD(rw_calls, CAT_BYTES)
    }
    if (unotif && H.sock_notif) {
        ADD_RET(sock_calls, SECCOMP_RET_USER_NOTIF)
    } else {
        ADD(sock_calls, CAT_BYTES)
    }
    ADD(pipe_calls, CAT_BYTES)
    ADD(fdtab_calls, CAT_FDTAB)
    ADD(mem_calls, CAT_MEM)
    ADD(exec_calls, CAT_EXEC)
#undef ADD
#undef ADD_RET
    f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    struct sock_fprog prog = { .len = (unsigned short)n, .filter = f };
    /* killable once received: sockets.c answers with data it took off a socket */
    unsigned long flags = SECCOMP_FILTER_FLAG_NEW_LISTENER | (H.sock_notif ? SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV : 0);
    if (unotif) return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog) < 0 ? -1 : 0;
    return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0);
}

/* ------------------------------------------------------------------ */
/* creation                                                            */

#define TRACE_OPTS (PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACESECCOMP | PTRACE_O_TRACECLONE | \
                    PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACEEXEC |      \
                    PTRACE_O_TRACEEXIT | PTRACE_O_TRACEVFORKDONE | PTRACE_O_EXITKILL)

static void die(const char *what)
{
    fprintf(stderr, "interceptor-helper: %s: %s\n", what, strerror(errno));
    exit(125);
}

/* The child's listener fd (close-on-exec, gone at its exec): find it among
 * its fds and take a duplicate (pidfd_getfd: we are its parent, same uid).
 * Returns the fd, -1 if the child has none (it fell back to the ptrace-only
 * filter), or -2 if one exists but cannot be taken. */
static int grab_listener(pid_t pid)
{
    char dir[64], link[64];
    snprintf(dir, sizeof dir, "/proc/%d/fd", pid);
    DIR *d = opendir(dir);
    if (!d) return -2;
    int fd = -1;
    struct dirent *e;
    while (fd < 0 && (e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        ssize_t n = readlinkat(dirfd(d), e->d_name, link, sizeof link - 1);
        if (n <= 0) continue;
        link[n] = 0;
        if (strcmp(link, "anon_inode:seccomp notify") != 0) continue;
        int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
        if (pidfd < 0) { fd = -2; break; }
        fd = (int)syscall(SYS_pidfd_getfd, pidfd, atoi(e->d_name), 0);
        if (fd < 0) fd = -2;
        close(pidfd);
    }
    closedir(d);
    return fd;
}

pid_t tracer_create(char **argv)
{
    bool try_notif = !H.no_unotif && !H.no_windows && probe_user_notif() && probe_pidfd();
    H.sock_notif = try_notif && !H.no_socknotif && probe_killable_notif();
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) die("fork");
    if (pid == 0) {
        reset_signals();
        /* if the helper dies before it has seized us (EXITKILL takes over
         * from then on), do not stay stopped forever */
        prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        if (getppid() != parent) _exit(126);
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) { perror("interceptor-helper: no_new_privs"); _exit(126); }
        if (H.rt) {
            struct sched_param sp = { .sched_priority = 1 };
            sched_setscheduler(0, SCHED_RR, &sp);
        }
        /* a listener may be refused (e.g. one already exists above us): ptrace path */
        bool notif = try_notif && install_filter(true) == 0;
        if (!notif && install_filter(false) != 0) {
            perror("interceptor-helper: seccomp filter");
            _exit(126);
        }
        /* wait for PTRACE_SEIZE before running anything of the app. SIGSTOP,
         * never SIGTSTP: the kernel discards terminal stops in an orphaned
         * process group (e.g. under a CI shell), and the app would run on
         * unseized. The parent finds out from our fds whether a listener
         * waits to be taken. */
        raise(SIGSTOP);
        execvp(argv[0], argv);
        fprintf(stderr, "interceptor-helper: cannot execute %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    int st;
    if (waitpid(pid, &st, WSTOPPED) != pid) die("waitpid");
    if (!WIFSTOPPED(st)) { errno = ECHILD; die("the app died during setup"); }
    if (try_notif) {
        /* started before the child runs on: its own writes (an exec failure
         * message) already go to the listener */
        int l = grab_listener(pid);
        if (l == -2) { kill(pid, SIGKILL); die("taking the seccomp listener"); }
        if (l >= 0) notify_start(l);
    }
    if (ptrace(PTRACE_SEIZE, pid, 0, (void *)(long)TRACE_OPTS) != 0) {
        kill(pid, SIGKILL);
        die("PTRACE_SEIZE");
    }
    kill(pid, SIGCONT);
    /* Drive the child to its exec stop synchronously; the engine then decides
     * when the app's first instruction runs. */
    for (;;) {
        if (waitpid(pid, &st, __WALL) != pid) { kill(pid, SIGKILL); die("waitpid"); }
        if (WIFEXITED(st) || WIFSIGNALED(st)) {
            /* exec failed (the child said why on the app's terminal): the
             * engine learns it as an ordinary exit, e.g. code 127 */
            H.app_pid = pid;
            H.app_exited = true;
            H.app_code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
            H.app_sig = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
            return pid;
        }
        int ev = st >> 16, sig = WSTOPSIG(st);
        if (ev == PTRACE_EVENT_EXEC) break;
        int inject = 0;
        if (ev == 0 && sig != SIGSTOP && sig != SIGCONT && sig != (SIGTRAP | 0x80)) inject = sig;
        ptrace(PTRACE_CONT, pid, 0, (void *)(long)inject);
    }
    helper_lock();
    struct proc *p = proc_new(pid, getpid());
    struct thread *t = thread_new(pid);
    if (!p || !t) { kill(pid, SIGKILL); errno = ENOMEM; die("setup"); }
    p->is_main = true;
    p->nthreads = 1;
    p->fdt = fdtab_new();
    t->proc = p;
    H.nthreads = 1;
    H.app_pid = pid;
    H.rt_on = H.rt; /* the child made itself SCHED_RR before its exec */
    /* Held at the exec stop until the engine's first `cpu` command. */
    H.paused = true;
    t->state = TS_STOPPED;
    t->parked = true;
    t->park_how = PTRACE_CONT;
    t->park_sig = 0;
    helper_unlock();
    return pid;
}

/* ------------------------------------------------------------------ */
/* stop handling                                                       */

static void thread_remove(struct thread *t)
{
    if (t->iofd >= 0) close(t->iofd);
    queue_remove(t);
    if (t->interrupting) { t->interrupting = false; if (H.interrupts_pending > 0) H.interrupts_pending--; }
    if (t->watched) { t->watched = false; H.watched--; }
    struct proc *p = t->proc;
    thread_unhash(t);
    if (p) {
        H.nthreads--;
        p->nthreads--;
    }
    free(t);
}

static void drop_proc_threads(struct thread *t, void *arg)
{
    if (t->proc == arg) thread_remove(t);
}

static void on_task_exit(pid_t tid, int status)
{
    if (tid == H.app_pid && !H.app_exited) {
        H.app_exited = true;
        if (WIFEXITED(status)) { H.app_code = WEXITSTATUS(status); H.app_sig = 0; }
        else { H.app_code = -1; H.app_sig = WTERMSIG(status); }
    }
    struct thread *t = thread_find(tid);
    if (!t) return;
    struct proc *p = t->proc;
    thread_remove(t);
    if (!p) return;
    /* The leader's death is reported after the whole group's: the process is gone. */
    if (tid == p->pid) {
        for_each_thread(drop_proc_threads, p);
        proc_gone(p);
    } else if (p->nthreads <= 0 && kill(p->pid, 0) != 0 && errno == ESRCH) {
        proc_gone(p);
    }
}

static unsigned long long clone_flags_of(struct thread *parent, int ev)
{
    if (ev == PTRACE_EVENT_FORK) return 0;
    if (ev == PTRACE_EVENT_VFORK) return CLONE_VM | CLONE_VFORK;
    struct user_regs_struct r;
    if (ptrace(PTRACE_GETREGS, parent->tid, 0, &r) != 0) return 0;
    if (r.orig_rax == SYS_clone) return r.rdi;
    if (r.orig_rax == SYS_clone3) {
        uint64_t flags = 0;
        if (peek(parent->tid, r.rdi, &flags, sizeof flags) == (ssize_t)sizeof flags) return flags;
        return 0;
    }
    if (r.orig_rax == SYS_vfork) return CLONE_VM | CLONE_VFORK;
    return 0;
}

static void on_clone_event(struct thread *t, int ev)
{
    unsigned long msg = 0;
    if (ptrace(PTRACE_GETEVENTMSG, t->tid, 0, &msg) != 0 || msg == 0) return;
    pid_t ntid = (pid_t)msg;
    unsigned long long flags = clone_flags_of(t, ev);
    struct thread *c = thread_find(ntid);
    bool already_stopped = c != NULL; /* its first stop came before this event */
    if (!c) {
        c = thread_new(ntid);
        if (!c) return;
        c->state = TS_RUNNING; /* will report its initial PTRACE_EVENT_STOP */
        c->initial = true;
    }
    struct proc *pp = t->proc;
    if (flags & CLONE_VFORK) t->in_vfork = true;
    if (flags & CLONE_THREAD) {
        c->proc = pp;
        pp->nthreads++;
    } else {
        struct proc *np = proc_new(ntid, (flags & CLONE_PARENT) ? pp->ppid : pp->pid);
        if (!np) { c->proc = pp; pp->nthreads++; H.nthreads++; goto out; }
        np->nthreads = 1;
        if (flags & CLONE_FILES) { np->fdt = pp->fdt; if (np->fdt) np->fdt->refs++; }
        else np->fdt = fdtab_copy(pp->fdt);
        np->brk_cur = pp->brk_cur;
        np->vmdata = (flags & CLONE_VM) ? 0 : pp->vmdata;
        c->proc = np;
        snprintf(np->comm, sizeof np->comm, "%s", pp->comm);
        send_tree("spawn", np->pid, np->ppid, np->comm, sizeof np->comm);
    }
    H.nthreads++;
out:
    if (already_stopped) {
        c->initial = false;
        resume_thread(c, PTRACE_CONT, 0);
    } else if (H.paused) {
        /* created during a stop: catch its first stop and park it */
        pause_one(c, NULL);
    }
}

static void on_exec_event(struct thread *t)
{
    unsigned long former = 0;
    ptrace(PTRACE_GETEVENTMSG, t->tid, 0, &former);
    if (former && (pid_t)former != t->tid) {
        /* A non-leader thread exec'd: it now has the leader's tid and the old
         * leader vanished without an exit report. Keep this record (the
         * leader's), drop the execing thread's old one. */
        struct thread *old = thread_find((pid_t)former);
        if (old) thread_remove(old);
        queue_remove(t);
        t->exit_kind = EX_NONE;
        t->exiting = false; /* the old leader's EVENT_EXIT marked this record */
        t->jobstop = false;
        t->win_class = FD_UNKNOWN; /* settled at the old leader's exit */
        t->win_resv[0] = t->win_resv[1] = t->win_last[0] = t->win_last[1] = 0;
        if (t->iofd >= 0) { close(t->iofd); t->iofd = -1; } /* it named the old leader */
    }
    struct proc *p = t->proc;
    if (!p) return;
    /* exec gives the process a private fd table minus O_CLOEXEC fds */
    fdtab_put(p->fdt);
    p->fdt = fdtab_new();
    p->brk_cur = 0;
    p->vmdata = read_vmdata(p->pid);
    send_tree("exec", p->pid, p->ppid, p->comm, sizeof p->comm);
}

static void on_seccomp_stop(struct thread *t)
{
    struct user_regs_struct r;
    /* a stale notification entry: the thread has moved on to another call */
    if (t->held) queue_remove(t);
    if (!t->proc || ptrace(PTRACE_GETREGS, t->tid, 0, &r) != 0) { resume_thread(t, PTRACE_CONT, 0); return; }
    switch (category_of((long)r.orig_rax)) {
    case CAT_BYTES: bytes_call_entry(t, &r); return;
    case CAT_FDTAB: on_fdtab_entry(t, &r); return;
    case CAT_EXEC:
        window_settle(t, WS_CLOSE);
        resume_thread(t, PTRACE_CONT, 0);
        return;
    case CAT_MEM:
        if (mem_on_entry(t, &r)) { resume_thread(t, PTRACE_CONT, 0); return; }
        if (r.orig_rax == SYS_brk) {
            /* track the break so a denied brk can return the old one */
            t->exit_kind = EX_BRK;
            resume_thread(t, PTRACE_SYSCALL, 0);
            return;
        }
        resume_thread(t, PTRACE_CONT, 0);
        return;
    default:
        resume_thread(t, PTRACE_CONT, 0);
    }
}

static void on_syscall_stop(struct thread *t)
{
    switch (t->exit_kind) {
    case EX_BYTES: on_bytes_exit(t); return;
    case EX_FDTAB: on_fdtab_exit(t); return;
    case EX_BRK: {
        errno = 0;
        long rax = ptrace(PTRACE_PEEKUSER, t->tid, offsetof(struct user_regs_struct, rax), 0);
        if (!errno && rax > 0 && t->proc) t->proc->brk_cur = (uint64_t)rax;
        t->exit_kind = EX_NONE;
        resume_thread(t, PTRACE_CONT, 0);
        return;
    }
    default:
        resume_thread(t, PTRACE_CONT, 0);
    }
}

static bool is_stop_signal(int sig)
{
    return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

static void handle_status(pid_t tid, int status)
{
    if (WIFEXITED(status) || WIFSIGNALED(status)) { on_task_exit(tid, status); return; }
    if (!WIFSTOPPED(status)) return;
    struct thread *t = thread_find(tid);
    if (!t) {
        if ((status >> 16) == PTRACE_EVENT_STOP) {
            /* A new task's first stop can overtake its creator's event: keep
             * it stopped until the event tells us whose it is. */
            t = thread_new(tid);
            if (t) t->state = TS_STOPPED;
        } else {
            /* a task we already wrote off (its group is dying): let it go */
            int sig = WSTOPSIG(status);
            ptrace(PTRACE_CONT, tid, 0, (void *)(long)((status >> 16) == 0 && sig != (SIGTRAP | 0x80) ? sig : 0));
        }
        return;
    }
    if (!t->proc) { t->state = TS_STOPPED; return; }
    /* A task in a ptrace stop is not waiting in a notification: a held or
     * gated one was interrupted (its call restarts as a new notification). */
    t->notif_id = 0;
    t->gate_id = 0;
    bool ours = stops_take_stop(t);
    t->state = TS_STOPPED;
    int sig = WSTOPSIG(status), ev = status >> 16;
    if (handoff_on_stop(t, ev, sig)) return;
    if (sig == (SIGTRAP | 0x80)) {
        stops_forget_rewind(t);
        on_syscall_stop(t);
        if (ours) stops_on_interrupt_stop(t); /* (after the exit was read) */
        return;
    }
    switch (ev) {
    case PTRACE_EVENT_SECCOMP:
        stops_forget_rewind(t);
        on_seccomp_stop(t);
        return;
    case PTRACE_EVENT_FORK: case PTRACE_EVENT_VFORK: case PTRACE_EVENT_CLONE:
        on_clone_event(t, ev);
        resume_thread(t, PTRACE_CONT, 0);
        return;
    case PTRACE_EVENT_VFORK_DONE:
        t->in_vfork = false;
        resume_thread(t, PTRACE_CONT, 0);
        return;
    case PTRACE_EVENT_EXEC:
        on_exec_event(t);
        resume_thread(t, PTRACE_CONT, 0);
        return;
    case PTRACE_EVENT_EXIT:
        /* last chance to read the group's CPU clock; never park a dying task */
        if (t->proc) proc_read_cpu(t->proc);
        window_settle(t, WS_CLOSE);
        t->exiting = true; /* an exiting (or zombie leader) task never reports an interrupt-stop */
        ptrace(PTRACE_CONT, t->tid, 0, 0);
        t->state = TS_RUNNING;
        t->parked = false;
        return;
    case PTRACE_EVENT_STOP:
        if (is_stop_signal(sig)) {
            /* Group-stop from someone's job-control signal: honour it but
             * stay able to see SIGCONT (PTRACE_LISTEN). */
            if (!t->jobstop && t->tid == t->proc->pid)
                helper_log("info", "job-control stop of %d by %s", t->tid, signame(sig));
            t->jobstop = true;
            resume_thread(t, PTRACE_LISTEN, 0);
        } else {
            /* our PTRACE_INTERRUPT, a new task's first stop, or the end of a
             * job-control stop (SIGCONT) */
            if (t->jobstop && t->tid == t->proc->pid)
                helper_log("info", "job-control continue of %d", t->tid);
            t->jobstop = false;
            t->initial = false;
            if (ours) stops_on_interrupt_stop(t);
            resume_thread(t, PTRACE_CONT, 0);
        }
        return;
    case 0:
        /* signal-delivery-stop: deliver it, except a hangup of the engine's
         * dead terminal once the app is to be left running */
        if (sig == SIGHUP && hangup_for_app_suppressed()) {
            if (t->tid == t->proc->pid) helper_log("info", "SIGHUP to %d suppressed (engine gone, onEngineLoss continue)", t->tid);
            stops_on_signal_stop(t, sig, true);
            resume_thread(t, PTRACE_CONT, 0);
            return;
        }
        stops_on_signal_stop(t, sig, false);
        resume_thread(t, PTRACE_CONT, sig);
        return;
    default:
        resume_thread(t, PTRACE_CONT, 0);
    }
}

void tracer_handle(pid_t pid, int status)
{
    handle_status(pid, status);
    tracer_stop_complete_check();
}

/* ------------------------------------------------------------------ */
/* signal names                                                        */

static const struct { int sig; const char *name; } signames[] = {
    { SIGHUP, "SIGHUP" }, { SIGINT, "SIGINT" }, { SIGQUIT, "SIGQUIT" }, { SIGILL, "SIGILL" },
    { SIGTRAP, "SIGTRAP" }, { SIGABRT, "SIGABRT" }, { SIGBUS, "SIGBUS" }, { SIGFPE, "SIGFPE" },
    { SIGKILL, "SIGKILL" }, { SIGUSR1, "SIGUSR1" }, { SIGSEGV, "SIGSEGV" }, { SIGUSR2, "SIGUSR2" },
    { SIGPIPE, "SIGPIPE" }, { SIGALRM, "SIGALRM" }, { SIGTERM, "SIGTERM" }, { SIGCHLD, "SIGCHLD" },
    { SIGCONT, "SIGCONT" }, { SIGSTOP, "SIGSTOP" }, { SIGTSTP, "SIGTSTP" }, { SIGTTIN, "SIGTTIN" },
    { SIGTTOU, "SIGTTOU" }, { SIGXCPU, "SIGXCPU" }, { SIGXFSZ, "SIGXFSZ" }, { SIGSYS, "SIGSYS" },
};

const char *signame(int sig)
{
    for (size_t i = 0; i < sizeof signames / sizeof signames[0]; i++)
        if (signames[i].sig == sig) return signames[i].name;
    return "SIGUNKNOWN";
}

int signum_from_name(const char *name)
{
    static const char *allowed[] = { "SIGTERM", "SIGINT", "SIGHUP", "SIGKILL", "SIGUSR1", "SIGUSR2" };
    for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
        if (!strcmp(name, allowed[i]))
            for (size_t j = 0; j < sizeof signames / sizeof signames[0]; j++)
                if (!strcmp(signames[j].name, name)) return signames[j].sig;
    return -1;
}
