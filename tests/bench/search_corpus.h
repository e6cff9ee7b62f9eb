/*
 * search_corpus.h - synthetic hook payloads with text shaped like a real
 * history's, for the search benchmarks (search_seed.c, search_ingest.c):
 * Bash commands and their outputs, Read paths and file contents, prompts,
 * failures, notifications and Stop messages, their words drawn from a
 * 20000-word vocabulary with Zipf frequencies (rank r has weight 1/r, as
 * natural text and logs have), plus planted words whose frequency is known:
 *
 *   "timeout"            in ~3% of events (a common search word)
 *   "connection refused" in ~0.5% (a phrase)
 *   "zanzibar"           in ~0.01% (a rare word)
 *
 * Deterministic (xorshift from the event number): the same N gives the same
 * database.  About 330 bytes of searchable text per event on average.
 */
#ifndef CHRONICLE_SEARCH_CORPUS_H
#define CHRONICLE_SEARCH_CORPUS_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CORPUS_VOCAB 20000
#define CORPUS_SESSIONS 1000

struct corpus {
    char words[CORPUS_VOCAB][16];
    double cdf[CORPUS_VOCAB];
    uint64_t rng;
};

static inline uint64_t corpus_rand(struct corpus *c)
{
    c->rng ^= c->rng << 13;
    c->rng ^= c->rng >> 7;
    c->rng ^= c->rng << 17;
    return c->rng;
}

static inline void corpus_init(struct corpus *c)
{
    static const char *const on[] = {"b", "c", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s",
                                     "t", "v", "st", "tr", "pl", "gr", "ch", "sh"};
    static const char *const nu[] = {"a", "e", "i", "o", "u", "ai", "ou", "ea"};
    c->rng = 88172645463325252ull;
    double sum = 0;
    for (int i = 0; i < CORPUS_VOCAB; i++) {
        /* distinct words: the index's digits in base 20/8 syllables */
        char *w = c->words[i];
        w[0] = '\0';
        int v = i, syl = 0;
        do {
            strcat(w, on[v % 20]);
            v /= 20;
            strcat(w, nu[v % 8]);
            v /= 8;
            syl++;
        } while (v > 0 && syl < 4);
        if (i < 20)
            strcat(w, "n"); /* keep the short common words from colliding with planted ones */
        sum += 1.0 / (i + 1);
        c->cdf[i] = sum;
    }
    for (int i = 0; i < CORPUS_VOCAB; i++)
        c->cdf[i] /= sum;
}

static inline const char *corpus_word(struct corpus *c)
{
    double u = (double)(corpus_rand(c) >> 11) / 9007199254740992.0;
    int lo = 0, hi = CORPUS_VOCAB - 1;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (c->cdf[mid] < u)
            lo = mid + 1;
        else
            hi = mid;
    }
    return c->words[lo];
}

/* n words separated by sep into p (advanced); stops at end. */
static inline char *corpus_words(struct corpus *c, char *p, char *end, int n, const char *sep)
{
    for (int i = 0; i < n && p + 40 < end; i++)
        p += snprintf(p, (size_t)(end - p), "%s%s", i ? sep : "", corpus_word(c));
    return p;
}

/* Planted text, by frequency. */
static inline char *corpus_plant(struct corpus *c, char *p, char *end)
{
    uint64_t r = corpus_rand(c) % 10000;
    if (r < 300)
        p += snprintf(p, (size_t)(end - p), " timeout");
    if (r >= 300 && r < 350)
        p += snprintf(p, (size_t)(end - p), " connection refused");
    if (r == 9999)
        p += snprintf(p, (size_t)(end - p), " zanzibar");
    return p;
}

struct corpus_event {
    char session[48], type[32], tool[16], cwd[48];
    char payload[8192];
    int len;
};

/* Event i (8-event cycle: Bash Pre/Post, Read Pre/Post, prompt, failure,
 * notification, Stop). */
static inline void corpus_event(struct corpus *c, long i, struct corpus_event *e)
{
    c->rng = 0x9E3779B97F4A7C15ull * (uint64_t)(i + 1) | 1;
    corpus_rand(c);
    long s = (i / 8) % CORPUS_SESSIONS;
    snprintf(e->session, sizeof e->session, "sess-%06ld", s);
    snprintf(e->cwd, sizeof e->cwd, "/home/dev/project-%ld", s % 12);
    char text[6000], *p = text, *end = text + sizeof text;
    text[0] = '\0';
    const char *type, *tool = "";
    int k = (int)(i % 8);
    char head[512];
    switch (k) {
    case 0: case 1:
        type = k ? "PostToolUse" : "PreToolUse";
        tool = "Bash";
        p = corpus_words(c, p, end, 4 + (int)(corpus_rand(c) % 6), " ");
        p = corpus_plant(c, p, end);
        if (k == 0) {
            snprintf(head, sizeof head, "\"tool_input\":{\"command\":\"%s\",\"description\":\"run it\"}", text);
        } else {
            char out[5000], *q = out, *qe = out + sizeof out;
            int lines = 2 + (int)(corpus_rand(c) % 12);
            for (int l = 0; l < lines && q + 200 < qe; l++) {
                q = corpus_words(c, q, qe, 3 + (int)(corpus_rand(c) % 8), " ");
                q += snprintf(q, (size_t)(qe - q), "\\n");
            }
            q = corpus_plant(c, q, qe);
            snprintf(head, sizeof head, "\"tool_input\":{\"command\":\"x\"},\"tool_response\":{\"stdout\":\"");
            e->len = snprintf(e->payload, sizeof e->payload,
                              "{\"session_id\":\"%s\",\"cwd\":\"%s\",\"hook_event_name\":\"%s\","
                              "\"tool_name\":\"Bash\",\"tool_use_id\":\"toolu_%ld\",%s%s\","
                              "\"stderr\":\"\",\"interrupted\":false}}",
                              e->session, e->cwd, type, i / 2, head, out);
            goto done;
        }
        break;
    case 2: case 3:
        type = k == 2 ? "PreToolUse" : "PostToolUse";
        tool = "Read";
        p = corpus_words(c, p, end, 3, "/");
        if (k == 2) {
            snprintf(head, sizeof head, "\"tool_input\":{\"file_path\":\"/home/dev/src/%s.py\"}", text);
        } else {
            char out[5000], *q = out, *qe = out + sizeof out;
            int lines = 3 + (int)(corpus_rand(c) % 10);
            for (int l = 0; l < lines && q + 200 < qe; l++) {
                q = corpus_words(c, q, qe, 2 + (int)(corpus_rand(c) % 8), " ");
                q += snprintf(q, (size_t)(qe - q), "\\n");
            }
            q = corpus_plant(c, q, qe);
            e->len = snprintf(e->payload, sizeof e->payload,
                              "{\"session_id\":\"%s\",\"cwd\":\"%s\",\"hook_event_name\":\"%s\","
                              "\"tool_name\":\"Read\",\"tool_use_id\":\"toolu_%ld\",\"tool_input\":"
                              "{\"file_path\":\"/x\"},\"tool_response\":{\"type\":\"text\",\"file\":"
                              "{\"content\":\"%s\"}}}",
                              e->session, e->cwd, type, i / 2, out);
            goto done;
        }
        break;
    case 4:
        type = "UserPromptSubmit";
        p = corpus_words(c, p, end, 8 + (int)(corpus_rand(c) % 30), " ");
        p = corpus_plant(c, p, end);
        snprintf(head, sizeof head, "\"prompt\":\"%.480s\"", text);
        break;
    case 5:
        type = "PostToolUseFailure";
        tool = "Bash";
        p = corpus_words(c, p, end, 6 + (int)(corpus_rand(c) % 10), " ");
        p = corpus_plant(c, p, end);
        snprintf(head, sizeof head, "\"tool_input\":{\"command\":\"x\"},\"error\":\"Exit code 1\\n%.400s\"", text);
        break;
    case 6:
        type = "Notification";
        snprintf(head, sizeof head, "\"message\":\"Claude needs your permission to use Bash\","
                                    "\"notification_type\":\"permission_prompt\"");
        break;
    default:
        type = "Stop";
        p = corpus_words(c, p, end, 10 + (int)(corpus_rand(c) % 20), " ");
        p = corpus_plant(c, p, end);
        snprintf(head, sizeof head, "\"last_assistant_message\":\"%.480s\"", text);
        break;
    }
    e->len = snprintf(e->payload, sizeof e->payload,
                      "{\"session_id\":\"%s\",\"cwd\":\"%s\",\"hook_event_name\":\"%s\",%s%s%s"
                      "\"tool_use_id\":\"toolu_%ld\",%s}",
                      e->session, e->cwd, type, tool[0] ? "\"tool_name\":\"" : "", tool,
                      tool[0] ? "\"," : "", i / 2, head);
done:
    snprintf(e->type, sizeof e->type, "%s", type);
    snprintf(e->tool, sizeof e->tool, "%s", tool);
    if (e->len >= (int)sizeof e->payload)
        e->len = (int)sizeof e->payload - 1;
}

#endif
