/*
 * log.h - stderr logging shared by every Chronicle program (after openssh's
 * log.h: one function, levels with syslog's numbers, no global state).
 *
 * Stateless on purpose: there is no global log level.  Each program decides
 * at the call site whether a message is worth printing (the sender only logs
 * under --verbose; the collector's connection details only under
 * --verbose; the daemons log everything that a journal should keep).
 * Lines look like "chronicle-collector: warn: spool file moved aside: ...".
 * When stderr is the systemd journal (JOURNAL_STREAM names it), each line
 * starts with the "<N>" priority prefix journald reads, so `journalctl -p
 * warning` shows what it should.
 *
 * The level names are LOG_LEVEL_*, not syslog.h's LOG_*, so that both
 * headers can be included together.
 */
#ifndef CHRONICLE_LOG_H
#define CHRONICLE_LOG_H

/* Values are syslog priorities (RFC 5424), used as the journal prefix. */
enum log_level {
    LOG_LEVEL_ERROR = 3,
    LOG_LEVEL_WARN = 4,
    LOG_LEVEL_INFO = 6,
    LOG_LEVEL_DEBUG = 7,
};

/* Writes one line to stderr, prefixed with the program tag and level. */
void log_msg(const char *tag, enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* 1 when stderr is the journal stream JOURNAL_STREAM ("DEV:INODE") names. */
int log_to_journal(void);

#endif
