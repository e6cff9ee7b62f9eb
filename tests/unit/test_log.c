/* test_log.c - log lines, and the journal priority prefix when stderr is the
 * journal.  Includes <syslog.h> too: the level names must not clash. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "check.h"
#include "chronicle/log.h"

/* Logs one line with stderr sent to a temporary file; returns its text. */
static void capture(const char *journal_stream_for_file, enum log_level level, char *out,
                    size_t cap)
{
    char path[] = "/tmp/chronicle-log-XXXXXX";
    int fd = mkstemp(path);
    int saved = dup(STDERR_FILENO);
    dup2(fd, STDERR_FILENO);
    if (journal_stream_for_file != NULL) {
        struct stat st;
        fstat(fd, &st);
        char js[64];
        snprintf(js, sizeof js, "%llu:%llu", (unsigned long long)st.st_dev,
                 (unsigned long long)st.st_ino);
        setenv("JOURNAL_STREAM", journal_stream_for_file[0] ? journal_stream_for_file : js, 1);
    } else {
        unsetenv("JOURNAL_STREAM");
    }
    log_msg("tag", level, "hello %d", 42);
    dup2(saved, STDERR_FILENO);
    close(saved);
    ssize_t n = pread(fd, out, cap - 1, 0);
    out[n > 0 ? n : 0] = '\0';
    close(fd);
    unlink(path);
    unsetenv("JOURNAL_STREAM");
}

static void plain_lines(struct check *c)
{
    char out[256];
    capture(NULL, LOG_LEVEL_WARN, out, sizeof out);
    CHECK_STR(c, out, "tag: warn: hello 42\n");
    capture(NULL, LOG_LEVEL_ERROR, out, sizeof out);
    CHECK_STR(c, out, "tag: error: hello 42\n");
}

static void journal_prefix(struct check *c)
{
    char out[256];
    capture("", LOG_LEVEL_WARN, out, sizeof out); /* JOURNAL_STREAM names the file */
    CHECK_STR(c, out, "<4>tag: warn: hello 42\n");
    capture("", LOG_LEVEL_DEBUG, out, sizeof out);
    CHECK_STR(c, out, "<7>tag: debug: hello 42\n");
    capture("1:2", LOG_LEVEL_ERROR, out, sizeof out); /* another stream: stderr was redirected */
    CHECK_STR(c, out, "tag: error: hello 42\n");
}

static void syslog_numbers(struct check *c)
{
    CHECK_INT(c, LOG_LEVEL_ERROR, LOG_ERR);
    CHECK_INT(c, LOG_LEVEL_WARN, LOG_WARNING);
    CHECK_INT(c, LOG_LEVEL_INFO, LOG_INFO);
    CHECK_INT(c, LOG_LEVEL_DEBUG, LOG_DEBUG);
}

CHECK_MAIN(CASE(plain_lines), CASE(journal_prefix), CASE(syslog_numbers))
