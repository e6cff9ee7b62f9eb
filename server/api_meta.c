/*
 * api_meta.c - GET /api/meta: the table of what each hook event means
 * (chronicle/event_type.h), so that the dashboard and other clients read
 * the collector's meaning of an event instead of keeping their own copy.
 */
#include "server.h"

#include "chronicle/event_type.h"

static json_t *flag_names(uint32_t flags)
{
    json_t *arr = json_array();
    for (unsigned i = 0; arr != NULL && i < EVF_COUNT; i++)
        if ((flags & (1u << i)) && json_array_append_new(arr, json_string(event_flag_name(1u << i))))
            return json_decref(arr), NULL;
    return arr;
}

static json_t *event_type_list(void)
{
    size_t n;
    const struct event_type *t = event_types(&n);
    json_t *arr = json_array();
    for (size_t i = 0; arr != NULL && i < n; i++) {
        json_t *row = json_pack("{s:s,s:o*}", "name", t[i].name, "flags", flag_names(t[i].flags));
        if (row == NULL || json_array_append_new(arr, row) != 0)
            return json_decref(arr), NULL;
    }
    return arr;
}

/* {"permission_prompt": "permission", ...}: the notifications that wait for
 * a person, with the reason they give. */
static json_t *awaiting_notifications(void)
{
    json_t *obj = json_object();
    enum awaiting_reason r;
    const char *type;
    for (size_t i = 0; obj != NULL && (type = notification_awaiting_type(i, &r)) != NULL; i++)
        if (json_object_set_new(obj, type, json_string(awaiting_reason_name(r))) != 0)
            return json_decref(obj), NULL;
    return obj;
}

void api_meta(struct http_ctx *hc)
{
    if (http_reply_if_params(hc))
        return;
    json_t *body = json_pack("{s:s,s:o*,s:o*,s:o*,s:I}", "version", CHRONICLE_VERSION,
                             "event_types", event_type_list(), "flags", flag_names(~0u),
                             "awaiting_notifications", awaiting_notifications(), "idle_after_s",
                             (json_int_t)hc->srv->cfg.idle_after_s);
    if (body == NULL || json_object_size(body) < 5) {
        json_decref(body);
        http_reply_error(hc, 500, "out_of_memory", "out of memory");
        return;
    }
    http_reply_json(hc, 200, body);
}
