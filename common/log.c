/* log.c - one formatted line per call, written with a single write(2) so that
 * lines from concurrent processes sharing a journal never interleave. */
#include "chronicle/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *level_name(enum log_level level)
{
    switch (level) {
    case LOG_LEVEL_DEBUG: return "debug";
    case LOG_LEVEL_INFO: return "info";
    case LOG_LEVEL_WARN: return "warn";
    case LOG_LEVEL_ERROR: return "error";
    }
    return "?";
}

int log_to_journal(void)
{
    /* systemd sets JOURNAL_STREAM to the device and inode of the stream it
     * connected stdout/stderr to; a redirection in between changes them. */
    const char *js = getenv("JOURNAL_STREAM");
    unsigned long long dev, ino;
    struct stat st;
    if (js == NULL || sscanf(js, "%llu:%llu", &dev, &ino) != 2 || fstat(STDERR_FILENO, &st) != 0)
        return 0;
    return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void log_msg(const char *tag, enum log_level level, const char *fmt, ...)
{
    char line[1024];
    int n = log_to_journal()
                ? snprintf(line, sizeof line, "<%d>%s: %s: ", (int)level, tag, level_name(level))
                : snprintf(line, sizeof line, "%s: %s: ", tag, level_name(level));
    if (n < 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    va_end(ap);
    if (m < 0)
        return;
    size_t len = (size_t)n + (size_t)m;
    if (len > sizeof line - 2)
        len = sizeof line - 2; /* long messages are cut, never split */
    line[len++] = '\n';
    ssize_t w = write(STDERR_FILENO, line, len);
    (void)w; /* nowhere left to report a failing stderr */
}
