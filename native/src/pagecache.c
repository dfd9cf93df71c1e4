/* pagecache: whether a read call on a file would be served from the page
 * cache. A disk read is charged what the kernel read from storage for it
 * (read_bytes), so a read the cache serves costs nothing; but with the disk
 * credit spent it used to be held like any other until a grant came, and an
 * app that only re-reads what it has cached (its own pieces, its database)
 * waited for a disk it does not use. Asked only when the credit is spent,
 * so its few calls (a duplicate of the app's fd, fstat, cachestat) cost
 * nothing on the fast path. A page evicted between the answer and the read
 * is read from storage and charged after the call as any read is (the
 * credit then goes into debt by at most that call). Under the tracing lock. */
#include "helper.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_cachestat
#define SYS_cachestat 451 /* Linux 6.5 */
#endif

/* (the kernel's struct cachestat_range and struct cachestat) */
struct cache_range { uint64_t off, len; };
struct cache_stat { uint64_t nr_cache, nr_dirty, nr_writeback, nr_evicted, nr_recently_evicted; };

/* Call nr of process p reads up to want bytes of its fd: true if every page
 * it would read is in the page cache (or it reads at or past the end of the
 * file: nothing). offset: the call's offset argument (pread64, preadv,
 * preadv2; -1 for preadv2 means the file position, as read and readv use).
 * False whenever it cannot tell (not a regular file, O_DIRECT, the fd not
 * to be had, a kernel without cachestat): the call is held as before. */
bool read_is_cached(struct proc *p, int nr, int fd, int64_t offset, uint64_t want)
{
    static long page;
    if (!page) page = sysconf(_SC_PAGESIZE);
    /* (pidfd_getfd reads the leader's table: it must be the caller's too) */
    if (!p || (p->fdt && p->fdt->diverged)) return false;
    int dup = dup_socket(p, fd);
    if (dup < 0) return false;
    bool cached = false;
    struct stat st;
    int flags = fcntl(dup, F_GETFL);
    if (fstat(dup, &st) == 0 && S_ISREG(st.st_mode) && flags >= 0 && !(flags & O_DIRECT)) {
        bool positional = nr == SYS_pread64 || nr == SYS_preadv || (nr == SYS_preadv2 && offset != -1);
        /* (the duplicate shares the app's open file, and so its position) */
        int64_t pos = positional ? offset : lseek(dup, 0, SEEK_CUR);
        uint64_t size = (uint64_t)st.st_size;
        if (pos >= 0) {
            uint64_t start = (uint64_t)pos, end = start + want < start || start + want > size ? size : start + want;
            if (start >= end) {
                cached = true;
            } else {
                uint64_t first = start / (uint64_t)page, pages = (end - 1) / (uint64_t)page - first + 1;
                struct cache_range range = { first * (uint64_t)page, pages * (uint64_t)page };
                struct cache_stat cs;
                cached = syscall(SYS_cachestat, dup, &range, &cs, 0) == 0 && cs.nr_cache >= pages;
            }
        }
    }
    close(dup);
    return cached;
}
