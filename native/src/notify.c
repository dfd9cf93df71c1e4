/* The user-notification fast path of the read/write family.
 *
 * A ptrace seccomp stop wakes the tracer on another CPU (and the tracee
 * again after the resume): tens of µs in a VM. The filter instead sends
 * read/write-family calls to a seccomp listener (SECCOMP_RET_USER_NOTIF),
 * which the "notifier" thread reads with a blocking NOTIF_RECV; with
 * SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (Linux 6.6+) the kernel runs it on the
 * tracee's CPU, a few µs per call. Every call is answered CONTINUE: its bytes
 * are counted by the thread's I/O window (tracer.c) since no exit stop
 * exists here. In credit mode the requested size is reserved at admission
 * and the window settles it against what moved; a call without credit is
 * simply not answered yet (the thread waits in the kernel) until a grant.
 *
 * Shared state is under the tracing lock. The notifier never calls ptrace
 * (only the attaching thread may): releases it causes are posted to the
 * tracer thread (EV_RELEASE). Tracee errors only ever affect that call. */
#include "helper.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "seccomp_compat.h"

static struct seccomp_notif_sizes sizes;

/* The listener t's notifications come from: its process's filter's (a
 * process injected apart from its parent has its own, inject.c). */
int listener_of(const struct thread *t)
{
    return t && t->proc ? t->proc->listener : H.notif_fd;
}

static bool send_continue(int listener, uint64_t id)
{
    union { struct seccomp_notif_resp r; char pad[256]; } u;
    memset(&u, 0, sizeof u);
    u.r.id = id;
    u.r.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
    for (;;) {
        if (ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &u.r) == 0) return true;
        if (errno != EINTR) return false;
    }
}

/* Lets t's notification id's call proceed. False if the notification is gone
 * (its thread was interrupted by a signal or a ptrace stop, or died). */
bool notif_answer_continue(const struct thread *t, uint64_t id) { return send_continue(listener_of(t), id); }

/* Answers t's notification id with the call's result: val, or -err if err. */
void notif_answer(const struct thread *t, uint64_t id, long val, int err)
{
    union { struct seccomp_notif_resp r; char pad[256]; } u;
    memset(&u, 0, sizeof u);
    u.r.id = id;
    u.r.val = err ? 0 : val;
    u.r.error = err ? -err : 0;
    ioctl(listener_of(t), SECCOMP_IOCTL_NOTIF_SEND, &u.r);
}

/* Whether t's notification id still waits for an answer. */
bool notif_valid(const struct thread *t, uint64_t id)
{
    return ioctl(listener_of(t), SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
}

static bool is_write(int nr)
{
    return nr == SYS_write || nr == SYS_pwrite64 || nr == SYS_writev || nr == SYS_pwritev || nr == SYS_pwritev2;
}

static uint64_t want_of(pid_t tid, const struct seccomp_data *d)
{
    uint64_t w;
    switch (d->nr) {
    case SYS_read: case SYS_write: case SYS_pread64: case SYS_pwrite64: w = d->args[2]; break;
    default: w = iov_sum(tid, d->args[1], d->args[2]); break; /* the vectored forms */
    }
    return w > MAX_WANT ? MAX_WANT : w;
}

/* Reserves want for t's call and answers it; undone if the call vanished
 * (it restarts as a new notification and is decided again). */
static void admit(struct thread *t, uint64_t id, int res, int side, uint64_t want)
{
    bool reserve = is_credit(res);
    if (reserve) {
        H.cr[res].credit -= (int64_t)want;
        t->win_resv[side] += want;
        t->win_last[side] = want;
    }
    if (notif_answer_continue(t, id) || !reserve) return;
    H.cr[res].credit += (int64_t)want;
    t->win_resv[side] -= want;
    if (t->win_last[side] > t->win_resv[side]) t->win_last[side] = t->win_resv[side];
}

/* Tracer thread, from credit_release: a held notification's turn came. */
static void decide(struct thread *t, uint64_t id, const struct seccomp_data *d);

void notif_admit(struct thread *t)
{
    if (t->held_mapped) {
        uint64_t id = t->notif_id;
        struct seccomp_data d = t->notif_data;
        queue_remove(t);
        decide(t, id, &d);
        return;
    }
    if (t->held_sock) {
        uint64_t id = t->notif_id;
        struct seccomp_data d = t->notif_data;
        sock_decide(t, id, &d); /* (takes the thread out of the queue itself) */
        return;
    }
    uint64_t id = t->notif_id, want = t->held_want;
    int res = t->held_res, side = t->notif_side;
    queue_remove(t);
    /* (the window was opened when it was held; make sure) */
    if (!window_open(t, res == R_DISK ? FD_DISK : FD_NET)) { notif_answer_continue(t, id); return; }
    admit(t, id, res, side, want);
}

/* A read/write-family call on a TCP socket, which has a meter (meters.c)
 * that charges every byte through it: no window may count them too.
 * Uncapped, it runs natively; capped, read and write are the socket's recv
 * and send (sockets.c performs them), the vectored forms take the ptrace
 * path. False if the socket cannot have a meter (then a window counts it). */
static bool metered_rw(struct thread *t, uint64_t id, const struct seccomp_data *d, int res, bool restarted)
{
    struct sockdup sd;
    int meter = socket_meter(t->proc, (int)d->args[0], &sd);
    if (meter < 0) return false;
    if (t->win_class != FD_UNKNOWN) window_settle(t, WS_CLOSE);
    if (!is_credit(res)) {
        if (restarted) queue_remove(t);
        meter_settle(meter, sd.fd);
        sockdup_put(&sd);
        notif_answer_continue(t, id);
        return true;
    }
    sockdup_put(&sd); /* (sock_decide takes its own) */
    if (d->nr != SYS_read && d->nr != SYS_write) {
        if (restarted) queue_remove(t);
        handoff(t, id, true);
        return true;
    }
    /* the same call as the socket's: recvfrom/sendto(fd, buf, len, 0, NULL, 0) */
    struct seccomp_data as_sock = *d;
    as_sock.nr = d->nr == SYS_read ? SYS_recvfrom : SYS_sendto;
    as_sock.args[3] = as_sock.args[4] = as_sock.args[5] = 0;
    sock_decide(t, id, &as_sock);
    return true;
}

/* Decides call id of thread t (its data d): pass, reserve and pass, or hold. */
static void decide(struct thread *t, uint64_t id, const struct seccomp_data *d)
{
    static bool logged_io;
    switch (category_of(d->nr)) {
    case CAT_FDTAB: fdtab_on_notif(t, id, d); return;
    case CAT_MEM: mem_on_notif(t, id, d); return;
    }
    if (mapped_gate(t, id, d)) return;
    if (sock_call(d->nr)) {
        sock_decide(t, id, d);
        return;
    }
    int side = is_write(d->nr) ? 1 : 0;
    int cls = classify_fd(t->proc, t->tid, (int)d->args[0]);
    int res = cls == FD_NET ? (side ? R_NETUP : R_NETDOWN) : cls == FD_DISK ? R_DISK : -1;
    /* The thread's calls are sequential: a queue entry of it is either this
     * call restarted after a ptrace stop (it keeps its place, no second
     * demand) or a call it gave up (EINTR). */
    bool restarted = t->held && t->held_notif && t->held_res == res;
    if (t->held && !restarted) queue_remove(t);
    if (res < 0) {
        if (t->win_class != FD_UNKNOWN) window_settle(t, WS_CLOSE);
        notif_answer_continue(t, id);
        return;
    }
    if (cls == FD_NET && metered_rw(t, id, d, res, restarted)) return;
    if (!window_open(t, cls)) {
        if (!logged_io) { logged_io = true; helper_log("warn", "cannot read the I/O counters of thread %d: its calls go uncounted", t->tid); }
        if (restarted) queue_remove(t);
        notif_answer_continue(t, id);
        return;
    }
    if (!is_credit(res)) {
        if (restarted) queue_remove(t);
        notif_answer_continue(t, id);
        return;
    }
    uint64_t want = want_of(t->tid, d);
    struct credit_state *cs = &H.cr[res];
    if (cs->credit <= 0) {
        /* reservations of completed calls come back first: its own (all
         * complete: it is here), then every window's */
        window_settle(t, WS_IDLE);
        if (cs->credit <= 0) io_windows_flush(NULL);
    }
    if (cs->credit > 0) {
        if (restarted) queue_remove(t);
        admit(t, id, res, side, want);
        return;
    }
    /* Held: not answered until a grant. If it was interrupted meanwhile the
     * restart is already on its way as a new notification. */
    if (!notif_valid(t, id)) return;
    t->notif_id = id;
    t->notif_side = side;
    if (restarted) {
        cs->held_bytes = cs->held_bytes - t->held_want + want;
        t->held_want = want;
    } else {
        t->held_notif = true;
        queue_hold(t, res, want, true);
    }
}

/* A notification for the calling thread; the tree may be stopped by the
 * engine: then the call waits, unanswered, for the next `run`/`free`.
 * Returns whether the tracer thread should see if the stop is complete. */
static bool on_notif(int listener, const struct seccomp_notif *n)
{
    struct thread *t = thread_find((pid_t)n->pid);
    if (!t || !t->proc) {
        /* Not registered: only the app's first process before its exec (our
         * child writing why the exec failed; the engine may not even have
         * its hello yet, so no log). Threads are registered before they run. */
        send_continue(listener, n->id);
        return false;
    }
    /* (a process's calls come to one listener, its newest filter's: a
     * notification says which, should inject_on_fork have guessed wrong) */
    if (t->proc->listener != listener && listener != H.notif_fd) t->proc->listener = listener;
    stops_forget_rewind(t);
    fdtab_op_done(t); /* (its previous call is over) */
    if (t->handoff == HO_CONTINUE) {
        /* a call moved to the ptrace path: its exit stop counts it */
        t->handoff = HO_NONE;
        notif_answer_continue(t, n->id);
        return false;
    }
    t->handoff = HO_NONE; /* (a handoff a signal overtook: this call starts afresh) */
    if (H.paused && !H.terminating) {
        t->gate_id = n->id;
        t->gate_data = n->data;
        stops_note_wake();
        stops_watch_arm(); /* (signals for it) */
        /* Interrupted on its way into this call: once we have read it the
         * thread waits killable only, so our interrupt-stop cannot come
         * before we answer. Waiting here unanswered is as stopped as a
         * ptrace stop; the interrupt's stop comes after the gate's answer
         * (counted now, still ours for rewinding an EINTR: interrupt_late). */
        return stops_gated_interrupt(t);
    }
    decide(t, n->id, &n->data);
    return false;
}

/* Hands notification id of t over: answered with a restart of its call (the
 * tracer thread interrupts the thread first, so that the kernel restarts it),
 * the restarted call taking the ptrace path or coming back as a new
 * notification. */
void handoff(struct thread *t, uint64_t id, bool to_ptrace)
{
    t->handoff = to_ptrace ? HO_PENDING_PTRACE : HO_PENDING_RESTART;
    t->handoff_id = id;
    H.handoff_pending = true;
    if (on_tracer_thread()) handoffs_run();
}

/* Tracer thread, when the tree runs again: the call that waited at its gate. */
void notif_ungate(struct thread *t)
{
    uint64_t id = t->gate_id;
    struct seccomp_data d = t->gate_data;
    t->gate_id = 0;
    decide(t, id, &d);
}

static void *notifier_main(void *arg)
{
    int listener = (int)(intptr_t)arg;
    (void)setpriority(PRIO_PROCESS, 0, HELPER_NICE); /* (per thread: main.c says why) */
    struct seccomp_notif *n = malloc(sizes.seccomp_notif);
    if (!n) abort(); /* setup only: a silent notifier would hang the app */
    for (;;) {
        memset(n, 0, sizes.seccomp_notif);
        /* blocking in the ioctl (not poll) is what the sync wake-up applies to */
        if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, n) != 0) {
            if (errno == EINTR) continue;
            if (errno != ENOENT) { usleep(1000); continue; }
            /* ENOENT: the caller died or was interrupted before we read it,
             * or no task uses the filter any more (then RECV fails at once,
             * forever: the tree is gone and no task can join the filter
             * again). Wait for a pending notification without spinning. */
            struct pollfd p = { .fd = listener, .events = POLLIN };
            int r = poll(&p, 1, 1000);
            if (r > 0 && (p.revents & (POLLHUP | POLLERR | POLLNVAL)) && !(p.revents & POLLIN)) break;
            continue;
        }
        tracing_lock();
        bool post = on_notif(listener, n);
        for (int r = 0; r < R_COUNT; r++) post |= H.release_pending[r];
        post |= H.handoff_pending;
        tracing_unlock();
        if (post) post_event(EV_RELEASE, 0, NULL, 0);
    }
    /* An injected process's listener: no process of its filter is left.
     * (The app's first listener stays open to the end: H.notif_fd.) */
    if (listener != H.notif_fd) close(listener);
    free(n);
    return NULL;
}

/* Setup (main, before the app runs): what a notification is. Fatal if unknown. */
void notify_init(void)
{
    if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) != 0 || sizes.seccomp_notif_resp > 256) {
        perror("interceptor-helper: SECCOMP_GET_NOTIF_SIZES");
        exit(125);
    }
}

/* A notifier thread for listener, the app's filter's (H.notif_fd) or an
 * injected one's. Returns false if no thread could be started (an injected
 * filter's calls would then wait forever: inject.c kills nothing but says so). */
bool notify_start(int listener)
{
    bool sync = ioctl(listener, SECCOMP_IOCTL_NOTIF_SET_FLAGS, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP) == 0;
    if (listener == H.notif_fd) H.notif_sync = sync;
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_t th;
    int e = pthread_create(&th, NULL, notifier_main, (void *)(intptr_t)listener);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (e != 0) {
        errno = e;
        return false;
    }
    pthread_detach(th);
    return true;
}
