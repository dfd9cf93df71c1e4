/* windows: I/O windows, the uncapped fast path that counts a thread's
 * read/write-family bytes from its kernel counters instead of exit stops. */
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

/* Fields named in names ("rchar", "write_bytes") of a /proc io file, read
 * with one pread of *fd, which the first call opens and keeps: the io of
 * thread tid of pid, of the whole process pid when tid is 0, or of the
 * calling thread when pid is 0 too. */
bool proc_io_read(int *fd, pid_t pid, pid_t tid, int n, const char *const names[], uint64_t out[])
{
    char buf[512];
    if (*fd < 0) {
        char path[80];
        if (!pid) snprintf(path, sizeof path, "/proc/thread-self/io");
        else if (!tid) snprintf(path, sizeof path, "/proc/%d/io", pid);
        else snprintf(path, sizeof path, "/proc/%d/task/%d/io", pid, tid);
        *fd = open(path, O_RDONLY | O_CLOEXEC);
        if (*fd < 0) return false;
    }
    ssize_t len = pread(*fd, buf, sizeof buf - 1, 0);
    if (len <= 0) return false;
    buf[len] = 0;
    for (int i = 0; i < n; i++) {
        size_t name_len = strlen(names[i]);
        const char *at = buf;
        /* a whole name at the start of a line ("rchar" is the first) */
        while ((at = strstr(at, names[i])) && ((at != buf && at[-1] != '\n') || at[name_len] != ':')) at += name_len;
        if (!at) return false;
        out[i] = strtoull(at + name_len + 1, NULL, 10);
    }
    return true;
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
 * those calls' bytes (a disk window's reads: what the disk did for them,
 * read_bytes, see thread_io). A window closes (one pread of the io file) when the
 * thread makes any other kind of byte call (other class, send/recv family,
 * sendfile/splice/copy_file_range, a credit-mode resource), before execve
 * (the kernel's own ELF reads count in rchar), at thread exit, and it is
 * flushed at every usage report. Calls that cannot use a window keep the
 * exit stop.
 */
/* A disk window counts what the disk did for its calls: for reads the
 * storage reads the kernel counts to the thread (read_bytes: a read the page
 * cache serves moves nothing, a cold one counts its readahead, read once),
 * for writes the bytes written (wchar: every one goes to the disk). Any
 * other window counts the calls' bytes (rchar, wchar). */
static bool thread_io(struct thread *t, int cls, uint64_t *rchar, uint64_t *wchar)
{
    static const char *const calls[] = { "rchar", "wchar" }, *const disk[] = { "read_bytes", "wchar" };
    uint64_t v[2];
    if (!proc_io_read(&t->iofd, t->proc ? t->proc->pid : t->tid, t->tid, 2, cls == FD_DISK ? disk : calls, v)) return false;
    *rchar = v[0];
    *wchar = v[1];
    return true;
}

/* The storage reads the kernel has counted to thread t so far (a disk read
 * call on the ptrace path is charged their growth over the call). */
bool thread_read_bytes(struct thread *t, uint64_t *out)
{
    static const char *const names[] = { "read_bytes" };
    return proc_io_read(&t->iofd, t->proc ? t->proc->pid : t->tid, t->tid, 1, names, out);
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
    if (thread_io(t, t->win_class, &now[0], &now[1])) {
        bool net = t->win_class == FD_NET;
        uint64_t *base[2] = { &t->win_rchar, &t->win_wchar };
        for (int s = 0; s < 2; s++) {
            uint64_t got = now[s] > *base[s] ? now[s] - *base[s] : 0;
            *base[s] = now[s];
            int res = net ? (s ? R_NETUP : R_NETDOWN) : R_DISK;
            H.counters[net ? (s ? C_NETUP : C_NETDOWN) : (s ? C_DISKWRITE : C_DISKREAD)] += got;
            if (!net && t->proc) t->proc->disk_by_calls[s] += got; /* (s: enum io_dir) */
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

/* Whether t may be inside a read/write-family call (its latest admitted one
 * still in flight). Its next one cannot start meanwhile: it would wait for
 * the tracing lock in the notifier. */
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
    const struct proc *only = arg;
    if (only && t->proc != only) return;
    /* stopped or waiting in a notification: none of its calls is in flight */
    bool idle = t->state != TS_RUNNING || t->notif_id != 0 || (t->held && t->held_notif);
    /* a reservation kept for a call that has ended would lower the credit
     * for as long as the thread makes no other call (an idle Go M) */
    if (!idle && t->win_class != FD_UNKNOWN && (t->win_last[0] || t->win_last[1])) idle = !maybe_in_rw_call(t);
    window_settle(t, idle ? WS_IDLE : WS_FLUSH);
}

void io_windows_flush(struct proc *only)
{
    for_each_thread(flush_one, only);
}

/* Makes sure t has a window of class cls open (the thread must be between
 * calls). False if its counters cannot be read. */
bool window_open(struct thread *t, int cls)
{
    if (t->win_class != FD_UNKNOWN && t->win_class != cls) window_settle(t, WS_CLOSE);
    if (t->win_class == FD_UNKNOWN) {
        if (!thread_io(t, cls, &t->win_rchar, &t->win_wchar)) return false;
        t->win_class = cls;
    }
    return true;
}

/* Returns true if the call was admitted on the fast path (resumed already). */
bool try_window(struct thread *t, struct call *c, int cls)
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
