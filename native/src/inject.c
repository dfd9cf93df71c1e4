/* Untrapped until capped (docs/untrapped-until-capped.md). With
 * --untrapped-until-capped the app starts under the base filter (filter.c:
 * exec, io_uring and x32 only), so an app without a cap runs its byte,
 * fd-table and memory calls without a single round trip to us; untrapped.c
 * counts what they move. When the first cap of any kind applies (a `limit`
 * in credit mode, a memory ceiling), the full filter with a listener goes
 * into every process of the tree here, from one interrupt-stop of one of its
 * threads:
 *  - the thread is made to map a page, the filter and its sock_fprog are
 *    written there, and the thread calls seccomp(SET_MODE_FILTER,
 *    NEW_LISTENER | TSYNC | TSYNC_ESRCH), all from a `syscall` instruction
 *    of its vDSO: TSYNC puts it on every thread; the page is unmapped last;
 *  - the listener is taken with pidfd_getfd and closed in the app by a
 *    close from the same instruction, which the new filter lets through
 *    (build_filter_ex's exempt: the vDSO itself only ever calls the clock
 *    and getcpu there), so the app's fd table is as before;
 *  - its registers and signal mask (every signal blocked meanwhile) are
 *    restored; a call our interrupt broke is made to run again.
 * The base filter has no listener because a filter chain may hold only one
 * (the kernel refuses a second with EBUSY): so each process injected apart
 * has its own listener and notifier thread (notify.c), and a process forked
 * later shares its parent's. A process forked while its parent was being
 * injected may or may not have the filter: its Seccomp_filters count
 * (/proc/<pid>/status) says, and it is injected if short.
 * Once in, the filter stays (filters cannot be removed); with no cap its
 * calls are answered at once, as for an app launched trapped.
 * Tracer thread, under the tracing lock. Errors only ever leave a process
 * untrapped (and counted so), logged once. */
#include "helper.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <signal.h>
#include <sys/mman.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "seccomp_compat.h"

#ifndef SECCOMP_FILTER_FLAG_TSYNC_ESRCH
#define SECCOMP_FILTER_FLAG_TSYNC_ESRCH (1UL << 4) /* Linux 5.7: TSYNC with a listener */
#endif
#ifndef PTRACE_GETSIGMASK
#define PTRACE_GETSIGMASK 0x420a
#define PTRACE_SETSIGMASK 0x420b
#endif

/* Whether any cap applies that needs the full filter. */
static bool cap_applies(void)
{
    for (int r = 0; r < R_COUNT; r++)
        if (H.cr[r].mode == 1) return true;
    return H.mem_ceiling_set;
}

/* How many seccomp filters process pid has (Linux 5.9+), -1 if unknown. */
int seccomp_filter_count(pid_t pid)
{
    char buf[2048];
    if (!proc_file(pid, "status", buf, sizeof buf)) return -1;
    char *f = strstr(buf, "\nSeccomp_filters:");
    return f ? atoi(f + 17) : -1;
}

/* A thread of a process to inject that can take an interrupt-stop now. */
static bool can_interrupt(const struct thread *t)
{
    return t->proc && t->state == TS_RUNNING && !t->interrupting && !t->interrupt_late && !t->exiting &&
           !t->in_vfork && !t->initial && !t->jobstop && !t->watched && t->handoff == HO_NONE && !t->notif_id &&
           !t->gate_id && !t->held && !t->inject_pending;
}

static void pick(struct thread *t, void *arg)
{
    (void)arg;
    struct proc *p = t->proc;
    if (!p || p->listener >= 0 || p->injecting || p->inject_failed || !can_interrupt(t)) return;
    if (ptrace(PTRACE_INTERRUPT, t->tid, 0, 0) != 0) return;
    t->inject_pending = true;
    p->injecting = true;
}

static int inject_here(struct thread *t);

static void pending_tid(struct thread *t, void *arg)
{
    struct { pid_t *tids; int n, cap; } *l = arg;
    if (t->inject_pending && l->n < l->cap) l->tids[l->n++] = t->tid;
}

/* The threads just interrupted come to their stops within microseconds as
 * a rule: wait for them here (bounded), so that the reply to the command
 * that brought the cap means the cap is in force. A thread that takes
 * longer (asleep uninterruptibly on a disk, say) is injected from the main
 * loop when its stop comes. Other wait statuses of those threads are
 * handled as the main loop would. */
#define AWAIT_INJECTION_NS 250000000ull
static void await_injections(void)
{
    pid_t tids[64];
    struct { pid_t *tids; int n, cap; } l = { tids, 0, 64 };
    for_each_thread(pending_tid, &l);
    uint64_t deadline = now_ns() + AWAIT_INJECTION_NS;
    for (int i = 0; i < l.n;) {
        struct thread *t = thread_find(tids[i]);
        if (!t || !t->inject_pending) { i++; continue; }
        int st;
        pid_t got = waitpid(tids[i], &st, __WALL | WNOHANG);
        if (got == tids[i]) { tracer_handle(got, st); continue; }
        if (got < 0 || now_ns() > deadline) { i++; continue; }
        usleep(50);
    }
}

/* The app launched with a cap: before its first instruction, held at its
 * exec stop until the first `cpu` command (tracer_create); the filter goes
 * in there, so that not one call of it runs untrapped. From the exec event
 * stop to the execve's exit stop first (a system call can be run from there). */
static void inject_at_exec(struct thread *t)
{
    struct proc *p = t->proc;
    if (p->listener >= 0 || p->inject_failed || !t->parked || t->state != TS_STOPPED) return;
    int st;
    if (ptrace(PTRACE_SYSCALL, t->tid, 0, 0) != 0 || waitpid(t->tid, &st, __WALL) != t->tid) return;
    if (!WIFSTOPPED(st) || WSTOPSIG(st) != (SIGTRAP | 0x80)) { tracer_handle(t->tid, st); return; } /* (killed) */
    int replaced = inject_here(t);
    if (replaced) tracer_handle(t->tid, replaced);
}

void inject_all(void)
{
    if (!H.untrapped || H.terminating || !cap_applies()) return;
    if (H.paused) {
        /* (a stopped tree is injected when it runs again: tracer_unpause_all) */
        if (!H.released && H.procs && H.nprocs == 1 && H.nthreads == 1) {
            struct thread *t = thread_find(H.procs->pid);
            if (t && t->proc == H.procs) inject_at_exec(t);
        }
        return;
    }
    for_each_thread(pick, NULL);
    await_injections();
}

/* The address of a `syscall` instruction in pid's vDSO, 0 if none. */
static uint64_t vdso_syscall(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/maps", pid);
    FILE *f = fopen(path, "re");
    if (!f) return 0;
    unsigned long lo = 0, hi = 0;
    while (fgets(line, sizeof line, f))
        if (strstr(line, "[vdso]") && sscanf(line, "%lx-%lx", &lo, &hi) == 2) break;
        else lo = hi = 0;
    fclose(f);
    if (!lo || hi <= lo || hi - lo > 65536) return 0;
    static unsigned char text[65536];
    struct iovec here = { text, hi - lo }, there = { (void *)lo, hi - lo };
    ssize_t n = process_vm_readv(pid, &here, 1, &there, 1, 0);
    for (ssize_t i = 0; i + 1 < n; i++)
        if (text[i] == 0x0f && text[i + 1] == 0x05) return lo + (uint64_t)i;
    return 0;
}

/* Runs the system call in r (rip at a `syscall`) in stopped thread tid, to
 * its exit stop. Signal-delivery-stops on the way (only SIGSTOP can come:
 * the rest are blocked) are noted in *sig and suppressed. Returns 0 with the
 * result in *ret, or the wait status of a stop that ends the injection (the
 * task is dying). */
static int run_call(pid_t tid, struct user_regs_struct r, long *ret, int *sig)
{
    r.orig_rax = (unsigned long long)-1; /* (no restart fix-up of these registers on resume) */
    if (ptrace(PTRACE_SETREGS, tid, 0, &r) != 0) return -1;
    for (int stop = 0; stop < 2;) { /* to its entry, then to its exit */
        if (ptrace(PTRACE_SYSCALL, tid, 0, 0) != 0) return -1;
        int st;
        if (waitpid(tid, &st, __WALL) != tid) return -1;
        if (!WIFSTOPPED(st)) return st;
        if (WSTOPSIG(st) == (SIGTRAP | 0x80)) { stop++; continue; }
        if ((st >> 16) == 0) { *sig = WSTOPSIG(st); continue; }
        if ((st >> 16) == PTRACE_EVENT_EXIT) return st;
        /* (any other event: none is possible from these two calls; go on) */
    }
    if (ptrace(PTRACE_GETREGS, tid, 0, &r) != 0) return -1;
    *ret = (long)r.rax;
    return 0;
}

static void log_failure(struct proc *p, const char *what, int err)
{
    p->inject_failed = true;
    helper_log("warn", "cannot trap the calls of process %d (%s: %s): its caps do not hold", p->pid, what, strerror(err));
}

/* One system call in stopped thread t from the vDSO's `syscall` at `at`, its
 * other registers as saved. Returns run_call's status. */
static int app_call(struct thread *t, const struct user_regs_struct *saved, uint64_t at, long nr, const uint64_t a[4],
                    long *ret, int *sig)
{
    struct user_regs_struct r = *saved;
    r.rip = at;
    r.rax = (unsigned long long)nr;
    r.rdi = a[0];
    r.rsi = a[1];
    r.rdx = a[2];
    r.r10 = a[3];
    r.r8 = (unsigned long long)-1; /* (mmap's fd) */
    r.r9 = 0;
    return run_call(t->tid, r, ret, sig);
}

/* The injection proper, t stopped with its registers saved. The filter is
 * written to a page the thread maps for it (below its stack pointer there
 * may be no room: a Go goroutine's stack ends a few hundred bytes down, and
 * another's begins) and unmaps afterwards. Returns the listener, -1
 * (p->inject_failed says why), or -2 with *gone the status of a stop that
 * ended it. */
static int put_filter(struct thread *t, const struct user_regs_struct *saved, int *sig, int *gone)
{
    struct proc *p = t->proc;
    uint64_t at = vdso_syscall(p->pid);
    if (!at) { log_failure(p, "no vDSO", ENOENT); return -1; }
    struct {
        struct sock_fprog prog;
        struct sock_filter f[FILTER_MAX];
    } blob;
    memset(&blob, 0, sizeof blob);
    struct filter_exempt ex = { .ip = at + 2 };
    int len = build_filter_ex(blob.f, true, H.sock_notif, true, false, &ex);
    size_t size = offsetof(__typeof__(blob), f) + (size_t)len * sizeof blob.f[0];
    long page = -1, app_fd = -1, closed = -1, unmapped = -1;
    int st = app_call(t, saved, at, SYS_mmap, (uint64_t[4]){ 0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS }, &page, sig);
    if (st > 0) { *gone = st; return -2; }
    if (st < 0 || (page < 0 && page > -4096)) { log_failure(p, "a page in the app", st < 0 ? errno : (int)-page); return -1; }
    blob.prog.len = (unsigned short)len;
    blob.prog.filter = (struct sock_filter *)(uintptr_t)((uint64_t)page + offsetof(__typeof__(blob), f));
    struct iovec here = { &blob, size }, there = { (void *)(uintptr_t)page, size };
    int listener = -1, err = 0;
    const char *failed = NULL;
    if (process_vm_writev(p->pid, &here, 1, &there, 1, 0) != (ssize_t)size) { failed = "writing the filter"; err = errno; }
    if (!failed) {
        uint64_t flags = SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_TSYNC_ESRCH |
                         SECCOMP_FILTER_FLAG_SPEC_ALLOW | (H.sock_notif ? SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV : 0);
        st = app_call(t, saved, at, SYS_seccomp, (uint64_t[4]){ SECCOMP_SET_MODE_FILTER, flags, (uint64_t)page, 0 }, &app_fd, sig);
        if (st > 0) { *gone = st; return -2; }
        if (st < 0 || app_fd < 0) { failed = "seccomp in the app"; err = st < 0 ? errno : (int)-app_fd; }
    }
    if (!failed) {
        /* (taken before the app's copy goes: a filter whose listener is
         * gone makes its calls fail with ENOSYS) */
        listener = dup_socket(p, (int)app_fd); /* (pidfd_getfd: any fd) */
        if (listener < 0) { failed = "taking its listener"; err = errno; }
        st = app_call(t, saved, at, SYS_close, (uint64_t[4]){ (uint64_t)app_fd, 0, 0, 0 }, &closed, sig);
        if (st > 0) { if (listener >= 0) close(listener); *gone = st; return -2; }
        if (closed != 0) helper_log("warn", "process %d keeps a copy of its listener (fd %ld)", p->pid, app_fd);
    }
    st = app_call(t, saved, at, SYS_munmap, (uint64_t[4]){ (uint64_t)page, 4096, 0, 0 }, &unmapped, sig);
    if (st > 0) { if (listener >= 0) close(listener); *gone = st; return -2; }
    if (failed) { log_failure(p, failed, err); return -1; }
    return listener;
}

/* At t's interrupt-stop, t->inject_pending: puts the full filter into its
 * process. Returns 0, or the wait status of a stop that took the place of
 * this one (the caller handles that instead: the task is dying). */
int inject_at_stop(struct thread *t)
{
    t->inject_pending = false;
    if (t->proc) t->proc->injecting = false;
    return inject_here(t);
}

/* t stopped at an interrupt-stop or a syscall-exit stop. */
static int inject_here(struct thread *t)
{
    struct proc *p = t->proc;
    if (!p || p->listener >= 0 || !H.untrapped) return 0;
    struct user_regs_struct saved;
    uint64_t mask, all = ~0ull;
    if (ptrace(PTRACE_GETREGS, t->tid, 0, &saved) != 0) return 0;
    if (ptrace(PTRACE_GETSIGMASK, t->tid, (void *)sizeof mask, &mask) != 0 ||
        ptrace(PTRACE_SETSIGMASK, t->tid, (void *)sizeof all, &all) != 0) { log_failure(p, "its signal mask", errno); return 0; }
    int sig = 0, gone = 0;
    int listener = put_filter(t, &saved, &sig, &gone);
    if (listener == -2) return gone;
    /* A call our interrupt broke would be restarted by the kernel on the way
     * out of the interrupt-stop, which our calls used up: restart it here.
     * (An EINTR is rewound by the caller, as after any interrupt of ours.) */
    long err = -(long long)saved.rax;
    if ((long long)saved.orig_rax >= 0 && err >= 512 && err <= 516 && err != 515) {
        saved.rax = err == 516 ? SYS_restart_syscall : saved.orig_rax;
        saved.rip -= 2;
    }
    ptrace(PTRACE_SETREGS, t->tid, 0, &saved);
    ptrace(PTRACE_SETSIGMASK, t->tid, (void *)sizeof mask, &mask);
    if (sig) syscall(SYS_tgkill, p->pid, t->tid, sig); /* (a SIGSTOP that came meanwhile) */
    if (listener < 0) return 0;
    /* (before its notifier runs: a call of it performed by the helper on
     * its UDP socket would count in the cgroup's counters too) */
    udp_count_stop();
    if (!notify_start(listener)) {
        close(listener);
        log_failure(p, "notifier thread", errno);
        return 0;
    }
    p->listener = listener;
    p->filters = seccomp_filter_count(p->pid);
    /* from now on its calls are trapped: what the untrapped count had is
     * settled, and the memory broker starts from its real figure */
    untrapped_forget(p);
    mapped_after_injection(p);
    p->vmdata = read_vmdata(p->pid);
    return 0;
}

/* Clone event: child np of pp shares pp's filter, unless it was forked
 * while pp was being injected and the filter came too late for it. */
void inject_on_fork(struct proc *pp, struct proc *np)
{
    np->listener = pp->listener;
    if (np->listener < 0) return;
    np->filters = seccomp_filter_count(np->pid);
    if (np->filters >= 0 && pp->filters >= 0 && np->filters < pp->filters) np->listener = -1;
}
