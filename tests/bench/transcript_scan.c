/* transcript_scan - parses every line of a transcript with the collector's
 * row parser (the same loop shape: 64 KB reads, split on newlines) and
 * reports lines/s, usage rows and peak RSS.   transcript_scan FILE [index]
 * With "index" each line also goes through the conversation parser, as the
 * collector's offset index does: the two runs' ratio is what indexing costs
 * the reader. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "chronicle/buf.h"
#include "chronicle/conversation_line.h"
#include "transcript_row.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    int fd = open(argv[1], O_RDONLY);
    if (fd < 0)
        return 1;
    struct buf line = BUF_INIT;
    char chunk[64 * 1024];
    long lines = 0, usage = 0, blocks = 0;
    int index = argc > 2 && strcmp(argv[2], "index") == 0;
    struct conv_line L;
    struct transcript_row r;
    double t0 = now();
    ssize_t n;
    while ((n = read(fd, chunk, sizeof chunk)) > 0) {
        size_t start = 0;
        for (size_t i = 0; i < (size_t)n; i++) {
            if (chunk[i] != '\n')
                continue;
            const char *p = chunk + start;
            size_t len = i - start;
            if (line.len) {
                if (buf_append(&line, chunk + start, i - start) != 0)
                    return 1;
                p = line.data;
                len = line.len;
            }
            if (transcript_row_parse(p, len, &r) == 0 && r.kind == ROW_USAGE)
                usage++;
            if (index && conv_line_parse(p, len, &L) == 0)
                blocks += (long)L.nblocks;
            lines++;
            buf_reset(&line);
            start = i + 1;
        }
        if (buf_append(&line, chunk + start, (size_t)n - start) != 0)
            return 1;
    }
    double dt = now() - t0;
    FILE *st = fopen("/proc/self/status", "r");
    char l[256], hwm[64] = "?";
    while (st && fgets(l, sizeof l, st))
        if (strncmp(l, "VmHWM:", 6) == 0)
            snprintf(hwm, sizeof hwm, "%s", l + 6 + strspn(l + 6, " \t"));
    if (st)
        fclose(st);
    hwm[strcspn(hwm, "\n")] = '\0';
    printf("transcript parse%s: %ld lines (%ld usage rows, %ld indexed blocks) in %.2f s = %.0f "
           "lines/s, peak RSS %s\n", index ? " + index" : "", lines, usage, blocks, dt, lines / dt,
           hwm);
    buf_free(&line);
    close(fd);
    return 0;
}
