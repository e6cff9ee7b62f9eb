/*
 * machine_id.h - this machine's identity in team mode (docs/TEAM.md).
 *
 * A random UUID created once in $CHRONICLE_HOME/machine-id (0600, never
 * through a symbolic link) and kept forever: every event and session
 * shipped to PostgreSQL carries it, so two machines never collide even
 * when their hostnames or session ids do.  Copying a CHRONICLE_HOME to
 * another machine copies its identity too; delete machine-id on the copy.
 */
#ifndef CHRONICLE_MACHINE_ID_H
#define CHRONICLE_MACHINE_ID_H

#include <stddef.h>

#define MACHINE_ID_NAME "machine-id"
#define MACHINE_ID_LEN 36 /* 8-4-4-4-12 lowercase hex */

/*
 * Reads home/machine-id into out (MACHINE_ID_LEN + 1 bytes), creating it
 * when missing and create is set (two processes racing create one id).
 * 0, 1 when missing and !create, or -1 with err (unreadable, malformed).
 */
int machine_id_get(const char *home, int create, char out[MACHINE_ID_LEN + 1], char *err,
                   size_t errlen);

/* 1 when s is a lowercase UUID in the canonical 8-4-4-4-12 form. */
int machine_id_valid(const char *s);

#endif
