/*
 * log.h - stderr logging shared by every Chronicle program.
 *
 * Stateless on purpose: there is no global log level.  Each program decides
 * at the call site whether a message is worth printing (the sender only logs
 * under --verbose; the daemons log everything that a journal should keep).
 * Lines look like "chronicle-collector: warn: spool file moved aside: ...".
 */
#ifndef CHRONICLE_LOG_H
#define CHRONICLE_LOG_H

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Writes one line to stderr, prefixed with the program tag and level. */
void log_msg(const char *tag, enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
