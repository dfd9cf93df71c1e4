/* Disk I/O without a read or write call: a process that maps a file shared
 * moves its pages by loads and stores, and nothing traps those. rtorrent
 * maps every chunk of its files and receives into them (writes) and sends
 * from them (reads); libtorrent 2.0 (qBittorrent) reads and writes its
 * pieces so. The kernel counts to each task the bytes it fetched from
 * storage (/proc/<pid>/io read_bytes: page faults on a mapping and read
 * calls' cache misses with their readahead) and the page cache pages it
 * dirtied (write_bytes: stores to a mapping and write calls). So once a
 * process maps a file shared (any prot: the filter traps every such mmap;
 * memory.c passes it here; 64 KiB or more, below), for reads and writes alike:
 *  - what read_bytes / write_bytes grew by beyond what its read / write
 *    calls were charged (or may have moved, in flight or not yet settled)
 *    is charged to disk, at each usage report, exec and thread exit, and at
 *    each of its calls below; each sum is a high-water mark, so a page
 *    dirtied by a small write and filled by the next ones is charged once,
 *    and a read call's readahead, read by the next calls, is charged once
 *    (only the readahead ahead of its calls at worst, once: bounded);
 *  - under a disk cap each of its trapped calls (the recv that fills a
 *    mapped chunk, the send from one) first settles and, if the process
 *    moved bytes through a mapping since its last call went on, waits in the
 *    disk queue while the disk credit is spent: its mapped I/O is paced to
 *    the cap, within what one call moves.
 * What the helper itself moves when it performs a recv into or a send from a
 * mapped chunk (sockets.c, under a network cap) the kernel counts to the
 * helper's thread: it is charged from its own counts around the call. A
 * process that moves bytes without ever making a trapped call is charged but
 * not held. A child forked by a watched process inherits its mappings and is
 * watched too (tracer.c). Under the tracing lock. */
#include "helper.h"

#include <signal.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "seccomp_compat.h"

/* (indexed by enum io_dir) */
static const char *const io_bytes[2] = { "read_bytes", "write_bytes" };
static const int counter_of[2] = { C_DISKREAD, C_DISKWRITE };

static bool read_io_bytes(struct proc *p, uint64_t io[2]) { return proc_io_read(&p->iofd, p->pid, 0, 2, io_bytes, io); }

/* A shared file mapping smaller than this does not make a process watched:
 * every program that calls setlocale maps glibc's gconv-modules.cache (27 KB)
 * so, and a watched process's read and write calls count their whole pages
 * and their readahead too (at most once each, but a cold read of 4 KiB can
 * read ahead megabytes). A torrent's piece is 16 KiB at the least, 256 KiB
 * and more as a rule; rtorrent maps whole pieces, libtorrent 2.0 whole
 * files. */
#define MAPPED_WATCH_MIN (64 * 1024)

/* An mmap of p (filter.c traps every one of a file mapped shared): a file
 * mapped shared, whatever its prot (an mprotect may make it writable later),
 * of MAPPED_WATCH_MIN or more, makes p watched. (a: the call's first four
 * arguments; fd: its fifth) */
void mapped_on_mmap(struct proc *p, const uint64_t *a, int fd)
{
    int type = (int)(a[3] & 3);
    if (p && !p->mapped_watched && (type == MAP_SHARED || type == MAP_SHARED_VALIDATE) && !(a[3] & MAP_ANONYMOUS) && fd >= 0 &&
        a[1] >= MAPPED_WATCH_MIN)
        mapped_watch(p);
}

void mapped_watch(struct proc *p)
{
    if (!p || p->mapped_watched) return;
    io_windows_flush(p); /* (its calls so far, all in disk_by_calls: the base must have them) */
    if (!read_io_bytes(p, p->io_base)) {
        static bool logged;
        if (!logged) { logged = true; helper_log("warn", "cannot read /proc/%d/io: its I/O through mapped files goes uncounted", p->pid); }
        return;
    }
    for (int d = 0; d < 2; d++) {
        p->calls_base[d] = p->disk_by_calls[d];
        p->reaped_base[d] = p->reaped_io[d];
        p->mapped_charged[d] = 0;
    }
    p->mapped_watched = true;
}

static void charge_mapped(struct proc *p, int dir, uint64_t bytes)
{
    p->mapped_unpaid = true;
    charge_moved(R_DISK, counter_of[dir], bytes);
}

struct pending { struct proc *p; uint64_t bytes[2]; };

/* Disk read and write calls of a thread of p that the kernel may have done
 * already but that are not in p->disk_by_calls yet: its window's
 * reservations, or its call in flight on the ptrace path (charged at its
 * exit). */
static void add_pending(struct thread *t, void *arg)
{
    struct pending *pd = arg;
    if (t->proc != pd->p) return;
    if (t->win_class == FD_DISK) for (int d = 0; d < 2; d++) pd->bytes[d] += t->win_resv[d];
    if (t->exit_kind == EX_BYTES)
        for (int i = 0; i < t->call.nsides; i++)
            for (int d = 0; d < 2; d++)
                if (t->call.side[i].counter == counter_of[d] && t->call.side[i].reserved) pd->bytes[d] += t->call.want;
}

/* Charges what p read and wrote beyond its calls since the last settlement.
 * Its threads' I/O windows are settled first (flush), unless they just were:
 * an uncapped window's calls are in no count until then. */
static void settle(struct proc *p, bool flush)
{
    uint64_t io[2];
    if (!p->mapped_watched) return;
    if (flush) io_windows_flush(p);
    if (!read_io_bytes(p, io)) return;
    struct pending pd = { p, { 0, 0 } };
    for_each_thread(add_pending, &pd);
    for (int d = 0; d < 2; d++) {
        int64_t beyond = (int64_t)(io[d] - p->io_base[d]) - (int64_t)(p->disk_by_calls[d] + pd.bytes[d] - p->calls_base[d])
                       - (int64_t)(p->reaped_io[d] - p->reaped_base[d]);
        if (beyond <= (int64_t)p->mapped_charged[d]) continue;
        uint64_t extra = (uint64_t)beyond - p->mapped_charged[d];
        p->mapped_charged[d] = (uint64_t)beyond;
        charge_mapped(p, d, extra);
    }
}

/* The calling helper thread's own read_bytes and write_bytes (the
 * notifier's or the tracer's: each keeps its /proc/thread-self/io open). */
static bool own_io_bytes(uint64_t io[2])
{
    static __thread int fd = -1; /* (each thread its own: no lock) */
    return proc_io_read(&fd, 0, 0, 2, io_bytes, io);
}

/* Around a call the helper performs for p (sockets.c) that copies into or
 * out of p's memory: the kernel counts the pages that copy dirties in, or
 * fetches into, a mapped file to the helper, so they are charged to p. */
struct mapped_copy mapped_copy_begin(struct proc *p)
{
    struct mapped_copy c = { NULL, { 0, 0 } };
    if (p && p->mapped_watched && own_io_bytes(c.mark)) c.p = p;
    return c;
}

void mapped_copy_end(const struct mapped_copy *c)
{
    uint64_t io[2];
    if (!c->p || !own_io_bytes(io)) return;
    for (int d = 0; d < 2; d++)
        if (io[d] > c->mark[d]) charge_mapped(c->p, d, io[d] - c->mark[d]);
}

/* p execs or is gone: what it moved so far is charged (if /proc still shows
 * it; its threads' exit stops settle too). */
void mapped_forget(struct proc *p)
{
    settle(p, true);
    if (p->iofd >= 0) close(p->iofd);
    p->iofd = -1;
    p->mapped_watched = false;
}

/* Whether process pid maps a file shared, MAPPED_WATCH_MIN or more at once. */
static bool maps_shared_file(pid_t pid)
{
    char path[64], line[512];
    snprintf(path, sizeof path, "/proc/%d/maps", pid);
    FILE *f = fopen(path, "re");
    if (!f) return true; /* (unknown: stay watched) */
    bool found = false;
    unsigned long lo, hi, ino;
    char perms[8];
    while (!found && fgets(line, sizeof line, f))
        found = sscanf(line, "%lx-%lx %7s %*s %*s %lu", &lo, &hi, perms, &ino) == 4 && perms[3] == 's' && ino != 0 &&
                hi - lo >= MAPPED_WATCH_MIN;
    fclose(f);
    return found;
}

/* p's calls are trapped from now on (inject.c). It was watched because its
 * calls were not; now it stays watched only if it maps a file shared, as a
 * trapped mmap would have made it (a watched process's calls count whole
 * pages and their readahead). */
void mapped_after_injection(struct proc *p)
{
    if (p->mapped_watched && !maps_shared_file(p->pid)) mapped_forget(p);
}

static struct proc *parent_of(const struct proc *p)
{
    for (struct proc *q = H.procs; q; q = q->next) if (q->pid == p->ppid && q != p) return q;
    return NULL;
}

/* A thread of p is exiting (its exit stop): what p moved is charged; and
 * when a watched parent reaps p the kernel adds p's counts (its reaped
 * children's included) to the parent's, bytes the parent did not move: the
 * parent is told now, while /proc still shows p (it may be reaped as soon as
 * the tracer has seen it die), at each thread's exit (the last one's has p's
 * final counts). A parent that ignores SIGCHLD reaps nothing. */
void mapped_thread_exit(struct proc *p)
{
    settle(p, true);
    struct proc *parent = parent_of(p);
    uint64_t io[2], ign, cgt;
    if (!parent || !parent->mapped_watched || !read_io_bytes(p, io)) return;
    if (!proc_sig_masks(parent->pid, &ign, &cgt) || (ign & (1ull << (SIGCHLD - 1)))) return;
    for (int d = 0; d < 2; d++) {
        if (io[d] <= p->io_to_parent[d]) continue;
        parent->reaped_io[d] += io[d] - p->io_to_parent[d];
        p->io_to_parent[d] = io[d];
    }
}

/* (at a usage report, every window just settled) */
void mapped_settle_all(void)
{
    for (struct proc *p = H.procs; p; p = p->next) settle(p, false);
}

/* At a notified call of t (not a memory or fd-table call): under a disk cap,
 * a process that moves bytes through mapped files pays for them, and the
 * call waits while the disk credit is spent. Returns whether the call was
 * held (notif_admit decides it afresh when credit comes). */
bool mapped_gate(struct thread *t, uint64_t id, const struct seccomp_data *d)
{
    struct proc *p = t->proc;
    if (t->held && t->held_mapped) queue_remove(t); /* (this call restarted: it queues afresh) */
    if (!p || !p->mapped_watched || !is_credit(R_DISK)) return false;
    /* t waits in notification id: the flush settles its window as between
     * calls (one read of its counters, not one for it and one for the flush) */
    uint64_t was = t->notif_id;
    t->notif_id = id;
    settle(p, true);
    t->notif_id = was;
    /* only a process that moved bytes through its mappings since it last
     * went on waits here: one whose disk I/O is by calls (qBittorrent's
     * network thread beside its disk thread) is held at those calls, its
     * other threads run on */
    if (!p->mapped_unpaid) return false;
    if (H.cr[R_DISK].credit > 0) {
        p->mapped_unpaid = false;
        return false;
    }
    if (!notif_valid(t, id)) return true;
    if (t->held) queue_remove(t); /* (a restarted call's place: it queues here instead) */
    t->notif_id = id;
    t->notif_data = *d;
    t->held_notif = true;
    t->held_mapped = true;
    queue_hold(t, R_DISK, d->args[2] > 0 && d->args[2] < (1u << 30) ? d->args[2] : 1, true);
    return true;
}
