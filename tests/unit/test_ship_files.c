/* test_ship_files - ship.cursor, ship.state and machine-id: round trips,
 * atomic replacement, refusal of symbolic links and of garbage. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "chronicle/machine_id.h"
#include "chronicle/ship_file.h"

static char home[64];

static void make_home(void)
{
    snprintf(home, sizeof home, "/tmp/chr-shipf.XXXXXX");
    if (mkdtemp(home) == NULL)
        abort();
}

static void put(const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", home, name);
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

static void cursor_round_trip(struct check *c)
{
    char err[256];
    struct ship_cursor in = {.last_id = 123456789012LL, .usage_synced_ns = 42}, out;
    for (int i = 0; i < SHIP_UID_LEN; i++)
        in.last_uid[i] = (unsigned char)(0xf0 + i);
    CHECK_INT(c, ship_cursor_read(home, &out, err, sizeof err), 1); /* missing */
    CHECK_INT(c, ship_cursor_write(home, &in, err, sizeof err), 0);
    CHECK_INT(c, ship_cursor_read(home, &out, err, sizeof err), 0);
    CHECK_INT(c, out.last_id, 123456789012LL);
    CHECK(c, memcmp(out.last_uid, in.last_uid, SHIP_UID_LEN) == 0);
    CHECK_INT(c, out.usage_synced_ns, 42);
    CHECK(c, out.written_ns > 0);
    char path[256];
    struct stat st;
    snprintf(path, sizeof path, "%s/ship.cursor", home);
    CHECK(c, stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
    snprintf(path, sizeof path, "%s/ship.cursor.tmp", home);
    CHECK(c, access(path, F_OK) != 0); /* renamed into place */
}

static void cursor_garbage_refused(struct check *c)
{
    char err[256];
    struct ship_cursor out;
    put("ship.cursor", "last_id=12x\n");
    CHECK_INT(c, ship_cursor_read(home, &out, err, sizeof err), -1);
    CHECK_INT(c, out.last_id, 0);
    put("ship.cursor", "usage_synced_ns=5\n"); /* no id at all */
    CHECK_INT(c, ship_cursor_read(home, &out, err, sizeof err), -1);
    put("ship.cursor", "last_id=-4\n");
    CHECK_INT(c, ship_cursor_read(home, &out, err, sizeof err), -1);
    put("ship.cursor", "last_id=7\nlast_uid=zz\n");
    CHECK_INT(c, ship_cursor_read(home, &out, err, sizeof err), -1);
}

/* A symbolic link planted at ship.cursor is never followed: it reads as
 * missing, which keeps retention on the safe side. */
static void cursor_symlink_not_followed(struct check *c)
{
    char err[256], path[256], target[256];
    struct ship_cursor out;
    snprintf(target, sizeof target, "%s/elsewhere", home);
    put("elsewhere", "last_id=999999\n");
    snprintf(path, sizeof path, "%s/ship.cursor", home);
    unlink(path);
    CHECK(c, symlink(target, path) == 0);
    CHECK_INT(c, ship_cursor_read(home, &out, err, sizeof err), 1);
    unlink(path);
}

static void state_round_trip(struct check *c)
{
    char err[256];
    struct ship_state in, out;
    memset(&in, 0, sizeof in);
    in.pid = 77;
    snprintf(in.target, sizeof in.target, "host=db dbname=team");
    snprintf(in.phase, sizeof in.phase, "backoff");
    in.lag_events = 1000;
    in.lag_ns = 5 * 1000000000LL;
    snprintf(in.last_error, sizeof in.last_error, "could not connect:\nline two");
    CHECK_INT(c, ship_state_write(home, &in, err, sizeof err), 0);
    CHECK_INT(c, ship_state_read(home, &out, err, sizeof err), 0);
    CHECK_INT(c, out.pid, 77);
    CHECK_STR(c, out.target, "host=db dbname=team");
    CHECK_STR(c, out.phase, "backoff");
    CHECK_INT(c, out.lag_events, 1000);
    CHECK_INT(c, out.lag_ns, 5 * 1000000000LL);
    CHECK_STR(c, out.last_error, "could not connect: line two"); /* one line */
}

static void machine_id_once(struct check *c)
{
    char err[256], a[MACHINE_ID_LEN + 1], b[MACHINE_ID_LEN + 1];
    CHECK_INT(c, machine_id_get(home, 0, a, err, sizeof err), 1);
    CHECK_INT(c, machine_id_get(home, 1, a, err, sizeof err), 0);
    CHECK(c, machine_id_valid(a));
    CHECK(c, a[14] == '4'); /* version 4 */
    CHECK_INT(c, machine_id_get(home, 1, b, err, sizeof err), 0);
    CHECK_STR(c, b, a);
    char path[256];
    struct stat st;
    snprintf(path, sizeof path, "%s/machine-id", home);
    CHECK(c, stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
    put("machine-id", "not-a-uuid\n");
    CHECK_INT(c, machine_id_get(home, 1, b, err, sizeof err), -1);
    CHECK(c, strstr(err, "not a machine id") != NULL);
    CHECK(c, !machine_id_valid("0123456789abcdef0123456789abcdef0123"));
    CHECK(c, !machine_id_valid("01234567-89AB-4def-8123-456789abcdef"));
    CHECK(c, machine_id_valid("01234567-89ab-4def-8123-456789abcdef"));
}

int main(void)
{
    make_home();
    static const struct check_case cases[] = {CASE(cursor_round_trip), CASE(cursor_garbage_refused),
                                              CASE(cursor_symlink_not_followed),
                                              CASE(state_round_trip), CASE(machine_id_once)};
    int rc = check_main(cases, sizeof cases / sizeof cases[0]);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", home);
    if (system(cmd) != 0)
        rc = 1;
    return rc;
}
