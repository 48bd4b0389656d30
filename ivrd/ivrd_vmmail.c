/* ivrd_vmmail.c - voicemail to e-mail: a worker thread with its own Postgres connection
 * takes the messages whose email_state is pending and due, builds each mail (vm_mail.c:
 * caller, time, length, the caller's channel as a WAV from vm_audio.c) and sends it with
 * libcurl's SMTP to [voicemail] smtp_url (STARTTLS when offered or required, AUTH when
 * smtp_user is set). A failure is written to the row (attempts, error, the next attempt
 * after a doubling backoff) and the message stays in the box: nothing is lost while the
 * relay is down. Results go back to the loop through a pipe, where they become vm.mail
 * events (and vm.message when delete_after_email removed a sent message). The loop never
 * waits on the relay. */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "cc_log.h"
#include "cc_secret.h"
#include "ivrd.h"
#include "vm_audio.h"
#include "vm_mail.h"

#define S_POLL_MS 1000
#define S_BACKOFF_MAX_S 3600

typedef struct {
    long long id;
    int attempts;
    char mailbox[64];
    char state[8]; /* sent, retry, failed */
    char error[200];
    bool deleted;
} s_result_t;

struct ivrd_vmmail {
    ivrd_t *ivrd;
    ivrd_vm_t *vm;
    char *conninfo;
    char url[512], user[128], password[256], from[256];
    bool require_tls;
    long retry_s, max_attempts;
    uint8_t master[REC_KEY_LEN];
    bool have_master;
    pthread_t thread;
    bool started;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    bool stop, kicked;
    int pipe_r, pipe_w;
    uint64_t sent, failures;
};

/* ---- the worker ------------------------------------------------------------------------ */

typedef struct {
    const char *data;
    size_t len, off;
} s_reader_t;

static size_t s_read_cb(char *buf, size_t size, size_t nmemb, void *arg)
{
    s_reader_t *r = arg;
    size_t n = size * nmemb, left = r->len - r->off;
    if (n > left)
        n = left;
    memcpy(buf, r->data + r->off, n);
    r->off += n;
    return n;
}

/* Sends one mail; 0, or -1 with curl's words in err. */
static int s_send(ivrd_vmmail_t *self, const char *to, const char *mail, size_t len, char *err,
                  size_t errlen)
{
    CURL *curl = curl_easy_init();
    if (!curl) {
        snprintf(err, errlen, "curl_easy_init failed");
        return -1;
    }
    char rcpt_s[300], from_s[300], ebuf[CURL_ERROR_SIZE] = "";
    snprintf(rcpt_s, sizeof rcpt_s, "<%s>", to);
    snprintf(from_s, sizeof from_s, "<%s>", self->from);
    struct curl_slist *rcpt = curl_slist_append(NULL, rcpt_s);
    s_reader_t r = {.data = mail, .len = len};
    curl_easy_setopt(curl, CURLOPT_URL, self->url);
    curl_easy_setopt(curl, CURLOPT_MAIL_FROM, from_s);
    curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, s_read_cb);
    curl_easy_setopt(curl, CURLOPT_READDATA, &r);
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_USE_SSL,
                     self->require_tls ? (long)CURLUSESSL_ALL : (long)CURLUSESSL_TRY);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 120L);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, ebuf);
    if (self->user[0]) {
        curl_easy_setopt(curl, CURLOPT_USERNAME, self->user);
        curl_easy_setopt(curl, CURLOPT_PASSWORD, self->password);
    }
    CURLcode rc = curl_easy_perform(curl);
    if (rc != CURLE_OK)
        snprintf(err, errlen, "%.199s", ebuf[0] ? ebuf : curl_easy_strerror(rc));
    curl_slist_free_all(rcpt);
    curl_easy_cleanup(curl);
    return rc == CURLE_OK ? 0 : -1;
}

/* The mail for one row (id, mailbox, caller, received, duration_ms, path, email). */
static int s_build(ivrd_vmmail_t *self, PGresult *res, int r, char **mail, size_t *len, char *err,
                   size_t errlen)
{
    char tmp[512];
    long long id = atoll(PQgetvalue(res, r, 0));
    snprintf(tmp, sizeof tmp, "%s/voicemail/mail-%lld.wav",
             cc_config_var_dir(self->ivrd->daemon->cfg), id);
    if (vm_audio_extract(PQgetvalue(res, r, 5), self->have_master ? self->master : NULL, tmp, err,
                         errlen) != 0)
        return -1;
    uint8_t *wav = NULL;
    size_t wlen = 0;
    FILE *f = fopen(tmp, "rb");
    if (f) {
        fseek(f, 0, SEEK_END);
        long sz = ftell(f);
        fseek(f, 0, SEEK_SET);
        wav = sz > 0 ? malloc((size_t)sz) : NULL;
        wlen = wav ? fread(wav, 1, (size_t)sz, f) : 0;
        fclose(f);
    }
    unlink(tmp);
    if (!wav) {
        snprintf(err, errlen, "cannot read the message's audio");
        return -1;
    }
    char date[64], boundary[64], msgid[128];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
    snprintf(boundary, sizeof boundary, "cc-vm-%lld-%ld", id, (long)now);
    const char *at = strchr(self->from, '@');
    snprintf(msgid, sizeof msgid, "vm-%lld-%ld@%s", id, (long)now, at ? at + 1 : "localhost");
    vm_mail_t m = {.from = self->from,
                   .to = PQgetvalue(res, r, 6),
                   .mailbox = PQgetvalue(res, r, 1),
                   .caller = PQgetvalue(res, r, 2),
                   .received = PQgetvalue(res, r, 3),
                   .date = date,
                   .boundary = boundary,
                   .message_id = msgid,
                   .duration_ms = atoll(PQgetvalue(res, r, 4)),
                   .id = id};
    int rc = vm_mail_build(&m, wav, wlen, mail, len);
    free(wav);
    if (rc != 0)
        snprintf(err, errlen, "cannot build the mail (a header holds a line break?)");
    return rc;
}

static void s_report(ivrd_vmmail_t *self, const s_result_t *res)
{
    s_result_t *copy = malloc(sizeof *copy);
    if (!copy)
        return;
    *copy = *res;
    if (write(self->pipe_w, &copy, sizeof copy) != (ssize_t)sizeof copy)
        free(copy); /* the loop is gone or swamped: the row says it all anyway */
}

/* One pending, due message: send, then write the outcome. */
static void s_one(ivrd_vmmail_t *self, cc_pg_t *pg, PGresult *res, int r)
{
    s_result_t out = {.id = atoll(PQgetvalue(res, r, 0)),
                      .attempts = atoi(PQgetvalue(res, r, 7)) + 1};
    snprintf(out.mailbox, sizeof out.mailbox, "%s", PQgetvalue(res, r, 1));
    bool delete_after = PQgetvalue(res, r, 8)[0] == 't';
    char *mail = NULL;
    size_t len = 0;
    int rc = s_build(self, res, r, &mail, &len, out.error, sizeof out.error);
    if (rc == 0)
        rc = s_send(self, PQgetvalue(res, r, 6), mail, len, out.error, sizeof out.error);
    free(mail);
    char id[24], attempts[16], backoff[24], err[256];
    snprintf(id, sizeof id, "%lld", out.id);
    snprintf(attempts, sizeof attempts, "%d", out.attempts);
    if (rc == 0) {
        snprintf(out.state, sizeof out.state, "sent");
        const char *p[] = {id};
        PGresult *u = cc_pg_exec_params(
            pg,
            delete_after
                ? "DELETE FROM voicemail_messages WHERE id = $1::bigint"
                : "UPDATE voicemail_messages SET email_state = 'sent', emailed_at = now(), "
                  "email_attempts = email_attempts + 1, email_error = NULL, "
                  "email_next_at = NULL WHERE id = $1::bigint",
            1, p);
        if (u)
            PQclear(u);
        out.deleted = delete_after;
    } else {
        bool give_up = self->max_attempts > 0 && out.attempts >= self->max_attempts;
        long wait = self->retry_s;
        for (int i = 1; i < out.attempts && wait < S_BACKOFF_MAX_S; i++)
            wait *= 2;
        if (wait > S_BACKOFF_MAX_S)
            wait = S_BACKOFF_MAX_S;
        snprintf(backoff, sizeof backoff, "%ld", wait);
        snprintf(out.state, sizeof out.state, "%s", give_up ? "failed" : "retry");
        snprintf(err, sizeof err, "%s", out.error);
        const char *p[] = {id, attempts, err, backoff, give_up ? "failed" : "pending"};
        PGresult *u = cc_pg_exec_params(
            pg,
            "UPDATE voicemail_messages SET email_attempts = $2::integer, email_error = $3, "
            "email_state = $5, email_next_at = now() + make_interval(secs => $4::integer) "
            "WHERE id = $1::bigint",
            5, p);
        if (u)
            PQclear(u);
    }
    s_report(self, &out);
}

static void *s_worker(void *arg)
{
    ivrd_vmmail_t *self = arg;
    cc_pg_t *pg = NULL;
    pthread_mutex_lock(&self->mu);
    while (!self->stop) {
        if (!self->kicked) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += (long)S_POLL_MS * 1000000L;
            ts.tv_sec += ts.tv_nsec / 1000000000L;
            ts.tv_nsec %= 1000000000L;
            pthread_cond_timedwait(&self->cond, &self->mu, &ts);
        }
        self->kicked = false;
        if (self->stop)
            break;
        pthread_mutex_unlock(&self->mu);
        if (!pg)
            pg = cc_pg_connect(self->conninfo, 0);
        PGresult *res =
            pg ? cc_pg_exec_params(
                     pg,
                     "SELECT m.id, m.mailbox, m.caller, "
                     "to_char(m.received_at, 'YYYY-MM-DD HH24:MI:SSOF'), m.duration_ms, m.path, "
                     "b.email, m.email_attempts, b.delete_after_email "
                     "FROM voicemail_messages m JOIN mailboxes b USING (mailbox) "
                     "WHERE m.email_state = 'pending' AND b.email IS NOT NULL AND "
                     "(m.email_next_at IS NULL OR m.email_next_at <= now()) "
                     "ORDER BY m.id LIMIT 10",
                     0, NULL)
               : NULL;
        if (!res && pg) {
            cc_warn("vm.mail_query_failed", "error=%s", cc_logq(cc_pg_error(pg)));
            cc_pg_destroy(&pg); /* connect again next time */
        }
        for (int r = 0; res && r < PQntuples(res); r++) {
            pthread_mutex_lock(&self->mu);
            bool stop = self->stop;
            pthread_mutex_unlock(&self->mu);
            if (stop)
                break;
            s_one(self, pg, res, r);
        }
        if (res)
            PQclear(res);
        pthread_mutex_lock(&self->mu);
    }
    pthread_mutex_unlock(&self->mu);
    cc_pg_destroy(&pg);
    return NULL;
}

/* ---- the loop side ------------------------------------------------------------------------- */

static void s_on_pipe(cc_loop_t *loop, int fd, uint32_t events, void *arg)
{
    (void)loop, (void)events;
    ivrd_vmmail_t *self = arg;
    s_result_t *r;
    while (read(fd, &r, sizeof r) == (ssize_t)sizeof r) {
        json_t *ev = json_pack("{s:s, s:I, s:s, s:i}", "mailbox", r->mailbox, "message_id",
                               (json_int_t)r->id, "state", r->state, "attempts", r->attempts);
        if (r->error[0] && strcmp(r->state, "sent") != 0)
            json_object_set_new(ev, "error", json_string(r->error));
        if (r->deleted)
            json_object_set_new(ev, "deleted", json_true());
        if (strcmp(r->state, "sent") == 0) {
            self->sent++;
            cc_info("vm.mail_sent", "mailbox=%s message=%lld attempts=%d deleted=%d",
                    cc_logq(r->mailbox), r->id, r->attempts, r->deleted);
        } else {
            self->failures++;
            cc_warn("vm.mail_failed", "mailbox=%s message=%lld attempts=%d state=%s error=%s",
                    cc_logq(r->mailbox), r->id, r->attempts, r->state, cc_logq(r->error));
        }
        cc_bus_publish(self->ivrd->daemon->bus, "vm.mail", NULL, ev);
        if (r->deleted)
            ivrd_vm_publish(self->vm, r->mailbox, NULL, NULL);
        free(r);
    }
}

void ivrd_vmmail_kick(ivrd_vmmail_t *self)
{
    if (!self || !self->started)
        return;
    pthread_mutex_lock(&self->mu);
    self->kicked = true;
    pthread_cond_signal(&self->cond);
    pthread_mutex_unlock(&self->mu);
}

/* The SMTP password from its file (checked like every secret). 0, or -1 logged. */
static int s_password(ivrd_vmmail_t *self, const char *path)
{
    char err[300];
    if (!path[0])
        return 0;
    if (cc_secret_file_check(path, "SMTP password", err, sizeof err) != 0) {
        cc_error("vm.mail_password_refused", "reason=%s", cc_logq(err));
        return -1;
    }
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(self->password, 1, sizeof self->password - 1, f);
    fclose(f);
    self->password[n] = '\0';
    self->password[strcspn(self->password, "\r\n")] = '\0';
    return 0;
}

ivrd_vmmail_t *ivrd_vmmail_new(ivrd_t *ivrd, ivrd_vm_t *vm)
{
    ivrd_vmmail_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->ivrd = ivrd;
    self->vm = vm;
    self->pipe_r = self->pipe_w = -1;
    const cc_config_t *cfg = ivrd->daemon->cfg;
    snprintf(self->url, sizeof self->url, "%s", cc_config_str(cfg, "voicemail", "smtp_url"));
    snprintf(self->user, sizeof self->user, "%s", cc_config_str(cfg, "voicemail", "smtp_user"));
    snprintf(self->from, sizeof self->from, "%s", cc_config_str(cfg, "voicemail", "from"));
    self->require_tls = cc_config_int(cfg, "voicemail", "smtp_require_tls") != 0;
    self->retry_s = cc_config_int(cfg, "voicemail", "mail_retry_s");
    self->max_attempts = cc_config_int(cfg, "voicemail", "mail_max_attempts");
    pthread_mutex_init(&self->mu, NULL);
    pthread_cond_init(&self->cond, NULL);
    if (!self->url[0]) {
        cc_info("vm.mail_off", "reason=%s", cc_logq("[voicemail] smtp_url is empty"));
        return self; /* pending mails wait for a relay to be configured */
    }
    if (s_password(self, cc_config_str(cfg, "voicemail", "smtp_password_file")) != 0) {
        ivrd_vmmail_destroy(&self);
        return NULL;
    }
    self->have_master = vm_audio_master_key(cc_config_str(cfg, "recorderd", "master_key_file"),
                                            cc_config_var_dir(cfg), self->master) == 0;
    self->conninfo = cc_config_pg_conninfo(cfg, "ivrd");
    int fds[2];
    if (!self->conninfo || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
        pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) {
        ivrd_vmmail_destroy(&self);
        return NULL;
    }
    self->pipe_r = fds[0], self->pipe_w = fds[1];
    cc_loop_fd_add(ivrd->daemon->loop, self->pipe_r, EPOLLIN, s_on_pipe, self);
    if (pthread_create(&self->thread, NULL, s_worker, self) != 0) {
        ivrd_vmmail_destroy(&self);
        return NULL;
    }
    self->started = true;
    cc_info("vm.mail_on", "url=%s tls=%s auth=%s", cc_logq(self->url),
            self->require_tls ? "required" : "when offered", self->user[0] ? "yes" : "no");
    return self;
}

void ivrd_vmmail_status(const ivrd_vmmail_t *self, json_t *details)
{
    json_object_set_new(details, "vm_mails_sent", json_integer((json_int_t)self->sent));
    json_object_set_new(details, "vm_mail_failures", json_integer((json_int_t)self->failures));
}

void ivrd_vmmail_destroy(ivrd_vmmail_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ivrd_vmmail_t *self = *self_p;
    if (self->started) {
        pthread_mutex_lock(&self->mu);
        self->stop = true;
        pthread_cond_signal(&self->cond);
        pthread_mutex_unlock(&self->mu);
        pthread_join(self->thread, NULL);
    }
    if (self->pipe_r >= 0) {
        cc_loop_fd_remove(self->ivrd->daemon->loop, self->pipe_r);
        s_on_pipe(self->ivrd->daemon->loop, self->pipe_r, 0, self); /* frees what is left */
        close(self->pipe_r);
        close(self->pipe_w);
    }
    if (self->url[0])
        curl_global_cleanup();
    free(self->conninfo);
    explicit_bzero(self->password, sizeof self->password);
    explicit_bzero(self->master, sizeof self->master);
    pthread_mutex_destroy(&self->mu);
    pthread_cond_destroy(&self->cond);
    free(self);
    *self_p = NULL;
}
