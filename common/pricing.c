/* pricing.c - the price table.  See pricing.h. */
#include "chronicle/pricing.h"
#include <limits.h>
#include <unistd.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse_line(char *line, struct price *out)
{
    char *save = NULL, *tok[5];
    int n = 0;
    for (char *t = strtok_r(line, " \t", &save); t && n < 6; t = strtok_r(NULL, " \t", &save))
        if (n < 5)
            tok[n++] = t;
        else
            return -1;
    if (n != 5 || strlen(tok[0]) >= sizeof out->prefix)
        return -1;
    double *dst[4] = {&out->input, &out->output, &out->cache_write, &out->cache_read};
    for (int i = 0; i < 4; i++) {
        char *end;
        errno = 0;
        *dst[i] = strtod(tok[i + 1], &end);
        if (errno || *end != '\0' || *dst[i] < 0)
            return -1;
    }
    strcpy(out->prefix, tok[0]);
    return 0;
}

int pricing_load(struct pricing *p, const char *path, char *err, size_t errlen)
{
    memset(p, 0, sizeof *p);
    FILE *f = fopen(path, "re");
    if (f == NULL) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    char line[512];
    int lineno = 0, rc = 0;
    size_t cap = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        lineno++;
        line[strcspn(line, "\r\n")] = '\0';
        char *w = strstr(line, "Written ");
        if (line[0] == '#' && w != NULL && !p->written[0])
            snprintf(p->written, sizeof p->written, "%.10s", w + 8);
        if (line[0] == '#' || line[strspn(line, " \t")] == '\0')
            continue;
        if (p->n == cap) {
            cap = cap ? cap * 2 : 16;
            struct price *v = realloc(p->v, cap * sizeof *v);
            if (v == NULL) {
                snprintf(err, errlen, "out of memory");
                rc = -1;
                break;
            }
            p->v = v;
        }
        if (parse_line(line, &p->v[p->n]) != 0) {
            snprintf(err, errlen, "%s:%d: expected 'model_prefix input output cache_write "
                     "cache_read' (USD per million tokens)", path, lineno);
            rc = -1;
            break;
        }
        p->n++;
    }
    fclose(f);
    if (rc != 0)
        pricing_free(p);
    return rc;
}

void pricing_free(struct pricing *p)
{
    free(p->v);
    p->v = NULL;
    p->n = 0;
}

const struct price *pricing_find(const struct pricing *p, const char *model)
{
    const struct price *best = NULL;
    size_t best_len = 0;
    if (model == NULL)
        return NULL;
    for (size_t i = 0; i < p->n; i++) {
        size_t len = strlen(p->v[i].prefix);
        if (len > best_len && strncmp(model, p->v[i].prefix, len) == 0) {
            best = &p->v[i];
            best_len = len;
        }
    }
    return best;
}

double pricing_cost(const struct price *pr, int64_t input, int64_t output, int64_t cache_write,
                    int64_t cache_read)
{
    return ((double)input * pr->input + (double)output * pr->output +
            (double)cache_write * pr->cache_write + (double)cache_read * pr->cache_read) / 1e6;
}

int pricing_load_default(struct pricing *p, char *path_out, size_t path_cap, char *err,
                         size_t errlen)
{
    char exe[PATH_MAX], candidates[3][PATH_MAX + 64];
    int n = 0;
    const char *env = getenv("CHRONICLE_PRICING");
    if (env && *env)
        snprintf(candidates[n++], sizeof candidates[0], "%s", env);
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len > 0) {
        exe[len] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash != NULL) {
            *slash = '\0';
            snprintf(candidates[n++], sizeof candidates[0], "%s/../share/chronicle/pricing.tsv", exe);
            snprintf(candidates[n++], sizeof candidates[0], "%s/../share/pricing.tsv", exe);
        }
    }
    snprintf(err, errlen, "no price table found");
    for (int i = 0; i < n; i++) {
        if (access(candidates[i], R_OK) != 0 && !(i == 0 && env && *env))
            continue;
        if (pricing_load(p, candidates[i], err, errlen) == 0) {
            snprintf(path_out, path_cap, "%s", candidates[i]);
            return 0;
        }
        if (i == 0 && env && *env)
            break; /* a named file that does not load is reported, not replaced */
    }
    return -1;
}
