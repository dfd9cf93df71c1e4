/* The paper's memory broker: with a ceiling set, a brk/mmap/mremap/mprotect
 * that would make the tree's committed private writable memory exceed it is
 * not forwarded to the kernel and fails with ENOMEM; the app keeps running.
 *
 * "Committed private writable memory" is the kernel's own VmData (mappings
 * that are writable, private and not stack), so the broker agrees with
 * /proc. The fast path uses the calling process's fresh VmData plus cached
 * upper estimates for the others and the request's nominal size; only when
 * that sum would cross the ceiling do we pay for exact figures (/proc/pid/maps
 * for the request's range, fresh VmData for every process). PROT_NONE
 * reservations (Go's heap arenas, glibc's thread arenas) are not VmData and
 * count only once mprotect/mmap(MAP_FIXED) makes them writable. */
#include "helper.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PAGE 4096ull
static uint64_t pgup(uint64_t v) { return (v + PAGE - 1) & ~(PAGE - 1); }

uint64_t read_vmdata(pid_t pid)
{
    char buf[4096];
    if (!proc_file(pid, "status", buf, sizeof buf)) return 0;
    char *p = strstr(buf, "\nVmData:");
    if (!p) return 0;
    return strtoull(p + 8, NULL, 10) * 1024ull;
}

void mem_refresh_all(void)
{
    for (struct proc *p = H.procs; p; p = p->next) p->vmdata = read_vmdata(p->pid);
}

uint64_t mem_tree_bytes(void)
{
    mem_refresh_all();
    uint64_t sum = 0;
    for (struct proc *p = H.procs; p; p = p->next) sum += p->vmdata;
    return sum;
}

/* Walks /proc/pid/maps over [lo, hi) and returns the bytes of mappings for
 * which want(perms, path) holds. */
static uint64_t maps_overlap(pid_t pid, uint64_t lo, uint64_t hi, int (*want)(const char *perms, const char *path),
                             bool *any_mapped)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/maps", pid);
    FILE *f = fopen(path, "re");
    if (!f) return 0;
    char line[512];
    uint64_t sum = 0;
    while (fgets(line, sizeof line, f)) {
        unsigned long long s, e;
        char perms[8] = "";
        int off = 0;
        if (sscanf(line, "%llx-%llx %7s %*s %*s %*s%n", &s, &e, perms, &off) < 3) continue;
        if (e <= lo || s >= hi) continue;
        const char *name = line + off;
        while (*name == ' ') name++;
        if (any_mapped) *any_mapped = true;
        if (!want(perms, name)) continue;
        uint64_t a = s > lo ? s : lo, b = e < hi ? e : hi;
        sum += b - a;
    }
    fclose(f);
    return sum;
}

static int is_stack(const char *name) { return !strncmp(name, "[stack", 6); }
static int counted(const char *perms, const char *name) { return perms[1] == 'w' && perms[3] == 'p' && !is_stack(name); }
static int becomes_counted(const char *perms, const char *name) { return perms[1] != 'w' && perms[3] == 'p' && !is_stack(name); }

static const char *callname(long nr)
{
    switch (nr) {
    case SYS_brk: return "brk";
    case SYS_mmap: return "mmap";
    case SYS_mremap: return "mremap";
    case SYS_mprotect: return "mprotect";
    case SYS_pkey_mprotect: return "pkey_mprotect";
    }
    return "?";
}

/* Whether process p's call nr with arguments a (brk: addr; mmap: addr, len,
 * prot, flags; mremap: addr, old_len, new_len; mprotect: addr, len, prot)
 * would take the tree past the ceiling; a denial is reported to the engine.
 * The filter (filter.c, ADD_MEM) lets through the mmap and mprotect calls
 * this returns false for at once, except a file mapped shared (mapped.c
 * watches them); the two tests are the same rule and must change
 * together (test/native/memory.test.ts checks the filter's side). */
static bool mem_denies(struct proc *p, long nr, const uint64_t *a)
{
    if (!H.mem_ceiling_set || !p) return false;
    uint64_t delta = 0, addr = 0, len = 0;
    switch (nr) {
    case SYS_brk:
        if (a[0] == 0 || p->brk_cur == 0 || a[0] <= p->brk_cur) return false;
        delta = pgup(a[0]) - pgup(p->brk_cur);
        break;
    case SYS_mmap:
        if (!(a[2] & PROT_WRITE) || ((a[3] & 3) == MAP_SHARED || (a[3] & 3) == MAP_SHARED_VALIDATE) || (a[3] & MAP_GROWSDOWN)) return false;
        addr = a[0];
        len = pgup(a[1]);
        delta = len;
        break;
    case SYS_mremap:
        if (a[2] <= a[1]) return false;
        addr = a[0];
        delta = pgup(a[2]) - pgup(a[1]);
        break;
    case SYS_mprotect: case SYS_pkey_mprotect:
        if (!(a[2] & PROT_WRITE)) return false;
        addr = a[0];
        len = pgup(a[1]);
        delta = len;
        break;
    default:
        return false;
    }
    if (delta == 0) return false;
    uint64_t self = read_vmdata(p->pid), others = 0;
    p->vmdata = self;
    for (struct proc *q = H.procs; q; q = q->next) if (q != p) others += q->vmdata;
    if (self + others + delta > H.mem_ceiling) {
        /* Near the ceiling: replace estimates with exact figures. */
        if (nr == SYS_mmap && (a[3] & (MAP_FIXED | MAP_FIXED_NOREPLACE)))
            delta -= maps_overlap(p->pid, addr, addr + len, counted, NULL);
        else if (nr == SYS_mprotect || nr == SYS_pkey_mprotect)
            delta = maps_overlap(p->pid, addr, addr + len, becomes_counted, NULL);
        else if (nr == SYS_mremap && maps_overlap(p->pid, addr, addr + 1, counted, NULL) == 0)
            delta = 0;
        mem_refresh_all();
        self = p->vmdata;
        others = 0;
        for (struct proc *q = H.procs; q; q = q->next) if (q != p) others += q->vmdata;
        if (self + others + delta > H.mem_ceiling) {
            char line[200];
            snprintf(line, sizeof line,
                     "{\"type\":\"denied\",\"resource\":\"mem\",\"syscall\":\"%s\",\"bytes\":%llu,\"pid\":%d}",
                     callname(nr), (unsigned long long)delta, p->pid);
            control_send(line, false);
            return true;
        }
    }
    p->vmdata = self + delta; /* upper estimate until its next fresh reading */
    return false;
}

/* A denied call returns what a kernel refusal returns: -ENOMEM, or for brk
 * the unchanged break (that is how brk reports failure; libc turns it into
 * ENOMEM). */
static long denial_value(const struct proc *p, long nr) { return nr == SYS_brk ? (long)p->brk_cur : -ENOMEM; }

int mem_on_entry(struct thread *t, struct user_regs_struct *r)
{
    uint64_t a[4] = { r->rdi, r->rsi, r->rdx, r->r10 };
    long nr = (long)r->orig_rax;
    if (nr == SYS_mmap) mapped_on_mmap(t->proc, a, (int)r->r8);
    if (!mem_denies(t->proc, nr, a)) return 0;
    /* skip the call (orig_rax = -1) with the refusal's value */
    r->orig_rax = (unsigned long long)-1;
    r->rax = (unsigned long long)denial_value(t->proc, nr);
    return ptrace(PTRACE_SETREGS, t->tid, 0, r) == 0;
}

/* Notification path: decided from the call's arguments and answered with the
 * refusal or CONTINUE. No exit is seen here, so a brk's new break is taken
 * to be what it asked for; only a brk the kernel itself refuses (its limit,
 * a mapping in the way) leaves it high, and every check reads fresh VmData
 * anyway, so that error stays within one call's growth. */
void mem_on_notif(struct thread *t, uint64_t id, const struct seccomp_data *d)
{
    uint64_t a[4] = { d->args[0], d->args[1], d->args[2], d->args[3] };
    struct proc *p = t->proc;
    if (mem_denies(p, d->nr, a)) {
        long v = denial_value(p, d->nr);
        notif_answer(t, id, v < 0 ? 0 : v, v < 0 ? (int)-v : 0);
        return;
    }
    if (d->nr == SYS_brk && a[0] && p) p->brk_cur = a[0];
    if (d->nr == SYS_mmap) mapped_on_mmap(p, a, (int)d->args[4]);
    notif_answer_continue(t, id);
}
