/* conversation_floor - the floor of a conversation page: open the
 * transcript, pread the byte ranges the page shows (offset length pairs on
 * stdin, as the index lists them), close.  Prints the microseconds that
 * took.   conversation_floor FILE < ranges */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define MAX_RANGES 1024
#define CAP (512 * 1024) /* the server's per-line read cap */

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    static long long off[MAX_RANGES], len[MAX_RANGES];
    int n = 0;
    while (n < MAX_RANGES && scanf("%lld %lld", &off[n], &len[n]) == 2)
        n++;
    char *buf = malloc(CAP);
    if (buf == NULL)
        return 1;
    double t0 = now_us();
    int fd = open(argv[1], O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return 1;
    long long total = 0;
    for (int i = 0; i < n; i++) {
        ssize_t got = pread(fd, buf, len[i] > CAP ? CAP : (size_t)len[i], (off_t)off[i]);
        if (got < 0)
            return 1;
        total += got;
    }
    close(fd);
    double dt = now_us() - t0;
    printf("%.1f %lld\n", dt, total);
    free(buf);
    return 0;
}
