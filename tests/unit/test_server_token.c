/* test_server_token.c - $CHRONICLE_HOME/server.token: made once, read back,
 * and refused when it is a link, not ours, readable by others or garbage. */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "server_token.h"

struct dir {
    char home[64], file[128];
};

static void make_dir(struct dir *d)
{
    strcpy(d->home, "/tmp/chr-token.XXXXXX");
    if (mkdtemp(d->home) == NULL)
        abort();
    snprintf(d->file, sizeof d->file, "%s/%s", d->home, SERVER_TOKEN_FILE);
}

static void remove_dir(struct dir *d)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", d->home);
    if (system(cmd) != 0)
        abort();
}

static void write_file(const char *path, const char *text, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text) || close(fd) != 0)
        abort();
    if (chmod(path, mode) != 0)
        abort();
}

static int entries(const char *dir)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "test $(ls -A '%s' | wc -l) -eq 1", dir);
    return system(cmd) == 0;
}

static void created_once_then_read(struct check *c)
{
    struct dir d;
    make_dir(&d);
    char tok[SERVER_TOKEN_MAX + 1], again[SERVER_TOKEN_MAX + 1], err[512];
    int created = -1;
    CHECK_INT(c, server_token_load(d.home, tok, sizeof tok, &created, err, sizeof err), 0);
    CHECK_INT(c, created, 1);
    CHECK_INT(c, strlen(tok), 64);
    CHECK_INT(c, strspn(tok, "0123456789abcdef"), 64);
    struct stat st;
    CHECK(c, stat(d.file, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 07777) == 0600);
    CHECK_INT(c, st.st_size, 65); /* the token and a newline */
    CHECK(c, entries(d.home));    /* no temporary file left */
    CHECK_INT(c, server_token_load(d.home, again, sizeof again, &created, err, sizeof err), 0);
    CHECK_INT(c, created, 0);
    CHECK_STR(c, again, tok);
    remove_dir(&d);
    struct dir e;
    make_dir(&e);
    CHECK_INT(c, server_token_load(e.home, again, sizeof again, &created, err, sizeof err), 0);
    CHECK(c, strcmp(again, tok) != 0); /* random, not derived from anything */
    remove_dir(&e);
}

static void own_token_kept(struct check *c)
{
    struct dir d;
    make_dir(&d);
    write_file(d.file, "my-own_token.1\r\n", 0600);
    char tok[SERVER_TOKEN_MAX + 1], err[512];
    int created = -1;
    CHECK_INT(c, server_token_load(d.home, tok, sizeof tok, &created, err, sizeof err), 0);
    CHECK_INT(c, created, 0);
    CHECK_STR(c, tok, "my-own_token.1");
    remove_dir(&d);
}

/* Each bad file: refused with a message naming the path and the reason, and
 * left as it was. */
static void expect_refused(struct check *c, struct dir *d, const char *why)
{
    char tok[SERVER_TOKEN_MAX + 1], err[512] = "";
    int created = -1;
    CHECK_INT(c, server_token_load(d->home, tok, sizeof tok, &created, err, sizeof err), -1);
    CHECK_INT(c, created, 0);
    if (strstr(err, d->file) == NULL || strstr(err, why) == NULL) {
        fprintf(stderr, "  message '%s' should name %s and say '%s'\n", err, d->file, why);
        c->failures++;
    }
    remove_dir(d);
}

static void refused_files(struct check *c)
{
    struct dir d;
    make_dir(&d);
    char target[160];
    snprintf(target, sizeof target, "%s/elsewhere", d.home);
    write_file(target, "planted\n", 0600);
    CHECK(c, symlink(target, d.file) == 0);
    expect_refused(c, &d, "symbolic link");

    make_dir(&d);
    write_file(d.file, "0123456789abcdef\n", 0644);
    expect_refused(c, &d, "may be read by other users (mode 0644)");

    make_dir(&d);
    write_file(d.file, "0123456789abcdef\n", 0640);
    expect_refused(c, &d, "mode 0640");

    make_dir(&d);
    CHECK(c, mkdir(d.file, 0700) == 0);
    expect_refused(c, &d, "not a regular file");

    make_dir(&d);
    CHECK(c, mkfifo(d.file, 0600) == 0); /* must not block */
    expect_refused(c, &d, "not a regular file");

    make_dir(&d);
    write_file(d.file, "\n", 0600);
    expect_refused(c, &d, "does not hold a token");

    make_dir(&d);
    write_file(d.file, "two words\n", 0600);
    expect_refused(c, &d, "does not hold a token");

    make_dir(&d);
    char big[400];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    write_file(d.file, big, 0600);
    expect_refused(c, &d, "does not hold a token");

    if (geteuid() == 0) { /* a file someone else made */
        make_dir(&d);
        write_file(d.file, "0123456789abcdef\n", 0600);
        CHECK(c, chown(d.file, 65534, 65534) == 0);
        expect_refused(c, &d, "belongs to uid 65534");
    }
}

static void no_home(struct check *c)
{
    char tok[SERVER_TOKEN_MAX + 1], err[512];
    int created = -1;
    CHECK_INT(c, server_token_load("/nonexistent/chronicle", tok, sizeof tok, &created, err,
                                   sizeof err), -1);
    CHECK(c, strstr(err, "/nonexistent/chronicle/server.token") != NULL);
}

static void validity(struct check *c)
{
    CHECK(c, server_token_valid("a"));
    CHECK(c, server_token_valid("!~azAZ09"));
    CHECK(c, !server_token_valid(""));
    CHECK(c, !server_token_valid("a b"));
    CHECK(c, !server_token_valid("a\tb"));
    CHECK(c, !server_token_valid("\xc3\xa9"));
    char big[SERVER_TOKEN_MAX + 2];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    CHECK(c, !server_token_valid(big));
    big[SERVER_TOKEN_MAX] = '\0';
    CHECK(c, server_token_valid(big));
}

CHECK_MAIN(CASE(created_once_then_read), CASE(own_token_kept), CASE(refused_files), CASE(no_home),
           CASE(validity))
