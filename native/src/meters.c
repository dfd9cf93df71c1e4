/* Socket meters: an uncapped TCP socket's bytes counted from the kernel's
 * own per-socket counters instead of per call.
 *
 * Performing an uncapped recv in the helper copies every byte twice (off the
 * socket into our buffer, then into the app); answering it CONTINUE halves
 * the helper's CPU per MB in a real download. The kernel then has the exact
 * figures: bytes the app has read = tcpi_bytes_received - SIOCINQ, bytes it
 * has written = tcpi_bytes_acked + SIOCOUTQ (sequence-space counters: a FIN
 * and the SYN of an active open take one each, corrected below). A meter
 * remembers both at its last settlement; settling charges the growth.
 *
 * Once a TCP socket has a meter, every byte through it is charged by a
 * settlement or by a call the helper performs (sockets.c: charged from its
 * exact result, which moves the meter's mark by as much, meter_moved) and by
 * nothing else, whatever path its call took: so no call is charged twice or
 * not at all when a cap comes or goes while another thread is inside a call
 * on it. Settled: before each uncapped call, at the exit stop of a call on
 * the ptrace path (credit.c), before the app's close or dup2 goes through and
 * at exec and process exit (fds.c: our duplicate still holds the socket, so
 * nothing is missed), and at every usage report and cap change
 * (meters_flush).
 *
 * One meter per socket, shared by every fd (and process) that names it, or
 * its growth would be charged once per name. Under the tracing lock. */
#include "helper.h"

#include <linux/sockios.h>
#include <linux/tcp.h> /* (glibc's struct tcp_info lacks the byte counters) */
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>

/* tcpi_state (the kernel's include/net/tcp_states.h) */
enum { ST_FIN_WAIT1 = 4, ST_FIN_WAIT2 = 5, ST_TIME_WAIT = 6, ST_CLOSE = 7, ST_CLOSE_WAIT = 8, ST_LAST_ACK = 9, ST_CLOSING = 11, ST_SYN_SENT = 2 };

struct meter {
    uint64_t ino;            /* the socket's inode (0: free slot) */
    int refs;                /* kept duplicates naming it */
    uint32_t flushed;        /* meters_flush round it was last settled in */
    uint64_t read, written;  /* what the app had moved at the last settlement */
    bool fin_in, fin_out;    /* a FIN was seen received / sent at a settlement */
};

static struct meter *meters;
static int nmeters;
static uint32_t flush_round;

/* What the app has read and written through the socket, from the kernel;
 * m (may be NULL) remembers the FINs seen, which a reset later hides. */
static bool app_bytes(int sock, struct meter *m, uint64_t *read, uint64_t *written)
{
    struct tcp_info ti;
    socklen_t tl = sizeof ti;
    int inq = 0, outq = 0;
    if (getsockopt(sock, IPPROTO_TCP, TCP_INFO, &ti, &tl) != 0 || tl < offsetof(struct tcp_info, tcpi_bytes_received) + 8) return false;
    if (ioctl(sock, SIOCINQ, &inq) != 0 || ioctl(sock, SIOCOUTQ, &outq) != 0) inq = outq = 0;
    int st = ti.tcpi_state;
    /* Closed without an error pending: closed by the FIN exchange. After a
     * reset the error is pending until the app reads it, and a FIN seen
     * before is remembered: every call on the socket settles it first. (A
     * reset whose error the app has read, with no settlement since the FIN:
     * the clamp in meter_settle absorbs that byte.) */
    bool closed_clean = false;
    if (st == ST_CLOSE) {
        struct pollfd p = { .fd = sock, .events = 0 };
        closed_clean = poll(&p, 1, 0) >= 0 && !(p.revents & POLLERR);
    }
    bool fin_in = st == ST_CLOSE_WAIT || st == ST_LAST_ACK || st == ST_CLOSING || st == ST_TIME_WAIT || closed_clean;
    bool fin_out = st == ST_FIN_WAIT1 || st == ST_FIN_WAIT2 || st == ST_CLOSING || st == ST_LAST_ACK || st == ST_TIME_WAIT || closed_clean;
    if (m) {
        fin_in = m->fin_in = m->fin_in || fin_in;
        fin_out = m->fin_out = m->fin_out || fin_out;
    }
    int64_t r = (int64_t)ti.tcpi_bytes_received - inq - fin_in, w = (int64_t)ti.tcpi_bytes_acked + outq - fin_out;
    *read = r > 0 ? (uint64_t)r : 0;
    *written = w > 0 ? (uint64_t)w : 0;
    /* (an active open's SYN, once acked, counts in bytes_acked: see meter_attach) */
    if (st == ST_SYN_SENT) *written = 1;
    return true;
}

/* The meter of socket inode ino, or -1 (ino 0: a free slot). */
static int meter_of(uint64_t ino)
{
    for (int i = 0; i < nmeters; i++)
        if (meters[i].ino == ino) return i;
    return -1;
}

int meter_attach(int sock)
{
    struct stat st;
    uint64_t r, w;
    if (fstat(sock, &st) != 0 || !app_bytes(sock, NULL, &r, &w)) return -1; /* not TCP */
    int m = meter_of((uint64_t)st.st_ino);
    if (m >= 0) { meters[m].refs++; return m; }
    int free_slot = meter_of(0);
    if (free_slot < 0) {
        struct meter *grown = realloc(meters, (size_t)(nmeters + 1) * sizeof *grown);
        if (!grown) return -1;
        meters = grown;
        free_slot = nmeters++;
    }
    /* what moved before is not ours to charge: it was charged by the call that moved it */
    meters[free_slot] = (struct meter){ .ino = (uint64_t)st.st_ino, .refs = 1, .read = r, .written = w };
    return free_slot;
}

/* A meter for a socket of an untrapped process (untrapped.c): every byte it
 * ever moved is the app's and counted by no call. (Its SYN, for an active
 * open, counts one byte written.) */
int meter_attach_from_start(int sock)
{
    int m = meter_attach(sock);
    if (m >= 0 && meters[m].refs == 1) meters[m].read = meters[m].written = 0;
    return m;
}

/* Lets go of a reference without a settlement (its socket is gone). */
void meter_release(int m)
{
    if (m >= 0 && m < nmeters && meters[m].ino && --meters[m].refs == 0) meters[m].ino = 0;
}

/* The meter of sock's socket if another name of it keeps one, else -1 (no
 * reference taken: for a duplicate that is not kept, of an fd above the cache). */
int meter_find(int sock)
{
    struct stat st;
    return fstat(sock, &st) == 0 ? meter_of((uint64_t)st.st_ino) : -1;
}

void meter_settle(int m, int sock)
{
    uint64_t now[2];
    if (m < 0 || m >= nmeters || !meters[m].ino || !app_bytes(sock, &meters[m], &now[0], &now[1])) return;
    uint64_t *base[2] = { &meters[m].read, &meters[m].written };
    for (int s = 0; s < 2; s++) {
        if (now[s] <= *base[s]) continue; /* (monotonic: a FIN guessed wrong never charges back) */
        uint64_t got = now[s] - *base[s];
        *base[s] = now[s];
        charge_moved(s ? R_NETUP : R_NETDOWN, s ? C_NETUP : C_NETDOWN, got);
    }
    meters[m].flushed = flush_round;
}

/* A call moved bytes through the socket and was charged for them by the
 * caller (the helper performed it: its result is exact, and three queries
 * for a settlement would cost as much again as the call). The counters grew
 * by exactly that much; whatever else they grew by (a call of another
 * thread in flight) the next settlement still charges. */
void meter_moved(int m, bool written, uint64_t bytes)
{
    if (m < 0 || m >= nmeters || !meters[m].ino) return;
    if (written) meters[m].written += bytes;
    else meters[m].read += bytes;
}

void meter_detach(int m, int sock)
{
    if (m < 0 || m >= nmeters || !meters[m].ino) return;
    meter_settle(m, sock);
    if (--meters[m].refs == 0) meters[m].ino = 0;
}

static void flush_table(struct fdtab *f)
{
    for (int fd = 0; f && fd < f->cap; fd++) {
        int m = f->meters[fd];
        if (m >= 0 && f->dups[fd] >= 0 && meters[m].flushed != flush_round) meter_settle(m, f->dups[fd]);
    }
}

void meters_flush(void)
{
    if (nmeters == 0) return;
    flush_round++;
    for (struct proc *p = H.procs; p; p = p->next) flush_table(p->fdt);
}
