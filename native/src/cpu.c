/* CPU dispatch of the whole tree: `free`, `stop`, and `run` slices ended by
 * the helper's own timer (how a stop stays invisible to the app: stops.c).
 * A stop is complete when every thread it interrupted has reported its
 * ptrace-stop; only then are the slice's CPU time (kernel per-process
 * clocks, all cores) and the `stop` reply produced. A slice's CPU is what
 * the tree used since the end of the previous slice (or stop): a sleeping
 * thread that woke while the tree was stopped ran until it was gated or
 * caught, and that CPU is charged too, so nothing escapes the cap. */
#include "helper.h"

#include <sched.h>
#include <stdio.h>

/* The tree's CPU clock at the start of what the next slice is charged. */
static void mark_cpu_base(void)
{
    if (H.cpu_base_valid) return;
    H.cpu_base = tree_cpu_ns();
    H.cpu_base_valid = true;
}

static void emit_slice(const char *ended)
{
    uint64_t cpu = tree_cpu_ns();
    uint64_t wall = now_ns() - H.slice_wall0;
    char line[300];
    /* runnable: threads still runnable when the slice was stopped (0: the
     * whole tree was asleep: blocked, not short of CPU) */
    snprintf(line, sizeof line,
             "{\"type\":\"slice\",\"id\":%.0f,\"cpuNs\":%llu,\"wallNs\":%llu,\"ended\":\"%s\",\"runnable\":%d}",
             H.slice_id, (unsigned long long)(cpu > H.slice_cpu0 ? cpu - H.slice_cpu0 : 0), (unsigned long long)wall, ended,
             H.slice_runnable);
    H.cpu_base = cpu;
    H.cpu_base_valid = true;
    H.slice_active = false;
    H.slice_end = NULL;
    arm_timer(H.slice_tfd, 0, 0);
    control_send(line, false);
}

void tracer_stop_complete_check(void)
{
    if (!H.paused || H.interrupts_pending > 0) return;
    /* A slice's end says what it used (`slice`); the usage report follows at
     * its period. Forcing one out at every slice end (50 a second at 20-ms
     * slices) cost the helper a settlement of every window, meter and mapping
     * each time, and the engine a message to parse. A `stop` the engine
     * asked for gets one: it changes the state the engine shows. */
    if (H.slice_active && H.slice_end) emit_slice(H.slice_end);
    /* stopped from free: what it uses from now on is the next slice's */
    if (H.released) mark_cpu_base();
    bool replied = H.stop_replies > 0;
    for (int i = 0; i < H.stop_replies; i++) send_reply(H.stop_reply_ids[i], true, NULL);
    H.stop_replies = 0;
    if (replied) send_usage(true);
}

/* The paper's dual priority (--rt): a dispatched tree runs SCHED_RR above the
 * owner's processes, bounded by its slices. A free tree (no CPU cap, or the
 * engine gone) must not: its threads go back to SCHED_OTHER when it is freed
 * and to SCHED_RR at its next slice. New threads inherit their creator's. */
static void set_policy(struct thread *t, void *arg)
{
    const struct sched_param *sp = arg;
    if (t->proc && !t->exiting) sched_setscheduler(t->tid, sp->sched_priority ? SCHED_RR : SCHED_OTHER, sp);
}

static void tree_realtime(bool on)
{
    if (!H.rt || H.rt_on == on) return;
    struct sched_param sp = { .sched_priority = on ? 1 : 0 };
    for_each_thread(set_policy, &sp);
    H.rt_on = on;
}

void cpu_free(void)
{
    H.released = true;
    tree_realtime(false);
    H.cpu_base_valid = false; /* CPU used while free is nobody's to charge */
    if (H.slice_active) emit_slice(H.slice_end ? H.slice_end : "stop");
    tracer_unpause_all();
}

void cpu_stop(double id, bool has_id)
{
    if (H.slice_active && !H.slice_end) H.slice_end = "stop";
    tracer_pause_all();
    if (has_id) {
        if (H.stop_replies < (int)(sizeof H.stop_reply_ids / sizeof H.stop_reply_ids[0]))
            H.stop_reply_ids[H.stop_replies++] = id;
        else
            send_reply(id, true, NULL);
    }
    tracer_stop_complete_check();
}

void cpu_run(double id, double ms)
{
    H.released = true;
    if (H.slice_active) emit_slice(H.slice_end ? H.slice_end : "stop");
    mark_cpu_base();
    H.slice_cpu0 = H.cpu_base;
    H.slice_wall0 = now_ns();
    H.slice_id = id;
    H.slice_active = true;
    H.slice_end = NULL;
    tree_realtime(true);
    arm_timer(H.slice_tfd, (uint64_t)(ms * 1e6), 0);
    tracer_unpause_all();
}

void cpu_on_slice_timer(void)
{
    if (!H.slice_active || H.slice_end) return;
    H.slice_end = "timer";
    tracer_pause_all();
    tracer_stop_complete_check();
}

void cpu_on_tree_gone(void)
{
    if (H.slice_active) emit_slice("exit");
    for (int i = 0; i < H.stop_replies; i++) send_reply(H.stop_reply_ids[i], true, NULL);
    H.stop_replies = 0;
}

/* A task stuck in uninterruptible sleep (or some kernel corner we did not
 * foresee) must not hold a `stop` reply or a slice end forever: after 1 s the
 * stop is declared complete with what has stopped. Runs on the usage tick. */
void cpu_watchdog(void)
{
    if (H.paused && H.interrupts_pending > 0 && now_ns() - H.pause_started > 1000000000ull) {
        helper_log("warn", "%d thread(s) did not stop within 1 s; stop declared complete", H.interrupts_pending);
        stops_log_stragglers();
        H.interrupts_pending = 0;
        tracer_stop_complete_check();
    }
}
