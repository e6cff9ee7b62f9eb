/*
 * home.h - CHRONICLE_HOME belongs to its user and to nobody else.
 *
 * The home holds every prompt, command and file an agent saw.  Another
 * local user must not read it, plant files in it (a spool file would be
 * ingested as the victim's event) or redirect what Chronicle writes there
 * (a symlinked spool/ or dropped).  So every directory is opened with
 * O_NOFOLLOW and checked: a directory, owned by the effective uid, not
 * writable by group or others.  The daemons also tighten a home that is
 * merely too open (a plain mkdir's 0755, a restored backup) to 0700, and
 * the files they keep there to 0600; a directory owned by someone else is
 * refused with an error naming the path and the fix.
 *
 * Nothing here allocates; descriptors returned are the caller's to close.
 */
#ifndef CHRONICLE_HOME_H
#define CHRONICLE_HOME_H

#include <stddef.h>

#include "chronicle/config.h"

/* Where something was tightened, for the caller to log once. */
struct home_report {
    char tightened[4][PATH_MAX + 32]; /* "PATH (0755 -> 0700)" */
    int n;
};

/*
 * Opens dir as an O_DIRECTORY | O_NOFOLLOW descriptor, creating it (0700)
 * when create is set and it is missing, and checks it as above.  With
 * report != NULL, a directory of ours that group or others may use is
 * chmod'ed to 0700 and noted in report; without, it is refused if group or
 * others may write to it.  Returns the descriptor, or -1 with err.
 */
int home_open_dir(const char *dir, int create, struct home_report *report, char *err,
                  size_t errlen);

/*
 * The daemons' start-up check: the home, spool/, spool/tmp/ and
 * spool/corrupt/ (created when missing), then the files Chronicle keeps in
 * the home (chronicle.db and its -wal/-shm, dropped, collector.lock,
 * server.token, machine-id...) made 0600; a symlink among them is refused.
 * 0, or -1 with err.
 */
int home_secure(const struct chronicle_config *cfg, struct home_report *report, char *err,
                size_t errlen);

/* 1 when the open file fd is a regular file owned by the effective uid. */
int home_file_is_ours(int fd);

#endif
