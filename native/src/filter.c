/* filter: the app's seccomp filter (which calls are trapped, on which
 * path) and the category of a trapped call. */
#include "helper.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <stddef.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "seccomp_compat.h"

/* The read/write family: the calls whose bytes rchar/wchar count exactly
 * (I/O windows), and the ones the notification fast path takes. */
static const int rw_calls[] = {
    SYS_read, SYS_write, SYS_pread64, SYS_pwrite64, SYS_readv, SYS_writev,
    SYS_preadv, SYS_pwritev, SYS_preadv2, SYS_pwritev2,
};

static bool in_list(const int *list, size_t n, long nr)
{
    for (size_t i = 0; i < n; i++) if (list[i] == nr) return true;
    return false;
}
#define IN_LIST(list, nr) in_list((list), sizeof (list) / sizeof (list)[0], (nr))

bool rw_family(long nr) { return IN_LIST(rw_calls, nr); }

/* ------------------------------------------------------------------ */
/* seccomp filter                                                      */

/* the send/recv family: the notification path performs them (sockets.c) */
static const int sock_calls[] = { SYS_sendto, SYS_recvfrom, SYS_sendmsg, SYS_recvmsg, SYS_sendmmsg, SYS_recvmmsg };
/* the byte calls between two fds: always the ptrace path */
static const int pipe_calls[] = { SYS_sendfile, SYS_splice, SYS_copy_file_range };
/* The fd-table calls: these change one fd (the argument given), trapped only
 * below FDCACHE_MAX (above, nothing is cached to keep exact), and these are
 * always trapped. */
static const struct { int nr, arg; } fd_target_calls[] = { { SYS_close, 0 }, { SYS_dup2, 1 }, { SYS_dup3, 1 } };
static const int fdtab_always_calls[] = { SYS_close_range, SYS_unshare };

int fd_target_arg(long nr)
{
    for (size_t i = 0; i < sizeof fd_target_calls / sizeof fd_target_calls[0]; i++)
        if (fd_target_calls[i].nr == nr) return fd_target_calls[i].arg;
    return -1;
}
static const int mem_calls[] = { SYS_brk, SYS_mmap, SYS_mremap, SYS_mprotect, SYS_pkey_mprotect };
/* exec: the kernel's reads of the new image count in rchar: settle first */
static const int exec_calls[] = { SYS_execve, SYS_execveat };

/* The filter's RET_TRACE data says the same; deriving it from the number
 * saves a PTRACE_GETEVENTMSG on every stop. */
int category_of(long nr)
{
    if (IN_LIST(rw_calls, nr) || IN_LIST(sock_calls, nr) || IN_LIST(pipe_calls, nr)) return CAT_BYTES;
    if (IN_LIST(fdtab_always_calls, nr) || fd_target_arg(nr) >= 0) return CAT_FDTAB;
    if (IN_LIST(mem_calls, nr)) return CAT_MEM;
    if (IN_LIST(exec_calls, nr)) return CAT_EXEC;
    return 0;
}

/* With unotif, the read/write family goes to the listener (SECCOMP_RET_USER_NOTIF,
 * the fast path, notify.c) and the filter is installed with a new listener.
 * Returns 0 or -1. */
int install_filter(bool unotif)
{
    struct sock_filter f[160];
    int n = 0;
    /* Architecture first: a foreign ABI's numbers mean other calls. */
    f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
    f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0);
    f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
    f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
    /* x32 calls (bit 30) would bypass the x86-64 numbers below: refuse them. */
    f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 0, 1);
    f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS);
    /* io_uring would move bytes without any system call we see. */
    f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_io_uring_setup, 0, 1);
    f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS);
#define ADD_RET(list, ret)                                                                           \
    for (size_t i = 0; i < sizeof list / sizeof list[0]; i++) {                                      \
        f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)list[i], 0, 1);   \
        f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, (ret));                               \
    }
#define ADD(list, cat) ADD_RET(list, SECCOMP_RET_TRACE | (cat))
    /* (the fd is an unsigned int to the kernel: its low 32 bits; a negative
     * one is a huge number, let through to fail with EBADF as natively) */
#define ADD_FD_TARGET(ret)                                                                            \
    for (size_t i = 0; i < sizeof fd_target_calls / sizeof fd_target_calls[0]; i++) {                \
        f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)fd_target_calls[i].nr, 0, 4); \
        f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,                               \
                                              (unsigned)(offsetof(struct seccomp_data, args) + 8 * fd_target_calls[i].arg)); \
        f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, FDCACHE_MAX, 0, 1);          \
        f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);                    \
        f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, (ret));                               \
    }
    if (unotif) {
        ADD_RET(rw_calls, SECCOMP_RET_USER_NOTIF)
    } else {
        ADD(rw_calls, CAT_BYTES)
    }
    if (unotif && H.sock_notif) {
        ADD_RET(sock_calls, SECCOMP_RET_USER_NOTIF)
    } else {
        ADD(sock_calls, CAT_BYTES)
    }
    ADD(pipe_calls, CAT_BYTES)
    if (unotif) {
        /* no exit needed: notify.c decides them from their arguments */
        ADD_RET(fdtab_always_calls, SECCOMP_RET_USER_NOTIF)
        ADD_FD_TARGET(SECCOMP_RET_USER_NOTIF)
        ADD_RET(mem_calls, SECCOMP_RET_USER_NOTIF)
    } else {
        ADD(fdtab_always_calls, CAT_FDTAB)
        ADD_FD_TARGET(SECCOMP_RET_TRACE | CAT_FDTAB)
        ADD(mem_calls, CAT_MEM)
    }
    ADD(exec_calls, CAT_EXEC)
#undef ADD_FD_TARGET
#undef ADD
#undef ADD_RET
    f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    struct sock_fprog prog = { .len = (unsigned short)n, .filter = f };
    /* killable once received: sockets.c answers with data it took off a socket */
    unsigned long flags = unotif ? SECCOMP_FILTER_FLAG_NEW_LISTENER | (H.sock_notif ? SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV : 0) : 0;
    /* SPEC_ALLOW: where the kernel forces speculation mitigations on every
     * seccomp task (spec_store_bypass_disable=seccomp, spectre_v2_user=seccomp:
     * the default before 5.16) the app would run with SSBD and an IBPB on each
     * switch, i.e. slower than natively on every instruction. The filter is a
     * meter, not a sandbox: the app keeps its own speculation settings. */
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags | SECCOMP_FILTER_FLAG_SPEC_ALLOW, &prog) == 0) return 0;
    if (errno != EINVAL) return -1;
    return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog) < 0 ? -1 : 0; /* kernel < 4.17 */
}
