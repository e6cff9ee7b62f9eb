/*
 * settings_file.h - reading and safely replacing a settings file.
 *
 * Replacement is atomic (temporary file in the same directory, fsync,
 * rename, fsync of the directory), keeps the file's mode and owner, and
 * follows a symlink to the real file (a dotfiles manager's link stays a
 * link).  A backup copy "<file>.chronicle-backup-YYYYMMDDTHHMMSSZ" is made
 * first.
 */
#ifndef CHRONICLE_ADMIN_SETTINGS_FILE_H
#define CHRONICLE_ADMIN_SETTINGS_FILE_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "chronicle/buf.h"

#define SETTINGS_MAX_BYTES (16 << 20)

struct settings_file {
    char path[PATH_MAX];      /* as given */
    char real[PATH_MAX];      /* the file actually written (symlinks resolved) */
    int exists;
    mode_t mode;              /* permission bits when it exists */
    uid_t uid;
    gid_t gid;
    /* What was read, to notice a writer (Claude Code itself) in between. */
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
    struct buf text;          /* contents (owned: settings_file_free) */
};

/* Reads path.  A missing file is not an error (exists = 0).  0, or -1 with
 * a message in err (unreadable, too large, a directory...). */
int settings_file_read(struct settings_file *f, const char *path, char *err, size_t errlen);
void settings_file_free(struct settings_file *f);

/* 1 if the file on disk is no longer the one read (created, removed,
 * replaced or modified since settings_file_read). */
int settings_file_changed(const struct settings_file *f);

/* 1 if the file exists and has no write bit at all (the user made it
 * read-only on purpose: we refuse rather than replace it). */
int settings_file_read_only(const struct settings_file *f);

/* Copies the current contents to a new timestamped backup beside the real
 * file; its path goes to backup (PATH_MAX).  0 or -1 with err. */
int settings_file_backup(const struct settings_file *f, char *backup, char *err, size_t errlen);

/* Atomically replaces the file with text (creating it, and its directory
 * when that is missing, with mode 0600/0700 for a new file).  0 or -1. */
int settings_file_write(const struct settings_file *f, const char *text, size_t len, char *err,
                        size_t errlen);

#endif
