/* What an untrapped process moves (inject.c: launched untrapped, no cap
 * yet), counted at each usage report without a single trap, so that its
 * charts do not go blank:
 *  - disk: the process is watched from its start (and exec) as a process
 *    with shared file mappings is (mapped.c, tracer.c): what the kernel counts to it as read from
 *    storage and dirtied (read_bytes / write_bytes). A read served by the
 *    page cache is not counted, unlike a trapped read call;
 *  - TCP: its sockets, found in /proc/<pid>/fd, each with a meter
 *    (meters.c) counting from the socket's first byte; a duplicate is taken
 *    for the readings only, never kept (a kept one would hold the socket
 *    open past the app's close, delaying its FIN). The calls that close fds
 *    stay trapped (ptrace path): a socket is counted a last time before it
 *    goes, and one opened and closed between two reports is not missed. A
 *    socket the app opened itself counts one byte more (its SYN: tcp_info
 *    cannot tell an active open from an accepted one once it is set up);
 *  - UDP: nothing counts it per socket; the cgroup's counters do where
 *    they can be set up (udpcount.c), else it is not counted;
 *  - memory: read from /proc at every report anyway (memory.c).
 * Under the tracing lock, on the tracer thread. */
#include "helper.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* p's untrapped TCP socket (and the non-TCP ones, meter -1, not looked at again) */
struct usock { int fd; uint64_t ino; int meter; bool seen; };

static struct usock *find(struct proc *p, int fd)
{
    for (int i = 0; i < p->nusocks; i++)
        if (p->usocks[i].fd == fd) return &p->usocks[i];
    return NULL;
}

static void drop(struct proc *p, int i, bool settle)
{
    struct usock *u = &p->usocks[i];
    if (u->meter >= 0) {
        int sock = settle ? dup_socket(p, u->fd) : -1;
        struct stat st;
        if (sock >= 0 && fstat(sock, &st) == 0 && (uint64_t)st.st_ino == u->ino) meter_detach(u->meter, sock);
        else meter_release(u->meter);
        if (sock >= 0) close(sock);
    }
    p->usocks[i] = p->usocks[--p->nusocks];
}

/* A socket fd of p seen now: counted from its first byte, or settled. */
static void count_socket(struct proc *p, int fd, uint64_t ino)
{
    struct usock *u = find(p, fd);
    if (u && u->ino != ino) { drop(p, (int)(u - p->usocks), false); u = NULL; } /* (closed, number reused) */
    if (u && u->meter < 0) { u->seen = true; return; }
    int sock = dup_socket(p, fd);
    if (sock < 0) return;
    struct stat st;
    if (fstat(sock, &st) != 0 || (uint64_t)st.st_ino != ino) { close(sock); return; } /* (changed meanwhile) */
    if (!u) {
        if (p->nusocks == p->cusocks) {
            int cap = p->cusocks ? 2 * p->cusocks : 16;
            struct usock *grown = realloc(p->usocks, (size_t)cap * sizeof *grown);
            if (!grown) { close(sock); return; }
            p->usocks = grown;
            p->cusocks = cap;
        }
        u = &p->usocks[p->nusocks++];
        *u = (struct usock){ .fd = fd, .ino = ino, .meter = meter_attach_from_start(sock) };
    }
    meter_settle(u->meter, sock);
    u->seen = true;
    close(sock);
}

/* Counts every socket of untrapped process p now (also at its exec, for
 * its O_CLOEXEC sockets, and as it exits, before its fds go). */
void untrapped_count_proc(struct proc *p)
{
    char path[64], link[64];
    snprintf(path, sizeof path, "/proc/%d/fd", p->pid);
    DIR *d = opendir(path);
    if (!d) return;
    for (int i = 0; i < p->nusocks; i++) p->usocks[i].seen = false;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        ssize_t n = readlinkat(dirfd(d), e->d_name, link, sizeof link - 1);
        if (n <= 8) continue;
        link[n] = 0;
        if (strncmp(link, "socket:[", 8) != 0) continue;
        count_socket(p, atoi(e->d_name), strtoull(link + 8, NULL, 10));
    }
    closedir(d);
    for (int i = p->nusocks - 1; i >= 0; i--)
        if (!p->usocks[i].seen) drop(p, i, false); /* (gone: its last bytes with it) */
}

/* At each usage report, before the counters are read. */
void untrapped_count(void)
{
    if (!H.untrapped) return;
    udp_count_settle();
    for (struct proc *p = H.procs; p; p = p->next)
        if (p->listener < 0) untrapped_count_proc(p);
}

/* The socket fd names now, 0 if none. */
static uint64_t socket_ino(struct proc *p, int fd)
{
    char path[64], link[64];
    snprintf(path, sizeof path, "/proc/%d/fd/%d", p->pid, fd);
    ssize_t n = readlink(path, link, sizeof link - 1);
    if (n <= 8) return 0;
    link[n] = 0;
    return strncmp(link, "socket:[", 8) ? 0 : strtoull(link + 8, NULL, 10);
}

/* At the seccomp stop of untrapped p's close, dup2, dup3 or close_range (the
 * base filter's ptrace path): the sockets the call closes are counted first,
 * so that a connection opened and closed between two reports is not missed. */
void untrapped_on_close(struct proc *p, const struct user_regs_struct *r)
{
    long nr = (long)r->orig_rax;
    if (nr == SYS_close_range) { untrapped_count_proc(p); return; }
    int target = fd_target_arg(nr);
    if (target < 0) return; /* (unshare) */
    int fd = (int)(target ? r->rsi : r->rdi);
    uint64_t ino = socket_ino(p, fd);
    if (!ino) return;
    count_socket(p, fd, ino);
    struct usock *u = find(p, fd);
    if (u) drop(p, (int)(u - p->usocks), false); /* (settled just now) */
}

/* p's calls are trapped from now on (or p is gone): its sockets are settled
 * a last time and their meters let go (a trapped call on the same socket
 * shares the meter, so nothing is charged twice or lost in between). */
void untrapped_forget(struct proc *p)
{
    while (p->nusocks > 0) drop(p, p->nusocks - 1, true);
    free(p->usocks);
    p->usocks = NULL;
    p->cusocks = 0;
}
