/*
 * transcript_reader.h - reads token usage out of Claude Code transcripts,
 * incrementally, on its own thread.
 *
 * No hook carries token counts; the transcript each hook names does.  The
 * event loop asks for a transcript to be (re)read when an event that
 * follows model output arrives (SessionStart, UserPromptSubmit, Stop,
 * SubagentStop, PreCompact, SessionEnd); a slow timer rereads every known
 * file too.  The reader remembers a byte offset per file and reads only what
 * was appended, line by line with a bounded line buffer, so a 500 MB
 * transcript never sits in memory.  A partial last line waits for the next
 * read; a file that shrank or was replaced is read again from the start
 * (duplicates collapse in the usage table).  Rows go to the writer thread as
 * usage batches together with the offset they reach, so the offset stored
 * in the database always matches the rows stored.
 */
#ifndef CHRONICLE_TRANSCRIPT_READER_H
#define CHRONICLE_TRANSCRIPT_READER_H

#include <limits.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "transcript_row.h"

struct collector;

/* Where one block worth showing lies in its transcript (the conversation
 * view's offset index, table transcript_lines): no text, only places. */
struct line_index_row {
    int kind, block;               /* enum conv_kind; which block of the line */
    int64_t offset, length, ts_ns; /* the line's bytes, without the newline */
    char uuid[64], tool_use_id[64], prompt_id[64]; /* "" when absent or too long */
};

/* A subagent's agent-<id>.meta.json, beside its transcript: the call that
 * spawned it.  Empty strings when there is none. */
struct subagent_meta {
    char tool_use_id[64], agent_type[64], description[256];
};

/* One file's new rows and the offset they reach.  Owner: the queue, then
 * the writer thread, which frees it with usage_batch_free(). */
struct usage_batch {
    struct usage_batch *next;
    char path[PATH_MAX];
    int64_t inode, offset;
    char session_id[128], agent_id[128];
    struct transcript_row *rows;   /* each row's text owned by the batch */
    size_t n, cap;
    struct line_index_row *lines;  /* owned */
    size_t nlines, lines_cap;
    int restart;                   /* read from the start: the file's old index goes */
    struct subagent_meta meta;
    size_t text_bytes;             /* sum of the rows' text: bounds a batch's memory */
    /* Claude Code's title for the session, if the new lines name one
     * (redacted); "" none.  title_custom: from a custom-title line, which
     * a later summary does not replace. */
    char title[TRANSCRIPT_TITLE_MAX];
    int title_custom;
};

/* Reads the meta.json of a subagent transcript path (".../agent-<id>.jsonl")
 * into *m: a regular file of ours, not a symlink, at most 64 KB.  0, or -1
 * (m left empty) when the path is no subagent's or the file is unusable. */
int subagent_meta_read(const char *transcript_path, struct subagent_meta *m);

void usage_batch_free(struct usage_batch *b);

/* Usage batches queued for the writer before the reader waits: bounded
 * memory however large a transcript is. */
#define USAGE_BATCHES_MAX 16
/* A batch is handed over once its reply texts reach this many bytes: with
 * USAGE_BATCHES_MAX queued, at most 4 MB of reply text waits for the writer. */
#define USAGE_BATCH_TEXT_MAX (256 * 1024)

struct transcript_file;

struct transcript_reader {
    pthread_t thread;
    int running, stop;
    pthread_mutex_t mu;
    pthread_cond_t wake;
    struct transcript_file *files; /* guarded by mu */
    size_t nfiles;
};

int transcript_reader_start(struct collector *c, char *err, size_t errlen);
/* Loop thread: (re)read path soon.  session_id/agent_id attribute rows that
 * do not name their own (NULL when unknown). */
void transcript_reader_want(struct collector *c, const char *path, const char *session_id,
                            const char *agent_id);
void transcript_reader_stop(struct collector *c);

#endif
