/*
 * search_text.h - what full-text search indexes of an event: the searchable
 * text of a stored (already redacted) payload, one text per field kind.
 *
 *   prompt       UserPromptSubmit .prompt
 *   command      tool_input.command
 *   file_path    tool_input.file_path / path / notebook_path / pattern / glob,
 *                .file_path (InstructionsLoaded)
 *   tool_output  every string under tool_response (stdout, stderr, content,
 *                file.content, ...), in payload order
 *   error        .error, .error_details (PostToolUseFailure, StopFailure)
 *   other        .message, .title (notifications), .last_assistant_message,
 *                .reason, and the other strings of tool_input (Edit's
 *                new_string, Task's prompt, WebSearch's query, ...)
 *
 * tool_input is skipped on PostToolUse / PostToolUseFailure: the PreToolUse
 * of the same call indexed it already, and indexing it twice doubles the
 * hits of every command search for nothing.
 *
 * Each field is capped at SEARCH_FIELD_CAP bytes (cut on a UTF-8 boundary).
 * Why: tool outputs (whole files read, build logs) are most of the bytes of
 * a history while their first lines are what people search for; the index
 * grows with every byte indexed and the collector tokenizes it inside the
 * commit, so the cap bounds both the database growth and the commit time of
 * one event.
 *
 * Control characters (other than \n and \t) become spaces: the tokenizer
 * treats them as separators anyway, and the server's snippets use \x01 and
 * \x02 as highlight markers, which must not occur in the text.
 *
 * The SAME function must produce the text at insert (the collector) and at
 * delete (the trigger on events, through the SQL function below): FTS5 with
 * external content removes a row's tokens by re-tokenizing the values it is
 * given.  Changing what this module extracts therefore needs a migration
 * that rebuilds the index ('rebuild').
 */
#ifndef CHRONICLE_SEARCH_TEXT_H
#define CHRONICLE_SEARCH_TEXT_H

#include <sqlite3.h>
#include <stddef.h>

#include "chronicle/buf.h"

enum search_field {
    SEARCH_PROMPT,
    SEARCH_COMMAND,
    SEARCH_FILE_PATH,
    SEARCH_TOOL_OUTPUT,
    SEARCH_ERROR,
    SEARCH_OTHER,
    SEARCH_FIELDS
};

#define SEARCH_FIELD_CAP (16 * 1024)

/* The fields' texts; text[i].len == 0: absent.  Owner: the caller's struct;
 * search_text_free() releases the buffers. */
struct search_text {
    struct buf text[SEARCH_FIELDS];
};

/* "prompt", "command", ... (the API's "field" values and the FTS5 column
 * names); NULL out of range. */
const char *search_field_name(int field);

/* Fills st (reset first) from the payload json[0..len) of an event of type
 * event_type (may be NULL).  0; -1 on ENOMEM.  A payload that is not valid
 * JSON yields no text (0). */
int search_text_extract(struct search_text *st, const char *event_type, const char *json,
                        size_t len);
/* 1 when no field has text. */
int search_text_empty(const struct search_text *st);
void search_text_free(struct search_text *st);

/*
 * Registers chronicle_search_field(event_type, payload, field) on db: the
 * text of one field (NULL when absent), as search_text_extract gives it.
 * The view search_events_src and the delete trigger of migration 5 call it,
 * so every connection that reads snippets or deletes events needs it:
 * schema_configure() and schema_migrate() register it.  The function keeps
 * the last payload it parsed (per connection) so that the six columns of one
 * row cost one parse.  SQLite code.
 */
int search_text_register(sqlite3 *db);

#endif
