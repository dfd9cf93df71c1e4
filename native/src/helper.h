/* interceptor-helper: the native Catcher of one P2P app (see ../PROTOCOL.md).
 * Policy lives in the engine; this process is mechanism only: it creates the
 * app, traces every thread of its tree, charges bytes, holds calls without
 * credit, brokers memory against a ceiling and dispatches CPU slices. */
#ifndef INTERCEPTOR_HELPER_H
#define INTERCEPTOR_HELPER_H

#define _GNU_SOURCE
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/seccomp.h>
#include <sys/types.h>
#include <sys/user.h>

#define PROTOCOL_VERSION 1
#define MAX_LINE 65536
/* a call's requested size is capped here: credit arithmetic stays far from overflow */
#define MAX_WANT (1ull << 50)
/* The nice value of the helper's threads (main.c says why) */
#define HELPER_NICE (-5)

/* ---- fd classes: what a byte call on the fd is charged to ---- */
enum fd_class { FD_UNKNOWN = 0, FD_NET = 1, FD_DISK = 2, FD_OTHER = 3 };
/* fds below this number have their class cached (and sockets a kept duplicate
 * and a meter); the filter traps close/dup2/dup3 only onto them. A program that
 * closes every number up to a high RLIMIT_NOFILE (rtorrent's hook child: 20 000
 * closes) then makes notifications for the first few thousand only; an fd
 * above is classified afresh at each call (a few µs more, and rare: the
 * default soft limit is 1024). */
#define FDCACHE_MAX 4096
/* flags kept with an fd's class (forgotten with it when the fd changes) */
#define FD_CLASS_MASK 0x0f
enum fd_flag {
    FDF_RCVBUF = 0x10, /* its receive buffer was sized for a cap (sockets.c) */
    FDF_STREAM = 0x20, /* a stream socket (known while we hold its duplicate) */
};

/* ---- credit resources (PROTOCOL.md "grant") ---- */
enum resource { R_NETUP = 0, R_NETDOWN = 1, R_DISK = 2, R_COUNT = 3 };
/* cumulative counters */
enum counter { C_NETUP = 0, C_NETDOWN = 1, C_DISKREAD = 2, C_DISKWRITE = 3, C_COUNT = 4 };
/* Which way bytes move, as the [2] arrays of an I/O window and of mapped.c index them. */
enum io_dir { IO_READ = 0, IO_WRITE = 1 };

/* One fd table; shared by every task cloned with CLONE_FILES (threads). The
 * cache maps fd -> class, and a network socket to our duplicate of it; it is
 * invalidated at close/dup2/dup3/close_range (entry and exit) and dropped at
 * exec, and while such a call is in flight on an fd ("flux") lookups bypass
 * the cache. */
struct fdtab {
    int refs;
    int cap;          /* entries in cls/flux/dups */
    uint8_t *cls;
    uint16_t *flux;
    int *dups;        /* our duplicate of the fd's socket (pidfd_getfd), -1 = none */
    int *meters;      /* a kept TCP duplicate's meter (meters.c), -1 = none */
    int flux_all;     /* close_range in flight: bypass the whole cache */
    uint64_t flux_probed; /* when fds.c last asked whether its fds in flux still are (now_ns) */
    bool diverged;    /* a sharer unshared it (unshare, CLOSE_RANGE_UNSHARE): the same
                         number may name different files for different tasks: no cache */
};

struct proc {
    pid_t pid, ppid;
    int nthreads;
    struct fdtab *fdt;
    uint64_t last_cpu;   /* last reading of its process CPU clock (ns) */
    uint64_t vmdata;     /* cached committed private writable bytes (upper estimate) */
    uint64_t brk_cur;    /* current program break, 0 = unknown */
    bool is_main;
    int pidfd;           /* for pidfd_getfd (sockets.c), -1 until needed */
    char comm[32];       /* for the tree exit event */
    /* disk I/O through mapped files (mapped.c): watched once it maps a file
     * shared, 64 KiB or more (MAPPED_WATCH_MIN); iofd is its open
     * /proc/<pid>/io; [2]: by enum io_dir */
    bool mapped_watched;
    int iofd;
    uint64_t disk_by_calls[2];   /* bytes its read / write calls were charged (disk) */
    uint64_t io_base[2], calls_base[2], mapped_charged[2];
    uint64_t reaped_io[2], reaped_base[2]; /* read/write_bytes of its ending children (mapped_thread_exit) */
    uint64_t io_to_parent[2];    /* of its own, what its parent's reaped_io has */
    bool mapped_unpaid;      /* it moved bytes through a mapping since one of its calls last went on */
    /* the listener of its filter (notify.c), shared with the processes it
     * forks; -1: untrapped, under the base filter (inject.c) */
    int listener;
    int filters;             /* its Seccomp_filters count once injected */
    bool injecting, inject_failed;
    struct usock *usocks;    /* untrapped: its TCP sockets (untrapped.c) */
    int nusocks, cusocks;
    struct proc *next;
};

/* A charged byte call in flight: up to two sides (sendfile/splice/copy_file_range). */
struct side { int res; int counter; bool reserved; int fd; bool metered; /* charged by its socket's meter */ };
struct call {
    int nr;
    int nsides;
    struct side side[2];
    uint64_t want;       /* requested bytes (reserved from credit in credit mode) */
    unsigned long a0, a1; /* fd / msgvec pointer needed at exit */
    bool peek;           /* MSG_PEEK: the bytes stay queued, nothing is charged */
    bool storage_read;   /* it reads a file: charged its thread's read_bytes growth, */
    uint64_t read_bytes0; /* from this, taken at its entry */
};

enum exit_kind { EX_NONE = 0, EX_BYTES, EX_BRK, EX_FDTAB };
enum tstate { TS_RUNNING = 0, TS_STOPPED, TS_LISTENING };

/* A thread's scheduler counts from /proc (stops.c). */
struct sched_counts { uint64_t cpu_ns, switch_ins; };

struct thread {
    pid_t tid;
    struct proc *proc;        /* NULL until its creator's PTRACE_EVENT_* links it */
    struct thread *hnext;     /* hash chain */
    struct thread *qnext;     /* credit queue */
    int state;
    bool parked;              /* stopped because the tree is paused; resume later with: */
    int park_how, park_sig;
    bool interrupting;        /* we sent PTRACE_INTERRUPT and await its stop */
    bool interrupt_late;      /* its interrupt-stop will come after a gate (counted already) */
    /* transparent stops (stops.c): a thread asleep when the tree was
     * stopped sleeps on, watched; a call our interrupt made fail with EINTR
     * was restarted ("rewound": its syscall instruction is at rewind_ip) */
    bool watched;
    bool rewound;
    unsigned long long rewind_ip;
    /* its scheduler counts when a stop last found it asleep: while they
     * stay the same it has not run since, so it is still in that sleep */
    struct sched_counts asleep_counts;
    /* its /proc schedstat and stat, kept open (task_file_kept), or -1 */
    int schedstat_fd, stat_fd;
    /* a notification that arrived while the tree is stopped: answered at the
     * next `run`/`free` (gate_id 0 = none) */
    uint64_t gate_id;
    struct seccomp_data gate_data;
    bool jobstop;             /* in a job-control group-stop (someone's SIGSTOP) */
    bool initial;             /* auto-attached, awaiting its first stop */
    bool exiting;             /* past PTRACE_EVENT_EXIT: never interrupted again */
    bool in_vfork;            /* parent sleeping until its vfork child execs or exits */
    bool inject_pending;      /* interrupted to put the full filter in (inject.c) */
    bool held;
    int held_res;
    uint64_t held_want;       /* bytes the queued call asks (either path) */
    /* user-notification path (notify.c): the notification the thread waits
     * in (0 = none). A held one the thread left for a ptrace stop (CPU stop,
     * signal) keeps its queue place "stale" (held_notif, notif_id 0) until
     * the restarted call arrives as a new notification. */
    bool held_notif;
    uint64_t notif_id;
    int notif_side;           /* 0 read, 1 write */
    bool held_sock;           /* the held notification is a socket call (sockets.c): notif_data */
    bool held_mapped;         /* held at the mapped-I/O gate (mapped.c): decided afresh, notif_data */
    struct seccomp_data notif_data;
    /* a notification moved to the ptrace path, or restarted (see handoff()) */
    int handoff;
    uint64_t handoff_id;
    int exit_kind;            /* what to do at the syscall-exit stop */
    struct call call;
    int fdop_fd, fdop_nr;     /* an fd-table call under way: which fd / call */
    bool fdop_pending;        /* (its fd is in flux until fdtab_op_done) */
    struct fdtab *fdop_tab;   /* the table it changes (a reference) */
    /* I/O window (uncapped fast path): since the thread's rchar/wchar were
     * win_rchar/win_wchar, all its read/write-family calls were on fds of
     * class win_class; iofd is its open /proc/<pid>/task/<tid>/io. */
    int win_class;
    uint64_t win_rchar, win_wchar;
    int iofd;
    /* credit reserved by the window's admitted calls ([0] read side, [1]
     * write side) and by the latest of them (possibly still in flight) */
    uint64_t win_resv[2], win_last[2];
};

/* window_settle modes */
enum { WS_CLOSE = 0, WS_FLUSH, WS_IDLE };

/* ---- global state ---- */
struct credit_state {
    int mode;              /* 0 unlimited, 1 credit */
    int64_t credit;
    uint64_t granted;      /* bytes of every grant received: the engine's mirror of credit
                            * tells its grants in flight from this (PROTOCOL.md `usage`) */
    double grant_rate;     /* bytes/s the engine has been granting (smoothed) */
    uint64_t rate_t0, rate_bytes;
    struct thread *qhead, *qtail;
    uint64_t held_bytes;
    int held_calls;
};

/* The helper's state. Three kinds of thread share it (PROTOCOL.md "threads"):
 * the tracer (main: waitpid, every ptrace request, every command), the control
 * thread (socket bytes, signals, timers) and the notifiers (seccomp
 * notifications: one per listener, inject.c). Each group below says who may
 * touch its fields. */
struct helper {
    /* -- Set by main before the control and notifier threads start, read-only
     *    afterwards (pthread_create orders the writes before their reads). */
    const char *control_path;
    bool want_rt, rt;
    bool no_windows;        /* INTERCEPTOR_HELPER_NO_WINDOWS=1: always use exit stops (benchmark/tests) */
    bool no_unotif;         /* INTERCEPTOR_HELPER_NO_UNOTIF=1: read/write family via ptrace too */
    bool no_socknotif;      /* INTERCEPTOR_HELPER_NO_SOCKNOTIF=1: send/recv family via ptrace (benchmark) */
    bool no_udpcount;       /* INTERCEPTOR_HELPER_NO_UDPCOUNT=1: no cgroup counts UDP while untrapped (tests) */
    bool sock_notif;        /* send/recv family on the notification path (killable notifications) */
    bool want_untrapped;    /* --untrapped-until-capped */
    bool release_at_once;   /* --release-at-once: run from the exec, no first `cpu` awaited */
    bool untrapped;         /* the app was launched under the base filter (inject.c) */
    int stop_mode;          /* INTERCEPTOR_HELPER_STOPS (stops.c): how a CPU stop treats sleeping threads */
    int notif_fd;           /* seccomp listener of the app's filter, -1 = ptrace path only */
    bool notif_sync;        /* SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP set on it */
    char token[260];
    int sigfd, slice_tfd, usage_tfd, kill_tfd, watch_tfd, ctl_fd, wake_fd;

    /* -- Under the tracing lock (main.c): the tracer thread holds it around
     *    each wait status and event batch, the notifier around each
     *    notification, the control thread around each watch check. */
    bool on_loss_continue;  /* (`config` may change it) */
    int usage_period_ms;
    bool rt_on;             /* the tree's threads are SCHED_RR now (cpu.c) */
    bool handoff_pending;   /* threads wait for handoffs_run (tracer thread) */
    bool release_pending[3]; /* credit came back while calls are queued: tracer thread runs credit_release */
    /* app */
    pid_t app_pid;
    bool app_exited;
    int app_code, app_sig;
    bool tree_gone;
    /* tree */
    struct proc *procs;
    int nprocs, nthreads;
    uint64_t exited_cpu;
    uint64_t counters[C_COUNT];
    struct credit_state cr[R_COUNT];
    /* memory broker */
    bool mem_ceiling_set;
    uint64_t mem_ceiling;
    /* CPU dispatch */
    bool released;          /* first cpu command seen */
    bool paused;            /* every thread is (being) stopped */
    int interrupts_pending;
    uint64_t pause_started;  /* when the current stop was requested */
    int watched;             /* threads sleeping through the stop (stops.c) */
    bool wake_sent;          /* a `wake` went out during this stop */
    uint64_t watch_cpu;      /* tree CPU at the last watch check */
    int watch_quiet;         /* watch checks in a row without CPU growth: the watch backs off */
    int slice_runnable;      /* threads found runnable by the stop that ended the slice */
    bool cpu_base_valid;     /* cpu_base is the tree CPU at the end of the last slice or stop */
    uint64_t cpu_base;
    bool slice_active;
    double slice_id;
    uint64_t slice_cpu0, slice_wall0;
    const char *slice_end;  /* reason once ending */
    double stop_reply_ids[64];
    int stop_replies;
    bool terminating;
    char last_usage_sig[1024]; /* usage change detection */

    /* -- out_lock (control.c) guards it with the output buffer. Only the
     *    tracer thread writes it, holding the tracing lock too, so it may be
     *    read under either lock (the control thread takes out_lock, the
     *    notifier holds the tracing lock) or on the tracer thread. */
    bool ctl_open;

    /* -- Atomic (__atomic_*): flags one thread raises for another without
     *    taking a lock (the control thread must never wait for the tracing
     *    lock to keep the socket and timers moving). */
    int timer_pending[3];   /* slice, usage, kill timer expiry queued (control thread sets, tracer clears) */
    bool watch_armed;       /* the watch timer runs (set by whoever arms it, cleared by the watch) */
    int hup_seen;           /* SIGHUP reached the helper (control thread sets before the tracer reads) */
    pid_t doorbell;         /* tracer thread (re)spawns it; any thread rings it (post_event) */
};

extern struct helper H;

/* main.c */
uint64_t now_ns(void);
void reset_signals(void);
void helper_log(const char *level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void arm_timer(int tfd, uint64_t ns, uint64_t interval_ns);
void begin_terminate(int grace_ms);
void lift_all_limits(void);
int fcntl_nonblock(int fd);
bool probe_user_notif(void);
bool probe_pidfd(void);
bool probe_killable_notif(void);

/* The tracing lock guards all tracing state (struct helper's second group,
 * every struct thread/proc/fdtab): the tracer thread holds it around each
 * wait status and event batch, the notifier around each notification, the
 * control thread around each watch check. */
void tracing_lock(void);
void tracing_unlock(void);
bool on_tracer_thread(void);

/* events from the control/notifier threads to the tracer thread (main.c) */
enum { EV_LINE, EV_TOOLONG, EV_LOST, EV_TERM, EV_TIMER, EV_HUP, EV_RELEASE, EV_WATCH };
void post_event(int kind, int arg, const char *line, size_t len);
size_t event_backlog_bytes(void);
void wake_control_thread(void);

/* tracer.c: the tree's processes and threads, their lifecycle, and the
 * dispatch of every wait status */
pid_t tracer_create(char **argv);
void tracer_handle(pid_t pid, int status);
void tracer_kill_tree(int sig);
uint64_t tree_cpu_ns(void);
struct thread *thread_find(pid_t tid);
void for_each_thread(void (*fn)(struct thread *, void *), void *arg);
void tracer_stop_complete_check(void);
void pause_one(struct thread *t, void *arg);
const char *signame(int sig);
int signum_from_name(const char *name);

/* filter.c: the seccomp filter. Its RET_TRACE data says which handler a stop
 * belongs to (category_of derives it from the call number). */
enum { CAT_BYTES = 1, CAT_FDTAB = 2, CAT_MEM = 3, CAT_EXEC = 4 };
enum { FILTER_MAX = 160 };
struct sock_filter;
int build_filter(struct sock_filter *f, bool unotif, bool sock_notif, bool traced);
struct filter_exempt { uint64_t ip; };
int build_filter_ex(struct sock_filter *f, bool unotif, bool sock_notif, bool traced, bool base,
                    const struct filter_exempt *exempt);
int install_filter(bool unotif, bool sock_notif, bool base);
int category_of(long nr);
bool rw_family(long nr);
/* the argument of close/dup2/dup3 that names the fd they change; -1 for other calls */
int fd_target_arg(long nr);

/* fds.c: fd classes, the fd-table cache and the fd-table calls */
struct fdtab *fdtab_new(void);
struct fdtab *fdtab_copy(const struct fdtab *src);
void fdtab_put(struct fdtab *f);
int classify_fd(struct proc *p, pid_t tid, int fd);
bool fdtab_flag(const struct fdtab *f, int fd, int flag);
void fdtab_set_flag(struct fdtab *f, int fd, int flag, bool on);
void on_fdtab_entry(struct thread *t, struct user_regs_struct *r);
void on_fdtab_exit(struct thread *t);
void fdtab_on_notif(struct thread *t, uint64_t id, const struct seccomp_data *d);
void fdtab_op_done(struct thread *t);
int dup_socket(struct proc *p, int fd);
/* A duplicate of an app's socket for one call: the fd table's (kept until the
 * app changes that fd) or, when it cannot be cached, the caller's to close. */
struct sockdup { int fd; bool stream; bool cached; int meter; };
bool sockdup_get(struct proc *p, int fd, struct sockdup *d);
void sockdup_put(struct sockdup *d);
void fdtab_drop_dups(struct fdtab *f);
bool sockdup_peek(struct proc *p, int fd, struct sockdup *d);
int socket_meter(struct proc *p, int fd, struct sockdup *d);
/* socket meters (meters.c) */
int meter_attach(int sock);
int meter_find(int sock);
void meter_settle(int m, int sock);
void meter_moved(int m, bool written, uint64_t bytes);
void meter_detach(int m, int sock);
int meter_attach_from_start(int sock);
void meter_release(int m);
void meters_flush(void);
/* a small /proc file of a process, or of one of its threads, read whole and NUL-terminated */
bool proc_file(pid_t pid, const char *name, char *buf, size_t cap);
bool proc_sig_masks(pid_t pid, uint64_t *ignored, uint64_t *caught);
bool proc_io_read(int *fd, pid_t pid, pid_t tid, int n, const char *const names[], uint64_t out[]);
bool task_file(const struct thread *t, const char *name, char *buf, size_t cap);
bool task_file_kept(const struct thread *t, int *fd, const char *name, char *buf, size_t cap);
void kept_fd_close(int *fd);

/* credit.c: credit queues, and byte calls on the ptrace path */
bool is_credit(int res);
void charge_moved(int res, int counter, uint64_t bytes);
void queue_hold(struct thread *t, int res, uint64_t want, bool demand);
void queue_remove(struct thread *t);
void credit_release(int res);
void release_pending_credit(void);
ssize_t tracee_peek(pid_t pid, unsigned long addr, void *buf, size_t len);
uint64_t iov_sum(pid_t pid, unsigned long iov, unsigned long cnt);
uint64_t msghdr_sum(pid_t pid, unsigned long addr);
/* A byte call at its entry (seccomp stop, or a handoff's syscall-entry stop): charged, held or let go. */
void bytes_call_entry(struct thread *t, struct user_regs_struct *r);
void bytes_call_exit(struct thread *t);

/* windows.c: I/O windows (uncapped read/write family without exit stops) */
bool window_open(struct thread *t, int cls);
bool thread_read_bytes(struct thread *t, uint64_t *out);
void window_settle(struct thread *t, int how);
bool try_window(struct thread *t, struct call *c, int cls);
void io_windows_flush(struct proc *only); /* the windows of only's threads, or all (NULL) */

/* notify.c */
void notify_init(void);
bool notify_start(int listener);
int listener_of(const struct thread *t);
void notif_admit(struct thread *t);
void notif_ungate(struct thread *t);
bool notif_answer_continue(const struct thread *t, uint64_t id);
void notif_answer(const struct thread *t, uint64_t id, long val, int err);
bool notif_valid(const struct thread *t, uint64_t id);
/* A notification answered with a restart of its call (any thread; the
 * tracer thread does it: it needs ptrace): HO_PTRACE to run the restarted call
 * on the ptrace path, HO_RESTART to let it come back as a new notification
 * (a held call with a signal pending). */
enum { HO_NONE = 0, HO_PENDING_PTRACE, HO_PENDING_RESTART, HO_TRAP_PTRACE, HO_TRAP_RESTART, HO_ENTRY, HO_CONTINUE };
void handoff(struct thread *t, uint64_t id, bool to_ptrace);
void handoffs_run(void);
bool handoff_on_stop(struct thread *t, int ev, int sig);

/* sockets.c: the send/recv family on the notification path */
bool sock_call(int nr);
void sock_decide(struct thread *t, uint64_t id, const struct seccomp_data *d);

/* stops.c: transparent CPU stops. The other modes exist to measure why (bench, tests):
 * STOP_ALL interrupts sleeping threads too (their EINTR rewound, timeouts restart
 * in full); STOP_PLAIN interrupts everything and rewinds nothing (the paper's
 * SIGSTOP-like behaviour). */
enum { STOP_TRANSPARENT = 0, STOP_ALL, STOP_PLAIN };
void resume_thread(struct thread *t, int how, int sig);
void tracer_pause_all(void);
void tracer_unpause_all(void);
void stops_note_wake(void);
void stops_watch_check(void);
void stops_watch_arm(void);
void stops_watch_scan(void);
void stops_on_interrupt_stop(struct thread *t);
void stops_on_signal_stop(struct thread *t, int sig, bool discarded);
bool stops_take_stop(struct thread *t);
void stops_forget_rewind(struct thread *t);
void stops_log_stragglers(void);
bool stops_gated_interrupt(struct thread *t);

/* cpu.c */
void cpu_free(void);
void cpu_stop(double id, bool has_id);
void cpu_run(double id, double ms);
void cpu_on_slice_timer(void);
void cpu_on_tree_gone(void);
void cpu_watchdog(void);

/* memory.c */
/* Decide a memory call at its seccomp stop. Returns 0 to allow, or 1 if the
 * call was denied (registers already set to fail it). */
int mem_on_entry(struct thread *t, struct user_regs_struct *regs);
void mem_on_notif(struct thread *t, uint64_t id, const struct seccomp_data *d);
uint64_t mem_tree_bytes(void);
uint64_t read_vmdata(pid_t pid);
void mem_refresh_all(void);

/* mapped.c: file pages read and written through shared mappings, charged to disk */
void mapped_watch(struct proc *p);
void mapped_on_mmap(struct proc *p, const uint64_t *a, int fd);
void mapped_forget(struct proc *p);
void mapped_thread_exit(struct proc *p);
void mapped_settle_all(void);
void mapped_after_injection(struct proc *p);
bool mapped_gate(struct thread *t, uint64_t id, const struct seccomp_data *d);
/* Pages the helper reads or dirties when it copies out of or into a process's mapping. */
struct mapped_copy { struct proc *p; uint64_t mark[2]; };
struct mapped_copy mapped_copy_begin(struct proc *p);
void mapped_copy_end(const struct mapped_copy *c);

/* inject.c, untrapped.c: untrapped until capped */
void inject_all(void);
int inject_at_stop(struct thread *t);
void inject_on_fork(struct proc *pp, struct proc *np);
int seccomp_filter_count(pid_t pid);
void untrapped_count(void);
void untrapped_count_proc(struct proc *p);
void untrapped_on_close(struct proc *p, const struct user_regs_struct *r);
void untrapped_forget(struct proc *p);
/* udpcount.c: UDP counted by the app's cgroup while untrapped */
void udp_count_start(pid_t app);
const char *udp_count_why_not(void);
const char *udp_count_dir(void);
void udp_count_attach_also(const char *dir);
void udp_count_settle(void);
void udp_count_stop(void);
void udp_count_cleanup(void);

/* cgroup.c */
bool cgroup_set(const char *app, const char *parent);
void cgroup_lift_cap(void);
void cgroup_cleanup(bool engine_gone);
void cgroup_remove_dir(const char *dir);

/* front.c: `interceptor run -- CMD` with the helper before node. Returns in the
 * forked helper (H.control_path set); the caller's process becomes the CLI. */
void front_start(const char *node, const char *cli, char **cmd);
/* the helper has connected: the socket's name and directory go */
void front_connected(void);

/* control.c */
int control_connect(const char *path);
void *control_thread_main(void *arg);
void control_handle_line(char *line, size_t len);
void control_send(const char *line, bool droppable);
void control_flush_blocking(int timeout_ms);
void send_usage(bool force);
void send_hello(void);
void send_tree(const char *ev, pid_t pid, pid_t ppid, char *comm, size_t commcap);
void send_reply(double id, bool ok, const char *err);
void control_engine_lost(void);
void control_on_hangup(void);
bool hangup_for_app_suppressed(void);
void json_escape(char *dst, size_t cap, const char *src);

/* json.c: a flat JSON object (string/number/bool/null values only) */
enum jtype { J_STR, J_NUM, J_BOOL, J_NULL };
struct jfield {
    const char *key;
    int type;
    const char *str;
    double num;
    bool b;
};
#define JSON_MAX_FIELDS 64
/* Parses buf (NUL-terminated, modified in place). Returns field count, or -1
 * with *err set. */
int json_parse_flat(char *buf, struct jfield *out, int max, const char **err);

#endif
