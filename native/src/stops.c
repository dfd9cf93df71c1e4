/* Transparent CPU stops: the engine takes the CPU from an app by stopping
 * its tree, and the app must notice nothing but speed.
 *
 * A ptrace interrupt wakes a thread blocked in the kernel. Most blocking
 * calls are then restarted by the kernel with their remaining time, but
 * epoll_wait, epoll_pwait2, sigtimedwait, semtimedop and socket calls with
 * timeouts fail with EINTR (signal(7)), and an event loop that retries with
 * the same relative timeout (aria2) never reaches it when it is interrupted
 * every slice. So a stop:
 *  - interrupts only the threads that are runnable (state R) and have run
 *    since the last stop found them asleep. A runnable thread that has not
 *    (its scheduler counts are the same) is still inside its wait: woken,
 *    not yet on a CPU — Go's blocked netpoller, woken for an event another
 *    of its threads then took, which natively sleeps on to its deadline
 *    (interrupted, its wait would restart its timeout afresh: syncthing's
 *    1-s long-poll once took 2.03 s). It and a sleeping thread sleep on,
 *    "watched": if it wakes during the stop it is gated
 *    at its next trapped call (a notification left unanswered, a ptrace stop
 *    parked), or, if it computes without one, caught by the watch (the
 *    tree's CPU clock grew: its runnable threads are interrupted then). The
 *    CPU it used is charged to the next slice, so the cap still holds;
 *  - restarts ("rewinds") a call that our interrupt made fail with EINTR (a
 *    thread caught between entering a wait and falling asleep): it runs
 *    again as if never interrupted, unless a signal is delivered before it
 *    does, in which case the EINTR stands, as it would natively.
 * Signals the app ignores (SIG_IGN, or SIGCHLD, SIGURG, SIGWINCH, SIGCONT at
 * their default) never interrupt a wait natively, but the kernel wakes a
 * traced thread for them so its tracer can see them: such an EINTR is
 * rewound too.
 *
 * All of this runs on the tracer thread under the tracing lock, except
 * stops_watch_check (control thread, takes the lock) and stops_note_wake
 * (tracer or notifier thread, under the lock). */
#include "helper.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/ptrace.h>
#include <unistd.h>

#include "seccomp_compat.h"

#ifndef ERESTARTSYS
#define ERESTARTSYS 512 /* the kernel's: restart if the handler has SA_RESTART, else EINTR */
#endif
#ifndef ERESTARTNOINTR
#define ERESTARTNOINTR 513 /* the kernel's: restart the call whatever the signal handler says */
#endif

/* The watch starts checking every 2 ms and backs off to 32 ms while the
 * tree stays quiet (an app paused for hours costs next to nothing). */
#define WATCH_MIN_NS 2000000ull
#define WATCH_MAX_SHIFT 4
/* How soon a signal reaches a thread waiting in a held or gated notification. */
#define SIGNAL_WATCH_NS 20000000ull

/* A thread's scheduler state from /proc (R, S, D, t, Z, ...), 0 if unknown. */
static char sched_state(struct thread *t)
{
    char buf[512];
    if (!task_file_kept(t, &t->stat_fd, "stat", buf, sizeof buf)) return 0;
    char *paren = strrchr(buf, ')'); /* comm may contain anything, even ')' */
    return paren && paren[1] == ' ' ? paren[2] : 0;
}

static bool asleep(char st) { return st == 'S' || st == 'D' || st == 'I'; }

/* A thread's scheduler counts (schedstat): its CPU time, which grows
 * whenever it leaves a CPU and at each tick while on one, and how many times
 * it was put on a CPU. The same at two readings: it has not run in between
 * (or has been on its CPU all along for less than a tick). {0, 0}: unknown. */
static struct sched_counts sched_counts(struct thread *t)
{
    struct sched_counts c = { 0, 0 };
    char buf[128], *p = buf;
    if (!task_file_kept(t, &t->schedstat_fd, "schedstat", buf, sizeof buf)) return c;
    c.cpu_ns = strtoull(p, &p, 10);
    strtoull(p, &p, 10); /* (its time waiting for a CPU) */
    c.switch_ins = strtoull(p, NULL, 10);
    return c;
}

/* Whether t is asleep, or still in the sleep a stop last found it in
 * (woken, not yet run): one read of its counts, and of its state only if
 * they changed. */
static bool sleeps_on(struct thread *t)
{
    struct sched_counts c = sched_counts(t);
    if (c.switch_ins && c.cpu_ns == t->asleep_counts.cpu_ns && c.switch_ins == t->asleep_counts.switch_ins) return true;
    if (!asleep(sched_state(t))) return false;
    t->asleep_counts = c; /* (read before its state: a thread that ran in between does not match them later) */
    return true;
}

static void interrupt(struct thread *t)
{
    if (ptrace(PTRACE_INTERRUPT, t->tid, 0, 0) != 0) return;
    if (H.interrupts_pending == 0) H.pause_started = now_ns();
    t->interrupting = true;
    H.interrupts_pending++;
}

static void unwatch(struct thread *t)
{
    if (!t->watched) return;
    t->watched = false;
    H.watched--;
}

/* Every resume goes through here: while the engine has the tree stopped, the
 * thread stays in its ptrace-stop ("parked") and is resumed by the next
 * `run`/`free` exactly as it would have been now. */
void resume_thread(struct thread *t, int how, int sig)
{
    if (H.paused) {
        t->parked = true;
        t->park_how = how;
        t->park_sig = sig;
        t->state = TS_STOPPED;
        return;
    }
    t->parked = false;
    if (ptrace((enum __ptrace_request)how, t->tid, 0, (void *)(long)sig) == 0)
        t->state = how == PTRACE_LISTEN ? TS_LISTENING : TS_RUNNING;
    /* ESRCH: the task died (SIGKILL); its exit is collected by wait. */
}

/* Stops t if it is running; a sleeping one is watched instead. */
void pause_one(struct thread *t, void *arg)
{
    (void)arg;
    /* A vfork parent sleeps (killable only) until its child lets go of the
     * mm: it uses no CPU and cannot report an interrupt-stop before then. */
    if (!t->proc || t->interrupting || t->exiting || t->in_vfork || t->watched) return;
    if (t->state == TS_RUNNING) {
        if (H.stop_mode == STOP_TRANSPARENT && !t->initial && sleeps_on(t)) {
            t->watched = true;
            H.watched++;
            return;
        }
        H.slice_runnable++;
        interrupt(t);
    } else if (t->state == TS_LISTENING) {
        interrupt(t);
    }
}

void tracer_pause_all(void)
{
    if (!H.paused) {
        H.wake_sent = false;
        H.slice_runnable = 0;
    }
    if (!H.paused || H.interrupts_pending == 0) H.pause_started = now_ns();
    H.paused = true;
    for_each_thread(pause_one, NULL);
    if (H.watched > 0) {
        H.watch_cpu = tree_cpu_ns();
        stops_watch_arm();
    }
}

static void unpause_one(struct thread *t, void *arg)
{
    (void)arg;
    t->interrupting = false;
    t->watched = false;
    if (t->gate_id) notif_ungate(t);
    if (t->parked && t->proc) {
        t->parked = false;
        resume_thread(t, t->park_how, t->park_sig);
    }
}

void tracer_unpause_all(void)
{
    H.paused = false;
    H.interrupts_pending = 0;
    for_each_thread(unpause_one, NULL);
    H.watched = 0;
    /* grants that came during the stop */
    for (int r = 0; r < R_COUNT; r++) credit_release(r);
    inject_all(); /* (a cap that came during the stop) */
}

/* A thread of the stopped tree wants to run (it woke up and reached a
 * trapped call, got a signal, or computes): the engine may dispatch it
 * sooner than its blocked retry. Once per stop. */
void stops_note_wake(void)
{
    if (!H.paused || H.wake_sent || !H.released || H.terminating) return;
    H.wake_sent = true;
    control_send("{\"type\":\"wake\"}", false);
}

static void count_waits(struct thread *t, void *arg)
{
    if ((t->notif_id && t->held_notif) || t->gate_id || (t->held && !t->held_notif)) ++*(int *)arg;
}

/* Threads waiting in a notification we have not answered (held for credit,
 * or gated by a stop), or held for credit in a ptrace stop: the kernel lets
 * no signal through to them, so we do (release_for_signal). */
static int held_waits(void)
{
    int n = 0;
    for_each_thread(count_waits, &n);
    return n;
}

/* Any thread: starts the watch if it is not running (stops_watch_check keeps
 * it running while there is something to watch). */
void stops_watch_arm(void)
{
    if (__atomic_exchange_n(&H.watch_armed, true, __ATOMIC_ACQ_REL)) return;
    H.watch_quiet = 0;
    arm_timer(H.watch_tfd, WATCH_MIN_NS, 0);
}

/* Control thread, at the watch timer: a cheap look at the tree's CPU clock,
 * and whether a notification waits; only then does the tracer thread look at
 * each thread (EV_WATCH: stops_watch_scan). */
void stops_watch_check(void)
{
    tracing_lock();
    bool grew = false, cpu = H.paused && H.watched > 0, waits = held_waits() > 0;
    uint64_t next = SIGNAL_WATCH_NS;
    if (cpu) {
        uint64_t c = tree_cpu_ns();
        grew = c > H.watch_cpu;
        H.watch_cpu = c;
        H.watch_quiet = grew ? 0 : H.watch_quiet + 1;
        int shift = H.watch_quiet < WATCH_MAX_SHIFT ? H.watch_quiet : WATCH_MAX_SHIFT;
        if ((WATCH_MIN_NS << shift) < next) next = WATCH_MIN_NS << shift;
    }
    if (cpu || waits) arm_timer(H.watch_tfd, next, 0);
    else __atomic_store_n(&H.watch_armed, false, __ATOMIC_RELEASE);
    tracing_unlock();
    if (grew || waits) post_event(EV_WATCH, 0, NULL, 0);
}

static void scan_one(struct thread *t, void *arg)
{
    (void)arg;
    if (!t->watched || t->state != TS_RUNNING) return;
    if (sleeps_on(t)) return;
    unwatch(t);
    interrupt(t);
    stops_note_wake();
}

/* Signals pending for t and not blocked by it (/proc status). */
static bool signal_pending_for(struct thread *t)
{
    char b[2048];
    if (!task_file(t, "status", b, sizeof b)) return false;
    char *pnd = strstr(b, "\nSigPnd:"), *shd = strstr(b, "\nShdPnd:"), *blk = strstr(b, "\nSigBlk:");
    if (!pnd || !shd || !blk) return false;
    unsigned long long pending = strtoull(pnd + 8, NULL, 16) | strtoull(shd + 8, NULL, 16);
    return (pending & ~strtoull(blk + 8, NULL, 16)) != 0;
}

/* A thread waiting in a held or gated call with a signal pending: its call
 * is restarted, so the signal is handled (or the stop
 * taken) as if the call had been an ordinary sleeping one; the restarted call
 * comes back and takes its place again. */
static void release_for_signal(struct thread *t, void *arg)
{
    (void)arg;
    if (t->held && !t->held_notif) {
        /* Held in a ptrace stop before its call ran: the call is skipped and
         * its syscall instruction made to run again, so the signal is taken
         * as at any syscall boundary and the call then comes back for credit. */
        struct user_regs_struct r;
        if (H.paused || t->state != TS_STOPPED || t->handoff != HO_NONE || !signal_pending_for(t)) return;
        if (ptrace(PTRACE_GETREGS, t->tid, 0, &r) != 0) return;
        r.rax = r.orig_rax;
        r.orig_rax = (unsigned long long)-1;
        r.rip -= 2; /* the `syscall` instruction */
        if (ptrace(PTRACE_SETREGS, t->tid, 0, &r) != 0) return;
        queue_remove(t);
        t->exit_kind = EX_NONE;
        resume_thread(t, PTRACE_CONT, 0);
        return;
    }
    uint64_t id = t->gate_id ? t->gate_id : (t->held_notif ? t->notif_id : 0);
    if (!id || t->handoff != HO_NONE || !signal_pending_for(t)) return;
    if (t->gate_id) t->gate_id = 0;
    else t->notif_id = 0; /* (the queue entry stays: the restart takes it over) */
    handoff(t, id, false);
}

/* Tracer thread: a watched thread that is running now is stopped (its wait,
 * if any, is over: the interrupt cannot cost it a timeout), and waiting
 * notifications with a signal pending are released. */
void stops_watch_scan(void)
{
    if (H.paused && H.watched > 0) for_each_thread(scan_one, NULL);
    for_each_thread(release_for_signal, NULL);
}

static bool rewind_call(struct thread *t, struct user_regs_struct *r)
{
    r->rax = r->orig_rax;
    r->rip -= 2; /* the `syscall` instruction */
    if (ptrace(PTRACE_SETREGS, t->tid, 0, r) != 0) return false;
    t->rewound = true;
    t->rewind_ip = r->rip;
    return true;
}

/* Names the threads whose interrupt-stop has not come (the stop watchdog
 * gave up on them): what they were doing, for the log. */
static void log_straggler(struct thread *t, void *arg)
{
    (void)arg;
    if (!t->interrupting) return;
    char wchan[64] = "";
    int fd = -1;
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task/%d/wchan", t->proc ? t->proc->pid : t->tid, t->tid);
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0) {
        ssize_t n = read(fd, wchan, sizeof wchan - 1);
        wchan[n > 0 ? n : 0] = 0;
        close(fd);
    }
    char st = sched_state(t);
    helper_log("warn", "no interrupt-stop from %d (state %c, wchan %s, tracer state %d%s%s%s)", t->tid, st ? st : '?',
               wchan, t->state, t->in_vfork ? ", in vfork" : "", t->initial ? ", initial" : "",
               t->proc ? "" : ", unlinked");
}

void stops_log_stragglers(void) { for_each_thread(log_straggler, NULL); }

/* At the stop our interrupt caused (an interrupt-stop, or the exit stop of a
 * call we trace): a call that failed with EINTR because of it runs again. */
void stops_on_interrupt_stop(struct thread *t)
{
    if (t->state != TS_STOPPED || H.stop_mode == STOP_PLAIN) return; /* (resumed already: nothing to rewrite) */
    errno = 0;
    long rax = ptrace(PTRACE_PEEKUSER, t->tid, offsetof(struct user_regs_struct, rax), 0);
    if (errno || rax != -EINTR) return;
    struct user_regs_struct r;
    if (ptrace(PTRACE_GETREGS, t->tid, 0, &r) != 0 || (long)r.orig_rax < 0) return;
    rewind_call(t, &r);
}

void stops_forget_rewind(struct thread *t) { t->rewound = false; }

/* Bookkeeping at every ptrace stop of a traced thread; returns whether the
 * stop is the one our interrupt asked for. A watched thread that stops woke
 * up during the stop: it wants the CPU. */
bool stops_take_stop(struct thread *t)
{
    bool ours = t->interrupting || t->interrupt_late;
    t->interrupt_late = false;
    if (t->interrupting) {
        t->interrupting = false;
        if (H.interrupts_pending > 0) H.interrupts_pending--;
    }
    if (t->watched) {
        unwatch(t);
        stops_note_wake();
    }
    return ours;
}

/* Notifier thread, under the lock: t, which we interrupted, reached a gate
 * instead of its interrupt-stop (see on_notif). Returns whether that was the
 * last thread the stop waited for. */
bool stops_gated_interrupt(struct thread *t)
{
    if (!t->interrupting) return false;
    t->interrupting = false;
    t->interrupt_late = true;
    if (H.interrupts_pending > 0) H.interrupts_pending--;
    return H.interrupts_pending == 0;
}

/* The signals process pid ignores and catches (masks of bit sig - 1). */
bool proc_sig_masks(pid_t pid, uint64_t *ignored, uint64_t *caught)
{
    char buf[2048];
    if (!proc_file(pid, "status", buf, sizeof buf)) return false;
    char *ign = strstr(buf, "\nSigIgn:"), *cgt = strstr(buf, "\nSigCgt:");
    if (!ign || !cgt) return false;
    *ignored = strtoull(ign + 8, NULL, 16);
    *caught = strtoull(cgt + 8, NULL, 16);
    return true;
}

/* Whether the app's process ignores sig (so natively it would interrupt nothing). */
static bool ignored_by_app(struct thread *t, int sig)
{
    uint64_t ign, cgt, bit = 1ull << (sig - 1);
    if (!proc_sig_masks(t->proc ? t->proc->pid : t->tid, &ign, &cgt)) return false;
    if (cgt & bit) return false;
    if (ign & bit) return true;
    return sig == SIGCHLD || sig == SIGURG || sig == SIGWINCH || sig == SIGCONT;
}

/* A notified fd-table or memory call that a signal took out of its
 * notification before we read it fails with ERESTARTSYS, which a handler
 * installed without SA_RESTART turns into EINTR — an error close, mmap and
 * their kind never return natively (they do not sleep). At the
 * signal-delivery stop the call is made to restart whatever the handler. */
static void restart_notified_call(struct thread *t)
{
    struct user_regs_struct r;
    if (listener_of(t) < 0 || ptrace(PTRACE_GETREGS, t->tid, 0, &r) != 0) return;
    if ((long)r.rax != -ERESTARTSYS || (long)r.orig_rax < 0) return;
    int cat = category_of((long)r.orig_rax);
    if (cat != CAT_FDTAB && cat != CAT_MEM) return;
    r.rax = (unsigned long long)-ERESTARTNOINTR;
    ptrace(PTRACE_SETREGS, t->tid, 0, &r);
}

/* At a signal-delivery-stop, before the signal is delivered (or discarded:
 * `discarded`, which counts as ignored). */
void stops_on_signal_stop(struct thread *t, int sig, bool discarded)
{
    if (sig > 0 && sig <= 64 && !discarded) restart_notified_call(t);
    if (sig <= 0 || sig > 64 || H.stop_mode == STOP_PLAIN) return;
    bool ignored = discarded || ignored_by_app(t, sig);
    if (!t->rewound && !ignored) return;
    struct user_regs_struct r;
    if (ptrace(PTRACE_GETREGS, t->tid, 0, &r) != 0) return;
    if (t->rewound) {
        t->rewound = false;
        if (r.rip == t->rewind_ip && r.rax == r.orig_rax) {
            /* the restarted call has not run yet: a signal the app handles came
             * first, and gets the EINTR it would have seen; an ignored one
             * leaves the restart in place */
            if (!ignored) {
                r.rax = (unsigned long long)-EINTR;
                r.rip += 2;
                ptrace(PTRACE_SETREGS, t->tid, 0, &r);
            }
            return;
        }
    }
    /* the kernel woke a wait for a signal the app ignores: natively it would sleep on */
    if (ignored && (long)r.orig_rax >= 0 && (long)r.rax == -EINTR) rewind_call(t, &r);
}

/* ---- handoffs (notify.c's handoff()) ---- */

static void run_one(struct thread *t, void *arg)
{
    (void)arg;
    if (t->handoff != HO_PENDING_PTRACE && t->handoff != HO_PENDING_RESTART) return;
    bool to_ptrace = t->handoff == HO_PENDING_PTRACE;
    /* The interrupt makes the kernel look at the thread's signals when the
     * call returns, and so restart it: ERESTARTNOINTR always restarts. */
    if (ptrace(PTRACE_INTERRUPT, t->tid, 0, 0) != 0) {
        t->handoff = HO_NONE; /* gone */
        return;
    }
    union { struct seccomp_notif_resp r; char pad[256]; } u;
    memset(&u, 0, sizeof u);
    u.r.id = t->handoff_id;
    u.r.error = -ERESTARTNOINTR;
    ioctl(listener_of(t), SECCOMP_IOCTL_NOTIF_SEND, &u.r);
    t->handoff = to_ptrace ? HO_TRAP_PTRACE : HO_TRAP_RESTART;
}

/* Tracer thread. */
void handoffs_run(void)
{
    if (!H.handoff_pending) return;
    H.handoff_pending = false;
    for_each_thread(run_one, NULL);
}

/* At any ptrace stop of t: true if it belonged to a handoff (and t was resumed
 * for it). The interrupt's stop resumes the thread so that its restarted call
 * stops at syscall entry (the ptrace path) or simply runs; at that entry the
 * call is taken as the ptrace path takes its calls, and the notification it
 * then sends is answered CONTINUE (notify.c). A signal delivered first
 * cancels it: the restart after the handler is an ordinary notification. */
bool handoff_on_stop(struct thread *t, int ev, int sig)
{
    if (t->handoff == HO_NONE) return false;
    if (ev == PTRACE_EVENT_STOP && !(sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU)) {
        if (t->handoff == HO_TRAP_PTRACE) {
            t->handoff = HO_ENTRY;
            resume_thread(t, PTRACE_SYSCALL, 0);
            return true;
        }
        if (t->handoff == HO_TRAP_RESTART) {
            t->handoff = HO_NONE;
            resume_thread(t, PTRACE_CONT, 0);
            return true;
        }
    }
    if (sig == (SIGTRAP | 0x80) && t->handoff == HO_ENTRY) {
        t->handoff = HO_CONTINUE;
        struct user_regs_struct r;
        if (ptrace(PTRACE_GETREGS, t->tid, 0, &r) != 0) { resume_thread(t, PTRACE_CONT, 0); return true; }
        bytes_call_entry(t, &r);
        return true;
    }
    if (ev == 0 && sig != (SIGTRAP | 0x80) && t->handoff != HO_CONTINUE) t->handoff = HO_NONE; /* a signal came first */
    return false;
}
