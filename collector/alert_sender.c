/*
 * alert_sender.c - webhook and desktop deliveries on worker threads.  See
 * alert_sender.h.
 *
 * libcurl: TLS with certificate checks, proxies from the environment, and
 * timeouts that cover DNS, connect and transfer are what a webhook client
 * needs and what a hand-written one gets wrong.  Redirects are not
 * followed (a webhook that answers 3xx is misconfigured, and following
 * could carry the body elsewhere); only http and https are allowed.
 */
#include "alert_sender.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "chronicle/clock.h"

extern char **environ;

#define MAX_WORKERS 4

struct alert_sender {
    struct alert_sender_opts o;
    pthread_t threads[MAX_WORKERS];
    int nthreads;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct alert_job *queue_head, *queue_tail; /* not started */
    struct alert_job *running[MAX_WORKERS];     /* by worker */
    struct alert_job *done_head, *done_tail;    /* finished, not collected */
    size_t count;                               /* queued + running + done */
    int stopping;
    _Atomic int abort_all;                      /* running transfers give up */
};

void alert_job_free(struct alert_job *j)
{
    if (j == NULL)
        return;
    free(j->url);
    free(j->body);
    free(j);
}

static size_t discard(char *p, size_t size, size_t n, void *arg)
{
    (void)p;
    (void)arg;
    return size * n; /* the answer's body means nothing to us */
}

static int progress(void *arg, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
    (void)a, (void)b, (void)c, (void)d;
    return atomic_load(&((struct alert_sender *)arg)->abort_all) ? 1 : 0;
}

static void post(struct alert_sender *s, struct alert_job *j)
{
    CURL *h = curl_easy_init();
    struct curl_slist *hdrs = NULL;
    if (h == NULL) {
        snprintf(j->error, sizeof j->error, "cannot create an HTTP client");
        return;
    }
    char ct[96];
    snprintf(ct, sizeof ct, "Content-Type: %s", j->content_type);
    hdrs = curl_slist_append(hdrs, ct);
    hdrs = curl_slist_append(hdrs, "User-Agent: chronicle/" "0.1");
    for (int i = 0; i < 3; i++)
        if (j->header[i][0])
            hdrs = curl_slist_append(hdrs, j->header[i]);
    curl_easy_setopt(h, CURLOPT_URL, j->url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, s->o.timeout_ms);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, s->o.timeout_ms);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, j->body);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(j->body));
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, progress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, s);
    CURLcode rc = curl_easy_perform(h);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    j->http_status = status;
    if (rc == CURLE_ABORTED_BY_CALLBACK)
        snprintf(j->error, sizeof j->error, "%s", ALERT_SENDER_STOPPED);
    else if (rc != CURLE_OK)
        /* curl_easy_strerror names the failure without the URL (whose path
         * may be a secret); the error buffer could quote it. */
        snprintf(j->error, sizeof j->error, "%s", curl_easy_strerror(rc));
    else if (status < 200 || status > 299)
        snprintf(j->error, sizeof j->error, "HTTP %ld", status);
    else
        j->ok = 1;
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(h);
}

/* notify-send, bounded: killed when it takes longer than the timeout. */
static void desktop(struct alert_sender *s, struct alert_job *j)
{
    posix_spawn_file_actions_t fa;
    if (posix_spawn_file_actions_init(&fa) != 0) {
        snprintf(j->error, sizeof j->error, "posix_spawn: out of memory");
        return;
    }
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    char *argv[] = {"notify-send", "--app-name=Chronicle", "--", j->summary, j->body, NULL};
    pid_t pid;
    int rc = posix_spawnp(&pid, "notify-send", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
        snprintf(j->error, sizeof j->error, "notify-send: %s", strerror(rc));
        return;
    }
    int64_t deadline = clock_mono_ns() + s->o.timeout_ms * NS_PER_MS;
    int status = 0;
    for (;;) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            break;
        if (r < 0 && errno != EINTR) {
            snprintf(j->error, sizeof j->error, "waitpid: %s", strerror(errno));
            return;
        }
        if (clock_mono_ns() > deadline || atomic_load(&s->abort_all)) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            snprintf(j->error, sizeof j->error, "notify-send did not finish in time");
            return;
        }
        struct timespec ts = {0, 10 * 1000000};
        nanosleep(&ts, NULL);
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        j->ok = 1;
    else
        snprintf(j->error, sizeof j->error, "notify-send failed (status %d)", status);
}

struct worker_arg {
    struct alert_sender *s;
    int index;
};

static void *worker_main(void *arg)
{
    struct alert_sender *s = ((struct worker_arg *)arg)->s;
    int me = ((struct worker_arg *)arg)->index;
    free(arg);
    pthread_mutex_lock(&s->mu);
    for (;;) {
        while (s->queue_head == NULL && !s->stopping)
            pthread_cond_wait(&s->cv, &s->mu);
        if (s->stopping)
            break;
        struct alert_job *j = s->queue_head;
        s->queue_head = j->next;
        if (s->queue_head == NULL)
            s->queue_tail = NULL;
        j->next = NULL;
        s->running[me] = j;
        pthread_mutex_unlock(&s->mu);
        if (j->url)
            post(s, j);
        else
            desktop(s, j);
        pthread_mutex_lock(&s->mu);
        s->running[me] = NULL;
        if (s->done_tail)
            s->done_tail->next = j;
        else
            s->done_head = j;
        s->done_tail = j;
        pthread_mutex_unlock(&s->mu);
        if (s->o.wake)
            s->o.wake(s->o.wake_arg);
        pthread_mutex_lock(&s->mu);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

struct alert_sender *alert_sender_new(const struct alert_sender_opts *o, char *err, size_t errlen)
{
    struct alert_sender *s = calloc(1, sizeof *s);
    if (s == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    s->o = *o;
    if (s->o.workers < 1)
        s->o.workers = 1;
    if (s->o.workers > MAX_WORKERS)
        s->o.workers = MAX_WORKERS;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        snprintf(err, errlen, "libcurl did not initialise");
        free(s);
        return NULL;
    }
    if (pthread_mutex_init(&s->mu, NULL) != 0 || pthread_cond_init(&s->cv, NULL) != 0) {
        snprintf(err, errlen, "cannot create the sender's lock");
        free(s);
        return NULL;
    }
    for (int i = 0; i < s->o.workers; i++) {
        struct worker_arg *wa = malloc(sizeof *wa);
        if (wa != NULL) {
            wa->s = s;
            wa->index = i;
        }
        if (wa == NULL || pthread_create(&s->threads[i], NULL, worker_main, wa) != 0) {
            free(wa);
            snprintf(err, errlen, "cannot start the sender's threads");
            alert_sender_free(s);
            return NULL;
        }
        s->nthreads++;
    }
    return s;
}

int alert_sender_push(struct alert_sender *s, struct alert_job *j)
{
    pthread_mutex_lock(&s->mu);
    if (s->stopping || s->count >= ALERT_SENDER_QUEUE_MAX) {
        pthread_mutex_unlock(&s->mu);
        return -1;
    }
    j->next = NULL;
    j->ok = 0;
    j->error[0] = '\0';
    if (s->queue_tail)
        s->queue_tail->next = j;
    else
        s->queue_head = j;
    s->queue_tail = j;
    s->count++;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
    return 0;
}

int alert_sender_busy(struct alert_sender *s, int64_t id)
{
    int busy = 0;
    pthread_mutex_lock(&s->mu);
    for (struct alert_job *j = s->queue_head; j && !busy; j = j->next)
        busy = j->delivery_id == id;
    for (struct alert_job *j = s->done_head; j && !busy; j = j->next)
        busy = j->delivery_id == id;
    for (int i = 0; i < s->nthreads && !busy; i++)
        busy = s->running[i] && s->running[i]->delivery_id == id;
    pthread_mutex_unlock(&s->mu);
    return busy;
}

size_t alert_sender_collect(struct alert_sender *s,
                            void (*done)(const struct alert_job *j, void *arg), void *arg)
{
    pthread_mutex_lock(&s->mu);
    struct alert_job *j = s->done_head;
    s->done_head = s->done_tail = NULL;
    pthread_mutex_unlock(&s->mu);
    size_t n = 0;
    while (j) {
        struct alert_job *next = j->next;
        done(j, arg);
        alert_job_free(j);
        n++;
        pthread_mutex_lock(&s->mu);
        s->count--;
        pthread_mutex_unlock(&s->mu);
        j = next;
    }
    return n;
}

void alert_sender_stop(struct alert_sender *s)
{
    if (s == NULL)
        return;
    pthread_mutex_lock(&s->mu);
    s->stopping = 1;
    atomic_store(&s->abort_all, 1);
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    for (int i = 0; i < s->nthreads; i++)
        pthread_join(s->threads[i], NULL);
    s->nthreads = 0;
    /* Jobs never started stay due in the database: drop them here. */
    while (s->queue_head) {
        struct alert_job *j = s->queue_head;
        s->queue_head = j->next;
        alert_job_free(j);
        s->count--;
    }
    s->queue_tail = NULL;
}

void alert_sender_free(struct alert_sender *s)
{
    if (s == NULL)
        return;
    alert_sender_stop(s);
    while (s->done_head) {
        struct alert_job *j = s->done_head;
        s->done_head = j->next;
        alert_job_free(j);
    }
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
    free(s);
    curl_global_cleanup();
}
