/* Transparent CPU stops: the engine takes the CPU from an app by stopping
 * its tree, and the app must notice nothing but speed.
 *
 * A ptrace interrupt wakes a thread blocked in the kernel. Most blocking
 * calls are then restarted by the kernel with their remaining time, but
 * epoll_wait, epoll_pwait2, sigtimedwait, semtimedop and socket calls with
 * timeouts fail with EINTR (signal(7)), and an event loop that retries with
 * the same relative timeout (aria2) never reaches it when it is interrupted
 * every slice. So a stop:
 *  - interrupts only the threads that are runnable (state R). A sleeping
 *    thread sleeps on, "watched": if it wakes during the stop it is gated
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
 * All of this runs on the tracer thread under the helper lock, except
 * stops_watch_check (control thread, takes the lock) and stops_note_wake
 * (tracer or notifier thread, under the lock). */
#include "helper.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <unistd.h>

/* The watch starts checking every 2 ms and backs off to 32 ms while the
 * tree stays quiet (an app paused for hours costs next to nothing). */
#define WATCH_MIN_NS 2000000ull
#define WATCH_MAX_SHIFT 4

/* A thread's scheduler state from /proc (R, S, D, t, Z, ...), 0 if unknown. */
static char sched_state(struct thread *t)
{
    char path[80], buf[512];
    snprintf(path, sizeof path, "/proc/%d/task/%d/stat", t->proc ? t->proc->pid : t->tid, t->tid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return 0;
    buf[n] = 0;
    char *paren = strrchr(buf, ')'); /* comm may contain anything, even ')' */
    return paren && paren[1] == ' ' ? paren[2] : 0;
}

static bool asleep(char st) { return st == 'S' || st == 'D' || st == 'I'; }

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
        if (H.stop_mode == STOP_TRANSPARENT && !t->initial && asleep(sched_state(t))) {
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
        H.watch_quiet = 0;
        arm_timer(H.watch_tfd, WATCH_MIN_NS, 0);
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
    arm_timer(H.watch_tfd, 0, 0);
    for_each_thread(unpause_one, NULL);
    H.watched = 0;
    /* grants that came during the stop */
    for (int r = 0; r < R_COUNT; r++) credit_release(r);
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

/* Control thread, at the watch timer: a cheap look at the tree's CPU clock;
 * only when it moved does the tracer thread look at each watched thread. */
void stops_watch_check(void)
{
    helper_lock();
    bool grew = false;
    if (H.paused && H.watched > 0) {
        uint64_t cpu = tree_cpu_ns();
        grew = cpu > H.watch_cpu;
        H.watch_cpu = cpu;
        H.watch_quiet = grew ? 0 : H.watch_quiet + 1;
        int shift = H.watch_quiet < WATCH_MAX_SHIFT ? H.watch_quiet : WATCH_MAX_SHIFT;
        arm_timer(H.watch_tfd, WATCH_MIN_NS << shift, 0);
    }
    helper_unlock();
    if (grew) post_event(EV_WATCH, 0, NULL, 0);
}

static void scan_one(struct thread *t, void *arg)
{
    (void)arg;
    if (!t->watched || t->state != TS_RUNNING) return;
    if (asleep(sched_state(t))) return;
    unwatch(t);
    interrupt(t);
    stops_note_wake();
}

/* Tracer thread: a watched thread that is running now is stopped. Its wait
 * (if any) is over: the interrupt cannot cost it a timeout. */
void stops_watch_scan(void)
{
    if (H.paused && H.watched > 0) for_each_thread(scan_one, NULL);
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
    bool ours = t->interrupting;
    if (ours) {
        t->interrupting = false;
        if (H.interrupts_pending > 0) H.interrupts_pending--;
    }
    if (t->watched) {
        unwatch(t);
        stops_note_wake();
    }
    return ours;
}

/* Whether the app's process ignores sig (so natively it would interrupt nothing). */
static bool ignored_by_app(struct thread *t, int sig)
{
    char path[64], buf[2048];
    snprintf(path, sizeof path, "/proc/%d/status", t->proc ? t->proc->pid : t->tid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return false;
    buf[n] = 0;
    char *ign = strstr(buf, "\nSigIgn:"), *cgt = strstr(buf, "\nSigCgt:");
    if (!ign || !cgt) return false;
    unsigned long long bit = 1ull << (sig - 1);
    if (strtoull(cgt + 8, NULL, 16) & bit) return false;
    if (strtoull(ign + 8, NULL, 16) & bit) return true;
    return sig == SIGCHLD || sig == SIGURG || sig == SIGWINCH || sig == SIGCONT;
}

/* At a signal-delivery-stop, before the signal is delivered (or discarded:
 * `discarded`, which counts as ignored). */
void stops_on_signal_stop(struct thread *t, int sig, bool discarded)
{
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
