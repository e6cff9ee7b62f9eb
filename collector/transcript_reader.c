/* transcript_reader.c - incremental transcript reading.  See transcript_reader.h. */
#include "transcript_reader.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "chronicle/buf.h"
#include "chronicle/conversation_line.h"
#include "chronicle/log.h"
#include "chronicle/json_scan.h"
#include "collector.h"
#include "chronicle/redact.h"
#include "session_state.h"

#define RESCAN_S 30              /* slow timer: every known file */
#define BATCH_ROWS 512           /* rows per usage batch */
#define MAX_LINE (16 << 20)      /* longer lines are skipped, not buffered */
#define MAX_FILES 4096

struct transcript_file {
    struct transcript_file *next;
    char path[PATH_MAX];
    char session_id[128], agent_id[128];
    char prompt[128];        /* the prompt the next assistant rows answer */
    int64_t inode, offset;
    int wanted;
    int restart;             /* the next batch starts the file's index again */
    struct subagent_meta meta;
};

void usage_batch_free(struct usage_batch *b)
{
    if (b != NULL) {
        for (size_t i = 0; i < b->n; i++)
            free(b->rows[i].text);
        free(b->rows);
        free(b->lines);
        free(b);
    }
}

static void copy(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src ? src : "");
}

/* Caller holds mu. */
static struct transcript_file *find_or_add(struct transcript_reader *t, const char *path)
{
    for (struct transcript_file *f = t->files; f; f = f->next)
        if (strcmp(f->path, path) == 0)
            return f;
    if (t->nfiles >= MAX_FILES || strlen(path) >= PATH_MAX)
        return NULL;
    struct transcript_file *f = calloc(1, sizeof *f);
    if (f == NULL)
        return NULL;
    copy(f->path, sizeof f->path, path);
    f->next = t->files;
    t->files = f;
    t->nfiles++;
    return f;
}

void transcript_reader_want(struct collector *c, const char *path, const char *session_id,
                            const char *agent_id)
{
    struct transcript_reader *t = &c->transcripts;
    if (!t->running || path == NULL || path[0] != '/')
        return;
    pthread_mutex_lock(&t->mu);
    struct transcript_file *f = find_or_add(t, path);
    if (f != NULL) {
        if (session_id && !f->session_id[0])
            copy(f->session_id, sizeof f->session_id, session_id);
        if (agent_id && !f->agent_id[0])
            copy(f->agent_id, sizeof f->agent_id, agent_id);
        f->wanted = 1;
        pthread_cond_signal(&t->wake);
    }
    pthread_mutex_unlock(&t->mu);
}

static struct usage_batch *new_batch(const struct transcript_file *f)
{
    struct usage_batch *b = calloc(1, sizeof *b);
    if (b == NULL)
        return NULL;
    copy(b->path, sizeof b->path, f->path);
    copy(b->session_id, sizeof b->session_id, f->session_id);
    copy(b->agent_id, sizeof b->agent_id, f->agent_id);
    b->inode = f->inode;
    b->meta = f->meta;
    b->restart = f->restart;
    return b;
}

static void copy_span(char *dst, size_t cap, const char *line, const struct conv_span *sp)
{
    /* Ids hold no escapes; one that does not fit is left out rather than
     * cut into another id. */
    if (!sp->present || sp->len >= cap) {
        dst[0] = '\0';
        return;
    }
    memcpy(dst, line + sp->start, sp->len);
    dst[sp->len] = '\0';
}

/* The conversation view's index: one row per block worth showing. */
static void index_line(struct transcript_file *f, struct usage_batch *b, const char *line,
                       size_t len, int64_t offset, struct stats *stats)
{
    struct conv_line L;
    if (conv_line_parse(line, len, &L) != 0 || L.nblocks == 0)
        return;
    if (L.dropped > 0)
        stats_add(stats, "transcript_blocks_dropped_total", "", (int64_t)L.dropped);
    if (!f->session_id[0])
        copy_span(f->session_id, sizeof f->session_id, line, &L.session_id);
    if (!f->agent_id[0] && L.sidechain)
        copy_span(f->agent_id, sizeof f->agent_id, line, &L.agent_id);
    if (!b->session_id[0])
        copy(b->session_id, sizeof b->session_id, f->session_id);
    if (!b->agent_id[0])
        copy(b->agent_id, sizeof b->agent_id, f->agent_id);
    int64_t ts = 0;
    if (L.timestamp.present && L.timestamp.len < 40) {
        char t[40];
        copy_span(t, sizeof t, line, &L.timestamp);
        ts = transcript_parse_time(t);
    }
    for (size_t i = 0; i < L.nblocks; i++) {
        if (b->nlines == b->lines_cap) {
            size_t cap = b->lines_cap ? b->lines_cap * 2 : 64;
            struct line_index_row *rows = realloc(b->lines, cap * sizeof *rows);
            if (rows == NULL)
                return;
            b->lines = rows;
            b->lines_cap = cap;
        }
        struct line_index_row *x = &b->lines[b->nlines++];
        x->kind = (int)L.b[i].kind;
        x->block = (int)i;
        x->offset = offset;
        x->length = (int64_t)len;
        x->ts_ns = ts;
        copy_span(x->uuid, sizeof x->uuid, line, &L.uuid);
        copy_span(x->tool_use_id, sizeof x->tool_use_id, line, &L.b[i].id);
        if (L.prompt_id.present)
            copy_span(x->prompt_id, sizeof x->prompt_id, line, &L.prompt_id);
        else
            copy(x->prompt_id, sizeof x->prompt_id, f->prompt);
    }
}

/*
 * The assistant's text blocks of r, decoded, redacted with the collector's
 * rules (transcripts are not redacted on disk, and only redacted text may be
 * stored or indexed), then capped: the whole text is redacted first, so a cap
 * can never cut a secret into a piece the rules no longer recognise.
 * Control characters become spaces (search_text.h says why).  Leaves r->text
 * NULL on ENOMEM: the usage row still counts, the reply is not searchable.
 */
static void take_text(struct collector *c, struct transcript_row *r, const char *line)
{
    struct buf dec = BUF_INIT, red = BUF_INIT;
    for (int i = 0; i < r->ntext; i++) {
        size_t n = r->text_len[i];
        if ((i > 0 && buf_append(&dec, "\n\n", 2) != 0) || buf_reserve(&dec, n) != 0)
            goto out;
        dec.len += json_unescape(line + r->text_start[i], n, dec.data + dec.len);
        dec.data[dec.len] = '\0';
    }
    if (dec.len == 0)
        goto out;
    struct buf *t = &dec;
    if (c->redact_rules.on) {
        if (redact_text(dec.data, dec.len, &c->redact_rules, &red) < 0)
            goto out;
        t = &red;
    }
    size_t len = t->len < REPLY_TEXT_CAP ? t->len : REPLY_TEXT_CAP;
    while (len > 0 && len < t->len && ((unsigned char)t->data[len] & 0xC0) == 0x80)
        len--; /* cut before a character, not inside one */
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)t->data[i];
        if ((ch < 0x20 && ch != '\n' && ch != '\t') || ch == 0x7F)
            t->data[i] = ' ';
    }
    r->text = malloc(len + 1);
    if (r->text != NULL) {
        memcpy(r->text, t->data, len);
        r->text[len] = '\0';
        r->text_bytes = len;
    }
out:
    buf_free(&dec);
    buf_free(&red);
}

/* A title line: kept redacted, and only for a main transcript (a
 * subagent's file names the subagent's work, not the session). */
static void take_title(struct transcript_file *f, struct usage_batch *b,
                       const struct transcript_row *r, const struct redact_rules *rules)
{
    if (f->agent_id[0] || r->sidechain || (b->title_custom && !r->title_custom))
        return;
    struct buf red = {0};
    if (redact_text(r->title, strlen(r->title), rules, &red) >= 0 && red.len > 0) {
        one_line_text(red.data, red.len, b->title, sizeof b->title, SESSION_TITLE_CHARS);
        b->title_custom = r->title_custom;
    }
    buf_free(&red);
}

static void take_line(struct collector *c, struct transcript_file *f, struct usage_batch *b,
                      const char *line, size_t len, int64_t offset, struct stats *stats,
                      const struct redact_rules *rules)
{
    struct transcript_row r;
    if (len == 0)
        return;
    if (transcript_row_parse(line, len, &r) != 0) {
        stats_add(stats, "transcript_lines_invalid_total", "", 1);
        return;
    }
    if (r.kind == ROW_TITLE) {
        take_title(f, b, &r, rules);
        return;
    }
    if (r.kind == ROW_PROMPT)
        copy(f->prompt, sizeof f->prompt, r.prompt_id[0] ? r.prompt_id : r.uuid);
    index_line(f, b, line, len, offset, stats);
    if (r.kind != ROW_USAGE)
        return;
    if (!r.session_id[0])
        copy(r.session_id, sizeof r.session_id, f->session_id);
    if (!r.agent_id[0] && (r.sidechain || f->agent_id[0]))
        copy(r.agent_id, sizeof r.agent_id, f->agent_id);
    if (!r.prompt_id[0])
        copy(r.prompt_id, sizeof r.prompt_id, f->prompt);
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        struct transcript_row *rows = realloc(b->rows, cap * sizeof *rows);
        if (rows == NULL)
            return;
        b->rows = rows;
        b->cap = cap;
    }
    if (r.ntext > 0)
        take_text(c, &r, line);
    b->text_bytes += r.text_bytes;
    b->rows[b->n++] = r;
}

/* Reads what was appended to f since its offset.  Runs without the lock;
 * only this thread touches inode/offset/prompt. */
static void read_file(struct collector *c, struct transcript_file *f, struct buf *line)
{
    /* A transcript path is data from a hook: only a regular file of ours is
     * read, never through a symlink (the server reads the same rule). */
    int fd = open(f->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0) {
        if (errno == ELOOP)
            stats_add(&c->stats, "transcript_files_refused_total", "", 1);
        return; /* missing or not yet written: tried again later */
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid()) {
        stats_add(&c->stats, "transcript_files_refused_total", "", 1);
        close(fd);
        return;
    }
    if ((int64_t)st.st_ino != f->inode || st.st_size < f->offset) {
        /* Replaced or truncated: read again from the start. */
        f->inode = (int64_t)st.st_ino;
        f->offset = 0;
        f->prompt[0] = '\0';
    }
    if (f->offset == 0) {
        f->restart = 1;
        subagent_meta_read(f->path, &f->meta);
    }
    if (st.st_size == f->offset || lseek(fd, f->offset, SEEK_SET) < 0) {
        close(fd);
        return;
    }
    struct usage_batch *b = new_batch(f);
    char chunk[64 * 1024];
    int64_t pos = f->offset; /* file position of chunk[0] */
    int skipping = 0;        /* inside a line longer than MAX_LINE */
    buf_reset(line);
    ssize_t n;
    while (b != NULL && (n = read(fd, chunk, sizeof chunk)) > 0) {
        size_t start = 0;
        for (size_t i = 0; i < (size_t)n; i++) {
            if (chunk[i] != '\n')
                continue;
            if (!skipping) {
                if (line->len > 0) {
                    if (buf_append(line, chunk + start, i - start) == 0)
                        take_line(c, f, b, line->data, line->len, f->offset, &c->stats,
                                  &c->redact_rules);
                    buf_reset(line);
                } else {
                    take_line(c, f, b, chunk + start, i - start, f->offset, &c->stats,
                              &c->redact_rules);
                }
            }
            skipping = 0;
            start = i + 1;
            f->offset = pos + (int64_t)start;
            if (b->n + b->nlines >= BATCH_ROWS || b->text_bytes >= USAGE_BATCH_TEXT_MAX) {
                b->offset = f->offset;
                ingest_push_usage(c->ingest, b); /* waits while the writer is behind */
                f->restart = 0;
                b = new_batch(f);
                if (b == NULL)
                    break;
            }
        }
        if (!skipping && start < (size_t)n) {
            if (line->len + ((size_t)n - start) > MAX_LINE) {
                stats_add(&c->stats, "transcript_lines_too_long_total", "", 1);
                skipping = 1;
                buf_reset(line);
            } else if (buf_append(line, chunk + start, (size_t)n - start) != 0) {
                skipping = 1;
                buf_reset(line);
            }
        }
        pos += n;
    }
    close(fd);
    buf_reset(line);
    /* A partial last line stays unread: offset points at its start. */
    if (b != NULL) {
        b->offset = f->offset;
        ingest_push_usage(c->ingest, b);
        f->restart = 0;
    }
    /* Free a long line's buffer rather than keep it for the process's life. */
    if (line->cap > 1 << 20)
        buf_free(line);
}

static void load_offsets(struct collector *c)
{
    sqlite3 *db;
    if (sqlite3_open_v2(c->cfg.db_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        sqlite3_close(db);
        return;
    }
    sqlite3_busy_timeout(db, 2000);
    sqlite3_stmt *st;
    /* A file read before the offset index existed (schema < 6) is read
     * again from the start so that its conversation is indexed too. */
    if (sqlite3_prepare_v2(db, "SELECT t.path, t.inode, t.offset, t.session_id, t.agent_id,"
                           " f.id IS NOT NULL FROM transcripts t"
                           " LEFT JOIN transcript_files f ON f.path = t.path",
                           -1, &st, NULL) == SQLITE_OK) {
        struct transcript_reader *t = &c->transcripts;
        pthread_mutex_lock(&t->mu);
        while (sqlite3_step(st) == SQLITE_ROW) {
            struct transcript_file *f = find_or_add(t, (const char *)sqlite3_column_text(st, 0));
            if (f == NULL)
                continue;
            f->inode = sqlite3_column_int64(st, 1);
            f->offset = sqlite3_column_int(st, 5) ? sqlite3_column_int64(st, 2) : 0;
            copy(f->session_id, sizeof f->session_id, (const char *)sqlite3_column_text(st, 3));
            copy(f->agent_id, sizeof f->agent_id, (const char *)sqlite3_column_text(st, 4));
            /* Rewound (schema migration 5: the replies of the history): now,
             * not at the next rescan. */
            f->wanted = f->offset == 0;
        }
        pthread_mutex_unlock(&t->mu);
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
}

static void *reader_main(void *arg)
{
    struct collector *c = arg;
    struct transcript_reader *t = &c->transcripts;
    struct buf line = BUF_INIT;
    load_offsets(c);
    pthread_mutex_lock(&t->mu);
    while (!t->stop) {
        struct transcript_file *f = NULL;
        for (struct transcript_file *x = t->files; x; x = x->next)
            if (x->wanted) {
                f = x;
                break;
            }
        if (f == NULL) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_sec += RESCAN_S;
            if (pthread_cond_timedwait(&t->wake, &t->mu, &ts) == ETIMEDOUT)
                for (struct transcript_file *x = t->files; x; x = x->next)
                    x->wanted = 1;
            continue;
        }
        f->wanted = 0;
        pthread_mutex_unlock(&t->mu);
        read_file(c, f, &line);
        pthread_mutex_lock(&t->mu);
    }
    pthread_mutex_unlock(&t->mu);
    buf_free(&line);
    return NULL;
}

int transcript_reader_start(struct collector *c, char *err, size_t errlen)
{
    struct transcript_reader *t = &c->transcripts;
    if (pthread_mutex_init(&t->mu, NULL) != 0 || pthread_cond_init(&t->wake, NULL) != 0 ||
        pthread_create(&t->thread, NULL, reader_main, c) != 0) {
        snprintf(err, errlen, "cannot start the transcript reader");
        return -1;
    }
    t->running = 1;
    return 0;
}

void transcript_reader_stop(struct collector *c)
{
    struct transcript_reader *t = &c->transcripts;
    if (!t->running)
        return;
    pthread_mutex_lock(&t->mu);
    __atomic_store_n(&t->stop, 1, __ATOMIC_RELAXED);
    pthread_cond_signal(&t->wake);
    pthread_mutex_unlock(&t->mu);
    /* The reader may wait for room in the writer's queue. */
    ingest_close_usage(c->ingest);
    pthread_join(t->thread, NULL);
    t->running = 0;
    while (t->files) {
        struct transcript_file *f = t->files;
        t->files = f->next;
        free(f);
    }
}
