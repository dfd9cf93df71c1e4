/* memhog MODE CHUNK_MB COUNT: tries COUNT allocations of CHUNK_MB MiB that are
 * made writable and touched; prints "ok K" for the number that succeeded and
 * "alive" afterwards (the app must survive a denied allocation), then exits 0.
 * MODE: mmap   (anonymous private RW mmap)
 *       reserve (one big PROT_NONE reservation, then mprotect RW chunk by chunk,
 *                as Go's and glibc's arenas do)
 *       brk    (sbrk)
 * A 4th argument "hold" keeps the process (and its memory) alive for 60 s.
 *
 * memhog unmetered FILE [grow]: the calls that cannot add to VmData (an mmap
 * that is read-only, shared or a stack; an mprotect that makes nothing
 * writable), which the helper's filter lets through: prints "ready", waits
 * until FILE starts with 'g' (written by the test; polled through a shared
 * mapping and nanosleep, neither trapped), makes them (with "grow", one
 * private writable mmap too, which the broker must see) and writes "done"
 * into FILE, all without a trapped call, so the test can tell whether they
 * waited for a stopped helper. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static int unmetered(const char *file, bool grow)
{
    int fd = open(file, O_RDWR);
    char *mark = fd < 0 ? MAP_FAILED : mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (mark == MAP_FAILED) { printf("setup failed %d\n", errno); return 3; }
    printf("ready\n");
    fflush(stdout);
    const struct timespec tick = { 0, 5 * 1000 * 1000 };
    while (__atomic_load_n(&mark[0], __ATOMIC_ACQUIRE) != 'g') nanosleep(&tick, NULL);
    int bad = 0;
    char *ro = mmap(NULL, 1 << 20, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *shared = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    char *stack = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_GROWSDOWN, -1, 0);
    bad += ro == MAP_FAILED || shared == MAP_FAILED || stack == MAP_FAILED;
    bad += ro != MAP_FAILED && (mprotect(ro, 4096, PROT_NONE) != 0 || mprotect(ro, 4096, PROT_READ | PROT_EXEC) != 0);
    if (grow) bad += mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED;
    memcpy(mark + 1, bad ? "fail" : "done", 4);
    return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc >= 3 && !strcmp(argv[1], "unmetered")) return unmetered(argv[2], argc > 3 && !strcmp(argv[3], "grow"));
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
