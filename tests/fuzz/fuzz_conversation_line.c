/* fuzz_conversation_line.c - libFuzzer target: the transcript line parser
 * (common/conversation_line.c) the collector indexes with and the server
 * serves from.  Transcripts are outside bytes, and the server parses lines
 * cut at any byte by its read cap: every prefix of the input is parsed too,
 * and every span it reports must lie inside the bytes given. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chronicle/buf.h"
#include "chronicle/conversation_line.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void inside(const struct conv_span *s, size_t size)
{
    if (s->present && (s->start > size || s->len > size - s->start))
        abort();
}

static void one(const char *s, size_t size, struct buf *b)
{
    struct conv_line L;
    if (conv_line_parse(s, size, &L) != 0)
        return;
    if (L.nblocks > CONV_MAX_BLOCKS)
        abort();
    const struct conv_span *top[] = {&L.uuid, &L.prompt_id, &L.session_id, &L.agent_id,
                                     &L.timestamp, &L.model};
    for (size_t i = 0; i < sizeof top / sizeof top[0]; i++)
        inside(top[i], size);
    for (size_t i = 0; i < L.nblocks; i++) {
        const struct conv_block *k = &L.b[i];
        inside(&k->text, size);
        inside(&k->id, size);
        inside(&k->name, size);
        inside(&k->input, size);
        inside(&k->content, size);
        int cut;
        buf_reset(b);
        if (conv_span_decode(s, &k->text, b) < 0 || conv_result_text(s, &k->content, b, &cut) < 0)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Exactly size bytes, no terminator: the parser must not read past them. */
    char *s = malloc(size ? size : 1);
    if (s == NULL)
        return 0;
    memcpy(s, data, size);
    struct buf b = BUF_INIT;
    one(s, size, &b);
    one(s, size / 2, &b);
    one(s, size > 7 ? size - 7 : 0, &b);
    buf_free(&b);
    free(s);
    return 0;
}
