/* filter: the app's seccomp filter (which calls are trapped, on which
 * path) and the category of a trapped call. */
#include "helper.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <stddef.h>
#include <sys/mman.h>
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
/* Of these, the filter lets through the ones that cannot add to VmData, the
 * figure the memory broker caps (memory.c: mem_denies returns false for them
 * before looking at anything): an mmap that is not writable, or a stack
 * (MAP_GROWSDOWN), or shared anonymous memory, and an mprotect that does not
 * make pages writable. Shared libraries are mapped and sealed this way: no
 * round trip to the helper. A file mapped shared cannot add to VmData either
 * but is trapped all the same, whatever its prot: it is read, and written
 * once writable, without a call (mapped.c), and a private library mapping is
 * not shared. */
static const int mem_always_calls[] = { SYS_brk, SYS_mremap };
static const int mem_prot_calls[] = { SYS_mprotect, SYS_pkey_mprotect }; /* prot: argument 2 */
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

/* Writes the app's filter into f (FILTER_MAX instructions) and returns its
 * length. With unotif, the read/write family goes to the listener
 * (SECCOMP_RET_USER_NOTIF, the fast path, notify.c), with sock_notif the
 * send/recv family too. traced=false makes every RET_TRACE an ALLOW: the
 * filter of a bare supervisor that traps exactly what the helper's listener
 * gets (native/bench/sysbench.c). */
int build_filter(struct sock_filter *f, bool unotif, bool sock_notif, bool traced)
{
    return build_filter_ex(f, unotif, sock_notif, traced, false, NULL);
}

/* build_filter; base: the filter of an app launched untrapped-until-capped
 * (inject.c), which traps only exec and the calls that close fds (on the
 * ptrace path) and refuses what the full one refuses, so that its byte and
 * memory calls run untouched. With exempt, the filter injected into a running process
 * (inject.c): its close of the listener's copy, made from the vDSO's syscall
 * instruction at exempt->ip (the vDSO itself only ever calls the clock and
 * getcpu there), is let through, so that it needs no answer. */
int build_filter_ex(struct sock_filter *f, bool unotif, bool sock_notif, bool traced, bool base,
                    const struct filter_exempt *exempt)
{
    int n = 0;
    /* Architecture first: a foreign ABI's numbers mean other calls. */
    f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
    f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0);
    f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
    if (exempt) {
        /* (the seccomp_data's instruction pointer is the address after the `syscall`) */
        f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
        f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_close, 0, 5);
        f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, instruction_pointer));
        f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)exempt->ip, 0, 3);
        f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, instruction_pointer) + 4);
        f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)(exempt->ip >> 32), 0, 1);
        f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    }
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
#define TRACE(cat) (traced ? SECCOMP_RET_TRACE | (cat) : SECCOMP_RET_ALLOW)
#define ADD(list, cat) ADD_RET(list, TRACE(cat))
    /* an argument's low 32 bits: an fd, prot or flags are ints to the kernel */
#define LD_ARG_LOW(i) (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (unsigned)(offsetof(struct seccomp_data, args) + 8 * (i)))
    /* (a negative fd is a huge number: let through to fail with EBADF as natively) */
#define ADD_FD_TARGET(ret)                                                                            \
    for (size_t i = 0; i < sizeof fd_target_calls / sizeof fd_target_calls[0]; i++) {                \
        f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)fd_target_calls[i].nr, 0, 4); \
        f[n++] = LD_ARG_LOW(fd_target_calls[i].arg);                                                  \
        f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, FDCACHE_MAX, 0, 1);          \
        f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);                    \
        f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, (ret));                               \
    }
    if (base) {
        /* the calls that close an fd, on the ptrace path (no listener yet):
         * a socket's last bytes are counted before it goes (untrapped.c) */
        ADD(fdtab_always_calls, CAT_FDTAB)
        ADD_FD_TARGET(TRACE(CAT_FDTAB))
        goto exec;
    }
    if (unotif) {
        ADD_RET(rw_calls, SECCOMP_RET_USER_NOTIF)
    } else {
        ADD(rw_calls, CAT_BYTES)
    }
    if (unotif && sock_notif) {
        ADD_RET(sock_calls, SECCOMP_RET_USER_NOTIF)
    } else {
        ADD(sock_calls, CAT_BYTES)
    }
    ADD(pipe_calls, CAT_BYTES)
#define ADD_MEM(ret)                                                                                  \
    ADD_RET(mem_always_calls, (ret))                                                                  \
    for (size_t i = 0; i < sizeof mem_prot_calls / sizeof mem_prot_calls[0]; i++) {                  \
        f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)mem_prot_calls[i], 0, 4); \
        f[n++] = LD_ARG_LOW(2);                                                                       \
        f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, PROT_WRITE, 0, 1);          \
        f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, (ret));                               \
        f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);                    \
    }                                                                                                 \
    /* mmap: a shared file, whatever its prot (mapped.c), or private, writable and not a stack */      \
    f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_mmap, 0, 8);                 \
    f[n++] = LD_ARG_LOW(3);                                                                           \
    f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, MAP_SHARED, 0, 1);              \
    f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, MAP_ANONYMOUS, 4, 3);           \
    f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, MAP_GROWSDOWN, 3, 0);           \
    f[n++] = LD_ARG_LOW(2);                                                                           \
    f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, PROT_WRITE, 0, 1);              \
    f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, (ret));                                    \
    f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    if (unotif) {
        /* no exit needed: notify.c decides them from their arguments */
        ADD_RET(fdtab_always_calls, SECCOMP_RET_USER_NOTIF)
        ADD_FD_TARGET(SECCOMP_RET_USER_NOTIF)
        ADD_MEM(SECCOMP_RET_USER_NOTIF)
    } else {
        ADD(fdtab_always_calls, CAT_FDTAB)
        ADD_FD_TARGET(TRACE(CAT_FDTAB))
        ADD_MEM(TRACE(CAT_MEM))
    }
exec:
    ADD(exec_calls, CAT_EXEC)
#undef ADD_MEM
#undef LD_ARG_LOW
#undef ADD_FD_TARGET
#undef ADD
#undef TRACE
#undef ADD_RET
    f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    return n;
}

/* Installs the app's filter (build_filter, or the base filter), with a new
 * listener if unotif. Returns 0 or -1. */
int install_filter(bool unotif, bool sock_notif, bool base)
{
    struct sock_filter f[FILTER_MAX];
    struct sock_fprog prog = { .len = (unsigned short)build_filter_ex(f, unotif, sock_notif, true, base, NULL), .filter = f };
    if (base) unotif = false;
    /* killable once received: sockets.c answers with data it took off a socket */
    unsigned long flags = unotif ? SECCOMP_FILTER_FLAG_NEW_LISTENER | (sock_notif ? SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV : 0) : 0;
    /* SPEC_ALLOW: where the kernel forces speculation mitigations on every
     * seccomp task (spec_store_bypass_disable=seccomp, spectre_v2_user=seccomp:
     * the default before 5.16) the app would run with SSBD and an IBPB on each
     * switch, i.e. slower than natively on every instruction. The filter is a
     * meter, not a sandbox: the app keeps its own speculation settings. */
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags | SECCOMP_FILTER_FLAG_SPEC_ALLOW, &prog) == 0) return 0;
    if (errno != EINVAL) return -1;
    return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog) < 0 ? -1 : 0; /* kernel < 4.17 */
}
