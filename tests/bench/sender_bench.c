/*
 * sender_bench - wall time of one hook invocation, spawn to exit, for
 * chronicle-send (acknowledged by a running collector) against the floor
 * client (connect + write 1 KB to a socket that discards), alternating runs
 * so both see the same machine noise.
 *
 *   sender_bench RUNS PAYLOAD FLOOR_BIN SEND_BIN [SEND_BIN2 ...]
 *
 * CHRONICLE_HOME must point at a home with a collector running.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void *discard(void *arg)
{
    int lfd = *(int *)arg;
    char buf[4096];
    for (;;) {
        int fd = accept(lfd, NULL, NULL);
        if (fd < 0)
            continue;
        while (read(fd, buf, sizeof buf) > 0)
            ;
        close(fd);
    }
    return NULL;
}

static int64_t run_once(char *const argv[], const char *input)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, input, O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    int64_t t0 = now_ns();
    pid_t pid;
    if (posix_spawn(&pid, argv[0], &fa, NULL, argv, environ) != 0) {
        perror("posix_spawn");
        exit(1);
    }
    int st;
    waitpid(pid, &st, 0);
    int64_t dt = now_ns() - t0;
    posix_spawn_file_actions_destroy(&fa);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        fprintf(stderr, "%s failed\n", argv[0]);
        exit(1);
    }
    return dt;
}

static int cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static double pct(int64_t *v, int n, double p)
{
    int i = (int)(p * (n - 1) + 0.5);
    return v[i] / 1e6;
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: sender_bench RUNS PAYLOAD FLOOR_BIN SEND_BIN...\n");
        return 2;
    }
    int runs = atoi(argv[1]);
    const char *payload = argv[2];
    int nprog = argc - 3;
    char sock[108];
    snprintf(sock, sizeof sock, "/tmp/chronicle-floor-%d.sock", (int)getpid());
    unlink(sock);
    int lfd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    strcpy(sa.sun_path, sock);
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(lfd, 128) != 0) {
        perror("floor socket");
        return 1;
    }
    pthread_t th;
    pthread_create(&th, NULL, discard, &lfd);

    int64_t *t = calloc((size_t)(runs * nprog), sizeof *t);
    char *floor_argv[] = {argv[3], sock, NULL};
    for (int w = 0; w < 20; w++) /* warm the page cache and the collector */
        for (int p = 0; p < nprog; p++) {
            char *a[] = {argv[3 + p], NULL};
            run_once(p == 0 ? floor_argv : a, payload);
        }
    for (int r = 0; r < runs; r++) {
        for (int p = 0; p < nprog; p++) {
            char *a[] = {argv[3 + p], NULL};
            t[p * runs + r] = run_once(p == 0 ? floor_argv : a, payload);
        }
    }
    unlink(sock);
    double floor_med = 0, floor_p99 = 0;
    for (int p = 0; p < nprog; p++) {
        int64_t *v = t + p * runs;
        qsort(v, (size_t)runs, sizeof *v, cmp64);
        double med = pct(v, runs, 0.5), p99 = pct(v, runs, 0.99);
        if (p == 0) {
            floor_med = med;
            floor_p99 = p99;
            printf("%-44s median %.3f ms  p99 %.3f ms\n", "floor (connect + write 1 KB, static)", med,
                   p99);
        } else {
            printf("%-44s median %.3f ms  p99 %.3f ms  ratio median %.2f  p99 %.2f\n",
                   argv[3 + p], med, p99, med / floor_med, p99 / floor_p99);
        }
    }
    free(t);
    return 0;
}
