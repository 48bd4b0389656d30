/* wd_hook.c - webhooks for CRMs: each live bus event webd follows (acdd's, and sipproxy's
 * call.* events) is posted as JSON to every hook whose event list names its type, by one
 * delivery thread with libcurl, so the gateway's loop never waits on a CRM. A hook's events
 * go out one at a time in the order they happened (hence in order per call); a failed post
 * is retried with a doubling delay ([webd] hook_retry_ms, up to hook_max_attempts), and
 * later events of that hook wait behind it. A hook that still fails is reported (log
 * webd.hook_dead, web_hooks.dead_at) and gets nothing more until `ccctl web hook revive`.
 * Every post carries X-CC-Signature: sha256=<hex HMAC-SHA256 of the body with the hook's
 * secret> and X-CC-Delivery (hook id and sequence, for a receiver to drop a repeat after a
 * timeout). The thread reads the hooks from Postgres on its own connection every few
 * seconds, so a new or revived hook needs no reload. */
#include <curl/curl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cc_log.h"
#include "cc_pg.h"
#include "wd_hook.h"

#define S_MAX_HOOKS 64
#define S_QUEUE_MAX 20000 /* events waiting per hook; beyond it the hook is declared dead */

typedef struct s_item {
    char *body;
    uint64_t seq;
    struct s_item *next;
} s_item_t;

typedef struct {
    long id;
    char url[1024];
    char secret[128];
    char events[2048]; /* ",a,b," */
    bool dead;
    s_item_t *head, *tail;
    size_t n;
    uint64_t seq;
    int attempts;
    int64_t next_ms;
} s_hook_t;

struct wd_hooks {
    char *conninfo;
    int retry_ms, max_attempts, timeout_ms;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stop, started;
    json_t *incoming; /* events handed over by the loop, not yet sorted to hooks */
    s_hook_t hooks[S_MAX_HOOKS];
    int nhooks;
    cc_pg_t *pg;
    int64_t loaded_ms;
    uint64_t delivered, failed;
    int live_hooks; /* hooks not dead, as last loaded (atomic): none, and events are not copied */
};

static int64_t s_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void s_drop_items(s_hook_t *h)
{
    for (s_item_t *it = h->head, *next; it; it = next) {
        next = it->next;
        free(it->body);
        free(it);
    }
    h->head = h->tail = NULL;
    h->n = 0;
}

/* The hooks as Postgres has them now; a known hook keeps its queue. */
static void s_load(wd_hooks_t *self)
{
    if (!self->pg && !(self->pg = cc_pg_connect(self->conninfo, 0)))
        return;
    PGresult *r = cc_pg_exec_params(self->pg,
                                    "SELECT id, url, secret, array_to_string(events, ','), "
                                    "dead_at IS NOT NULL FROM web_hooks ORDER BY id LIMIT 64",
                                    0, NULL);
    if (!r) {
        cc_pg_destroy(&self->pg);
        return;
    }
    s_hook_t next[S_MAX_HOOKS];
    int n = 0;
    for (int i = 0; i < PQntuples(r) && n < S_MAX_HOOKS; i++) {
        long id = strtol(PQgetvalue(r, i, 0), NULL, 10);
        s_hook_t *old = NULL;
        for (int k = 0; k < self->nhooks; k++)
            if (self->hooks[k].id == id)
                old = &self->hooks[k];
        s_hook_t *h = &next[n++];
        if (old) {
            *h = *old;
            old->head = old->tail = NULL; /* moved */
        } else {
            memset(h, 0, sizeof *h);
            h->id = id;
        }
        snprintf(h->url, sizeof h->url, "%s", PQgetvalue(r, i, 1));
        snprintf(h->secret, sizeof h->secret, "%s", PQgetvalue(r, i, 2));
        snprintf(h->events, sizeof h->events, ",%s,", PQgetvalue(r, i, 3));
        bool dead = PQgetvalue(r, i, 4)[0] == 't';
        if (h->dead && !dead) { /* revived */
            h->attempts = 0;
            h->next_ms = 0;
        }
        h->dead = dead;
    }
    PQclear(r);
    for (int k = 0; k < self->nhooks; k++) /* hooks deleted meanwhile */
        s_drop_items(&self->hooks[k]);
    memcpy(self->hooks, next, sizeof next[0] * (size_t)n);
    int before = self->nhooks, live_before = __atomic_load_n(&self->live_hooks, __ATOMIC_RELAXED);
    self->nhooks = n;
    self->loaded_ms = s_now_ms();
    int live = 0;
    for (int k = 0; k < n; k++)
        live += !self->hooks[k].dead;
    __atomic_store_n(&self->live_hooks, live, __ATOMIC_RELAXED);
    if (n != before || live != live_before)
        cc_info("webd.hooks", "hooks=%d live=%d", n, live);
}

static void s_mark_dead(wd_hooks_t *self, s_hook_t *h, const char *why)
{
    cc_error("webd.hook_dead", "hook=%ld url=%s attempts=%d error=%s pending=%zu", h->id,
             cc_logq(h->url), h->attempts, cc_logq(why), h->n);
    h->dead = true;
    s_drop_items(h);
    char id[24];
    snprintf(id, sizeof id, "%ld", h->id);
    const char *p[2] = {id, why};
    if (self->pg) {
        PGresult *r = cc_pg_exec_params(self->pg,
                                        "UPDATE web_hooks SET dead_at = now(), last_error = $2 "
                                        "WHERE id = $1::bigint",
                                        2, p);
        PQclear(r);
    }
}

/* Sort what the loop handed over into the queues of the hooks that want it. */
static void s_sort(wd_hooks_t *self, json_t *events)
{
    size_t i;
    json_t *ev;
    json_array_foreach(events, i, ev)
    {
        const char *type = json_string_value(json_object_get(ev, "type"));
        char needle[96];
        snprintf(needle, sizeof needle, ",%s,", type ? type : "");
        char *body = NULL;
        for (int k = 0; k < self->nhooks; k++) {
            s_hook_t *h = &self->hooks[k];
            if (h->dead || !strstr(h->events, needle))
                continue;
            if (!body && !(body = json_dumps(ev, JSON_COMPACT | JSON_SORT_KEYS)))
                break;
            if (h->n >= S_QUEUE_MAX) {
                s_mark_dead(self, h, "too many events waiting");
                continue;
            }
            s_item_t *it = calloc(1, sizeof *it);
            if (!it || !(it->body = strdup(body))) {
                free(it);
                continue;
            }
            it->seq = ++h->seq;
            if (h->tail)
                h->tail->next = it;
            else
                h->head = it;
            h->tail = it;
            h->n++;
        }
        free(body);
    }
}

static size_t s_sink(char *ptr, size_t size, size_t nmemb, void *arg)
{
    (void)ptr, (void)arg;
    return size * nmemb;
}

/* One post: 0 when the receiver answered 2xx, else -1 with why. */
static int s_post(wd_hooks_t *self, CURL *curl, const s_hook_t *h, const s_item_t *it, char *why,
                  size_t whylen)
{
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)h->secret, strlen(h->secret));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)it->body, strlen(it->body));
    crypto_auth_hmacsha256_final(&st, mac);
    char hex[sizeof mac * 2 + 1], sig[96], delivery[64];
    sodium_bin2hex(hex, sizeof hex, mac, sizeof mac);
    snprintf(sig, sizeof sig, "X-CC-Signature: sha256=%s", hex);
    snprintf(delivery, sizeof delivery, "X-CC-Delivery: %ld-%llu", h->id,
             (unsigned long long)it->seq);
    struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
    hdr = curl_slist_append(hdr, sig);
    hdr = curl_slist_append(hdr, delivery);
    curl_easy_reset(curl);
    curl_easy_setopt(curl, CURLOPT_URL, h->url);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, it->body);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)self->timeout_ms);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, s_sink);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    CURLcode rc = curl_easy_perform(curl);
    long code = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
    curl_slist_free_all(hdr);
    if (rc != CURLE_OK) {
        snprintf(why, whylen, "%s", curl_easy_strerror(rc));
        return -1;
    }
    if (code < 200 || code > 299) {
        snprintf(why, whylen, "HTTP %ld", code);
        return -1;
    }
    return 0;
}

static void *s_run(void *arg)
{
    wd_hooks_t *self = arg;
    CURL *curl = curl_easy_init();
    pthread_mutex_lock(&self->mu);
    while (!self->stop) {
        json_t *events = self->incoming;
        self->incoming = json_array();
        pthread_mutex_unlock(&self->mu);
        int64_t now = s_now_ms();
        if (now - self->loaded_ms >= 2000 || self->loaded_ms == 0)
            s_load(self);
        s_sort(self, events);
        json_decref(events);
        int64_t wake = now + 1000;
        for (int k = 0; k < self->nhooks && curl; k++) {
            s_hook_t *h = &self->hooks[k];
            while (h->head && !h->dead && h->next_ms <= s_now_ms()) {
                char why[256];
                if (s_post(self, curl, h, h->head, why, sizeof why) == 0) {
                    s_item_t *it = h->head;
                    h->head = it->next;
                    if (!h->head)
                        h->tail = NULL;
                    h->n--;
                    free(it->body);
                    free(it);
                    h->attempts = 0;
                    self->delivered++;
                    continue;
                }
                self->failed++;
                if (++h->attempts >= self->max_attempts) {
                    s_mark_dead(self, h, why);
                    break;
                }
                int64_t delay = (int64_t)self->retry_ms
                                << (h->attempts - 1 < 16 ? h->attempts - 1 : 16);
                if (delay > 60000)
                    delay = 60000;
                h->next_ms = s_now_ms() + delay;
                cc_warn("webd.hook_retry", "hook=%ld attempt=%d retry_in_ms=%lld error=%s", h->id,
                        h->attempts, (long long)delay, cc_logq(why));
            }
            if (h->head && !h->dead && h->next_ms < wake)
                wake = h->next_ms;
        }
        pthread_mutex_lock(&self->mu);
        if (self->stop || json_array_size(self->incoming) > 0)
            continue;
        int64_t left = wake - s_now_ms();
        if (left > 0) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_sec += left / 1000;
            ts.tv_nsec += (left % 1000) * 1000000;
            if (ts.tv_nsec >= 1000000000) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000;
            }
            pthread_cond_timedwait(&self->cv, &self->mu, &ts);
        }
    }
    pthread_mutex_unlock(&self->mu);
    if (curl)
        curl_easy_cleanup(curl);
    return NULL;
}

wd_hooks_t *wd_hooks_start(const char *conninfo, int retry_ms, int max_attempts, int timeout_ms)
{
    wd_hooks_t *self = calloc(1, sizeof *self);
    if (!self || !(self->conninfo = strdup(conninfo))) {
        free(self);
        return NULL;
    }
    self->retry_ms = retry_ms > 0 ? retry_ms : 500;
    self->max_attempts = max_attempts > 0 ? max_attempts : 8;
    self->timeout_ms = timeout_ms > 0 ? timeout_ms : 5000;
    self->incoming = json_array();
    pthread_mutex_init(&self->mu, NULL);
    pthread_cond_init(&self->cv, NULL);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (pthread_create(&self->thread, NULL, s_run, self) != 0) {
        wd_hooks_stop(&self);
        return NULL;
    }
    self->started = true;
    return self;
}

void wd_hooks_event(wd_hooks_t *self, json_t *body)
{
    if (!self || !body || __atomic_load_n(&self->live_hooks, __ATOMIC_RELAXED) == 0)
        return;
    pthread_mutex_lock(&self->mu);
    if (json_array_size(self->incoming) < S_QUEUE_MAX)
        json_array_append_new(self->incoming, json_deep_copy(body));
    pthread_cond_signal(&self->cv);
    pthread_mutex_unlock(&self->mu);
}

void wd_hooks_stop(wd_hooks_t **self_p)
{
    wd_hooks_t *self = *self_p;
    if (!self)
        return;
    *self_p = NULL;
    if (self->started) {
        pthread_mutex_lock(&self->mu);
        self->stop = true;
        pthread_cond_signal(&self->cv);
        pthread_mutex_unlock(&self->mu);
        pthread_join(self->thread, NULL);
    }
    for (int k = 0; k < self->nhooks; k++)
        s_drop_items(&self->hooks[k]);
    cc_pg_destroy(&self->pg);
    json_decref(self->incoming);
    pthread_mutex_destroy(&self->mu);
    pthread_cond_destroy(&self->cv);
    curl_global_cleanup();
    free(self->conninfo);
    free(self);
}
