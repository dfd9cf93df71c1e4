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

int mem_on_entry(struct thread *t, struct user_regs_struct *r)
{
    if (!H.mem_ceiling_set || !t->proc) return 0;
    struct proc *p = t->proc;
    long nr = (long)r->orig_rax;
    uint64_t delta = 0, addr = 0, len = 0;
    switch (nr) {
    case SYS_brk:
        if (r->rdi == 0 || p->brk_cur == 0 || r->rdi <= p->brk_cur) return 0;
        delta = pgup(r->rdi) - pgup(p->brk_cur);
        break;
    case SYS_mmap:
        if (!(r->rdx & PROT_WRITE) || ((r->r10 & 3) == MAP_SHARED || (r->r10 & 3) == MAP_SHARED_VALIDATE) || (r->r10 & MAP_GROWSDOWN)) return 0;
        addr = r->rdi;
        len = pgup(r->rsi);
        delta = len;
        break;
    case SYS_mremap:
        if (r->rdx <= r->rsi) return 0;
        addr = r->rdi;
        delta = pgup(r->rdx) - pgup(r->rsi);
        break;
    case SYS_mprotect: case SYS_pkey_mprotect:
        if (!(r->rdx & PROT_WRITE)) return 0;
        addr = r->rdi;
        len = pgup(r->rsi);
        delta = len;
        break;
    default:
        return 0;
    }
    if (delta == 0) return 0;
    uint64_t self = read_vmdata(p->pid), others = 0;
    p->vmdata = self;
    for (struct proc *q = H.procs; q; q = q->next) if (q != p) others += q->vmdata;
    if (self + others + delta > H.mem_ceiling) {
        /* Near the ceiling: replace estimates with exact figures. */
        if (nr == SYS_mmap && (r->r10 & (MAP_FIXED | MAP_FIXED_NOREPLACE)))
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
            /* Deny: skip the call (orig_rax = -1) and make it return what a
             * kernel refusal returns: -ENOMEM, or for brk the unchanged break
             * (that is how brk reports failure; libc turns it into ENOMEM). */
            r->orig_rax = (unsigned long long)-1;
            r->rax = nr == SYS_brk ? p->brk_cur : (unsigned long long)-ENOMEM;
            if (ptrace(PTRACE_SETREGS, t->tid, 0, r) != 0) return 0;
            char line[200];
            snprintf(line, sizeof line,
                     "{\"type\":\"denied\",\"resource\":\"mem\",\"syscall\":\"%s\",\"bytes\":%llu,\"pid\":%d}",
                     callname(nr), (unsigned long long)delta, p->pid);
            control_send(line, false);
            return 1;
        }
    }
    p->vmdata = self + delta; /* upper estimate until its next fresh reading */
    return 0;
}
