/* transcript_gen - writes a realistic Claude Code transcript of about N MB:
 * prompts, assistant rows repeated per content block, tool results of a few
 * KB to 60 KB.   transcript_gen OUT MB [tools]
 * With "tools" each tool result follows the assistant's tool_use line that
 * asked for it (the conversation view's benchmark); without, the file is the
 * usage benchmark's, unchanged. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: transcript_gen OUT MB\n");
        return 2;
    }
    FILE *f = fopen(argv[1], "w");
    long target = atol(argv[2]) * 1024L * 1024L, written = 0;
    int tools = argc > 3 && strcmp(argv[3], "tools") == 0;
    if (f == NULL)
        return 1;
    static char blob[64 * 1024];
    for (size_t i = 0; i < sizeof blob; i++)
        blob[i] = "abcdefghij klmnopqrstuvwxyz0123456789"[i % 37];
    srand(42);
    for (long m = 0; written < target; m++) {
        if (m % 10 == 0)
            written += fprintf(f, "{\"type\":\"user\",\"sessionId\":\"big\",\"uuid\":\"u%ld\",\"promptId\":\"p%ld\","
                               "\"timestamp\":\"2026-11-27T04:00:00.000Z\",\"message\":{\"role\":\"user\","
                               "\"content\":\"%.*s\"}}\n", m, m, 200, blob);
        for (int block = 0; block < 2; block++)
            written += fprintf(f, "{\"parentUuid\":\"x\",\"isSidechain\":false,\"sessionId\":\"big\",\"type\":\"assistant\","
                               "\"message\":{\"id\":\"msg_%ld\",\"type\":\"message\",\"role\":\"assistant\","
                               "\"model\":\"claude-opus-4-5\",\"content\":[{\"type\":\"text\",\"text\":\"%.*s\"}],"
                               "\"usage\":{\"input_tokens\":%d,\"cache_creation_input_tokens\":%d,"
                               "\"cache_read_input_tokens\":%d,\"output_tokens\":%d}},\"requestId\":\"req_%ld\","
                               "\"uuid\":\"a%ld_%d\",\"timestamp\":\"2026-11-27T04:00:01.000Z\"}\n",
                               m, 300 + rand() % 1500, blob, 3 + rand() % 50, rand() % 2000,
                               rand() % 50000, block ? 100 + rand() % 900 : 1, m, m, block);
        if (tools)
            written += fprintf(f, "{\"parentUuid\":\"x\",\"isSidechain\":false,\"sessionId\":\"big\","
                               "\"type\":\"assistant\",\"message\":{\"id\":\"msg_%ld\",\"model\":"
                               "\"claude-opus-4-5\",\"content\":[{\"type\":\"tool_use\",\"id\":\"toolu_%ld\","
                               "\"name\":\"Bash\",\"input\":{\"command\":\"pytest -q tests/test_%ld.py\"}}]},"
                               "\"requestId\":\"req_%ld\",\"uuid\":\"b%ld\",\"timestamp\":"
                               "\"2026-11-27T04:00:02.000Z\"}\n", m, m, m, m, m);
        int tool = 2000 + rand() % 60000;
        written += fprintf(f, "{\"type\":\"user\",\"sessionId\":\"big\",\"uuid\":\"t%ld\",\"message\":{\"role\":\"user\","
                           "\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"toolu_%ld\",\"content\":\"%.*s\"}]}}\n",
                           m, m, tool, blob);
    }
    fclose(f);
    return 0;
}
