/*
 * socket_activate - test tool doing what systemd does for
 * chronicle-collector.socket + Type=notify: owns a listening Unix socket,
 * runs the command with it as fd 3 (LISTEN_FDS=1, LISTEN_PID=child), gives
 * it a NOTIFY_SOCKET and prints each notification ("notify READY=1") on
 * stdout.  When the command exits it is started again (Restart=always), so
 * a test can kill the collector while clients keep connecting: their
 * connections wait in the socket's backlog.  SIGTERM stops the child, then
 * the tool.
 *
 *   socket_activate SOCKET NOTIFY_SOCKET -- COMMAND [ARGS...]
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t stop_requested;

static void on_term(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static int unix_socket(const char *path, int type)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    unlink(path);
    int fd = socket(AF_UNIX, type, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
        (type == SOCK_STREAM && listen(fd, 128) != 0)) {
        perror(path);
        exit(1);
    }
    return fd;
}

static pid_t spawn(int lfd, const char *notify, char **cmd)
{
    pid_t pid = fork();
    if (pid == 0) {
        char buf[32];
        if (dup2(lfd, 3) < 0)
            _exit(127);
        snprintf(buf, sizeof buf, "%ld", (long)getpid());
        setenv("LISTEN_PID", buf, 1);
        setenv("LISTEN_FDS", "1", 1);
        setenv("NOTIFY_SOCKET", notify, 1);
        execv(cmd[0], cmd);
        _exit(127);
    }
    return pid;
}

int main(int argc, char **argv)
{
    if (argc < 5 || strcmp(argv[3], "--") != 0) {
        fprintf(stderr, "usage: socket_activate SOCKET NOTIFY_SOCKET -- COMMAND [ARGS...]\n");
        return 2;
    }
    int lfd = unix_socket(argv[1], SOCK_STREAM);
    int nfd = unix_socket(argv[2], SOCK_DGRAM);
    struct sigaction sa = {.sa_handler = on_term};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    setvbuf(stdout, NULL, _IOLBF, 0);
    pid_t child = spawn(lfd, argv[2], argv + 4);
    printf("started %ld\n", (long)child);
    while (!stop_requested) {
        struct pollfd p = {.fd = nfd, .events = POLLIN};
        if (poll(&p, 1, 20) > 0) {
            char msg[256];
            ssize_t n = recv(nfd, msg, sizeof msg - 1, 0);
            if (n > 0) {
                msg[n] = '\0';
                printf("notify %s\n", msg);
            }
        }
        int st;
        if (waitpid(child, &st, WNOHANG) == child) {
            printf("exited %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
            child = spawn(lfd, argv[2], argv + 4);
            printf("started %ld\n", (long)child);
        }
    }
    kill(child, SIGTERM);
    int st;
    waitpid(child, &st, 0);
    printf("exited %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
    unlink(argv[1]);
    unlink(argv[2]);
    return 0;
}
