/* interceptor-helper: argument parsing, setup and the event loop.
 *
 *   interceptor-helper --control PATH [--on-engine-loss terminate|continue]
 *                      [--usage-period-ms N] [--rt] -- CMD ARGS...
 *   token: environment INTERCEPTOR_HELPER_TOKEN (removed before the app runs)
 *   interceptor-helper --front NODE CLI -- CMD ARGS...
 *   (bin/interceptor's `run -- CMD`: the helper first, then the CLI; front.c)
 *
 * Threads, so that a ptrace-stop costs the tracer one blocking waitpid()
 * wake-up and nothing more (a poll()/signalfd loop for SIGCHLD measured 1.7x
 * slower per stop):
 *  - the tracer thread (main) blocks in waitpid(-1, __WALL); ptrace
 *    requests must come from the thread that attached, so it also executes
 *    every engine command;
 *  - the control thread runs the one poll() loop: control socket, signalfd
 *    (SIGTERM, SIGINT, SIGHUP), timerfds (slice end, usage period, terminate
 *    grace) and an eventfd. It turns input into events queued for the tracer
 *    and wakes it with the "doorbell": a tiny traced child of ours to which it
 *    sends SIGUSR1; the doorbell's signal-delivery-stop makes the tracer's
 *    waitpid() return, with no lost-wake-up race (the stop stays queued);
 *  - the notifier (notify.c), when the kernel offers seccomp user
 *    notification, answers the read/write family without any ptrace stop.
 * Tracing state is shared by the tracer and the notifier under one lock.
 * No work happens in signal handlers (there are none). Setup errors go to
 * stderr and exit non-zero; after the control connection exists the helper
 * never writes to the app's terminal. */
#include "helper.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "seccomp_compat.h"

struct helper H;

static pthread_mutex_t tracing_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_t tracer_thread;

void tracing_lock(void) { pthread_mutex_lock(&tracing_mutex); }
void tracing_unlock(void) { pthread_mutex_unlock(&tracing_mutex); }
bool on_tracer_thread(void) { return pthread_equal(pthread_self(), tracer_thread); }

/* Children (the app, the doorbell) start with default dispositions and an
 * empty mask: ignored signals would otherwise survive exec. */
void reset_signals(void)
{
    static const int sigs[] = { SIGTSTP, SIGTTIN, SIGTTOU, SIGQUIT, SIGPIPE, SIGCHLD, SIGUSR1 };
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) signal(sigs[i], SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void helper_log(const char *level, const char *fmt, ...)
{
    char msg[512], esc[1100], line[1200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_escape(esc, sizeof esc, msg);
    snprintf(line, sizeof line, "{\"type\":\"log\",\"level\":\"%s\",\"msg\":\"%s\"}", level, esc);
    control_send(line, true);
}

void arm_timer(int tfd, uint64_t ns, uint64_t interval_ns)
{
    struct itimerspec its = {
        .it_value = { (time_t)(ns / 1000000000ull), (long)(ns % 1000000000ull) },
        .it_interval = { (time_t)(interval_ns / 1000000000ull), (long)(interval_ns % 1000000000ull) },
    };
    timerfd_settime(tfd, 0, &its, NULL);
}

int fcntl_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

bool probe_user_notif(void)
{
    unsigned action = SECCOMP_RET_USER_NOTIF;
    return syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) == 0;
}

/* Linux 5.19+: notifications wait killable once received (a throwaway
 * child installs such a filter and reports). */
bool probe_killable_notif(void)
{
    pid_t c = fork();
    if (c < 0) return false;
    if (c == 0) {
        struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
        struct sock_fprog prog = { .len = 1, .filter = &allow };
        prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
        _exit(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
                      SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, &prog) < 0);
    }
    int st;
    return waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

bool probe_pidfd(void)
{
    int fd = (int)syscall(SYS_pidfd_open, getpid(), 0);
    if (fd < 0) return false;
    close(fd);
    return true;
}

/* Every byte resource unlimited, no memory ceiling, CPU free: the state the
 * owner chose with --on-engine-loss continue, and the precondition for a
 * clean termination (a held or parked thread could not handle SIGTERM). */
void lift_all_limits(void)
{
    for (int r = 0; r < R_COUNT; r++) {
        H.cr[r].mode = 0;
        credit_release(r);
    }
    H.mem_ceiling_set = false;
    cpu_free();
}

void begin_terminate(int grace_ms)
{
    if (H.terminating) return;
    H.terminating = true;
    lift_all_limits();
    if (grace_ms <= 0) {
        tracer_kill_tree(SIGKILL);
        return;
    }
    tracer_kill_tree(SIGTERM);
    arm_timer(H.kill_tfd, (uint64_t)grace_ms * 1000000ull, 0);
}

/* ------------------------------------------------------------------ */
/* events: control thread -> tracer thread                              */

struct event {
    int kind, arg;
    size_t len;
    struct event *next;
    char line[]; /* EV_LINE: NUL-terminated copy */
};
static pthread_mutex_t ev_lock = PTHREAD_MUTEX_INITIALIZER;
static struct event *ev_head, *ev_tail;
static size_t ev_bytes;
static int ev_pending; /* atomic hint for the tracer loop */

void post_event(int kind, int arg, const char *line, size_t len)
{
    struct event *e = malloc(sizeof *e + (line ? len + 1 : 1));
    if (!e) return;
    e->kind = kind;
    e->arg = arg;
    e->len = line ? len : 0;
    e->next = NULL;
    if (line) memcpy(e->line, line, len);
    e->line[e->len] = 0;
    pthread_mutex_lock(&ev_lock);
    if (ev_tail) ev_tail->next = e; else ev_head = e;
    ev_tail = e;
    ev_bytes += sizeof *e + e->len;
    __atomic_store_n(&ev_pending, 1, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&ev_lock);
    /* (any thread, without the tracing lock: the tracer may respawn it) */
    pid_t bell = __atomic_load_n(&H.doorbell, __ATOMIC_ACQUIRE);
    if (bell > 0) kill(bell, SIGUSR1);
}

size_t event_backlog_bytes(void)
{
    pthread_mutex_lock(&ev_lock);
    size_t b = ev_bytes;
    pthread_mutex_unlock(&ev_lock);
    return b;
}

void wake_control_thread(void)
{
    uint64_t one = 1;
    ssize_t ignored = write(H.wake_fd, &one, sizeof one);
    (void)ignored;
}

static void on_timer(int which)
{
    int tfd = which == 0 ? H.slice_tfd : which == 1 ? H.usage_tfd : H.kill_tfd;
    uint64_t ticks;
    /* EAGAIN: re-armed or disarmed since it fired (e.g. a new `run`): stale */
    bool fired = read(tfd, &ticks, sizeof ticks) > 0;
    __atomic_store_n(&H.timer_pending[which], 0, __ATOMIC_RELEASE);
    wake_control_thread();
    if (!fired) return;
    if (which == 0) cpu_on_slice_timer();
    else if (which == 1) { cpu_watchdog(); inject_all(); send_usage(false); }
    else tracer_kill_tree(SIGKILL);
}

static void drain_events(void)
{
    pthread_mutex_lock(&ev_lock);
    struct event *e = ev_head;
    ev_head = ev_tail = NULL;
    ev_bytes = 0;
    __atomic_store_n(&ev_pending, 0, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&ev_lock);
    while (e) {
        struct event *next = e->next;
        switch (e->kind) {
        case EV_LINE: control_handle_line(e->line, e->len); break;
        case EV_TOOLONG: control_send("{\"type\":\"error\",\"error\":\"line too long\"}", false); break;
        case EV_LOST: control_engine_lost(); break;
        case EV_TERM: begin_terminate(500); break;
        case EV_HUP: control_on_hangup(); break;
        case EV_TIMER: on_timer(e->arg); break;
        case EV_RELEASE: break; /* release_pending_credit() follows */
        case EV_WATCH: stops_watch_scan(); break;
        }
        free(e);
        e = next;
    }
    tracer_stop_complete_check();
}

/* The doorbell: a child that only sleeps, traced so that a signal to it
 * becomes a wait status for the tracer thread. */
static pid_t spawn_doorbell(void)
{
    pid_t helper = getpid();
    pid_t d = fork();
    if (d < 0) return -1;
    if (d == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        /* (a helper killed before that line sends no death signal) */
        if (getppid() != helper) _exit(0);
        syscall(SYS_close_range, 0, ~0u, 0);
        reset_signals();
        for (;;) pause();
    }
    if (ptrace(PTRACE_SEIZE, d, 0, (void *)(long)PTRACE_O_EXITKILL) != 0) {
        kill(d, SIGKILL);
        waitpid(d, NULL, 0);
        return -1;
    }
    return d;
}

static void on_doorbell(int status)
{
    if (WIFSTOPPED(status)) {
        ptrace(PTRACE_CONT, H.doorbell, 0, 0); /* swallow the signal */
    } else {
        /* someone killed it: ring a new one */
        __atomic_store_n(&H.doorbell, spawn_doorbell(), __ATOMIC_RELEASE);
    }
    drain_events();
}

static void usage_exit(const char *msg)
{
    fprintf(stderr,
            "interceptor-helper: %s\n"
            "usage: interceptor-helper --control PATH [--on-engine-loss terminate|continue]\n"
            "                          [--usage-period-ms N] [--rt] [--untrapped-until-capped] [--release-at-once] -- CMD ARGS...\n"
            "       interceptor-helper --front NODE CLI [options but --control] -- CMD ARGS...\n"
            "       (token in the environment variable INTERCEPTOR_HELPER_TOKEN)\n",
            msg);
    exit(125);
}

static void finish(void)
{
    cgroup_cleanup(!H.ctl_open);
    cpu_on_tree_gone();
    send_usage(true);
    udp_count_cleanup();
    char line[160];
    if (H.app_sig)
        snprintf(line, sizeof line, "{\"type\":\"exit\",\"code\":null,\"signal\":\"%s\"}", signame(H.app_sig));
    else
        snprintf(line, sizeof line, "{\"type\":\"exit\",\"code\":%d,\"signal\":null}", H.app_code);
    control_send(line, false);
    control_flush_blocking(1000);
    if (H.ctl_open) {
        /* Closing a Unix socket with unread input resets the connection, and
         * the engine could lose our last lines (a command may still be in
         * flight). Half-close, then wait (bounded) for the engine's own close
         * while the control thread drains and discards its input. */
        shutdown(H.ctl_fd, SHUT_WR);
        uint64_t deadline = now_ns() + 1000000000ull;
        for (;;) {
            struct pollfd p = { .fd = H.ctl_fd, .events = POLLRDHUP };
            uint64_t now = now_ns();
            if (now >= deadline || poll(&p, 1, (int)((deadline - now) / 1000000ull) + 1) <= 0) break;
            if (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) break;
        }
        char sink[4096];
        while (recv(H.ctl_fd, sink, sizeof sink, MSG_DONTWAIT) > 0) {}
    }
    if (H.doorbell > 0) { kill(H.doorbell, SIGKILL); waitpid(H.doorbell, NULL, __WALL); }
    exit(H.app_sig ? 128 + H.app_sig : H.app_code);
}

int main(int argc, char **argv)
{
    H.usage_period_ms = 100;
    H.ctl_fd = -1;
    H.notif_fd = -1;
    tracer_thread = pthread_self();
    const char *front_node = NULL, *front_cli = NULL;
    int i = 1;
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--")) { i++; break; }
        if (!strcmp(a, "--control") && i + 1 < argc) H.control_path = argv[++i];
        else if (!strcmp(a, "--on-engine-loss") && i + 1 < argc) {
            const char *v = argv[++i];
            if (!strcmp(v, "continue")) H.on_loss_continue = true;
            else if (!strcmp(v, "terminate")) H.on_loss_continue = false;
            else usage_exit("--on-engine-loss must be terminate or continue");
        } else if (!strcmp(a, "--usage-period-ms") && i + 1 < argc) {
            char *end;
            long v = strtol(argv[++i], &end, 10);
            if (*end || v < 10 || v > 60000) usage_exit("--usage-period-ms must be in [10, 60000]");
            H.usage_period_ms = (int)v;
        } else if (!strcmp(a, "--rt")) H.want_rt = true;
        else if (!strcmp(a, "--untrapped-until-capped")) H.want_untrapped = true;
        else if (!strcmp(a, "--release-at-once")) H.release_at_once = true;
        else if (!strcmp(a, "--front") && i + 2 < argc) { front_node = argv[++i]; front_cli = argv[++i]; }
        else usage_exit("unknown or incomplete option");
    }
    if (i >= argc) usage_exit("no command given after --");
    if (front_node) {
        if (H.control_path) usage_exit("--front opens its own control socket: no --control");
        front_start(front_node, front_cli, &argv[i]); /* returns in the helper (the child) only */
    }
    if (!H.control_path) usage_exit("--control is required");

    const char *tok = getenv("INTERCEPTOR_HELPER_TOKEN");
    if (!tok || !*tok || strlen(tok) > 256) usage_exit("INTERCEPTOR_HELPER_TOKEN must be set (1..256 characters)");
    for (const char *c = tok; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '-' || *c == '_'))
            usage_exit("INTERCEPTOR_HELPER_TOKEN may only contain [A-Za-z0-9_-]");
    snprintf(H.token, sizeof H.token, "%s", tok);
    unsetenv("INTERCEPTOR_HELPER_TOKEN"); /* the app never sees it */
    const char *nw = getenv("INTERCEPTOR_HELPER_NO_WINDOWS");
    H.no_windows = nw && !strcmp(nw, "1");
    unsetenv("INTERCEPTOR_HELPER_NO_WINDOWS");
    const char *nu = getenv("INTERCEPTOR_HELPER_NO_UNOTIF");
    H.no_unotif = nu && !strcmp(nu, "1");
    unsetenv("INTERCEPTOR_HELPER_NO_UNOTIF");
    const char *ns = getenv("INTERCEPTOR_HELPER_NO_SOCKNOTIF");
    H.no_socknotif = ns && !strcmp(ns, "1");
    unsetenv("INTERCEPTOR_HELPER_NO_SOCKNOTIF");
    const char *nudp = getenv("INTERCEPTOR_HELPER_NO_UDPCOUNT");
    H.no_udpcount = nudp && !strcmp(nudp, "1");
    unsetenv("INTERCEPTOR_HELPER_NO_UDPCOUNT");
    /* INTERCEPTOR_HELPER_TRAP_ALWAYS=1: trap from the start whatever the engine
     * asked (the benchmark's peer, tests of the trapped path) */
    const char *ta = getenv("INTERCEPTOR_HELPER_TRAP_ALWAYS");
    if (ta && !strcmp(ta, "1")) H.want_untrapped = false;
    unsetenv("INTERCEPTOR_HELPER_TRAP_ALWAYS");
    const char *sm = getenv("INTERCEPTOR_HELPER_STOPS");
    if (sm && !strcmp(sm, "all")) H.stop_mode = STOP_ALL;
    else if (sm && !strcmp(sm, "plain")) H.stop_mode = STOP_PLAIN;
    else if (sm && *sm && strcmp(sm, "transparent")) usage_exit("INTERCEPTOR_HELPER_STOPS must be transparent, all or plain");
    unsetenv("INTERCEPTOR_HELPER_STOPS");

    /* The helper shares the app's terminal and process group (the pty's job
     * control stays the app's): Ctrl-Z or Ctrl-\ meant for the app must not
     * stop or kill its tracer. The app gets these back at SIG_DFL. */
    signal(SIGTSTP, SIG_IGN);
    signal(SIGTTIN, SIG_IGN);
    signal(SIGTTOU, SIG_IGN);
    signal(SIGQUIT, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);

    sigset_t mask;
    sigemptyset(&mask);
    /* SIGCHLD stays at its default (discarded): the tracer blocks in waitpid */
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGHUP);
    if (sigprocmask(SIG_BLOCK, &mask, NULL) != 0) { perror("interceptor-helper: sigprocmask"); return 125; }
    H.sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
    H.slice_tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    H.usage_tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    H.kill_tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    H.watch_tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    H.wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (H.sigfd < 0 || H.slice_tfd < 0 || H.usage_tfd < 0 || H.kill_tfd < 0 || H.watch_tfd < 0 || H.wake_fd < 0) { perror("interceptor-helper: signalfd/timerfd/eventfd"); return 125; }

    /* Orphans of the app are re-parented to us, so nothing becomes a zombie
     * of init behind our back and daemonising apps stay in the tree. */
    prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);

    if (H.want_rt) {
        struct sched_param sp = { .sched_priority = 2 };
        H.rt = sched_setscheduler(0, SCHED_RR, &sp) == 0;
    }

    H.ctl_fd = control_connect(H.control_path);
    if (front_node) front_connected();
    H.ctl_open = true;
    tracer_create(&argv[i]);
    /* Each trapped call waits for this thread or a notifier thread (each
     * sets its own; the app, forked before, keeps its nice value): outside
     * any cgroup of ours while uncapped, the app's busy threads would
     * otherwise each weigh as much as it, and every call wait behind them (qBittorrent trapped, 200 MB on loopback: 3.1 s at nice 0, 1.8 s
     * at -5, 1.6 s natively). Needs CAP_SYS_NICE: without it, nice 0. */
    (void)setpriority(PRIO_PROCESS, 0, HELPER_NICE);
    tracing_lock();
    send_hello();
    if (H.notif_fd >= 0 && !H.notif_sync)
        helper_log("info", "seccomp notifications without SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (kernel < 6.6?): slower");
    if (H.procs) send_tree("spawn", H.app_pid, getpid(), H.procs->comm, sizeof H.procs->comm);
    /* An app with no cap (`interceptor run -- CMD`) has nothing to be held
     * for: it runs now, as if the engine's first command were `cpu free`,
     * while the engine is still loading (PROTOCOL.md) */
    if (H.release_at_once) cpu_free();
    arm_timer(H.usage_tfd, (uint64_t)H.usage_period_ms * 1000000ull, (uint64_t)H.usage_period_ms * 1000000ull);
    tracing_unlock();

    __atomic_store_n(&H.doorbell, spawn_doorbell(), __ATOMIC_RELEASE);
    if (H.doorbell < 0) { perror("interceptor-helper: doorbell"); kill(H.app_pid, SIGKILL); return 125; }
    pthread_t ctl;
    if (pthread_create(&ctl, NULL, control_thread_main, NULL) != 0) { perror("interceptor-helper: thread"); kill(H.app_pid, SIGKILL); return 125; }

    for (;;) {
        tracing_lock();
        if (H.app_exited && H.nprocs == 0) finish(); /* exits: the notifier goes with us */
        if (__atomic_load_n(&ev_pending, __ATOMIC_ACQUIRE)) drain_events();
        release_pending_credit();
        handoffs_run();
        tracing_unlock();
        int status;
        pid_t pid = waitpid(-1, &status, __WALL);
        tracing_lock();
        if (pid < 0) {
            if (errno != EINTR) {
                /* ECHILD: not even the doorbell is left */
                if (H.app_exited) finish();
                __atomic_store_n(&H.doorbell, spawn_doorbell(), __ATOMIC_RELEASE);
                if (H.doorbell < 0) { begin_terminate(0); tracing_unlock(); usleep(10000); continue; }
            }
        } else if (pid == H.doorbell) {
            on_doorbell(status);
        } else {
            tracer_handle(pid, status);
        }
        release_pending_credit();
        handoffs_run();
        tracing_unlock();
    }
}
