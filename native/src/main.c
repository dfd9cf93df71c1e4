/* interceptor-helper: argument parsing, setup and the single event loop.
 *
 *   interceptor-helper --control PATH [--on-engine-loss terminate|continue]
 *                      [--usage-period-ms N] [--rt] -- CMD ARGS...
 *   token: environment INTERCEPTOR_HELPER_TOKEN (removed before the app runs)
 *
 * One poll() loop over a signalfd (SIGCHLD, SIGTERM, SIGINT, SIGHUP), three
 * timerfds (slice end, usage period, terminate grace) and the control socket.
 * No work happens in signal handlers (there are none). Setup errors go to
 * stderr and exit non-zero; after the control connection exists the helper
 * never writes to the app's terminal. */
#include "helper.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

struct helper H;

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

static void usage_exit(const char *msg)
{
    fprintf(stderr,
            "interceptor-helper: %s\n"
            "usage: interceptor-helper --control PATH [--on-engine-loss terminate|continue]\n"
            "                          [--usage-period-ms N] [--rt] -- CMD ARGS...\n"
            "       (token in the environment variable INTERCEPTOR_HELPER_TOKEN)\n",
            msg);
    exit(125);
}

static void finish(void)
{
    cpu_on_tree_gone();
    send_usage(true);
    char line[160];
    if (H.app_sig)
        snprintf(line, sizeof line, "{\"type\":\"exit\",\"code\":null,\"signal\":\"%s\"}", signame(H.app_sig));
    else
        snprintf(line, sizeof line, "{\"type\":\"exit\",\"code\":%d,\"signal\":null}", H.app_code);
    control_send(line, false);
    control_flush_blocking(1000);
    if (H.ctl_open) { shutdown(H.ctl_fd, SHUT_RDWR); close(H.ctl_fd); }
    exit(H.app_sig ? 128 + H.app_sig : H.app_code);
}

int main(int argc, char **argv)
{
    H.usage_period_ms = 100;
    H.ctl_fd = -1;
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
        else usage_exit("unknown or incomplete option");
    }
    if (!H.control_path) usage_exit("--control is required");
    if (i >= argc) usage_exit("no command given after --");

    const char *tok = getenv("INTERCEPTOR_HELPER_TOKEN");
    if (!tok || !*tok || strlen(tok) > 256) usage_exit("INTERCEPTOR_HELPER_TOKEN must be set (1..256 characters)");
    for (const char *c = tok; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '-' || *c == '_'))
            usage_exit("INTERCEPTOR_HELPER_TOKEN may only contain [A-Za-z0-9_-]");
    snprintf(H.token, sizeof H.token, "%s", tok);
    unsetenv("INTERCEPTOR_HELPER_TOKEN"); /* the app never sees it */

    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGCHLD);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGHUP);
    if (sigprocmask(SIG_BLOCK, &mask, NULL) != 0) { perror("interceptor-helper: sigprocmask"); return 125; }
    H.sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
    H.slice_tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    H.usage_tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    H.kill_tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    if (H.sigfd < 0 || H.slice_tfd < 0 || H.usage_tfd < 0 || H.kill_tfd < 0) { perror("interceptor-helper: signalfd/timerfd"); return 125; }

    /* Orphans of the app are re-parented to us, so nothing becomes a zombie
     * of init behind our back and daemonising apps stay in the tree. */
    prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);

    if (H.want_rt) {
        struct sched_param sp = { .sched_priority = 2 };
        H.rt = sched_setscheduler(0, SCHED_RR, &sp) == 0;
    }

    H.ctl_fd = control_connect(H.control_path);
    H.ctl_open = true;
    tracer_create(&argv[i]);
    send_hello();
    if (H.procs) send_tree("spawn", H.app_pid, getpid(), H.procs->comm, sizeof H.procs->comm);
    arm_timer(H.usage_tfd, (uint64_t)H.usage_period_ms * 1000000ull, (uint64_t)H.usage_period_ms * 1000000ull);

    for (;;) {
        if (H.app_exited && H.nprocs == 0) finish();
        struct pollfd p[5] = {
            { .fd = H.sigfd, .events = POLLIN },
            { .fd = H.slice_tfd, .events = POLLIN },
            { .fd = H.usage_tfd, .events = POLLIN },
            { .fd = H.kill_tfd, .events = POLLIN },
            { .fd = H.ctl_open ? H.ctl_fd : -1, .events = (short)(POLLIN | (control_want_write() ? POLLOUT : 0)) },
        };
        int r = poll(p, 5, -1);
        if (r < 0) {
            if (errno == EINTR) continue;
            perror("interceptor-helper: poll");
            begin_terminate(0);
            continue;
        }
        if (p[0].revents & POLLIN) {
            struct signalfd_siginfo si[16];
            ssize_t n = read(H.sigfd, si, sizeof si);
            bool term = false;
            for (ssize_t k = 0; k < n / (ssize_t)sizeof si[0]; k++)
                if (si[k].ssi_signo != SIGCHLD) term = true;
            if (term) begin_terminate(500);
        }
        /* Always drain wait statuses: a SIGCHLD may be coalesced. */
        tracer_on_sigchld();
        uint64_t ticks;
        if ((p[1].revents & POLLIN) && read(H.slice_tfd, &ticks, sizeof ticks) > 0) cpu_on_slice_timer();
        if ((p[2].revents & POLLIN) && read(H.usage_tfd, &ticks, sizeof ticks) > 0) send_usage(false);
        if ((p[3].revents & POLLIN) && read(H.kill_tfd, &ticks, sizeof ticks) > 0) tracer_kill_tree(SIGKILL);
        if (H.ctl_open && (p[4].revents & (POLLIN | POLLHUP | POLLERR))) control_on_readable();
        if (H.ctl_open && (p[4].revents & POLLOUT)) control_on_writable();
    }
}
