/* fds: what a byte call on an fd is charged to (net, disk, other), the
 * per-fd-table cache of that answer and the fd-table calls that keep it
 * exact, and the small readers of a tracee's /proc files and fds. */
#include "helper.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
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
    f->cls = malloc((size_t)src->cap);
    f->flux = calloc((size_t)src->cap, sizeof *f->flux);
    if (!f->cls || !f->flux) { free(f->cls); free(f->flux); f->cls = NULL; f->flux = NULL; return f; }
    memcpy(f->cls, src->cls, (size_t)src->cap);
    f->cap = src->cap;
    return f;
}

void fdtab_put(struct fdtab *f)
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

/* A duplicate of process p's fd (we are its tracer, so pidfd_getfd is
 * permitted), or -1. The caller closes it. */
int dup_socket(struct proc *p, int fd)
{
    if (p->pidfd < 0) p->pidfd = (int)syscall(SYS_pidfd_open, p->pid, 0);
    if (p->pidfd < 0) return -1;
    return (int)syscall(SYS_pidfd_getfd, p->pidfd, fd, 0);
}

/* ------------------------------------------------------------------ */
/* fd-table calls: keep the classification cache exact                 */

/* While close/dup2/dup3/close_range may be changing an fd, its class is not
 * cached ("in flux"): a thread's read of it meanwhile is classified afresh. */
static void fdop_begin(struct thread *t, int nr, int fd)
{
    struct fdtab *f = t->proc ? t->proc->fdt : NULL;
    fdtab_op_done(t); /* (one at a time: a thread's calls are sequential) */
    t->fdop_nr = nr;
    t->fdop_fd = fd;
    if (!f) return;
    if (nr == SYS_close_range) {
        f->flux_all++;
        fdtab_clear(f);
    } else if (fd >= 0 && fdtab_reserve(f, fd)) {
        f->flux[fd]++;
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
    if (nr == SYS_close) return (int)a0;
    if (nr == SYS_dup2 || nr == SYS_dup3) return (int)a1;
    return -1;
}

void on_fdtab_entry(struct thread *t, struct user_regs_struct *r)
{
    fdop_begin(t, (int)r->orig_rax, fdop_target((int)r->orig_rax, r->rdi, r->rsi));
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
    fdop_begin(t, d->nr, fdop_target(d->nr, d->args[0], d->args[1]));
    if (!notif_answer_continue(id)) fdtab_op_done(t); /* interrupted: it comes again */
}
