/* test_ship_sessions - session_sync.c on a real local database: which
 * sessions a scan picks (changed since last committed, touched by a
 * shipped batch, all after forget), NULLs kept, the '' session skipped. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "chronicle/schema.h"
#include "local_db.h"
#include "session_sync.h"

struct fixture {
    char dir[64], path[96];
    sqlite3 *w;
    struct local_db *d;
};

static int open_fixture(struct fixture *f)
{
    char err[256];
    snprintf(f->dir, sizeof f->dir, "/tmp/chr-sessync.XXXXXX");
    if (mkdtemp(f->dir) == NULL)
        return -1;
    snprintf(f->path, sizeof f->path, "%s/chronicle.db", f->dir);
    if (sqlite3_open(f->path, &f->w) != SQLITE_OK || schema_migrate(f->w, err, sizeof err) != 0)
        return -1;
    const char *rows =
        "INSERT INTO sessions (session_id, first_seen_ns, last_seen_ns, state, awaiting_reason,"
        " state_since_ns, state_detail, title, title_source) VALUES"
        " ('s1', 1, 2, 'awaiting_input', 'permission', 2, '{\"tool_name\":\"Bash\"}', 'Fix it', 'prompt'),"
        " ('s2', 1, 3, 'failed', NULL, 3, '{\"error\":\"rate_limit\"}', NULL, NULL),"
        " ('', 1, 3, 'working', NULL, NULL, NULL, NULL, NULL);";
    if (sqlite3_exec(f->w, rows, NULL, NULL, NULL) != SQLITE_OK)
        return -1;
    f->d = local_db_open(f->path, err, sizeof err);
    return f->d ? 0 : -1;
}

static void close_fixture(struct fixture *f)
{
    local_db_close(f->d);
    sqlite3_close(f->w);
    char p[128];
    const char *files[] = {"chronicle.db", "chronicle.db-wal", "chronicle.db-shm"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s/%s", f->dir, files[i]);
        unlink(p);
    }
    rmdir(f->dir);
}

static long page(struct session_sync *u, struct local_db *d)
{
    char err[256];
    long n = session_sync_page(u, d, err, sizeof err);
    if (n > 0)
        session_sync_committed(u);
    return n;
}

static void picks_changed(struct check *c)
{
    struct fixture f = {0};
    CHECK(c, open_fixture(&f) == 0);
    if (f.d == NULL)
        return;
    struct session_sync u = {0};
    char err[256];
    CHECK_INT(c, session_sync_page(&u, f.d, err, sizeof err), 2); /* not the '' session */
    /* The arrays hold both rows (NULL title of s2 included). */
    CHECK(c, u.col[0].b.len > 0 && u.col[5].b.len > 0);
    session_sync_committed(&u);
    CHECK_INT(c, page(&u, f.d), 0); /* nothing changed */
    CHECK(c, sqlite3_exec(f.w, "UPDATE sessions SET title = 'From Claude', title_source = 'claude'"
                               " WHERE session_id = 's2'", NULL, NULL, NULL) == SQLITE_OK);
    CHECK_INT(c, page(&u, f.d), 1);  /* a change without an event */
    CHECK_INT(c, page(&u, f.d), 0);
    CHECK(c, sqlite3_exec(f.w, "UPDATE sessions SET state = 'ended', state_since_ns = 9,"
                               " awaiting_reason = NULL WHERE session_id = 's1'",
                          NULL, NULL, NULL) == SQLITE_OK);
    CHECK_INT(c, page(&u, f.d), 1);
    session_sync_touch(&u, "s2", 2); /* a batch rewrote s2 in PostgreSQL */
    CHECK(c, u.dirty);
    CHECK_INT(c, page(&u, f.d), 1);
    CHECK(c, !u.dirty);
    session_sync_touch(&u, "nope", 4); /* unknown: harmless */
    CHECK_INT(c, page(&u, f.d), 0);
    session_sync_forget(&u);
    CHECK_INT(c, page(&u, f.d), 2);
    session_sync_free(&u);
    close_fixture(&f);
}

CHECK_MAIN(CASE(picks_changed))
