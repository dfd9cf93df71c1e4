/* The front: `interceptor run -- CMD` (bin/interceptor, an app with no cap) starts here, not
 * under node. An app with no cap has nothing to wait for, but node takes ~90 ms to start on
 * this machine and the CLI ~50 ms more before it could launch a helper: the app waited for
 * both. Here the helper opens the engine's control socket itself, forks, runs the app at once
 * in the child (as --release-at-once --untrapped-until-capped) and execs the CLI under node
 * in the parent, which keeps the pid the shell waits for. The CLI takes the listening socket,
 * the token and the helper's pid from INTERCEPTOR_FRONT (electron/engine/cli/front.ts); the
 * helper's hello waits in the socket until the engine has loaded. */
#include "helper.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* Whether execvp would find a program to run: where it would not, the CLI says why as it
 * always does (its own check, with no helper started), rather than the helper's exec failing. */
static bool runnable(const char *cmd)
{
    struct stat st;
    if (strchr(cmd, '/')) return stat(cmd, &st) == 0 && S_ISREG(st.st_mode) && access(cmd, X_OK) == 0;
    const char *path = getenv("PATH");
    if (!path || !*path) path = "/usr/local/bin:/usr/bin:/bin";
    for (const char *p = path;; p++) {
        const char *end = strchrnul(p, ':');
        char full[4096];
        int n = end == p ? snprintf(full, sizeof full, "%s", cmd) : snprintf(full, sizeof full, "%.*s/%s", (int)(end - p), p, cmd);
        if (n > 0 && (size_t)n < sizeof full && stat(full, &st) == 0 && S_ISREG(st.st_mode) && access(full, X_OK) == 0) return true;
        if (!*end) return false;
        p = end;
    }
}

/* The CLI as it would have run without the front (it then launches a helper itself, or says
 * what is wrong); returns only if node cannot be executed. */
static void exec_cli(const char *node, const char *cli, char **cmd)
{
    int n = 0;
    while (cmd[n]) n++;
    char **argv = calloc((size_t)n + 5, sizeof *argv);
    if (!argv) { perror("interceptor: front"); exit(125); }
    argv[0] = (char *)node;
    argv[1] = (char *)cli;
    argv[2] = "run";
    argv[3] = "--";
    memcpy(&argv[4], cmd, (size_t)n * sizeof *argv);
    execvp(node, argv);
    fprintf(stderr, "interceptor: cannot execute %s: %s\n", node, strerror(errno));
    free(argv);
}

/* A fresh 0700 directory like the engine's own (CatcherServer.listen), with its socket. */
static int listen_in_fresh_dir(char *dir, size_t dir_cap, char *sock, size_t sock_cap)
{
    const char *base = getenv("XDG_RUNTIME_DIR");
    struct stat st;
    if (!base || !*base || stat(base, &st) != 0 || !S_ISDIR(st.st_mode)) base = getenv("TMPDIR");
    if (!base || !*base) base = "/tmp";
    size_t n = strlen(base);
    while (n > 1 && base[n - 1] == '/') n--;
    if (snprintf(dir, dir_cap, "%.*s/interceptor-catcher-XXXXXX", (int)n, base) >= (int)dir_cap || !mkdtemp(dir)) return -1;
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    if (snprintf(sock, sock_cap, "%s/catcher.sock", dir) >= (int)sock_cap || strlen(sock) >= sizeof sa.sun_path) { rmdir(dir); errno = ENAMETOOLONG; return -1; }
    strcpy(sa.sun_path, sock);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0); /* (not CLOEXEC: node inherits it) */
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 16) != 0) {
        int e = errno;
        if (fd >= 0) close(fd);
        unlink(sock);
        rmdir(dir);
        errno = e;
        return -1;
    }
    return fd;
}

static char dir[4096], sock[4200];

/* The socket and its directory go (the listener too, if given: -1 when it is kept for the CLI
 * or never was). */
static void remove_socket(int lfd)
{
    if (lfd >= 0) close(lfd);
    unlink(sock);
    rmdir(dir);
}

void front_start(const char *node, const char *cli, char **cmd)
{
    if (!runnable(cmd[0])) {
        exec_cli(node, cli, cmd);
        exit(127);
    }
    int lfd = listen_in_fresh_dir(dir, sizeof dir, sock, sizeof sock);
    unsigned char raw[32];
    char token[2 * sizeof raw + 1];
    if (lfd < 0 || getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw) {
        /* the CLI's own path still works: it makes its socket the usual way */
        fprintf(stderr, "interceptor: front: %s (starting the usual way)\n", strerror(errno));
        if (lfd >= 0) remove_socket(lfd);
        exec_cli(node, cli, cmd);
        exit(127);
    }
    for (size_t i = 0; i < sizeof raw; i++) snprintf(token + 2 * i, 3, "%02x", raw[i]);
    pid_t helper = fork();
    if (helper < 0) {
        remove_socket(lfd);
        exec_cli(node, cli, cmd);
        exit(127);
    }
    if (helper == 0) {
        /* the helper: the listener is the CLI's alone, so that the helper sees the engine
         * gone (and ends the app) if node dies before it accepts */
        close(lfd);
        if (setenv("INTERCEPTOR_HELPER_TOKEN", token, 1) != 0) { perror("interceptor-helper: setenv"); exit(125); }
        H.control_path = sock;
        H.want_untrapped = true;
        H.release_at_once = true;
        return;
    }
    char front[4400];
    snprintf(front, sizeof front, "%d %d %s %s", lfd, (int)helper, token, dir);
    if (setenv("INTERCEPTOR_FRONT", front, 1) == 0) exec_cli(node, cli, cmd);
    else perror("interceptor: setenv");
    /* no CLI: the helper ends the app when its connection is reset, as the listener goes with us */
    remove_socket(-1);
    exit(127);
}

void front_connected(void)
{
    /* The CLI listens on its fd, not by name: with the name gone now, nothing of ours is left
     * in the file system however the CLI or we end. */
    remove_socket(-1);
}
