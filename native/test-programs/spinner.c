/* spinner [THREADS]: THREADS threads (default 4, including main) burn CPU
 * forever; used to check CPU stop/continue by the tree's CPU time. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static volatile unsigned long sink;

static void *spin(void *arg)
{
    (void)arg;
    for (;;) sink++;
    return NULL;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 4;
    if (n < 1 || n > 256) return 2;
    for (int i = 1; i < n; i++) {
        pthread_t t;
        if (pthread_create(&t, NULL, spin, NULL) != 0) return 3;
    }
    spin(NULL);
    return 0;
}
