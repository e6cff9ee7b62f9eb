/*
 * transcript_row.h - the few fields Chronicle needs from one line of a
 * Claude Code transcript (JSONL).
 *
 * Assistant rows carry message.id, requestId, message.model and
 * message.usage; user rows whose message.content is a string are prompts
 * (later assistant rows answer them).  Everything else in a row, often
 * large (tool results, file contents), is skipped by the scanner without
 * being copied or decoded, so a line costs one pass and no allocation.
 */
#ifndef CHRONICLE_TRANSCRIPT_ROW_H
#define CHRONICLE_TRANSCRIPT_ROW_H

#include <stddef.h>
#include <stdint.h>

enum row_kind { ROW_OTHER, ROW_PROMPT, ROW_USAGE, ROW_TITLE };

/* Claude Code's own name for the session: a "custom-title" line
 * (customTitle, set by the user) or a "summary" line (summary).  Decoded, one
 * line, not yet redacted: the reader redacts it before it is stored. */
#define TRANSCRIPT_TITLE_MAX 481

#define ROW_TEXT_SPANS 8
/* Reply text indexed for search, per row: as SEARCH_FIELD_CAP for events,
 * and for the same reasons (search_text.h); replies are longer than most
 * fields, hence twice as much. */
#define REPLY_TEXT_CAP (32 * 1024)

struct transcript_row {
    enum row_kind kind;
    char message_id[128], request_id[128], session_id[128], agent_id[128];
    char prompt_id[128], uuid[128], model[128];
    int64_t ts_ns;                 /* 0 when absent */
    int64_t input_tokens, output_tokens, cache_creation_input_tokens, cache_read_input_tokens;
    int sidechain;                 /* isSidechain: a subagent's row */
    /* The assistant's text blocks (message.content[i] of type "text"), as
     * spans of the line (escapes left as sent); more than ROW_TEXT_SPANS
     * blocks in one line keep the first ones. */
    size_t text_start[ROW_TEXT_SPANS], text_len[ROW_TEXT_SPANS];
    int ntext;
    char *text;                    /* decoded, redacted, capped at REPLY_TEXT_CAP:
                                    * set by the reader, owned by its usage batch */
    size_t text_bytes;
    char title[TRANSCRIPT_TITLE_MAX]; /* ROW_TITLE */
    int title_custom;              /* ROW_TITLE from a custom-title line */
};

/* Parses one line.  0, or -1 when the line is not a JSON object (skipped
 * and counted by the caller). */
int transcript_row_parse(const char *line, size_t len, struct transcript_row *r);

/* "2026-11-27T04:51:55.123Z" -> ns since the epoch; 0 if unparsable. */
int64_t transcript_parse_time(const char *s);

#endif
