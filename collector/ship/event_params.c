/* event_params.c - rows to chronicle.ship_events() parameters.  See event_params.h. */
#include "event_params.h"

#include <string.h>

const char event_params_sql[] =
    "SELECT chronicle.ship_events($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,"
    " $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32,"
    " $33, $34, $35, $36, $37, $38, $39, $40)";

/* The order of chronicle.ship_events()'s arguments. */
enum {
    A_LOCAL_ID, A_EVENT_UID, A_SESSION_ID, A_EVENT_TYPE, A_TS_NS, A_STORED_NS, A_TOOL_NAME,
    A_TOOL_USE_ID, A_AGENT_ID, A_AGENT_TYPE, A_PROMPT_ID, A_CWD, A_DURATION_MS, A_FLAGS,
    A_PAYLOAD, A_PAYLOAD_TEXT, A_RAW, A_PAYLOAD_SIZE, A_HOST, A_UID, A_PID, A_PPID,
    A_CLAUDE_PID, A_PROJECT_DIR, A_STATE, A_TOOL_PHASE, A_TOOL_STATUS, A_IS_ERROR, A_IS_PROMPT,
    A_IS_SUBAGENT, A_MODEL, A_SOURCE, A_TRANSCRIPT_PATH, A_PERMISSION_MODE, A_END_REASON
};

static const unsigned elem_oid[EVENT_ARRAYS] = {
    PG_OID_INT8, PG_OID_UUID, PG_OID_TEXT, PG_OID_TEXT, PG_OID_INT8, PG_OID_INT8, PG_OID_TEXT,
    PG_OID_TEXT, PG_OID_TEXT, PG_OID_TEXT, PG_OID_TEXT, PG_OID_TEXT, PG_OID_INT8, PG_OID_INT4,
    PG_OID_TEXT, PG_OID_TEXT, PG_OID_BYTEA, PG_OID_INT8, PG_OID_TEXT, PG_OID_INT8, PG_OID_INT8,
    PG_OID_INT8, PG_OID_INT8, PG_OID_TEXT, PG_OID_TEXT, PG_OID_INT2, PG_OID_TEXT, PG_OID_BOOL,
    PG_OID_BOOL, PG_OID_BOOL, PG_OID_TEXT, PG_OID_TEXT, PG_OID_TEXT, PG_OID_TEXT, PG_OID_TEXT,
};

const unsigned event_params_types[EVENT_PARAMS] = {
    PG_OID_UUID, PG_OID_TEXT, PG_OID_TEXT, PG_OID_INT8, PG_OID_UUID,
    PG_OID_INT8_ARRAY, PG_OID_UUID_ARRAY, PG_OID_TEXT_ARRAY, PG_OID_TEXT_ARRAY, PG_OID_INT8_ARRAY,
    PG_OID_INT8_ARRAY, PG_OID_TEXT_ARRAY, PG_OID_TEXT_ARRAY, PG_OID_TEXT_ARRAY, PG_OID_TEXT_ARRAY,
    PG_OID_TEXT_ARRAY, PG_OID_TEXT_ARRAY, PG_OID_INT8_ARRAY, PG_OID_INT4_ARRAY, PG_OID_TEXT_ARRAY,
    PG_OID_TEXT_ARRAY, PG_OID_BYTEA_ARRAY, PG_OID_INT8_ARRAY, PG_OID_TEXT_ARRAY, PG_OID_INT8_ARRAY,
    PG_OID_INT8_ARRAY, PG_OID_INT8_ARRAY, PG_OID_INT8_ARRAY, PG_OID_TEXT_ARRAY, PG_OID_TEXT_ARRAY,
    PG_OID_INT2_ARRAY, PG_OID_TEXT_ARRAY, PG_OID_BOOL_ARRAY, PG_OID_BOOL_ARRAY, PG_OID_BOOL_ARRAY,
    PG_OID_TEXT_ARRAY, PG_OID_TEXT_ARRAY, PG_OID_TEXT_ARRAY, PG_OID_TEXT_ARRAY, PG_OID_TEXT_ARRAY,
};

int uuid_parse16(const char *s, unsigned char out[16])
{
    int n = 0;
    for (const char *p = s; *p && n < 32; p++) {
        if (*p == '-')
            continue;
        int v = (*p >= '0' && *p <= '9') ? *p - '0' : (*p >= 'a' && *p <= 'f') ? *p - 'a' + 10
                : (*p >= 'A' && *p <= 'F') ? *p - 'A' + 10 : -1;
        if (v < 0)
            return -1;
        if (n % 2 == 0)
            out[n / 2] = (unsigned char)(v << 4);
        else
            out[n / 2] |= (unsigned char)v;
        n++;
    }
    return n == 32 ? 0 : -1;
}

static void add_col(struct pg_array *a, const struct ship_batch *b, const struct ship_row *r,
                    enum ship_col c)
{
    size_t len;
    const char *v = ship_row_col(b, r, c, &len);
    pg_array_add(a, v, v ? (int32_t)len : -1);
}

/* Where this row's payload goes at this degrade level. */
static void add_payload(struct event_params *p, const struct ship_batch *b,
                        const struct ship_row *r, int degrade)
{
    size_t len;
    enum ship_col from = r->off[SC_PAYLOAD] ? SC_PAYLOAD : r->off[SC_PAYLOAD_TEXT] ? SC_PAYLOAD_TEXT
                                                                                  : SC_RAW;
    const char *v = ship_row_col(b, r, from, &len);
    int to = from == SC_RAW ? A_RAW : degrade >= 2 ? A_RAW : degrade == 1 ? A_PAYLOAD_TEXT
                              : from == SC_PAYLOAD ? A_PAYLOAD : A_PAYLOAD_TEXT;
    /* Counted: payloads jsonb refused, not those the collector already
     * stored as invalid bytes (flag 2). */
    p->payload_text += to != A_PAYLOAD && v != NULL && !(r->flags & 2);
    int slots[] = {A_PAYLOAD, A_PAYLOAD_TEXT, A_RAW};
    for (int i = 0; i < 3; i++)
        pg_array_add(&p->a[slots[i]], slots[i] == to ? v : NULL, slots[i] == to && v ? (int32_t)len : -1);
}

static void add_row(struct event_params *p, const struct ship_batch *b, const struct ship_row *r,
                    int degrade)
{
    struct pg_array *a = p->a;
    pg_array_add_i64(&a[A_LOCAL_ID], r->local_id);
    pg_array_add(&a[A_EVENT_UID], r->event_uid, 16);
    add_col(&a[A_SESSION_ID], b, r, SC_SESSION_ID);
    add_col(&a[A_EVENT_TYPE], b, r, SC_EVENT_TYPE);
    pg_array_add_i64(&a[A_TS_NS], r->ts_ns);
    pg_array_add_i64(&a[A_STORED_NS], r->stored_ns);
    add_col(&a[A_TOOL_NAME], b, r, SC_TOOL_NAME);
    add_col(&a[A_TOOL_USE_ID], b, r, SC_TOOL_USE_ID);
    add_col(&a[A_AGENT_ID], b, r, SC_AGENT_ID);
    add_col(&a[A_AGENT_TYPE], b, r, SC_AGENT_TYPE);
    add_col(&a[A_PROMPT_ID], b, r, SC_PROMPT_ID);
    add_col(&a[A_CWD], b, r, SC_CWD);
    pg_array_add_opt_i64(&a[A_DURATION_MS], r->duration_ms);
    pg_array_add_i32(&a[A_FLAGS], r->flags);
    add_payload(p, b, r, degrade);
    pg_array_add_i64(&a[A_PAYLOAD_SIZE], r->payload_size);
    add_col(&a[A_HOST], b, r, SC_HOST);
    pg_array_add_opt_i64(&a[A_UID], r->uid);
    pg_array_add_opt_i64(&a[A_PID], r->pid);
    pg_array_add_opt_i64(&a[A_PPID], r->ppid);
    pg_array_add_opt_i64(&a[A_CLAUDE_PID], r->claude_pid);
    add_col(&a[A_PROJECT_DIR], b, r, SC_PROJECT_DIR);
    pg_array_add_text(&a[A_STATE], r->state);
    pg_array_add_i16(&a[A_TOOL_PHASE], (int16_t)r->tool_phase);
    pg_array_add_text(&a[A_TOOL_STATUS], r->tool_status);
    pg_array_add_bool(&a[A_IS_ERROR], r->is_error);
    pg_array_add_bool(&a[A_IS_PROMPT], r->is_prompt);
    pg_array_add_bool(&a[A_IS_SUBAGENT], r->is_subagent);
    add_col(&a[A_MODEL], b, r, SC_MODEL);
    add_col(&a[A_SOURCE], b, r, SC_SOURCE);
    add_col(&a[A_TRANSCRIPT_PATH], b, r, SC_TRANSCRIPT_PATH);
    add_col(&a[A_PERMISSION_MODE], b, r, SC_PERMISSION_MODE);
    add_col(&a[A_END_REASON], b, r, SC_END_REASON);
}

int event_params_build(struct event_params *p, const unsigned char machine[16], const char *host,
                       const char *user, const struct ship_batch *b, size_t n, int degrade)
{
    p->payload_text = 0;
    for (int i = 0; i < EVENT_ARRAYS; i++)
        pg_array_reset(&p->a[i], elem_oid[i]);
    for (size_t i = 0; i < n; i++)
        add_row(p, b, &b->rows[i], degrade);
    memcpy(p->machine, machine, 16);
    pg_put_i64(p->last_id, b->rows[n - 1].local_id);
    memcpy(p->last_uid, b->rows[n - 1].event_uid, 16);
    p->values[0] = (const char *)p->machine;
    p->lengths[0] = 16;
    p->values[1] = host;
    p->lengths[1] = (int)strlen(host);
    p->values[2] = user;
    p->lengths[2] = (int)strlen(user);
    p->values[3] = (const char *)p->last_id;
    p->lengths[3] = 8;
    p->values[4] = (const char *)p->last_uid;
    p->lengths[4] = 16;
    for (int i = 0; i < EVENT_ARRAYS; i++) {
        if (pg_array_finish(&p->a[i]) != 0)
            return -1;
        p->values[5 + i] = p->a[i].b.data;
        p->lengths[5 + i] = (int)p->a[i].b.len;
    }
    return 0;
}

void event_params_free(struct event_params *p)
{
    for (int i = 0; i < EVENT_ARRAYS; i++)
        pg_array_free(&p->a[i]);
}
