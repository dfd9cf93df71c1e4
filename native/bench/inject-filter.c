/* inject-filter: the first step of docs/untrapped-until-capped.md, checked on
 * a real process and timed. A child with three threads (each a nanosleep and
 * a write(-1) every 20 ms) and a main thread blocked in read() on a pipe runs
 * with no filter; the tracer then, from one interrupt-stop of the main
 * thread: writes a filter (write -> USER_NOTIF) below its stack, makes it
 * call seccomp(SET_MODE_FILTER, NEW_LISTENER | TSYNC | TSYNC_ESRCH), takes
 * the listener with pidfd_getfd, makes it close its own copy, and restores it
 * (its interrupted read restarts). It then answers notifications for a second
 * and reports: the injection's time, which threads were notified (all four
 * must be: TSYNC), whether the read returned the byte fed to it, whether the
 * app's copy of the listener is gone. Exit status 0 only if all hold.
 * Usage: make -C native bench && native/build/bench/inject-filter */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef SECCOMP_FILTER_FLAG_TSYNC_ESRCH
#define SECCOMP_FILTER_FLAG_TSYNC_ESRCH (1UL << 4) /* Linux 5.7: TSYNC with a listener */
#endif

static void die(const char *what)
{
    perror(what);
    exit(2);
}

static double now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

/* ---- the app ---- */

static void *writer(void *arg)
{
    (void)arg;
    for (;;) {
        struct timespec ts = { 0, 20 * 1000 * 1000 };
        nanosleep(&ts, NULL);
        if (write(-1, "x", 1) >= 0) abort(); /* (EBADF: only the call matters) */
    }
    return NULL;
}

/* Its main thread reads one byte from stdin, says what read returned on
 * fd 3, and waits to be killed. */
static void app(void)
{
    for (int i = 0; i < 3; i++) {
        pthread_t t;
        if (pthread_create(&t, NULL, writer, NULL)) _exit(3);
    }
    char c, line[64];
    ssize_t r = read(0, &c, 1);
    int n = snprintf(line, sizeof line, "read %zd %d\n", r, r < 0 ? errno : 0);
    if (write(3, line, (size_t)n) != n) _exit(3);
    for (;;) pause();
}

/* ---- the tracer ---- */

/* Runs the stopped thread from its registers r to the exit of the system
 * call at r.rip; returns the call's result. */
static long run_call(pid_t pid, struct user_regs_struct r)
{
    int st;
    r.orig_rax = (unsigned long long)-1; /* (no restart fix-up of these registers on resume) */
    if (ptrace(PTRACE_SETREGS, pid, 0, &r)) die("PTRACE_SETREGS");
    for (int stop = 0; stop < 2; stop++) { /* to its entry, then to its exit */
        if (ptrace(PTRACE_SYSCALL, pid, 0, 0)) die("PTRACE_SYSCALL");
        if (waitpid(pid, &st, __WALL) != pid || !WIFSTOPPED(st)) die("waitpid");
    }
    if (ptrace(PTRACE_GETREGS, pid, 0, &r)) die("PTRACE_GETREGS");
    return (long)r.rax;
}

int main(void)
{
    int in[2], report[2];
    if (pipe(in) || pipe(report)) die("pipe");
    pid_t pid = fork();
    if (pid < 0) die("fork");
    if (pid == 0) {
        if (dup2(in[0], 0) < 0 || dup2(report[1], 3) < 0) _exit(3);
        app();
    }
    close(in[0]);
    close(report[1]);
    usleep(200 * 1000); /* its threads are up; the main thread sleeps in read */

    double t0 = now_us();
    int st;
    if (ptrace(PTRACE_SEIZE, pid, 0, 0)) die("PTRACE_SEIZE");
    if (ptrace(PTRACE_INTERRUPT, pid, 0, 0)) die("PTRACE_INTERRUPT");
    if (waitpid(pid, &st, __WALL) != pid) die("waitpid");
    struct user_regs_struct saved;
    if (ptrace(PTRACE_GETREGS, pid, 0, &saved)) die("PTRACE_GETREGS");
    /* it was stopped in its read: the `syscall` instruction is just before rip */
    unsigned char insn[2];
    struct iovec here = { insn, 2 }, there = { (void *)(saved.rip - 2), 2 };
    if (process_vm_readv(pid, &here, 1, &there, 1, 0) != 2 || insn[0] != 0x0f || insn[1] != 0x05) {
        fprintf(stderr, "inject-filter: no syscall instruction before rip\n");
        return 2;
    }
    struct {
        struct sock_fprog prog;
        struct sock_filter f[4];
    } blob = { .f = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_write, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    } };
    /* below the stack pointer, past the 128-byte red zone */
    unsigned long at = (saved.rsp - 128 - sizeof blob - 64) & ~15ul;
    blob.prog.len = 4;
    blob.prog.filter = (struct sock_filter *)(at + offsetof(__typeof__(blob), f));
    here = (struct iovec){ &blob, sizeof blob };
    there = (struct iovec){ (void *)at, sizeof blob };
    if (process_vm_writev(pid, &here, 1, &there, 1, 0) != (ssize_t)sizeof blob) die("process_vm_writev");

    struct user_regs_struct r = saved;
    r.rip = saved.rip - 2;
    r.rax = SYS_seccomp;
    r.rdi = SECCOMP_SET_MODE_FILTER;
    r.rsi = SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
    r.rdx = at;
    long app_fd = run_call(pid, r);
    if (app_fd < 0) {
        fprintf(stderr, "inject-filter: seccomp in the app failed: %s\n", strerror((int)-app_fd));
        return 1;
    }
    int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    int listener = pidfd < 0 ? -1 : (int)syscall(SYS_pidfd_getfd, pidfd, (int)app_fd, 0);
    if (listener < 0) die("pidfd_getfd");
    r = saved;
    r.rip = saved.rip - 2;
    r.rax = SYS_close;
    r.rdi = (unsigned long long)app_fd;
    long closed = run_call(pid, r);
    /* back as it was; the read our interrupt broke (-ERESTARTSYS) runs again */
    long err = -(long long)saved.rax;
    if ((long long)saved.orig_rax >= 0 && err >= 512 && err <= 514) {
        saved.rax = saved.orig_rax;
        saved.rip -= 2;
    }
    saved.orig_rax = (unsigned long long)-1;
    if (ptrace(PTRACE_SETREGS, pid, 0, &saved) || ptrace(PTRACE_CONT, pid, 0, 0)) die("restore");
    double took = now_us() - t0;

    char fdlink[64], target[64];
    snprintf(fdlink, sizeof fdlink, "/proc/%d/fd/%ld", pid, app_fd);
    bool app_copy_gone = closed == 0 && readlink(fdlink, target, sizeof target) < 0;

    /* answer for a second; feed the read halfway */
    pid_t tids[8];
    int calls[8] = { 0 }, ntids = 0;
    double end = now_us() + 1e6;
    bool fed = false;
    while (now_us() < end) {
        if (!fed && now_us() > end - 5e5) fed = write(in[1], "a", 1) == 1;
        struct seccomp_notif n;
        memset(&n, 0, sizeof n);
        if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &n)) {
            if (errno == ENOENT || errno == EINTR) continue; /* (a call gone before we took it) */
            die("SECCOMP_IOCTL_NOTIF_RECV");
        }
        int k = 0;
        while (k < ntids && tids[k] != (pid_t)n.pid) k++;
        if (k == ntids && ntids < 8) tids[ntids++] = (pid_t)n.pid;
        if (k < 8) calls[k]++;
        struct seccomp_notif_resp resp = { .id = n.id, .flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE };
        if (ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp) && errno != ENOENT) die("SECCOMP_IOCTL_NOTIF_SEND");
    }
    char line[64] = "";
    ssize_t got = read(report[0], line, sizeof line - 1);
    line[got > 0 ? got : 0] = 0;
    kill(pid, SIGKILL);
    waitpid(pid, &st, __WALL);

    bool read_ok = !strcmp(line, "read 1 0\n");
    printf("injected in %.0f us (interrupt, filter, listener, close, restore)\n", took);
    printf("threads notified: %d of 4 (calls:", ntids);
    for (int k = 0; k < ntids; k++) printf(" %d", calls[k]);
    printf(")\nthe interrupted read: %s", line[0] ? line : "no report\n");
    printf("the app's copy of the listener: %s\n", app_copy_gone ? "closed" : "still open");
    return ntids == 4 && read_ok && app_copy_gone ? 0 : 1;
}
