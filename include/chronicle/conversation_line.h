/*
 * conversation_line.h - what one line of a Claude Code transcript (JSONL)
 * says as conversation: a user prompt, assistant text, tool calls and their
 * results.  The transcript is outside bytes: the collector parses each line
 * it indexes with this, the server parses again the lines of the page it
 * serves (the same parser, so the index and the page agree), and
 * tests/fuzz/fuzz_conversation_line.c runs it on anything.
 *
 * Nothing is copied or allocated: every field is a span of the line as
 * written (escapes left as sent; json_unescape() decodes them).  A line the
 * server read only in part (longer than its cap) still parses: the blocks
 * seen so far are reported, and a string cut by the end of the buffer is
 * reported up to the cut with cut=1 (an escape or UTF-8 sequence split by
 * the cut is left out).
 *
 * Lines of other types (attachment, summary, queue-operation...) and blocks
 * of other kinds (thinking, image) yield no blocks.
 */
#ifndef CHRONICLE_CONVERSATION_LINE_H
#define CHRONICLE_CONVERSATION_LINE_H

#include <stddef.h>
#include <stdint.h>

struct buf;

/* Stored in transcript_lines.kind: never renumber. */
enum conv_kind {
    CONV_NONE = 0,
    CONV_PROMPT = 1,      /* user text (message.content a string, or its text blocks) */
    CONV_TEXT = 2,        /* assistant text block */
    CONV_TOOL_USE = 3,    /* assistant tool_use block: id, name, input */
    CONV_TOOL_RESULT = 4, /* user tool_result block: tool_use_id, content, is_error */
};

/* Bytes [start, start + len) of the line; len 0 and start 0 when absent. */
struct conv_span {
    size_t start, len;
    int present;
    int cut;       /* a string that ran to the end of a cut line */
    int is_string; /* a JSON string (else an object, array, number or literal) */
};

struct conv_block {
    enum conv_kind kind;
    struct conv_span text;    /* PROMPT, TEXT: the string body */
    struct conv_span id;      /* TOOL_USE: id; TOOL_RESULT: tool_use_id */
    struct conv_span name;    /* TOOL_USE */
    struct conv_span input;   /* TOOL_USE: the input value's whole text */
    struct conv_span content; /* TOOL_RESULT: a string body, or the whole array text */
    int is_error;             /* TOOL_RESULT: "is_error":true */
};

#define CONV_MAX_BLOCKS 32 /* further blocks of one line are dropped (counted) */

struct conv_line {
    enum { CONV_LINE_OTHER, CONV_LINE_USER, CONV_LINE_ASSISTANT } type;
    struct conv_span uuid, prompt_id, session_id, agent_id, timestamp, model;
    int sidechain;
    int complete;          /* 1: the whole line was one valid JSON object */
    size_t nblocks, dropped;
    struct conv_block b[CONV_MAX_BLOCKS];
};

/*
 * Parses line[0..len).  0 when it is a JSON object, complete or a valid
 * prefix of one (complete says which); -1 when it is not JSON.
 */
int conv_line_parse(const char *line, size_t len, struct conv_line *out);

/*
 * Appends the decoded text of a tool_result's content to out: a string
 * span decoded, an array's "text" blocks decoded and joined by newlines (an
 * array cut short: its text up to the cut).  Returns the decoded bytes
 * appended, or -1 on ENOMEM.  *cut is set when the text ends at a cut.
 */
long conv_result_text(const char *line, const struct conv_span *content, struct buf *out, int *cut);

/* Appends the decoded string span to out (a cut span: up to the last whole
 * character).  Returns bytes appended or -1 on ENOMEM. */
long conv_span_decode(const char *line, const struct conv_span *s, struct buf *out);

#endif
