/*
 * test_admin_settings_file.c - reading, backing up and atomically replacing
 * a settings file: mode and contents kept, symlinks followed, a concurrent
 * writer noticed, read-only files recognised.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "../../admin/settings_file.h"

static char dir[] = "/tmp/chr-sf.XXXXXX";

static void put(const char *path, const char *text, mode_t mode)
{
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
    chmod(path, mode);
}

static char *slurp(const char *path)
{
    static char buf[4096];
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = '\0';
    return buf;
}

static void write_keeps_mode_and_backs_up(struct check *c)
{
    char path[256], backup[PATH_MAX], err[512];
    snprintf(path, sizeof path, "%s/a.json", dir);
    put(path, "{\"a\": 1}\n", 0640);
    struct settings_file f;
    CHECK(c, settings_file_read(&f, path, err, sizeof err) == 0 && f.exists);
    CHECK(c, f.mode == 0640 && !settings_file_read_only(&f) && !settings_file_changed(&f));
    CHECK_INT(c, settings_file_backup(&f, backup, err, sizeof err), 0);
    CHECK(c, strstr(backup, "/a.json.chronicle-backup-") != NULL);
    char second[PATH_MAX];
    CHECK(c, settings_file_backup(&f, second, err, sizeof err) == 0 && strcmp(second, backup) != 0);
    CHECK_INT(c, settings_file_write(&f, "{}\n", 3, err, sizeof err), 0);
    struct stat st;
    CHECK(c, stat(path, &st) == 0 && (st.st_mode & 07777) == 0640);
    CHECK_STR(c, slurp(path), "{}\n");
    CHECK_STR(c, slurp(backup), "{\"a\": 1}\n");
    CHECK_STR(c, slurp(second), "{\"a\": 1}\n");
    settings_file_free(&f);
}

static void notices_other_writers(struct check *c)
{
    char path[256], err[512];
    snprintf(path, sizeof path, "%s/b.json", dir);
    put(path, "{}", 0600);
    struct settings_file f;
    CHECK_INT(c, settings_file_read(&f, path, err, sizeof err), 0);
    CHECK(c, !settings_file_changed(&f));
    put(path, "{\"x\":2}", 0600);        /* Claude Code adds a permission */
    CHECK(c, settings_file_changed(&f));
    settings_file_free(&f);
    unlink(path);
    CHECK(c, settings_file_read(&f, path, err, sizeof err) == 0 && !f.exists);
    CHECK(c, !settings_file_changed(&f));
    put(path, "{}", 0600);               /* created meanwhile */
    CHECK(c, settings_file_changed(&f));
    settings_file_free(&f);
}

static void follows_symlinks_and_sees_read_only(struct check *c)
{
    char target[256], link[256], err[512];
    snprintf(target, sizeof target, "%s/real.json", dir);
    snprintf(link, sizeof link, "%s/link.json", dir);
    put(target, "{}", 0444);
    CHECK_INT(c, symlink(target, link), 0);
    struct settings_file f;
    CHECK_INT(c, settings_file_read(&f, link, err, sizeof err), 0);
    CHECK(c, strcmp(f.real, target) == 0 || strstr(f.real, "/real.json") != NULL);
    CHECK(c, settings_file_read_only(&f));
    chmod(target, 0600);
    settings_file_free(&f);
    CHECK_INT(c, settings_file_read(&f, link, err, sizeof err), 0);
    CHECK_INT(c, settings_file_write(&f, "{\"y\":1}", 7, err, sizeof err), 0);
    struct stat st;
    CHECK(c, lstat(link, &st) == 0 && S_ISLNK(st.st_mode));
    CHECK_STR(c, slurp(target), "{\"y\":1}");
    settings_file_free(&f);
    char dangling[256];
    snprintf(dangling, sizeof dangling, "%s/dangling.json", dir);
    CHECK_INT(c, symlink("/nonexistent/x.json", dangling), 0);
    CHECK(c, settings_file_read(&f, dangling, err, sizeof err) == -1 && strstr(err, "dangling"));
}

static void new_file_is_private(struct check *c)
{
    char path[256], err[512];
    snprintf(path, sizeof path, "%s/sub/new.json", dir);
    struct settings_file f;
    CHECK(c, settings_file_read(&f, path, err, sizeof err) == 0 && !f.exists);
    CHECK_INT(c, settings_file_write(&f, "{}\n", 3, err, sizeof err), 0);
    struct stat st;
    CHECK(c, stat(path, &st) == 0 && (st.st_mode & 07777) == 0600);
    snprintf(path, sizeof path, "%s/sub", dir);
    CHECK(c, stat(path, &st) == 0 && (st.st_mode & 07777) == 0700);
    CHECK(c, settings_file_read(&f, dir, err, sizeof err) == -1 && strstr(err, "not a regular file"));
}

static void setup(struct check *c)
{
    CHECK(c, mkdtemp(dir) != NULL);
}

static void teardown(struct check *c)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK_INT(c, system(cmd), 0);
}

CHECK_MAIN(CASE(setup), CASE(write_keeps_mode_and_backs_up), CASE(notices_other_writers),
           CASE(follows_symlinks_and_sees_read_only), CASE(new_file_is_private), CASE(teardown))
