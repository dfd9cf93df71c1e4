/* Disk writes without a write call: a process that maps a file shared and
 * writable (rtorrent maps every chunk so and receives into it) dirties page
 * cache pages by storing to memory, and nothing traps a store. The kernel
 * counts each page dirtied to the task that dirtied it (/proc/<pid>/io
 * write_bytes, which write calls raise too, by the pages they newly dirty).
 * So for a process that has mapped a file shared and writable (the filter
 * traps such an mmap, and every mprotect that makes memory writable:
 * memory.c passes them to dirty_on_mem_call):
 *  - what write_bytes grew by beyond what its write calls were charged (or
 *    may have written, in flight or not yet settled) is charged to disk, at
 *    each usage report, exec and thread exit, and at each of its calls
 *    below; the sum is a high-water mark, so a page dirtied by a small write
 *    and filled by the next ones is charged once;
 *  - under a disk cap each of its trapped calls (the recv that fills a
 *    mapped chunk, above all) first settles and, if the process stored to a
 *    mapping since its last call went on, waits in the disk queue while the
 *    disk credit is spent: its dirtying is paced to the cap, within what one
 *    call dirties.
 * The pages the helper itself dirties when it performs a recv into a mapped
 * chunk (sockets.c, under a download cap) the kernel counts to the helper's
 * thread: they are charged from its own count around the call. A process
 * that stores without ever making a trapped call is charged but not held.
 * A child forked by such a process inherits its mappings, and is watched
 * too (tracer.c). Under the tracing lock. */
#include "helper.h"

#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "seccomp_compat.h"

static const char *const write_bytes[] = { "write_bytes" };

static bool read_write_bytes(struct proc *p, uint64_t *wb) { return proc_io_read(&p->iofd, p->pid, 0, 1, write_bytes, wb); }

/* A memory call of p (filter.c traps these) that may give it a file mapped
 * shared and writable: an mmap so, or an mprotect that makes one writable;
 * only a process that has mapped a file shared (read-only: the mmap is
 * trapped all the same) pays for looking at its mappings. (a: the call's
 * first four arguments; fd: an mmap's fifth) */
void dirty_on_mem_call(struct proc *p, long nr, const uint64_t *a, int fd)
{
    if (!p || p->maps_shared) return;
    int type = (int)(a[3] & 3);
    if (nr == SYS_mmap && (type == MAP_SHARED || type == MAP_SHARED_VALIDATE) && !(a[3] & MAP_ANONYMOUS) && fd >= 0) {
        if (a[2] & PROT_WRITE) dirty_watch(p);
        else p->maps_shared_ro = true;
    } else if ((nr == SYS_mprotect || nr == SYS_pkey_mprotect) && (a[2] & PROT_WRITE) && p->maps_shared_ro &&
               maps_shared_file(p, a[0], a[0] + a[1])) {
        dirty_watch(p);
    }
}

void dirty_watch(struct proc *p)
{
    if (!p || p->maps_shared) return;
    if (!read_write_bytes(p, &p->wb_base)) {
        static bool logged;
        if (!logged) { logged = true; helper_log("warn", "cannot read /proc/%d/io: its writes through mapped files go uncounted", p->pid); }
        return;
    }
    p->dw_base = p->disk_written;
    p->rw_base = p->reaped_wb;
    p->dirty_charged = 0;
    p->maps_shared = true;
}

static void charge_dirt(struct proc *p, uint64_t bytes)
{
    p->dirty_unpaid = true;
    H.counters[C_DISKWRITE] += bytes;
    if (is_credit(R_DISK)) H.cr[R_DISK].credit -= (int64_t)bytes;
}

struct pending { struct proc *p; uint64_t bytes; };

/* Disk write calls of a thread of p that the kernel may have done already
 * but that are not in p->disk_written yet: its window's reservations, or its
 * call in flight on the ptrace path (charged at its exit). */
static void add_pending(struct thread *t, void *arg)
{
    struct pending *pd = arg;
    if (t->proc != pd->p) return;
    if (t->win_class == FD_DISK) pd->bytes += t->win_resv[1];
    if (t->exit_kind == EX_BYTES)
        for (int i = 0; i < t->call.nsides; i++)
            if (t->call.side[i].counter == C_DISKWRITE && t->call.side[i].reserved) pd->bytes += t->call.want;
}

/* Charges what p dirtied beyond its write calls since the last settlement. */
void dirty_settle(struct proc *p)
{
    uint64_t wb;
    if (!p->maps_shared || !read_write_bytes(p, &wb)) return;
    struct pending pd = { p, 0 };
    for_each_thread(add_pending, &pd);
    int64_t beyond = (int64_t)(wb - p->wb_base) - (int64_t)(p->disk_written + pd.bytes - p->dw_base)
                   - (int64_t)(p->reaped_wb - p->rw_base);
    if (beyond <= (int64_t)p->dirty_charged) return;
    uint64_t extra = (uint64_t)beyond - p->dirty_charged;
    p->dirty_charged = (uint64_t)beyond;
    charge_dirt(p, extra);
}

/* The calling helper thread's own write_bytes (the notifier's or the
 * tracer's: each keeps its /proc/thread-self/io open). */
static bool own_write_bytes(uint64_t *wb)
{
    static __thread int fd = -1; /* (each thread its own: no lock) */
    return proc_io_read(&fd, 0, 0, 1, write_bytes, wb);
}

/* Around a call the helper performs for p (sockets.c) that copies into p's
 * memory: the kernel counts the pages that copy dirties in a mapped file to
 * the helper, so they are charged to p here. */
struct dirty_copy dirty_copy_begin(struct proc *p, bool into_app)
{
    struct dirty_copy c = { NULL, 0 };
    if (p && p->maps_shared && into_app && own_write_bytes(&c.mark)) c.p = p;
    return c;
}

void dirty_copy_end(const struct dirty_copy *c)
{
    uint64_t wb;
    if (!c->p || !own_write_bytes(&wb) || wb <= c->mark) return;
    charge_dirt(c->p, wb - c->mark);
}

/* p execs or is gone: what it dirtied so far is charged (if /proc still shows it;
 * its threads' exit stops settle too). */
void dirty_forget(struct proc *p)
{
    dirty_settle(p);
    if (p->iofd >= 0) close(p->iofd);
    p->iofd = -1;
    p->maps_shared = p->maps_shared_ro = false;
}

static struct proc *parent_of(const struct proc *p)
{
    for (struct proc *q = H.procs; q; q = q->next) if (q->pid == p->ppid && q != p) return q;
    return NULL;
}

/* A thread of p is exiting (its exit stop): what p dirtied is charged; and
 * when a watched parent reaps p the kernel adds p's write_bytes (its reaped
 * children's included) to the parent's, pages the parent did not dirty: the
 * parent is told now, while /proc still shows p (it may be reaped as soon as
 * the tracer has seen it die), at each thread's exit (the last one's has p's
 * final count). A parent that ignores SIGCHLD reaps nothing. */
void dirty_thread_exit(struct proc *p)
{
    dirty_settle(p);
    struct proc *parent = parent_of(p);
    uint64_t wb, ign, cgt;
    if (!parent || !parent->maps_shared || !read_write_bytes(p, &wb) || wb <= p->wb_to_parent) return;
    if (!proc_sig_masks(parent->pid, &ign, &cgt) || (ign & (1ull << (SIGCHLD - 1)))) return;
    parent->reaped_wb += wb - p->wb_to_parent;
    p->wb_to_parent = wb;
}

void dirty_settle_all(void)
{
    for (struct proc *p = H.procs; p; p = p->next) dirty_settle(p);
}

/* At a notified call of t (not a memory or fd-table call): under a disk cap,
 * a process that writes through mapped files pays for what it dirtied, and
 * the call waits while the disk credit is spent. Returns whether the call
 * was held (notif_admit decides it afresh when credit comes). */
bool dirty_gate(struct thread *t, uint64_t id, const struct seccomp_data *d)
{
    struct proc *p = t->proc;
    if (t->held && t->held_dirty) queue_remove(t); /* (this call restarted: it queues afresh) */
    if (!p || !p->maps_shared || !is_credit(R_DISK)) return false;
    if (t->win_class != FD_UNKNOWN) window_settle(t, WS_IDLE); /* (its own writes first) */
    dirty_settle(p);
    /* only a process that stored to its mappings since it last went on
     * waits here: a process that writes with calls (qBittorrent maps its
     * files too) is held at those calls, its other threads run on */
    if (!p->dirty_unpaid) return false;
    if (H.cr[R_DISK].credit > 0) {
        p->dirty_unpaid = false;
        return false;
    }
    if (ioctl(H.notif_fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) != 0) return true;
    if (t->held) queue_remove(t); /* (a restarted call's place: it queues here instead) */
    t->notif_id = id;
    t->notif_data = *d;
    t->held_notif = true;
    t->held_dirty = true;
    queue_hold(t, R_DISK, d->args[2] > 0 && d->args[2] < (1u << 30) ? d->args[2] : 1, true);
    return true;
}
