/* UDP counted while the app is untrapped (inject.c, untrapped.c): no
 * per-socket byte counter exists for UDP (uTP, DHT, QUIC), so the app runs
 * in a cgroup v2 directory of its own, and two cgroup_skb programs on it add
 * the UDP payload of every datagram its sockets send and receive to a map
 * the helper reads at each usage report. A socket belongs to the cgroup of
 * the process that created it, for good: moving the app elsewhere later
 * (the engine's CPU cgroup) loses none of the sockets it had.
 *
 * Needs a cgroup v2 hierarchy (a hybrid system's /sys/fs/cgroup/unified
 * will do: no controller has to be enabled) and the right to load BPF
 * programs (root). Without them UDP is not counted while untrapped, and the
 * hello says why. Once a cap comes and the byte calls are trapped,
 * each call counts its own bytes: the counters are settled a last time when
 * the first process gets the full filter (inject.c) and the programs
 * detached.
 *
 * Payload = the datagram's length (from its IP header on) less the IPv4
 * header (its IHL) or a 40-byte IPv6 header, less 8 for UDP; an IPv6
 * datagram behind extension headers is not counted. A GSO send is one
 * datagram of many segments' payload here, and fragments are seen whole
 * (before fragmenting on the way out, after reassembly on the way in), so
 * the sum is what the app's calls moved; a datagram the socket then drops
 * (its receive buffer full) was counted. Under the tracing lock. */
#include "helper.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#define DIR_PREFIX "interceptor-udp-"
enum { KEY_UP = 0, KEY_DOWN = 1 };

static struct {
    bool active;
    char dir[1024];   /* the app's cgroup (kept after a stop: the engine moves it back here) */
    int cgroup_fd, map_fd, prog_fd[2];
    int also_fd;      /* the engine's CPU cgroup for the app, when it is a cgroup v2 one */
    uint64_t seen[2]; /* the map's counts at the last settlement */
    char why[300];    /* why counting could not start (PROTOCOL.md `hello`) */
    bool private_mount; /* dir is in the helper's own mount namespace: no path the engine could use */
} U = { .cgroup_fd = -1, .map_fd = -1, .prog_fd = { -1, -1 }, .also_fd = -1 };

static long sys_bpf(int cmd, union bpf_attr *attr)
{
    return syscall(SYS_bpf, cmd, attr, sizeof *attr);
}

/* eBPF instructions (the kernel's filter.h macros are not exported) */
#define INSN(c, d, s, o, i) ((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })
#define MOV_REG(d, s) INSN(BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0)
#define MOV_IMM(d, i) INSN(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, i)
#define ALU_IMM(op, d, i) INSN(BPF_ALU64 | (op) | BPF_K, d, 0, 0, i)
#define SUB_REG(d, s) INSN(BPF_ALU64 | BPF_SUB | BPF_X, d, s, 0, 0)
#define LDX(size, d, s, o) INSN(BPF_LDX | BPF_MEM | (size), d, s, o, 0)
#define ST_IMM(size, d, o, i) INSN(BPF_ST | BPF_MEM | (size), d, 0, o, i)
#define JMP_IMM(op, d, i, o) INSN(BPF_JMP | (op) | BPF_K, d, 0, o, i)
#define JA(o) INSN(BPF_JMP | BPF_JA, 0, 0, o, 0)
#define CALL(f) INSN(BPF_JMP | BPF_CALL, 0, 0, 0, f)
#define EXIT() INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)
#define ATOMIC_ADD64(d, s) INSN(BPF_STX | BPF_XADD | BPF_DW, d, s, 0, 0) /* (BPF_ATOMIC + BPF_ADD in newer headers) */

/* One program per direction (key: which counter). r6 = skb, r7 = payload
 * bytes; r2 = the transport protocol, r3 = the IP header's length. Every
 * path ends at ALLOW (38): return 1, the datagram goes on untouched.
 * (Jump offsets count from the next instruction.) */
static int load_program(int map_fd, int key)
{
    enum { ETH_IP_BE = 0x0008, ETH_IPV6_BE = 0xDD86, UDP = 17 };
    struct bpf_insn prog[] = {
        /*  0 */ MOV_REG(6, 1),
        /*  1 */ LDX(BPF_W, 7, 6, offsetof(struct __sk_buff, len)),
        /*  2 */ LDX(BPF_W, 2, 6, offsetof(struct __sk_buff, protocol)),
        /*  3 */ JMP_IMM(BPF_JEQ, 2, ETH_IP_BE, 11),     /* -> 15 IPv4 */
        /*  4 */ JMP_IMM(BPF_JNE, 2, ETH_IPV6_BE, 33),   /* -> 38 ALLOW */
        /* IPv6: its next header (byte 6) into the stack at r10-8 */
        /*  5 */ MOV_REG(1, 6), MOV_IMM(2, 6), MOV_REG(3, 10), ALU_IMM(BPF_ADD, 3, -8), MOV_IMM(4, 1),
        /* 10 */ CALL(BPF_FUNC_skb_load_bytes),
        /* 11 */ JMP_IMM(BPF_JNE, 0, 0, 26),             /* -> 38 ALLOW */
        /* 12 */ LDX(BPF_B, 2, 10, -8),
        /* 13 */ MOV_IMM(3, 40),
        /* 14 */ JA(11),                                 /* -> 26 CHECK */
        /* IPv4: its first 10 bytes at r10-16: the IHL (byte 0), the protocol (byte 9) */
        /* 15 */ MOV_REG(1, 6), MOV_IMM(2, 0), MOV_REG(3, 10), ALU_IMM(BPF_ADD, 3, -16), MOV_IMM(4, 10),
        /* 20 */ CALL(BPF_FUNC_skb_load_bytes),
        /* 21 */ JMP_IMM(BPF_JNE, 0, 0, 16),             /* -> 38 ALLOW */
        /* 22 */ LDX(BPF_B, 2, 10, -7),
        /* 23 */ LDX(BPF_B, 3, 10, -16),
        /* 24 */ ALU_IMM(BPF_AND, 3, 0x0f),
        /* 25 */ ALU_IMM(BPF_LSH, 3, 2),
        /* CHECK: UDP, payload = len - IP header - 8 */
        /* 26 */ JMP_IMM(BPF_JNE, 2, UDP, 11),           /* -> 38 ALLOW */
        /* 27 */ SUB_REG(7, 3),
        /* 28 */ ALU_IMM(BPF_SUB, 7, 8),
        /* 29 */ JMP_IMM(BPF_JSLE, 7, 0, 8),             /* -> 38 ALLOW */
        /* 30 */ ST_IMM(BPF_W, 10, -4, key),
        /* 31 */ MOV_REG(2, 10), ALU_IMM(BPF_ADD, 2, -4),
        /* 33 */ INSN(BPF_LD | BPF_DW | BPF_IMM, 1, BPF_PSEUDO_MAP_FD, 0, map_fd), INSN(0, 0, 0, 0, 0),
        /* 35 */ CALL(BPF_FUNC_map_lookup_elem),
        /* 36 */ JMP_IMM(BPF_JEQ, 0, 0, 1),              /* -> 38 ALLOW */
        /* 37 */ ATOMIC_ADD64(0, 7),
        /* 38 ALLOW */ MOV_IMM(0, 1), EXIT(),
    };
    char log[4096] = "";
    union bpf_attr a = { 0 };
    a.prog_type = BPF_PROG_TYPE_CGROUP_SKB;
    a.insns = (uint64_t)(uintptr_t)prog;
    a.insn_cnt = sizeof prog / sizeof prog[0];
    a.license = (uint64_t)(uintptr_t)"GPL";
    int fd = (int)sys_bpf(BPF_PROG_LOAD, &a);
    if (fd < 0 && (errno == EACCES || errno == EINVAL)) {
        int why = errno;
        /* the verifier's reason, for the log (a buffer needs log_level > 0) */
        a.log_buf = (uint64_t)(uintptr_t)log;
        a.log_size = sizeof log;
        a.log_level = 1;
        if (sys_bpf(BPF_PROG_LOAD, &a) < 0 && log[0]) snprintf(U.why, sizeof U.why, "the verifier: %.200s", log);
        errno = why;
    }
    return fd;
}

static int create_map(void)
{
    union bpf_attr a = { 0 };
    a.map_type = BPF_MAP_TYPE_ARRAY;
    a.key_size = sizeof(uint32_t);
    a.value_size = sizeof(uint64_t);
    a.max_entries = 2;
    return (int)sys_bpf(BPF_MAP_CREATE, &a);
}

static bool attach(int cgroup_fd, int prog_fd, enum bpf_attach_type type)
{
    union bpf_attr a = { 0 };
    a.target_fd = (uint32_t)cgroup_fd;
    a.attach_bpf_fd = (uint32_t)prog_fd;
    a.attach_type = type;
    a.attach_flags = BPF_F_ALLOW_MULTI; /* (beside whatever else is attached there) */
    return sys_bpf(BPF_PROG_ATTACH, &a) == 0;
}

static bool attach_both(int cgroup_fd)
{
    return attach(cgroup_fd, U.prog_fd[KEY_UP], BPF_CGROUP_INET_EGRESS) && attach(cgroup_fd, U.prog_fd[KEY_DOWN], BPF_CGROUP_INET_INGRESS);
}

static void detach_both(int cgroup_fd)
{
    for (int k = 0; k < 2; k++) {
        union bpf_attr a = { 0 };
        a.target_fd = (uint32_t)cgroup_fd;
        a.attach_bpf_fd = (uint32_t)U.prog_fd[k];
        a.attach_type = k == KEY_UP ? BPF_CGROUP_INET_EGRESS : BPF_CGROUP_INET_INGRESS;
        sys_bpf(BPF_PROG_DETACH, &a);
    }
}

static uint64_t map_read(int key)
{
    uint32_t k = (uint32_t)key;
    uint64_t v = 0;
    union bpf_attr a = { 0 };
    a.map_fd = (uint32_t)U.map_fd;
    a.key = (uint64_t)(uintptr_t)&k;
    a.value = (uint64_t)(uintptr_t)&v;
    return sys_bpf(BPF_MAP_LOOKUP_ELEM, &a) == 0 ? v : 0;
}

/* Where the helper's mount namespace has a cgroup2 hierarchy mounted, into mount. */
static bool v2_mount(char *mount, size_t size)
{
    char line[4096];
    mount[0] = 0;
    FILE *f = fopen("/proc/self/mountinfo", "re");
    if (!f) return false;
    while (!mount[0] && fgets(line, sizeof line, f)) {
        char *sep = strstr(line, " - cgroup2 ");
        char point[4096];
        if (sep && sscanf(line, "%*s %*s %*s %*s %4095s", point) == 1) snprintf(mount, size, "%s", point);
    }
    fclose(f);
    return mount[0] != 0;
}

/* `ip netns exec` (a torrent client kept in a VPN's namespace) mounts a sysfs
 * of its own over /sys, without the cgroup mounts. The helper's main thread,
 * alone yet (tracer_create runs before any other thread starts), then moves
 * to a mount namespace of its own and mounts the v2 hierarchy there: the
 * app, forked already, keeps the namespace it had and sees no change. */
static bool mount_v2_privately(char *at, size_t size)
{
    const char *point = "/sys/fs/cgroup";
    if (unshare(CLONE_NEWNS) != 0) return false;
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) return false; /* (nothing of ours goes back) */
    if (mount("cgroup2", point, "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0) return false;
    U.private_mount = true;
    snprintf(at, size, "%s", point);
    return true;
}

/* The cgroup v2 directory the helper is in, into out; false if there is no v2 hierarchy. */
static bool own_v2_dir(char *out, size_t size)
{
    char line[4096], mount[4096], own[4096] = "";
    if (!v2_mount(mount, sizeof mount) && !mount_v2_privately(mount, sizeof mount)) return false;
    FILE *f = fopen("/proc/self/cgroup", "re");
    if (!f) return false;
    while (!own[0] && fgets(line, sizeof line, f))
        if (!strncmp(line, "0::", 3)) snprintf(own, sizeof own, "%s", line + 3);
    fclose(f);
    own[strcspn(own, "\n")] = 0;
    if (!mount[0] || !own[0] || strstr(own, "..")) return false;
    return snprintf(out, size, "%s%s", mount, strcmp(own, "/") ? own : "") < (int)size;
}

/* Directories a helper killed outright left behind (empty: its app died with it). */
static void sweep_stale(const char *parent)
{
    DIR *d = opendir(parent);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, DIR_PREFIX, strlen(DIR_PREFIX))) continue;
        long pid = strtol(e->d_name + strlen(DIR_PREFIX), NULL, 10);
        if (pid > 0 && kill((pid_t)pid, 0) != 0 && errno == ESRCH) unlinkat(dirfd(d), e->d_name, AT_REMOVEDIR);
    }
    closedir(d);
}

static void fail(const char *what)
{
    if (!U.why[0]) snprintf(U.why, sizeof U.why, "%s: %s", what, strerror(errno));
    udp_count_cleanup();
}

/* Why UDP is not counted while untrapped ("" if it is, or was never to be: launched trapped). */
const char *udp_count_why_not(void)
{
    return U.why;
}

/* Before the app (stopped before its exec, launched untrapped) runs: its
 * cgroup with the counters on it. */
void udp_count_start(pid_t app)
{
    char parent[4096];
    if (H.no_udpcount) { snprintf(U.why, sizeof U.why, "turned off (INTERCEPTOR_HELPER_NO_UDPCOUNT=1)"); return; }
    if (!own_v2_dir(parent, sizeof parent)) { errno = ENOENT; fail("no cgroup v2 hierarchy"); return; }
    sweep_stale(parent);
    if (snprintf(U.dir, sizeof U.dir, "%s/" DIR_PREFIX "%d", parent, (int)getpid()) >= (int)sizeof U.dir) {
        U.dir[0] = 0;
        errno = ENAMETOOLONG;
        fail("its cgroup's path");
        return;
    }
    if (mkdir(U.dir, 0755) != 0 && errno != EEXIST) { U.dir[0] = 0; fail("cannot make its cgroup"); return; }
    U.cgroup_fd = open(U.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (U.cgroup_fd < 0) { fail("cannot open its cgroup"); return; }
    if ((U.map_fd = create_map()) < 0) { fail("BPF map"); return; }
    for (int k = 0; k < 2; k++)
        if ((U.prog_fd[k] = load_program(U.map_fd, k)) < 0) { fail("BPF program"); return; }
    if (!attach_both(U.cgroup_fd)) { fail("attaching the BPF programs"); return; }
    char procs[4200], pid[16];
    snprintf(procs, sizeof procs, "%s/cgroup.procs", U.dir);
    int fd = open(procs, O_WRONLY | O_CLOEXEC);
    int len = snprintf(pid, sizeof pid, "%d\n", (int)app);
    bool joined = fd >= 0 && write(fd, pid, (size_t)len) == len;
    if (fd >= 0) close(fd);
    if (!joined) { fail("cannot move the app into its cgroup"); return; }
    U.active = true;
}

/* The app's cgroup ("" if there is none): the engine moves the app back
 * here when it leaves the engine's CPU cgroup (PROTOCOL.md `hello`). */
const char *udp_count_dir(void)
{
    return U.private_mount ? "" : U.dir;
}

/* The engine's CPU cgroup for the app (cgroup.c, the `cgroup` command). On
 * a cgroup v2 hierarchy the app's processes move there while a CPU cap
 * holds, and a socket they create meanwhile belongs to it: the programs go
 * there too. (On cgroup v1 the app stays in its v2 cgroup throughout.) */
void udp_count_attach_also(const char *dir)
{
    if (!U.active) return;
    struct statfs fs;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return;
    if (fstatfs(fd, &fs) != 0 || fs.f_type != CGROUP2_SUPER_MAGIC || !attach_both(fd)) { close(fd); return; }
    if (U.also_fd >= 0) {
        detach_both(U.also_fd);
        close(U.also_fd);
    }
    U.also_fd = fd;
}

/* The UDP bytes moved since the last settlement, counted (each usage report). */
void udp_count_settle(void)
{
    if (!U.active) return;
    for (int k = 0; k < 2; k++) {
        uint64_t now = map_read(k);
        if (now <= U.seen[k]) continue;
        uint64_t got = now - U.seen[k];
        U.seen[k] = now;
        charge_moved(k == KEY_UP ? R_NETUP : R_NETDOWN, k == KEY_UP ? C_NETUP : C_NETDOWN, got);
    }
}

/* The byte calls are trapped from now on and count themselves: the
 * programs go (the app stays in the cgroup, which costs nothing). */
void udp_count_stop(void)
{
    if (!U.active) return;
    udp_count_settle();
    U.active = false;
    detach_both(U.cgroup_fd);
    if (U.also_fd >= 0) detach_both(U.also_fd);
    for (int k = 0; k < 2; k++) close(U.prog_fd[k]);
    close(U.map_fd);
    U.prog_fd[0] = U.prog_fd[1] = U.map_fd = -1;
}

/* The tree is gone (or counting could not start): nothing of ours is left. */
void udp_count_cleanup(void)
{
    U.active = false;
    for (int k = 0; k < 2; k++) if (U.prog_fd[k] >= 0) close(U.prog_fd[k]);
    if (U.map_fd >= 0) close(U.map_fd);
    if (U.cgroup_fd >= 0) close(U.cgroup_fd);
    if (U.also_fd >= 0) close(U.also_fd);
    U.prog_fd[0] = U.prog_fd[1] = U.map_fd = U.cgroup_fd = U.also_fd = -1;
    if (U.dir[0]) cgroup_remove_dir(U.dir);
    U.dir[0] = 0;
}
