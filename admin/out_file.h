/*
 * out_file.h - an output file that appears only when complete: written to
 * a temporary name beside the destination, fsynced, then renamed over it.
 * Used by backup and export so that a crash never leaves half a file under
 * the name the user asked for.
 */
#ifndef CHRONICLE_ADMIN_OUT_FILE_H
#define CHRONICLE_ADMIN_OUT_FILE_H

#include <limits.h>
#include <stddef.h>
#include <stdio.h>

struct out_file {
    char dest[PATH_MAX];
    char tmp[PATH_MAX + 32];
    FILE *fp;               /* open on tmp; owned until commit/abort */
};

/* Refuses an existing dest unless force.  0 or -1 with err. */
int out_file_open(struct out_file *o, const char *dest, int force, char *err, size_t errlen);

/* Flushes, fsyncs, renames tmp to dest.  0 or -1 with err (tmp removed). */
int out_file_commit(struct out_file *o, char *err, size_t errlen);

/* Closes and removes tmp. */
void out_file_abort(struct out_file *o);

/* Only the temporary name, for writers that are not stdio (SQLite):
 * creates it empty, closes it, and leaves o->fp NULL. */
int out_file_reserve(struct out_file *o, const char *dest, int force, char *err, size_t errlen);

#endif
