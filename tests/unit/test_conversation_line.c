/* Unit tests: the transcript line parser (common/conversation_line.c) on the
 * line shapes Claude Code writes, on lines cut by a read cap, and on lines
 * that are not conversation or not JSON. */
#include <stdlib.h>

#include "check.h"
#include "chronicle/buf.h"
#include "chronicle/conversation_line.h"

static char decoded[4096];

static const char *dec(const char *line, const struct conv_span *s)
{
    struct buf b = BUF_INIT;
    decoded[0] = '\0';
    if (conv_span_decode(line, s, &b) >= 0 && b.len < sizeof decoded) {
        memcpy(decoded, b.data, b.len);
        decoded[b.len] = '\0';
    }
    buf_free(&b);
    return decoded;
}

static const char *raw(const char *line, const struct conv_span *s)
{
    snprintf(decoded, sizeof decoded, "%.*s", (int)s->len, line + s->start);
    return decoded;
}

static int parse(const char *s, struct conv_line *L) { return conv_line_parse(s, strlen(s), L); }

static void prompt_string(struct check *c)
{
    const char *s = "{\"type\":\"user\",\"message\":{\"role\":\"user\",\"content\":\"Fix \\\"it\\\"\\n"
                    "now\"},\"uuid\":\"u1\",\"promptId\":\"p1\",\"timestamp\":\"2026-11-27T04:00:00.000Z\"}";
    struct conv_line L;
    CHECK_INT(c, parse(s, &L), 0);
    CHECK_INT(c, L.type, CONV_LINE_USER);
    CHECK_INT(c, L.complete, 1);
    CHECK_INT(c, L.nblocks, 1);
    CHECK_INT(c, L.b[0].kind, CONV_PROMPT);
    CHECK_STR(c, dec(s, &L.b[0].text), "Fix \"it\"\nnow");
    CHECK_STR(c, raw(s, &L.uuid), "u1");
    CHECK_STR(c, raw(s, &L.prompt_id), "p1");
    CHECK_STR(c, raw(s, &L.timestamp), "2026-11-27T04:00:00.000Z");
}

static void assistant_blocks(struct check *c)
{
    /* The type comes last here: kinds are decided after the whole line. */
    const char *s = "{\"message\":{\"model\":\"claude-opus-4-5\",\"content\":["
                    "{\"type\":\"thinking\",\"thinking\":\"hmm\"},"
                    "{\"type\":\"text\",\"text\":\"Let me look.\"},"
                    "{\"id\":\"toolu_1\",\"name\":\"Bash\",\"input\":{\"command\":\"ls\",\"n\":[1,{\"a\":2}]},"
                    "\"type\":\"tool_use\"}]},\"isSidechain\":true,\"agentId\":\"ag1\",\"type\":\"assistant\"}";
    struct conv_line L;
    CHECK_INT(c, parse(s, &L), 0);
    CHECK_INT(c, L.type, CONV_LINE_ASSISTANT);
    CHECK_INT(c, L.sidechain, 1);
    CHECK_STR(c, raw(s, &L.agent_id), "ag1");
    CHECK_STR(c, raw(s, &L.model), "claude-opus-4-5");
    CHECK_INT(c, L.nblocks, 2); /* thinking is not shown */
    CHECK_INT(c, L.b[0].kind, CONV_TEXT);
    CHECK_STR(c, dec(s, &L.b[0].text), "Let me look.");
    CHECK_INT(c, L.b[1].kind, CONV_TOOL_USE);
    CHECK_STR(c, raw(s, &L.b[1].id), "toolu_1");
    CHECK_STR(c, raw(s, &L.b[1].name), "Bash");
    CHECK_STR(c, raw(s, &L.b[1].input), "{\"command\":\"ls\",\"n\":[1,{\"a\":2}]}");
    CHECK_INT(c, L.b[1].input.cut, 0);
}

static void tool_results(struct check *c)
{
    const char *s = "{\"type\":\"user\",\"message\":{\"content\":["
                    "{\"type\":\"tool_result\",\"tool_use_id\":\"toolu_1\",\"content\":\"1 failed\"},"
                    "{\"type\":\"tool_result\",\"tool_use_id\":\"toolu_2\",\"is_error\":true,"
                    "\"content\":[{\"type\":\"text\",\"text\":\"a\"},{\"type\":\"image\"},"
                    "{\"type\":\"text\",\"text\":\"b\\u00e9\"}]}]},"
                    "\"toolUseResult\":{\"content\":[{\"type\":\"tool_result\"}]}}";
    struct conv_line L;
    CHECK_INT(c, parse(s, &L), 0);
    CHECK_INT(c, L.nblocks, 2);
    CHECK_INT(c, L.b[0].kind, CONV_TOOL_RESULT);
    CHECK_STR(c, raw(s, &L.b[0].id), "toolu_1");
    CHECK_INT(c, L.b[0].is_error, 0);
    CHECK_INT(c, L.b[1].is_error, 1);
    struct buf b = BUF_INIT;
    int cut = -1;
    CHECK_INT(c, conv_result_text(s, &L.b[0].content, &b, &cut), 8);
    CHECK_INT(c, cut, 0);
    buf_reset(&b);
    CHECK_INT(c, conv_result_text(s, &L.b[1].content, &b, &cut), 5);
    CHECK(c, b.len == 5 && memcmp(b.data, "a\nb\xc3\xa9", 5) == 0);
    buf_free(&b);
}

static void cut_lines(struct check *c)
{
    /* A prompt cut inside an escape and inside a UTF-8 character. */
    const char *p = "{\"type\":\"user\",\"message\":{\"content\":\"abc\\u00";
    struct conv_line L;
    CHECK_INT(c, parse(p, &L), 0);
    CHECK_INT(c, L.complete, 0);
    CHECK_INT(c, L.nblocks, 1);
    CHECK_INT(c, L.b[0].text.cut, 1);
    CHECK_STR(c, dec(p, &L.b[0].text), "abc");
    const char *u = "{\"type\":\"user\",\"message\":{\"content\":\"ab\xc3";
    CHECK_INT(c, parse(u, &L), 0);
    CHECK_STR(c, dec(u, &L.b[0].text), "ab");
    /* Assistant text cut: the type came first, as Claude Code writes it. */
    const char *t = "{\"type\":\"assistant\",\"message\":{\"content\":[{\"type\":\"text\",\"text\":\"long te";
    CHECK_INT(c, parse(t, &L), 0);
    CHECK_INT(c, L.nblocks, 1);
    CHECK_INT(c, L.b[0].kind, CONV_TEXT);
    CHECK_INT(c, L.b[0].text.cut, 1);
    CHECK_STR(c, dec(t, &L.b[0].text), "long te");
    /* A tool result's content array cut inside a text. */
    const char *r = "{\"type\":\"user\",\"message\":{\"content\":[{\"type\":\"tool_result\","
                    "\"tool_use_id\":\"t9\",\"content\":[{\"type\":\"text\",\"text\":\"out";
    CHECK_INT(c, parse(r, &L), 0);
    CHECK_INT(c, L.nblocks, 1);
    CHECK_INT(c, L.b[0].content.cut, 1);
    struct buf b = BUF_INIT;
    int cut = 0;
    CHECK_INT(c, conv_result_text(r, &L.b[0].content, &b, &cut), 3);
    CHECK_INT(c, cut, 1);
    buf_free(&b);
    /* A tool input cut: spanned to the end, marked cut. */
    const char *in = "{\"type\":\"assistant\",\"message\":{\"content\":[{\"type\":\"tool_use\","
                     "\"id\":\"t1\",\"name\":\"Write\",\"input\":{\"content\":\"xx";
    CHECK_INT(c, parse(in, &L), 0);
    CHECK_INT(c, L.nblocks, 1);
    CHECK_INT(c, L.b[0].input.cut, 1);
}

static void not_conversation(struct check *c)
{
    struct conv_line L;
    CHECK_INT(c, parse("{\"type\":\"summary\",\"summary\":\"x\"}", &L), 0);
    CHECK_INT(c, L.nblocks, 0);
    CHECK_INT(c, parse("{\"type\":\"attachment\",\"message\":{\"content\":\"x\"}}", &L), 0);
    CHECK_INT(c, L.nblocks, 0);
    CHECK_INT(c, parse("not json", &L), -1);
    CHECK_INT(c, parse("[1,2]", &L), -1);
    CHECK_INT(c, parse("{\"type\":\"user\",}", &L), -1);
    CHECK_INT(c, parse("", &L), -1);
    /* A tool_use without an id, a tool_result on an assistant line: dropped. */
    CHECK_INT(c, parse("{\"type\":\"assistant\",\"message\":{\"content\":[{\"type\":\"tool_use\"},"
                       "{\"type\":\"tool_result\",\"tool_use_id\":\"x\"}]}}", &L), 0);
    CHECK_INT(c, L.nblocks, 0);
}

static void many_blocks(struct check *c)
{
    struct buf b = BUF_INIT;
    int ok = buf_append_str(&b, "{\"type\":\"assistant\",\"message\":{\"content\":[") == 0;
    for (int i = 0; i < CONV_MAX_BLOCKS + 5; i++)
        ok &= buf_printf(&b, "%s{\"type\":\"text\",\"text\":\"t%d\"}", i ? "," : "", i) == 0;
    ok &= buf_append_str(&b, "]}}") == 0;
    CHECK(c, ok);
    struct conv_line L;
    CHECK_INT(c, conv_line_parse(b.data, b.len, &L), 0);
    CHECK_INT(c, L.nblocks, CONV_MAX_BLOCKS);
    CHECK_INT(c, L.dropped, 5);
    buf_free(&b);
}

CHECK_MAIN(CASE(prompt_string), CASE(assistant_blocks), CASE(tool_results), CASE(cut_lines),
           CASE(not_conversation), CASE(many_blocks))
