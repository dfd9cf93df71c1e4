/* memhog MODE CHUNK_MB COUNT: tries COUNT allocations of CHUNK_MB MiB that are
 * made writable and touched; prints "ok K" for the number that succeeded and
 * "alive" afterwards (the app must survive a denied allocation), then exits 0.
 * MODE: mmap   (anonymous private RW mmap)
 *       reserve (one big PROT_NONE reservation, then mprotect RW chunk by chunk,
 *                as Go's and glibc's arenas do)
 *       brk    (sbrk)
 * A 4th argument "hold" keeps the process (and its memory) alive for 60 s. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 4) return 2;
    const char *mode = argv[1];
    size_t chunk = (size_t)atol(argv[2]) << 20;
    int count = atoi(argv[3]), ok = 0, err = 0;
    char *base = NULL;
    if (!strcmp(mode, "reserve")) {
        base = mmap(NULL, chunk * (size_t)count, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (base == MAP_FAILED) { printf("reserve failed %d\n", errno); return 3; }
    }
    for (int i = 0; i < count; i++) {
        char *p;
        if (!strcmp(mode, "mmap")) {
            p = mmap(NULL, chunk, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            if (p == MAP_FAILED) { err = errno; break; }
        } else if (!strcmp(mode, "reserve")) {
            p = base + chunk * (size_t)i;
            if (mprotect(p, chunk, PROT_READ | PROT_WRITE) != 0) { err = errno; break; }
        } else {
            p = sbrk((intptr_t)chunk);
            if (p == (void *)-1) { err = errno; break; }
        }
        memset(p, 1, chunk);
        ok++;
    }
    printf("ok %d errno %d\n", ok, err);
    /* still alive and able to allocate small things */
    char *small = malloc(100);
    if (!small) return 4;
    printf("alive\n");
    fflush(stdout);
    if (argc > 4 && !strcmp(argv[4], "hold")) sleep(60);
    return 0;
}
