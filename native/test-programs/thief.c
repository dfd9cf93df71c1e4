/* thief FIFO PERIOD_MS SECONDS HOLD_MS CPU: wakes the epoll waiters of FIFO
 * and takes the event before they can see it — the way Go's runtime steals
 * its blocked netpoller's events with a non-blocking poll from another
 * thread. Run outside the traced tree, pinned to CPU at SCHED_FIFO: every
 * PERIOD_MS it writes a byte, spins HOLD_MS (a waiter pinned to the same CPU
 * is woken but cannot run: runnable, inside its wait), then reads the byte
 * back. Natively the waiter then finds nothing and sleeps on to its own
 * deadline; a supervisor that interrupts it while it is runnable must not
 * cost it that deadline. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
    if (argc < 6) { fprintf(stderr, "usage: thief FIFO PERIOD_MS SECONDS HOLD_MS CPU\n"); return 2; }
    long period_ms = atol(argv[2]), hold_ms = atol(argv[4]);
    double end = now_ms() + atof(argv[3]) * 1e3;
    cpu_set_t cpus;
    CPU_ZERO(&cpus);
    CPU_SET(atoi(argv[5]), &cpus);
    struct sched_param sp = { .sched_priority = 1 };
    if (sched_setaffinity(0, sizeof cpus, &cpus) || sched_setscheduler(0, SCHED_FIFO, &sp)) {
        perror("thief: pinning to a CPU at SCHED_FIFO (needs root or CAP_SYS_NICE)");
        return 2;
    }
    int fd = open(argv[1], O_RDWR | O_NONBLOCK); /* (a FIFO opened read-write never blocks) */
    if (fd < 0) { perror("thief: open"); return 2; }
    printf("ready\n");
    fflush(stdout);
    long thefts = 0;
    char b = 'x';
    while (now_ms() < end) {
        long gap_ms = period_ms - hold_ms;
        struct timespec gap = { gap_ms / 1000, (gap_ms % 1000) * 1000000L };
        nanosleep(&gap, NULL);
        if (write(fd, &b, 1) != 1) { perror("thief: write"); return 1; }
        for (double until = now_ms() + (double)hold_ms; now_ms() < until;) {}
        if (read(fd, &b, 1) != 1) { perror("thief: read (the waiter took the byte)"); return 1; }
        thefts++;
    }
    printf("thefts=%ld\n", thefts);
    return 0;
}
