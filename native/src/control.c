/* The control channel to the engine: a Unix stream socket carrying
 * versioned JSON lines (../PROTOCOL.md). Input is untrusted: lines are
 * bounded, every message is validated, and any malformed input is answered
 * with an error, never with a crash. Output is buffered and non-blocking so a
 * slow engine can never stall the tracer. */
#include "helper.h"

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/signalfd.h>
#include <unistd.h>

/* Threads: the tracer thread (main) owns all tracing state, parses and
 * executes commands and produces every outgoing message; the control thread
 * only moves bytes: it splits incoming lines, watches timers and signals, and
 * flushes the output buffer when the socket was full. The output buffer and
 * ctl_open are shared under out_lock. */
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
static char inbuf[MAX_LINE + 1]; /* control thread only */
static size_t inlen;
static bool discarding;
static char *outbuf;
static size_t outlen, outcap;

#define OUT_DROP_ABOVE (1u << 20)   /* drop usage/log when the engine lags this much */
#define OUT_LOST_ABOVE (64u << 20)  /* an engine this far behind is treated as lost */

int control_connect(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof sa.sun_path) { fprintf(stderr, "interceptor-helper: control path too long\n"); exit(125); }
    strcpy(sa.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) { perror("interceptor-helper: socket"); exit(125); }
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        fprintf(stderr, "interceptor-helper: cannot connect to %s: %s\n", path, strerror(errno));
        exit(125);
    }
    /* Only an engine of our own user may drive us. */
    struct ucred cr;
    socklen_t len = sizeof cr;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) != 0 || cr.uid != geteuid()) {
        fprintf(stderr, "interceptor-helper: control socket peer is not our user\n");
        exit(125);
    }
    if (fcntl_nonblock(fd)) { perror("interceptor-helper: fcntl"); exit(125); }
    return fd;
}

void json_escape(char *dst, size_t cap, const char *src)
{
    size_t o = 0;
    for (const unsigned char *s = (const unsigned char *)src; *s && o + 7 < cap; s++) {
        if (*s == '"' || *s == '\\') { dst[o++] = '\\'; dst[o++] = (char)*s; }
        else if (*s < 0x20) o += (size_t)snprintf(dst + o, cap - o, "\\u%04x", *s);
        else if (*s >= 0x80) {
            /* copy valid UTF-8 sequences, replace stray bytes */
            int n = (*s & 0xE0) == 0xC0 ? 2 : (*s & 0xF0) == 0xE0 ? 3 : (*s & 0xF8) == 0xF0 ? 4 : 0;
            bool ok = n > 0;
            for (int i = 1; ok && i < n; i++) ok = (s[i] & 0xC0) == 0x80;
            if (ok && o + (size_t)n < cap - 1) { memcpy(dst + o, s, (size_t)n); o += (size_t)n; s += n - 1; }
            else dst[o++] = '?';
        } else dst[o++] = (char)*s;
    }
    dst[o] = 0;
}

/* src as a JSON string, or null when it is empty. */
static void json_string_or_null(char *dst, size_t cap, const char *src)
{
    if (!src[0] || cap < 8) { snprintf(dst, cap, "null"); return; }
    dst[0] = '"';
    json_escape(dst + 1, cap - 2, src);
    strcat(dst, "\"");
}

/* Called with out_lock held. Returns -1 if the connection is broken. */
static int try_write(void)
{
    while (outlen > 0) {
        ssize_t n = send(H.ctl_fd, outbuf, outlen, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            memmove(outbuf, outbuf + n, outlen - (size_t)n);
            outlen -= (size_t)n;
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return 0;
        if (n < 0 && errno == EINTR) continue;
        return -1;
    }
    return 0;
}

/* Tracer and notifier threads (under the tracing lock). */
void control_send(const char *line, bool droppable)
{
    size_t len = strlen(line);
    pthread_mutex_lock(&out_lock);
    if (!H.ctl_open || (droppable && outlen > OUT_DROP_ABOVE)) { pthread_mutex_unlock(&out_lock); return; }
    bool lost = outlen + len + 1 > OUT_LOST_ABOVE;
    if (!lost && outlen + len + 1 > outcap) {
        size_t ncap = outcap ? outcap : 65536;
        while (ncap < outlen + len + 1) ncap *= 2;
        char *nb = realloc(outbuf, ncap);
        if (!nb) { pthread_mutex_unlock(&out_lock); return; }
        outbuf = nb;
        outcap = ncap;
    }
    if (!lost) {
        memcpy(outbuf + outlen, line, len);
        outbuf[outlen + len] = '\n';
        bool was_empty = outlen == 0;
        outlen += len + 1;
        if (was_empty) {
            lost = try_write() < 0;
            if (!lost && outlen > 0) wake_control_thread(); /* socket full: let it poll POLLOUT */
        }
    }
    pthread_mutex_unlock(&out_lock);
    /* engine loss acts with ptrace: the tracer thread's job */
    if (lost) {
        if (on_tracer_thread()) control_engine_lost();
        else post_event(EV_LOST, 0, NULL, 0);
    }
}

void control_flush_blocking(int timeout_ms)
{
    uint64_t deadline = now_ns() + (uint64_t)timeout_ms * 1000000ull;
    for (;;) {
        pthread_mutex_lock(&out_lock);
        bool done = !H.ctl_open || outlen == 0 || try_write() < 0 || outlen == 0;
        pthread_mutex_unlock(&out_lock);
        uint64_t now = now_ns();
        if (done || now >= deadline) return;
        struct pollfd p = { .fd = H.ctl_fd, .events = POLLOUT };
        if (poll(&p, 1, (int)((deadline - now) / 1000000ull) + 1) <= 0) return;
    }
}

void send_reply(double id, bool ok, const char *err)
{
    char line[600], e[400], ids[40];
    if (isnan(id)) strcpy(ids, "null"); else snprintf(ids, sizeof ids, "%.0f", id);
    if (ok) snprintf(line, sizeof line, "{\"type\":\"reply\",\"id\":%s,\"ok\":true}", ids);
    else {
        json_escape(e, sizeof e, err ? err : "error");
        snprintf(line, sizeof line, "{\"type\":\"reply\",\"id\":%s,\"ok\":false,\"error\":\"%s\"}", ids, e);
    }
    control_send(line, false);
}

/* comm: the process's cached name; refreshed from /proc unless the event is an exit */
void send_tree(const char *ev, pid_t pid, pid_t ppid, char *comm, size_t commcap)
{
    char esc[160], path[64], line[300];
    if (strcmp(ev, "exit") != 0) {
        snprintf(path, sizeof path, "/proc/%d/comm", pid);
        FILE *f = fopen(path, "re");
        if (f) {
            if (!fgets(comm, (int)commcap, f)) comm[0] = 0;
            fclose(f);
            char *nl = strchr(comm, '\n');
            if (nl) *nl = 0;
        }
    }
    json_escape(esc, sizeof esc, comm);
    snprintf(line, sizeof line, "{\"type\":\"tree\",\"event\":\"%s\",\"pid\":%d,\"ppid\":%d,\"comm\":\"%s\"}", ev, pid, ppid, esc);
    control_send(line, false);
}

void send_usage(bool force)
{
    if (!H.ctl_open) return;
    untrapped_count();
    io_windows_flush(NULL);
    meters_flush();
    mapped_settle_all();
    char body[1024], line[1100];
    const char *state = H.paused ? "stopped" : H.slice_active ? "running" : "free";
    snprintf(body, sizeof body,
             "\"cpuNs\":%llu,\"netUp\":%llu,\"netDown\":%llu,\"diskRead\":%llu,\"diskWrite\":%llu,"
             "\"memBytes\":%llu,\"heldNetUp\":%llu,\"heldNetDown\":%llu,\"heldDisk\":%llu,\"heldCalls\":%d,"
             "\"threads\":%d,\"processes\":%d,\"cpuState\":\"%s\","
             "\"credit\":{\"netUp\":%lld,\"netDown\":%lld,\"disk\":%lld},"
             "\"granted\":{\"netUp\":%llu,\"netDown\":%llu,\"disk\":%llu}}",
             (unsigned long long)tree_cpu_ns(), (unsigned long long)H.counters[C_NETUP],
             (unsigned long long)H.counters[C_NETDOWN], (unsigned long long)H.counters[C_DISKREAD],
             (unsigned long long)H.counters[C_DISKWRITE], (unsigned long long)mem_tree_bytes(),
             (unsigned long long)H.cr[R_NETUP].held_bytes, (unsigned long long)H.cr[R_NETDOWN].held_bytes,
             (unsigned long long)H.cr[R_DISK].held_bytes,
             H.cr[R_NETUP].held_calls + H.cr[R_NETDOWN].held_calls + H.cr[R_DISK].held_calls,
             H.nthreads, H.nprocs, state,
             (long long)H.cr[R_NETUP].credit, (long long)H.cr[R_NETDOWN].credit, (long long)H.cr[R_DISK].credit,
             (unsigned long long)H.cr[R_NETUP].granted, (unsigned long long)H.cr[R_NETDOWN].granted,
             (unsigned long long)H.cr[R_DISK].granted);
    if (!force && !strcmp(body, H.last_usage_sig)) return;
    snprintf(H.last_usage_sig, sizeof H.last_usage_sig, "%s", body);
    snprintf(line, sizeof line, "{\"type\":\"usage\",\"t\":%llu,%s", (unsigned long long)(now_ns() / 1000000ull), body);
    control_send(line, !force);
}

/* ------------------------------------------------------------------ */
/* commands                                                            */

static const struct jfield *field(const struct jfield *f, int n, const char *key)
{
    for (int i = 0; i < n; i++) if (!strcmp(f[i].key, key)) return &f[i];
    return NULL;
}

static int resource_of(const struct jfield *f)
{
    if (!f || f->type != J_STR) return -1;
    if (!strcmp(f->str, "netUp")) return R_NETUP;
    if (!strcmp(f->str, "netDown")) return R_NETDOWN;
    if (!strcmp(f->str, "disk")) return R_DISK;
    return -1;
}

/* The engine's granting rate, smoothed over half-second windows (sockets.c sizes windows with it). */
static void note_grant(struct credit_state *cs, uint64_t bytes)
{
    uint64_t now = now_ns();
    if (!cs->rate_t0) cs->rate_t0 = now;
    cs->rate_bytes += bytes;
    if (now - cs->rate_t0 < 500000000ull) return;
    double rate = cs->rate_bytes / ((now - cs->rate_t0) / 1e9);
    cs->grant_rate = cs->grant_rate ? 0.5 * cs->grant_rate + 0.5 * rate : rate;
    cs->rate_t0 = now;
    cs->rate_bytes = 0;
}

static bool num_in(const struct jfield *f, double lo, double hi)
{
    return f && f->type == J_NUM && f->num >= lo && f->num <= hi;
}

void control_handle_line(char *line, size_t len)
{
    struct jfield f[JSON_MAX_FIELDS];
    const char *err = NULL;
    if (memchr(line, 0, len)) { send_reply(NAN, false, "bad JSON: NUL byte"); return; }
    int n = json_parse_flat(line, f, JSON_MAX_FIELDS, &err);
    if (n < 0) {
        char msg[128];
        snprintf(msg, sizeof msg, "bad JSON: %s", err);
        send_reply(NAN, false, msg);
        return;
    }
    const struct jfield *idf = field(f, n, "id"), *tf = field(f, n, "type");
    double id = NAN;
    if (idf && idf->type == J_NUM && idf->num >= 0 && idf->num <= 9007199254740991.0 && floor(idf->num) == idf->num)
        id = idf->num;
    if (!tf || tf->type != J_STR) { send_reply(id, false, "missing type"); return; }
    if (isnan(id)) { send_reply(NAN, false, "missing or invalid id"); return; }
    const char *type = tf->str;

    if (!strcmp(type, "ping")) { send_reply(id, true, NULL); return; }
    if (!strcmp(type, "grant")) {
        int r = resource_of(field(f, n, "resource"));
        const struct jfield *b = field(f, n, "bytes");
        if (r < 0) { send_reply(id, false, "unknown resource"); return; }
        if (!num_in(b, 0, 1e15)) { send_reply(id, false, "bytes must be a number in [0, 1e15]"); return; }
        H.cr[r].credit += (int64_t)floor(b->num);
        H.cr[r].granted += (uint64_t)floor(b->num);
        note_grant(&H.cr[r], (uint64_t)floor(b->num));
        send_reply(id, true, NULL);
        credit_release(r);
        return;
    }
    if (!strcmp(type, "limit")) {
        int r = resource_of(field(f, n, "resource"));
        const struct jfield *m = field(f, n, "mode");
        if (r < 0) { send_reply(id, false, "unknown resource"); return; }
        if (!m || m->type != J_STR || (strcmp(m->str, "credit") && strcmp(m->str, "unlimited"))) {
            send_reply(id, false, "mode must be credit or unlimited");
            return;
        }
        untrapped_count(); /* bytes moved before the switch belong to the old mode */
        io_windows_flush(NULL);
        meters_flush();
        H.cr[r].mode = !strcmp(m->str, "credit") ? 1 : 0;
        inject_all(); /* (before the reply: the cap is in force when the engine hears of it) */
        send_reply(id, true, NULL);
        credit_release(r);
        return;
    }
    if (!strcmp(type, "memCeiling")) {
        const struct jfield *b = field(f, n, "bytes");
        if (b && b->type == J_NULL) H.mem_ceiling_set = false;
        else if (num_in(b, 0, 9007199254740991.0)) {
            if (!H.mem_ceiling_set) mem_refresh_all();
            H.mem_ceiling_set = true;
            H.mem_ceiling = (uint64_t)b->num;
        } else { send_reply(id, false, "bytes must be null or a number >= 0"); return; }
        inject_all();
        send_reply(id, true, NULL);
        return;
    }
    if (!strcmp(type, "cpu")) {
        const struct jfield *a = field(f, n, "action");
        if (!a || a->type != J_STR) { send_reply(id, false, "action must be free, stop or run"); return; }
        if (!strcmp(a->str, "free")) { if (!H.terminating) cpu_free(); send_reply(id, true, NULL); return; }
        if (!strcmp(a->str, "stop")) {
            if (H.terminating) { send_reply(id, false, "terminating"); return; }
            cpu_stop(id, true);
            return;
        }
        if (!strcmp(a->str, "run")) {
            const struct jfield *ms = field(f, n, "ms");
            if (!num_in(ms, 1, 3600000)) { send_reply(id, false, "ms must be a number in [1, 3600000]"); return; }
            if (H.terminating) { send_reply(id, false, "terminating"); return; }
            send_reply(id, true, NULL);
            cpu_run(id, ms->num);
            return;
        }
        send_reply(id, false, "action must be free, stop or run");
        return;
    }
    if (!strcmp(type, "config")) {
        /* every field optional, at least one; all validated before any is applied */
        const struct jfield *p = field(f, n, "usagePeriodMs"), *l = field(f, n, "onEngineLoss");
        if (!p && !l) { send_reply(id, false, "config needs usagePeriodMs or onEngineLoss"); return; }
        if (p && !num_in(p, 10, 60000)) { send_reply(id, false, "usagePeriodMs must be in [10, 60000]"); return; }
        if (l && (l->type != J_STR || (strcmp(l->str, "terminate") && strcmp(l->str, "continue")))) {
            send_reply(id, false, "onEngineLoss must be terminate or continue");
            return;
        }
        if (p) {
            H.usage_period_ms = (int)p->num;
            arm_timer(H.usage_tfd, (uint64_t)H.usage_period_ms * 1000000ull, (uint64_t)H.usage_period_ms * 1000000ull);
        }
        if (l) H.on_loss_continue = !strcmp(l->str, "continue");
        send_reply(id, true, NULL);
        return;
    }
    if (!strcmp(type, "cgroup")) {
        const struct jfield *a = field(f, n, "app"), *p = field(f, n, "parent");
        if (!a || a->type != J_STR || !p || p->type != J_STR || !cgroup_set(a->str, p->str)) {
            send_reply(id, false, "app and parent must be directories under /sys/fs/cgroup/");
            return;
        }
        send_reply(id, true, NULL);
        return;
    }
    if (!strcmp(type, "report")) { send_usage(true); send_reply(id, true, NULL); return; }
    if (!strcmp(type, "signal")) {
        const struct jfield *s = field(f, n, "signal");
        int sig = s && s->type == J_STR ? signum_from_name(s->str) : -1;
        if (sig < 0) { send_reply(id, false, "signal must be one of SIGTERM SIGINT SIGHUP SIGKILL SIGUSR1 SIGUSR2"); return; }
        if (!H.app_exited) kill(H.app_pid, sig);
        send_reply(id, true, NULL);
        return;
    }
    if (!strcmp(type, "terminate")) {
        const struct jfield *g = field(f, n, "graceMs");
        double grace = 3000;
        if (g) {
            if (!num_in(g, 0, 60000)) { send_reply(id, false, "graceMs must be in [0, 60000]"); return; }
            grace = g->num;
        }
        send_reply(id, true, NULL);
        begin_terminate((int)grace);
        return;
    }
    send_reply(id, false, "unknown type");
}

/* Tracer thread: EOF or error on the control socket. */
void control_engine_lost(void)
{
    pthread_mutex_lock(&out_lock);
    bool was_open = H.ctl_open;
    H.ctl_open = false;
    outlen = 0;
    if (was_open) shutdown(H.ctl_fd, SHUT_RDWR); /* the fd stays open until exit: the control thread may be polling it */
    pthread_mutex_unlock(&out_lock);
    if (!was_open) return;
    wake_control_thread();
    if (H.terminating) return;
    if (H.on_loss_continue) {
        /* "continue": we stay the tracer (a RET_TRACE filter without a tracer
         * would make every traced call fail with ENOSYS) but lift every limit. */
        lift_all_limits();
        cgroup_lift_cap();
    } else {
        begin_terminate(500);
    }
}

/* Tracer thread: SIGHUP reached the helper (typically the engine's pty master
 * closed because the engine exited). Policy `terminate`: as SIGTERM. Policy
 * `continue`: the hangup is the engine going away, not a request to stop the
 * app: lift every limit and keep tracing (SIGHUPs for the app's tree are then
 * discarded, see hangup_for_app_suppressed). */
void control_on_hangup(void)
{
    if (H.terminating) return;
    if (!H.on_loss_continue) { begin_terminate(500); return; }
    lift_all_limits();
    cgroup_lift_cap();
    helper_log("info", "SIGHUP with onEngineLoss continue: limits lifted, app left running");
}

/* Tracer thread, at a SIGHUP signal-delivery-stop of the app's tree: true if
 * the hangup belongs to the engine's dead terminal and must not reach the app.
 * That is the case once the policy is `continue` and the engine is gone or the
 * helper itself got SIGHUP. The helper's own SIGHUP (or the socket's EOF) may
 * not have been processed yet when the app's stop arrives (one kill() of the
 * process group reaches both), so pending evidence counts too. */
bool hangup_for_app_suppressed(void)
{
    if (!H.on_loss_continue || H.terminating) return false;
    if (!H.ctl_open || __atomic_load_n(&H.hup_seen, __ATOMIC_ACQUIRE)) return true;
    sigset_t pend;
    if (sigpending(&pend) == 0 && sigismember(&pend, SIGHUP)) return true;
    if (__atomic_load_n(&H.hup_seen, __ATOMIC_ACQUIRE)) return true;
    struct pollfd p = { .fd = H.ctl_fd, .events = POLLRDHUP };
    return poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

/* ------------------------------------------------------------------ */
/* the control thread                                                  */

static void split_lines(const char *buf, ssize_t n)
{
    for (ssize_t i = 0; i < n; i++) {
        char c = buf[i];
        if (c == '\n') {
            if (discarding) {
                discarding = false;
                post_event(EV_TOOLONG, 0, NULL, 0);
            } else {
                post_event(EV_LINE, 0, inbuf, inlen);
            }
            inlen = 0;
        } else if (!discarding) {
            if (inlen >= MAX_LINE) { discarding = true; inlen = 0; }
            else inbuf[inlen++] = c;
        }
    }
}

void *control_thread_main(void *arg)
{
    (void)arg;
    bool reading = true;
    static char buf[65536];
    int tfds[3] = { H.slice_tfd, H.usage_tfd, H.kill_tfd };
    for (;;) {
        pthread_mutex_lock(&out_lock);
        bool open = H.ctl_open, wantw = open && outlen > 0;
        pthread_mutex_unlock(&out_lock);
        /* backpressure: stop reading while the tracer has a large backlog */
        bool full = event_backlog_bytes() > (4u << 20);
        short cev = (short)((open && reading && !full ? POLLIN : 0) | (wantw ? POLLOUT : 0));
        struct pollfd p[7] = {
            { .fd = H.wake_fd, .events = POLLIN },
            { .fd = H.sigfd, .events = POLLIN },
            { .fd = __atomic_load_n(&H.timer_pending[0], __ATOMIC_ACQUIRE) ? -1 : tfds[0], .events = POLLIN },
            { .fd = __atomic_load_n(&H.timer_pending[1], __ATOMIC_ACQUIRE) ? -1 : tfds[1], .events = POLLIN },
            { .fd = __atomic_load_n(&H.timer_pending[2], __ATOMIC_ACQUIRE) ? -1 : tfds[2], .events = POLLIN },
            { .fd = cev ? H.ctl_fd : -1, .events = cev },
            { .fd = H.watch_tfd, .events = POLLIN },
        };
        int r = poll(p, 7, full ? 10 : -1);
        if (r < 0) continue;
        uint64_t v;
        if (p[0].revents & POLLIN) { ssize_t ignored = read(H.wake_fd, &v, sizeof v); (void)ignored; }
        if (p[1].revents & POLLIN) {
            struct signalfd_siginfo si[8];
            /* mark a hangup while it is still pending, so the tracer thread
             * (hangup_for_app_suppressed) always sees it pending or marked */
            sigset_t pend;
            if (sigpending(&pend) == 0 && sigismember(&pend, SIGHUP)) __atomic_store_n(&H.hup_seen, 1, __ATOMIC_RELEASE);
            ssize_t got = read(H.sigfd, si, sizeof si);
            bool term = false, hup = false;
            for (ssize_t k = 0; got > 0 && k < got / (ssize_t)sizeof si[0]; k++) {
                if (si[k].ssi_signo == SIGHUP) hup = true;
                else term = true;
            }
            if (hup) { __atomic_store_n(&H.hup_seen, 1, __ATOMIC_RELEASE); post_event(EV_HUP, 0, NULL, 0); }
            if (term) post_event(EV_TERM, 0, NULL, 0);
        }
        for (int i = 0; i < 3; i++)
            if (p[2 + i].revents & POLLIN) {
                __atomic_store_n(&H.timer_pending[i], 1, __ATOMIC_RELEASE);
                post_event(EV_TIMER, i, NULL, 0);
            }
        /* the watch of a stopped tree: checked here, the tracer woken only when needed */
        if ((p[6].revents & POLLIN) && read(H.watch_tfd, &v, sizeof v) > 0) stops_watch_check();
        if (p[5].revents & (POLLIN | POLLHUP | POLLERR)) {
            for (;;) {
                ssize_t n = recv(H.ctl_fd, buf, sizeof buf, MSG_DONTWAIT);
                if (n > 0) { split_lines(buf, n); continue; }
                if (n < 0 && errno == EINTR) continue;
                if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
                reading = false; /* EOF or error: the engine is gone */
                post_event(EV_LOST, 0, NULL, 0);
                break;
            }
        }
        if (p[5].revents & POLLOUT) {
            pthread_mutex_lock(&out_lock);
            int w = H.ctl_open ? try_write() : 0;
            pthread_mutex_unlock(&out_lock);
            if (w < 0) post_event(EV_LOST, 0, NULL, 0);
        }
    }
    return NULL;
}

void send_hello(void)
{
    char line[4800], tok[600], udp[2200], why[700];
    json_escape(tok, sizeof tok, H.token);
    json_string_or_null(udp, sizeof udp, udp_count_dir());
    json_string_or_null(why, sizeof why, udp_count_why_not());
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN), tck = sysconf(_SC_CLK_TCK);
    bool unotif = probe_user_notif(), pidfd = probe_pidfd();
    snprintf(line, sizeof line,
             "{\"type\":\"hello\",\"version\":%d,\"token\":\"%s\",\"helperPid\":%d,\"appPid\":%d,"
             "\"features\":{\"seccomp\":true,\"ptraceSeize\":true,\"userNotif\":%s,\"rt\":%s,\"pidfd\":%s,"
             "\"notifPath\":%s,\"notifSyncWake\":%s,\"sockNotif\":%s},"
             "\"ncpu\":%ld,\"clockTicks\":%ld,\"udpCgroup\":%s,\"udpUncounted\":%s}",
             PROTOCOL_VERSION, tok, getpid(), H.app_pid, unotif ? "true" : "false", H.rt ? "true" : "false",
             pidfd ? "true" : "false", H.notif_fd >= 0 || H.untrapped ? "true" : "false", H.notif_sync ? "true" : "false",
             (H.notif_fd >= 0 || H.untrapped) && H.sock_notif ? "true" : "false", ncpu, tck, udp, why);
    control_send(line, false);
}
