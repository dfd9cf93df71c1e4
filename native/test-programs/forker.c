/* forker PATH N: forks N children as fast as it can (every 4th child forks a
 * grandchild, every 8th starts a thread); every process writes exactly 100
 * bytes to PATH (O_APPEND) and exits. A tracer that misses any descendant
 * under-counts PATH's 100*(N + N/4) bytes. Exit 0 when all were reaped. */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int fd;
static char buf[100];

static void *thread_write(void *arg)
{
    (void)arg;
    if (write(fd, buf, sizeof buf) != (ssize_t)sizeof buf) _exit(5);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 3) return 2;
    int n = atoi(argv[2]);
    memset(buf, 'x', sizeof buf);
    fd = open(argv[1], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) return 3;
    for (int i = 0; i < n; i++) {
        pid_t p = fork();
        if (p < 0) return 4;
        if (p == 0) {
            if (i % 8 == 0) {
                /* the write happens on a fresh thread of the child */
                pthread_t t;
                if (pthread_create(&t, NULL, thread_write, NULL) != 0) _exit(6);
                pthread_join(t, NULL);
            } else if (write(fd, buf, sizeof buf) != (ssize_t)sizeof buf) _exit(5);
            if (i % 4 == 0) {
                pid_t g = fork();
                if (g == 0) {
                    if (write(fd, buf, sizeof buf) != (ssize_t)sizeof buf) _exit(5);
                    _exit(0);
                }
                int st;
                if (g < 0 || waitpid(g, &st, 0) != g || !WIFEXITED(st) || WEXITSTATUS(st)) _exit(7);
            }
            _exit(0);
        }
    }
    int bad = 0, st;
    pid_t w;
    while ((w = wait(&st)) > 0)
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) bad++;
    return bad ? 1 : 0;
}
