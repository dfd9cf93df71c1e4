/* credit: the paper's credit queues of the byte resources (a call is
 * admitted while its resource has credit, held at the tail of its queue
 * otherwise, released in arrival order as grants arrive), and the entry and
 * exit of byte calls on the ptrace path, where a call's requested size is
 * reserved and settled against what it moved. */
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

/* ------------------------------------------------------------------ */
/* credits                                                             */

bool is_credit(int res) { return H.cr[res].mode == 1; }

/* Bytes that moved without a reservation (a meter's settlement, a call the
 * helper performed, a mapping's or a cgroup's count): counted, and taken
 * from the credit when the resource is capped. */
void charge_moved(int res, int counter, uint64_t bytes)
{
    H.counters[counter] += bytes;
    if (is_credit(res)) H.cr[res].credit -= (int64_t)bytes;
}

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
    t->held_mapped = false;
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
        if (is_credit(r) && H.cr[r].credit <= 0) io_windows_flush(NULL);
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

/* Reads len bytes at addr of the tracee pid (process_vm_readv). */
ssize_t tracee_peek(pid_t pid, unsigned long addr, void *buf, size_t len)
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
        if (tracee_peek(pid, iov, v, n * sizeof v[0]) != (ssize_t)(n * sizeof v[0])) break;
        for (size_t i = 0; i < n; i++) sum += v[i].iov_len;
        iov += n * sizeof v[0];
        cnt -= n;
    }
    return sum;
}

uint64_t msghdr_sum(pid_t pid, unsigned long addr)
{
    struct msghdr m;
    if (tracee_peek(pid, addr, &m, sizeof m) != (ssize_t)sizeof m) return 0;
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
        if (tracee_peek(pid, vec, m, (size_t)k * sizeof m[0]) != (ssize_t)((size_t)k * sizeof m[0])) break;
        for (long i = 0; i < k; i++) sum += m[i].msg_len;
        vec += (unsigned long)k * sizeof m[0];
        n -= k;
    }
    return sum;
}

static void add_side(struct call *c, struct proc *p, int fd, int cls, bool write)
{
    if (cls == FD_NET) {
        struct sockdup sd;
        c->side[c->nsides].res = write ? R_NETUP : R_NETDOWN;
        c->side[c->nsides].counter = write ? C_NETUP : C_NETDOWN;
        c->side[c->nsides].fd = fd;
        /* (a name above the cache: its meter is settled through a kept name) */
        c->side[c->nsides].metered = socket_meter(p, fd, &sd) >= 0;
        sockdup_put(&sd);
        c->nsides++;
    } else if (cls == FD_DISK) {
        c->side[c->nsides].res = R_DISK;
        c->side[c->nsides].counter = write ? C_DISKWRITE : C_DISKREAD;
        c->nsides++;
    }
}

/* ------------------------------------------------------------------ */
/* byte calls on the ptrace path                                       */

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
        add_side(c, p, (int)r->rdi, cls, write);
        break;
    case SYS_sendfile: /* out_fd, in_fd */
        add_side(c, p, (int)r->rsi, classify_fd(p, t->tid, (int)r->rsi), false);
        add_side(c, p, (int)r->rdi, classify_fd(p, t->tid, (int)r->rdi), true);
        break;
    case SYS_splice: case SYS_copy_file_range: /* fd_in, off_in, fd_out */
        add_side(c, p, (int)r->rdi, classify_fd(p, t->tid, (int)r->rdi), false);
        add_side(c, p, (int)r->rdx, classify_fd(p, t->tid, (int)r->rdx), true);
        break;
    }
    /* (as on the notification path: a peek is read again by the call that takes it) */
    c->peek = ((c->nr == SYS_recvfrom || c->nr == SYS_recvmmsg) && (r->r10 & MSG_PEEK)) ||
              (c->nr == SYS_recvmsg && (r->rdx & MSG_PEEK));
    if (c->nsides == 1 && c->side[0].metered) {
        /* (a window would count a metered socket's bytes a second time) */
        if (t->win_class != FD_UNKNOWN) window_settle(t, WS_CLOSE);
    } else if (try_window(t, c, cls)) {
        return;
    }
    if (c->nsides == 0) { resume_thread(t, PTRACE_CONT, 0); return; }
    for (int i = 0; i < c->nsides; i++)
        if (c->side[i].counter == C_DISKREAD) c->storage_read = thread_read_bytes(t, &c->read_bytes0);

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

void bytes_call_exit(struct thread *t)
{
    struct call *c = &t->call;
    errno = 0;
    long rax = ptrace(PTRACE_PEEKUSER, t->tid, offsetof(struct user_regs_struct, rax), 0);
    if (errno) rax = 0;
    uint64_t bytes = rax > 0 ? (uint64_t)rax : 0;
    if ((c->nr == SYS_sendmmsg || c->nr == SYS_recvmmsg) && rax > 0) bytes = mmsg_done(t->tid, c->a1, rax);
    if (c->peek) bytes = 0;
    /* (its file side: what the disk did, as a disk window counts it, windows.c) */
    uint64_t read_bytes = 0, stored = bytes;
    if (c->storage_read && thread_read_bytes(t, &read_bytes)) stored = read_bytes > c->read_bytes0 ? read_bytes - c->read_bytes0 : 0;
    bool refunded[R_COUNT] = { false };
    for (int i = 0; i < c->nsides; i++) {
        struct side *s = &c->side[i];
        struct sockdup sd;
        if (s->metered) {
            /* its meter charges what moved (if the fd was closed meanwhile, its last settlement did) */
            if (s->reserved) { H.cr[s->res].credit += (int64_t)c->want; refunded[s->res] = true; }
            s->reserved = false;
            if (sockdup_peek(t->proc, s->fd, &sd)) meter_settle(sd.meter, sd.fd);
            continue;
        }
        uint64_t moved = s->counter == C_DISKREAD ? stored : bytes;
        H.counters[s->counter] += moved;
        if ((s->counter == C_DISKREAD || s->counter == C_DISKWRITE) && t->proc) t->proc->disk_by_calls[s->counter == C_DISKWRITE ? IO_WRITE : IO_READ] += moved;
        if (s->reserved) {
            /* settle the reservation against what really moved */
            H.cr[s->res].credit += (int64_t)c->want - (int64_t)moved;
            if (c->want > moved) refunded[s->res] = true;
        } else if (is_credit(s->res)) {
            H.cr[s->res].credit -= (int64_t)moved;
        }
        s->reserved = false;
    }
    t->exit_kind = EX_NONE;
    resume_thread(t, PTRACE_CONT, 0);
    for (int r = 0; r < R_COUNT; r++) if (refunded[r]) credit_release(r);
}
