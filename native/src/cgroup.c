/* The app's cgroup (the engine's kernel CPU bandwidth control, when in use):
 * the helper only has to leave nothing behind. If the engine goes away and
 * the owner chose to keep the app running, the cap is lifted (the app's and
 * the parent's quotas, and the parent's high weight: the engine that set them
 * is gone); once the app's tree is gone, its
 * cgroup is removed, and the parent too when the engine is gone and no
 * other app is left in it (the last helper out removes it). */
#include "helper.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char app_dir[4096], parent_dir[4096];

/* Only directories of the cgroup file system, never climbing out of it. */
static bool valid_dir(const char *p)
{
    return !strncmp(p, "/sys/fs/cgroup/", 15) && strlen(p) < sizeof app_dir && !strstr(p, "..");
}

bool cgroup_set(const char *app, const char *parent)
{
    if (!valid_dir(app) || !valid_dir(parent)) return false;
    snprintf(app_dir, sizeof app_dir, "%s", app);
    snprintf(parent_dir, sizeof parent_dir, "%s", parent);
    udp_count_attach_also(app_dir);
    return true;
}

static bool write_file(const char *dir, const char *name, const char *value)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return false;
    bool ok = write(fd, value, strlen(value)) == (ssize_t)strlen(value);
    close(fd);
    return ok;
}

static void lift_quota(const char *dir)
{
    if (!write_file(dir, "cpu.max", "max\n") && !write_file(dir, "cpu.cfs_quota_us", "-1\n"))
        helper_log("warn", "could not lift the CPU quota of %s: %s", dir, strerror(errno));
}

/* Engine gone, app kept running: no quota any more (v2 cpu.max, v1 cfs_quota_us), the app's
 * own first (cgroup v1 refuses a parent's quota below a child's). */
void cgroup_lift_cap(void)
{
    if (!parent_dir[0]) return;
    lift_quota(app_dir);
    lift_quota(parent_dir);
    /* and no weight above the owner's processes (dual priority is for capped apps only) */
    if (!write_file(parent_dir, "cpu.weight", "100\n")) write_file(parent_dir, "cpu.shares", "1024\n");
}

/* rmdir, retried for a moment: a cgroup stays busy briefly after its last task is reaped. */
void cgroup_remove_dir(const char *dir)
{
    for (int i = 0; i < 50; i++) {
        if (rmdir(dir) == 0 || errno == ENOENT || errno == ENOTEMPTY) return;
        if (errno != EBUSY) return;
        struct timespec ts = { 0, 2000000 };
        nanosleep(&ts, NULL);
    }
}

/* The tree is gone (the helper exits next). */
void cgroup_cleanup(bool engine_gone)
{
    if (!app_dir[0]) return;
    cgroup_remove_dir(app_dir);
    /* EBUSY while other apps' cgroups remain in it: theirs is the last word */
    if (engine_gone && rmdir(parent_dir) != 0 && errno != EBUSY && errno != ENOENT && errno != ENOTEMPTY)
        helper_log("warn", "could not remove %s: %s", parent_dir, strerror(errno));
}
