/* sockfds: what the app's close, dup2, dup3, close_range, exec, exit and
 * unshare do to its sockets must be the same natively and under the helper,
 * which keeps duplicates of the sockets it performs calls on (a duplicate
 * kept too long would hold a closed socket open: no EOF for the peer, an
 * epoll set still reporting it, a reused fd number sending to the old peer).
 * Each socket moves a byte first, so that the helper holds its duplicate.
 * One line per check, compared with the native run by the test. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/close_range.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "loopback.h"

#define TIMEOUT (-1000L)

/* recv on fd within ms: bytes, 0 at EOF, -1 with errno, or TIMEOUT */
static long recv_within(int fd, int ms)
{
    char buf[16];
    struct pollfd p = { .fd = fd, .events = POLLIN };
    if (poll(&p, 1, ms) == 0) return TIMEOUT;
    return recv(fd, buf, sizeof buf, 0);
}

static void show(const char *what, long r)
{
    if (r == TIMEOUT) printf("%s = timeout\n", what);
    else step(what, r);
    fflush(stdout);
}

/* a connected pair that has moved a byte each way */
static void used_pair(int *a, int *b)
{
    char c;
    tcp_pair(AF_INET, a, b);
    if (send(*a, "a", 1, 0) != 1 || recv(*b, &c, 1, 0) != 1 || send(*b, "b", 1, 0) != 1 || recv(*a, &c, 1, 0) != 1) {
        perror("used_pair");
        exit(2);
    }
}

static void after_close(void)
{
    int a, b;
    used_pair(&a, &b);
    close(a);
    show("close: the peer reads", recv_within(b, 1000));
    close(b);
}

static void epoll_after_close(void)
{
    int a, b, ep = epoll_create1(0);
    used_pair(&a, &b);
    struct epoll_event ev = { .events = EPOLLIN, .data.fd = b };
    epoll_ctl(ep, EPOLL_CTL_ADD, b, &ev);
    close(b); /* without EPOLL_CTL_DEL: the set forgets it once the socket is closed */
    send(a, "x", 1, 0);
    show("epoll: events of a closed socket", epoll_wait(ep, &ev, 1, 200));
    close(a);
    close(ep);
}

/* Fd `number` of pair (number, b) now names socket c of pair (c, d), by
 * dup2, dup3 or reuse after a close: a send on it reaches d, and b reads EOF. */
enum how { BY_DUP2, BY_DUP3, BY_REUSE };
static void renamed(enum how how)
{
    int number, b, c, d;
    used_pair(&number, &b);
    used_pair(&c, &d);
    if (how == BY_DUP2) step("dup2 over a socket", dup2(c, number) == number ? 0 : -1);
    if (how == BY_DUP3) step("dup3 over a socket", dup3(c, number, O_CLOEXEC) == number ? 0 : -1);
    if (how == BY_REUSE) {
        close(number);
        step("a closed number reused", fcntl(c, F_DUPFD, number) == number ? 0 : -1);
    }
    send(number, "n", 1, MSG_DONTWAIT);
    show("  the new peer reads", recv_within(d, 1000));
    show("  the old peer reads", recv_within(b, 1000));
    close(number);
    close(b);
    close(c);
    close(d);
}

static void after_close_range(void)
{
    int a, b;
    used_pair(&a, &b);
    step("close_range", syscall(SYS_close_range, a, a, 0));
    show("  the peer reads", recv_within(b, 1000));
    close(b);
}

/* A child moves a byte on its copy of the socket, then execs (the socket is
 * O_CLOEXEC) or exits: the parent, which closed its copy, reads EOF. */
static void child_then(bool exec)
{
    int a, b;
    used_pair(&a, &b);
    fcntl(a, F_SETFD, FD_CLOEXEC);
    pid_t pid = fork();
    if (pid == 0) {
        close(b);
        send(a, "c", 1, 0);
        if (exec) execl("/bin/sleep", "sleep", "5", (char *)NULL);
        _exit(0);
    }
    close(a);
    show(exec ? "exec: the child's byte" : "exit: the child's byte", recv_within(b, 2000));
    show("  then", recv_within(b, 1000));
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    close(b);
}

/* A thread unshares the fd table and puts another socket at a's number in its
 * copy: its sends go to the new peer, the main thread's to the old one. */
static int ua, ud_c;
static void *unsharer(void *arg)
{
    (void)arg;
    step("unshare(CLONE_FILES)", unshare(CLONE_FILES));
    dup2(ud_c, ua);
    send(ua, "t", 1, MSG_DONTWAIT); /* (a blocking stream send runs natively) */
    return NULL;
}

static void after_unshare(void)
{
    int b, d;
    used_pair(&ua, &b);
    used_pair(&ud_c, &d);
    pthread_t th;
    pthread_create(&th, NULL, unsharer, NULL);
    pthread_join(th, NULL);
    send(ua, "m", 1, MSG_DONTWAIT);
    show("  the thread's peer reads", recv_within(d, 1000));
    show("  the main thread's peer reads", recv_within(b, 1000));
    show("  then", recv_within(d, 200));
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    signal(SIGPIPE, SIG_IGN);
    alarm(30); /* a socket held open too long can leave a read waiting for ever */
    after_close();
    epoll_after_close();
    renamed(BY_DUP2);
    renamed(BY_DUP3);
    renamed(BY_REUSE);
    after_close_range();
    child_then(true);
    child_then(false);
    after_unshare();
    return 0;
}
