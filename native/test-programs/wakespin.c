/* wakespin MS [write FILE]: sleeps MS milliseconds, then either spins for
 * ever or (with "write FILE") appends one byte to FILE and sleeps for ever.
 * Used to check what a thread that wakes while its tree is stopped can do:
 * computing is caught and stopped, a trapped call waits at its gate. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile unsigned long sink;

int main(int argc, char **argv)
{
    long ms = argc > 1 ? atol(argv[1]) : 100;
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
    if (argc > 3 && !strcmp(argv[2], "write")) {
        int fd = open(argv[3], O_WRONLY | O_APPEND | O_CREAT, 0600);
        if (fd < 0 || write(fd, "x", 1) != 1) return 1;
        for (;;) pause();
    }
    for (;;) sink++;
}
