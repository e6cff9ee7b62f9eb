/*
 * spool.h - the on-disk fallback between a sender that got no ack and the
 * collector.
 *
 * Layout under CHRONICLE_HOME:
 *   spool/NAME.mp      finished files: one or more msgpack event frames
 *   spool/tmp/         files being written (never read by the collector)
 *   spool/corrupt/     files the collector could not decode, kept for humans
 *   dropped            one text line per event a sender could not even spool
 *
 * NAME is "<20-digit ts_ns>-<pid>-<32 hex id>", so a byte-wise sort of the
 * directory is oldest first.  A file appears in spool/ only by rename(2) from
 * spool/tmp/, so the collector never sees half a file.
 */
#ifndef CHRONICLE_SPOOL_H
#define CHRONICLE_SPOOL_H

#include <stddef.h>
#include <stdint.h>

#include "chronicle/config.h"

#define SPOOL_SUFFIX ".mp"

/* Writes frame atomically into the spool (write, fsync, rename), creating
 * the directories when missing; refuses (EACCES) a spool that is not ours or
 * is writable by others, and never follows a symlink.  Returns 0, or -1 with
 * errno set. */
int spool_write(const struct chronicle_config *cfg, const void *frame, size_t len,
                int64_t ts_ns, const unsigned char id[16]);

/* Appends one line describing a lost event to the drop file (O_APPEND, so
 * concurrent senders never interleave; O_NOFOLLOW, and only to a file of
 * ours).  Returns 0 or -1 with errno set. */
int spool_record_drop(const struct chronicle_config *cfg, int64_t ts_ns,
                      const unsigned char id[16], const char *event_type, int err);

/* Spool files (*.mp) directly in dir: the backlog.  0 when dir does not
 * exist, -1 when it cannot be read. */
long spool_count_files(const char *dir);

/* Events recorded in the drop file (its lines); 0 when it does not exist,
 * -1 when it cannot be read. */
long spool_count_drops(const char *drop_file);

/* Writes the 32 lowercase hex digits of id and a NUL into out[33]. */
void spool_hex_id(const unsigned char id[16], char out[33]);

#endif
