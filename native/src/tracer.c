/* The Catcher proper: creates the app (its seccomp filter: filter.c),
 * traces every task of its tree with ptrace (SEIZE semantics), keeps the
 * tree's processes and threads, and dispatches every wait status to the
 * handlers of byte calls (credit.c, windows.c), fd-table calls (fds.c),
 * memory calls (memory.c) and CPU stops (stops.c).
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
    t->iofd = t->schedstat_fd = t->stat_fd = -1;
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
/* processes                                                           */


static struct proc *proc_new(pid_t pid, pid_t ppid)
{
    struct proc *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->pid = pid;
    p->ppid = ppid;
    p->pidfd = -1;
    p->iofd = -1;
    p->listener = -1;
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
    fdtab_drop_dups(p->fdt); /* (a table it shared with another process: taken afresh there) */
    fdtab_put(p->fdt);
    untrapped_forget(p);
    if (p->pidfd >= 0) close(p->pidfd);
    mapped_forget(p);
    free(p);
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
    if (try_notif) notify_init();
    /* untrapped until capped (inject.c): the base filter, no listener yet */
    H.untrapped = try_notif && H.want_untrapped;
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
        bool notif = try_notif && install_filter(!H.untrapped, H.sock_notif, H.untrapped) == 0;
        if (!notif && install_filter(false, false, false) != 0) {
            perror("interceptor-helper: seccomp filter");
            _exit(126);
        }
        /* wait for PTRACE_SEIZE before running anything of the app. SIGSTOP,
         * never SIGTSTP: the kernel discards terminal stops in an orphaned
         * process group (e.g. under a CI shell), and the app would run on
         * unseized. The parent finds out from our fds whether a listener
         * waits to be taken. A raw tgkill, not raise(): from here on a
         * traced call without a tracer fails with ENOSYS, and a sanitizer's
         * raise() wrapper allocates (mmap) first. */
        syscall(SYS_tgkill, getpid(), gettid(), SIGSTOP);
        execvp(argv[0], argv);
        fprintf(stderr, "interceptor-helper: cannot execute %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    int st;
    if (waitpid(pid, &st, WSTOPPED) != pid) die("waitpid");
    if (!WIFSTOPPED(st)) { errno = ECHILD; die("the app died during setup"); }
    if (H.untrapped) udp_count_start(pid); /* (its sockets are counted from the first) */
    if (try_notif && !H.untrapped) {
        /* started before the child runs on: its own writes (an exec failure
         * message) already go to the listener */
        int l = grab_listener(pid);
        if (l == -2) { kill(pid, SIGKILL); die("taking the seccomp listener"); }
        H.notif_fd = l;
        if (l >= 0 && !notify_start(l)) { kill(pid, SIGKILL); die("notifier thread"); }
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
    tracing_lock();
    struct proc *p = proc_new(pid, getpid());
    struct thread *t = thread_new(pid);
    if (!p || !t) { kill(pid, SIGKILL); errno = ENOMEM; die("setup"); }
    p->is_main = true;
    p->listener = H.notif_fd;
    if (H.untrapped) mapped_watch(p); /* (its disk I/O is counted so from the start: untrapped.c) */
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
    tracing_unlock();
    return pid;
}

/* ------------------------------------------------------------------ */
/* stop handling                                                       */

static void thread_remove(struct thread *t)
{
    if (t->iofd >= 0) close(t->iofd);
    kept_fd_close(&t->schedstat_fd);
    kept_fd_close(&t->stat_fd);
    fdtab_op_done(t);
    queue_remove(t);
    if (t->inject_pending && t->proc) t->proc->injecting = false;
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
        if (tracee_peek(parent->tid, r.rdi, &flags, sizeof flags) == (ssize_t)sizeof flags) return flags;
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
        if (pp->mapped_watched) mapped_watch(np); /* (it has the parent's mappings) */
        inject_on_fork(pp, np);
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
        /* (these named the old leader) */
        if (t->iofd >= 0) { close(t->iofd); t->iofd = -1; }
        kept_fd_close(&t->schedstat_fd);
        kept_fd_close(&t->stat_fd);
    }
    struct proc *p = t->proc;
    if (!p) return;
    /* exec gives the process a private fd table minus O_CLOEXEC fds (our
     * duplicates of those would hold their sockets open) */
    fdtab_drop_dups(p->fdt);
    fdtab_put(p->fdt);
    p->fdt = fdtab_new();
    mapped_forget(p); /* (its mappings are gone) */
    if (p->listener < 0 && H.untrapped) mapped_watch(p);
    p->brk_cur = 0;
    p->vmdata = read_vmdata(p->pid);
    send_tree("exec", p->pid, p->ppid, p->comm, sizeof p->comm);
}

static void on_seccomp_stop(struct thread *t)
{
    struct user_regs_struct r;
    /* a stale notification entry: the thread has moved on to another call */
    if (t->held) queue_remove(t);
    fdtab_op_done(t); /* (its previous call is over) */
    if (!t->proc || ptrace(PTRACE_GETREGS, t->tid, 0, &r) != 0) { resume_thread(t, PTRACE_CONT, 0); return; }
    switch (category_of((long)r.orig_rax)) {
    case CAT_BYTES: bytes_call_entry(t, &r); return;
    case CAT_FDTAB:
        if (t->proc->listener < 0 && H.untrapped) {
            untrapped_on_close(t->proc, &r);
            resume_thread(t, PTRACE_CONT, 0);
            return;
        }
        on_fdtab_entry(t, &r);
        return;
    case CAT_EXEC:
        if (t->proc->listener < 0 && H.untrapped) untrapped_count_proc(t->proc); /* (its O_CLOEXEC sockets) */
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
    case EX_BYTES: bytes_call_exit(t); return;
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

/* What a wait status reports (as strace does: decode once, then one switch). */
enum stop_kind {
    SK_NONE,        /* nothing to do (e.g. a continue report) */
    SK_GONE,        /* the task exited or was killed */
    SK_SYSCALL,     /* syscall-entry/exit stop (PTRACE_SYSCALL, TRACESYSGOOD) */
    SK_SECCOMP,     /* the filter's RET_TRACE */
    SK_CLONE,       /* fork, vfork or clone event */
    SK_VFORK_DONE,
    SK_EXEC,
    SK_EXIT,        /* PTRACE_EVENT_EXIT: the task is dying */
    SK_GROUP_STOP,  /* job-control stop by someone's stop signal */
    SK_INTERRUPT,   /* our PTRACE_INTERRUPT, a new task's first stop, or SIGCONT after a group-stop */
    SK_SIGNAL,      /* signal-delivery-stop */
    SK_OTHER,
};

static enum stop_kind stop_kind_of(int status)
{
    if (WIFEXITED(status) || WIFSIGNALED(status)) return SK_GONE;
    if (!WIFSTOPPED(status)) return SK_NONE;
    int sig = WSTOPSIG(status);
    if (sig == (SIGTRAP | 0x80)) return SK_SYSCALL;
    switch (status >> 16) {
    case PTRACE_EVENT_SECCOMP: return SK_SECCOMP;
    case PTRACE_EVENT_FORK: case PTRACE_EVENT_VFORK: case PTRACE_EVENT_CLONE: return SK_CLONE;
    case PTRACE_EVENT_VFORK_DONE: return SK_VFORK_DONE;
    case PTRACE_EVENT_EXEC: return SK_EXEC;
    case PTRACE_EVENT_EXIT: return SK_EXIT;
    case PTRACE_EVENT_STOP: return is_stop_signal(sig) ? SK_GROUP_STOP : SK_INTERRUPT;
    case 0: return SK_SIGNAL;
    default: return SK_OTHER;
    }
}

static void handle_status(pid_t tid, int status)
{
    enum stop_kind kind = stop_kind_of(status);
    if (kind == SK_GONE) { on_task_exit(tid, status); return; }
    if (kind == SK_NONE) return;
    int sig = WSTOPSIG(status), ev = status >> 16;
    struct thread *t = thread_find(tid);
    if (!t) {
        if (kind == SK_GROUP_STOP || kind == SK_INTERRUPT) {
            /* A new task's first stop can overtake its creator's event: keep
             * it stopped until the event tells us whose it is. */
            t = thread_new(tid);
            if (t) t->state = TS_STOPPED;
        } else {
            /* a task we already wrote off (its group is dying): let it go */
            ptrace(PTRACE_CONT, tid, 0, (void *)(long)(kind == SK_SIGNAL ? sig : 0));
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
    if (kind == SK_INTERRUPT && t->inject_pending) {
        int replaced = inject_at_stop(t);
        if (replaced) { handle_status(tid, replaced); return; } /* (it is dying) */
        ours = true; /* (an EINTR our interrupt caused is rewound below) */
    }
    if (handoff_on_stop(t, ev, sig)) return;
    switch (kind) {
    case SK_SYSCALL:
        stops_forget_rewind(t);
        on_syscall_stop(t);
        if (ours) stops_on_interrupt_stop(t); /* (after the exit was read) */
        return;
    case SK_SECCOMP:
        stops_forget_rewind(t);
        on_seccomp_stop(t);
        return;
    case SK_CLONE:
        on_clone_event(t, ev);
        resume_thread(t, PTRACE_CONT, 0);
        return;
    case SK_VFORK_DONE:
        t->in_vfork = false;
        resume_thread(t, PTRACE_CONT, 0);
        return;
    case SK_EXEC:
        on_exec_event(t);
        resume_thread(t, PTRACE_CONT, 0);
        return;
    case SK_EXIT:
        /* last chance to read the group's CPU clock; never park a dying task */
        if (t->proc) proc_read_cpu(t->proc);
        /* (its fds may go with it: an untrapped process's sockets are counted) */
        if (t->proc && t->proc->listener < 0 && H.untrapped) untrapped_count_proc(t->proc);
        window_settle(t, WS_CLOSE);
        if (t->proc) mapped_thread_exit(t->proc); /* (its counts are still its own) */
        t->exiting = true; /* an exiting (or zombie leader) task never reports an interrupt-stop */
        ptrace(PTRACE_CONT, t->tid, 0, 0);
        t->state = TS_RUNNING;
        t->parked = false;
        return;
    case SK_GROUP_STOP:
        /* Group-stop from someone's job-control signal: honour it but
         * stay able to see SIGCONT (PTRACE_LISTEN). */
        if (!t->jobstop && t->tid == t->proc->pid)
            helper_log("info", "job-control stop of %d by %s", t->tid, signame(sig));
        t->jobstop = true;
        resume_thread(t, PTRACE_LISTEN, 0);
        return;
    case SK_INTERRUPT:
        if (t->jobstop && t->tid == t->proc->pid)
            helper_log("info", "job-control continue of %d", t->tid);
        t->jobstop = false;
        t->initial = false;
        if (ours) stops_on_interrupt_stop(t);
        resume_thread(t, PTRACE_CONT, 0);
        return;
    case SK_SIGNAL:
        /* deliver it, except a hangup of the engine's dead terminal once
         * the app is to be left running */
        if (sig == SIGHUP && hangup_for_app_suppressed()) {
            if (t->tid == t->proc->pid) helper_log("info", "SIGHUP to %d suppressed (engine gone, onEngineLoss continue)", t->tid);
            stops_on_signal_stop(t, sig, true);
            resume_thread(t, PTRACE_CONT, 0);
            return;
        }
        stops_on_signal_stop(t, sig, false);
        resume_thread(t, PTRACE_CONT, sig);
        return;
    case SK_GONE: case SK_NONE: case SK_OTHER:
        break;
    }
    resume_thread(t, PTRACE_CONT, 0);
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
