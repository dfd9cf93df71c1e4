/* spinner [THREADS] [leader-exits]: THREADS threads (default 4, including
 * main) burn CPU forever; used to check CPU stop/continue by the tree's CPU
 * time. With "leader-exits" the main thread leaves with pthread_exit (a
 * zombie leader) and the others spin on. With "thread-exec CMD ARGS..." a
 * second thread execs CMD while the main thread spins (non-leader exec). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile unsigned long sink;

static void *spin(void *arg)
{
    (void)arg;
    for (;;) sink++;
    return NULL;
}

static char **exec_argv;

static void *exec_thread(void *arg)
{
    (void)arg;
    usleep(100000);
    execv(exec_argv[0], exec_argv);
    _exit(127);
}

int main(int argc, char **argv)
{
    if (argc > 3 && !strcmp(argv[2], "thread-exec")) {
        pthread_t t;
        exec_argv = argv + 3;
        if (pthread_create(&t, NULL, exec_thread, NULL) != 0) return 3;
        spin(NULL);
    }
    int n = argc > 1 ? atoi(argv[1]) : 4;
    if (n < 1 || n > 256) return 2;
    for (int i = 1; i < n; i++) {
        pthread_t t;
        if (pthread_create(&t, NULL, spin, NULL) != 0) return 3;
    }
    if (argc > 2 && !strcmp(argv[2], "leader-exits")) {
        pthread_t t;
        if (pthread_create(&t, NULL, spin, NULL) != 0) return 3;
        pthread_exit(NULL);
    }
    spin(NULL);
    return 0;
}
