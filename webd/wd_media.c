/* wd_media.c - recordings in the browser: an agent's list of its own recordings, and a
 * recording's audio for the page's player. Who may hear what is decided in the same query
 * that finds the file (an agent: the recordings of its own extension; a supervisor: those
 * of its queues; an admin: all), so another agent's id answers 404 exactly like an id that
 * does not exist. The file is read, checked against the index's SHA-256 and decrypted with
 * recorderd's master key on the database worker (never on the loop); the reply honours one
 * HTTP byte range so the player can seek. Every fetch is a row of web_audit (the route's
 * action). The whole recording is decrypted for each request: recordings are minutes of
 * 8 kHz audio, a few MB at most. */
#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cc_log.h"
#include "cc_secret.h"
#include "rec_crypto.h"
#include "rec_format.h"
#include "wd_app.h"

#define S_MAX_FILE (256u << 20)

typedef struct {
    char id[24];
    char agent[32];    /* an agent's own extension, or "" */
    char queues[1024]; /* a supervisor's queues as an array literal, or "" (all) */
    char key_path[1024];
    /* results */
    int status; /* 0, or the HTTP status to answer */
    const char *code;
    char message[256];
    uint8_t *wav;
    size_t len;
} s_audio_t;

static void s_audio_free(void *arg)
{
    s_audio_t *a = arg;
    free(a->wav);
    free(a);
}

static void s_fail(s_audio_t *a, int status, const char *code, const char *fmt, const char *what)
{
    a->status = status;
    a->code = code;
    snprintf(a->message, sizeof a->message, fmt, what);
}

static int s_slurp(const char *path, uint8_t **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    if (!f)
        return -1;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
        (uint64_t)st.st_size > S_MAX_FILE) {
        fclose(f);
        return -1;
    }
    *out = malloc((size_t)st.st_size);
    size_t n = *out ? fread(*out, 1, (size_t)st.st_size, f) : 0;
    fclose(f);
    if (n != (size_t)st.st_size) {
        free(*out);
        *out = NULL;
        return -1;
    }
    *len = n;
    return 0;
}

static int s_master_key(const char *path, uint8_t key[REC_KEY_LEN], char *err, size_t errlen)
{
    if (cc_secret_file_check(path, "recording master key", err, errlen) != 0)
        return -1;
    char text[256];
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "cannot read the recording master key: %s", strerror(errno));
        return -1;
    }
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    int rc = rec_key_parse_hex(text, key) < 0 ? -1 : 0;
    sodium_memzero(text, sizeof text);
    if (rc != 0)
        snprintf(err, errlen, "the recording master key file does not hold 64 hex digits");
    return rc;
}

/* On the worker: find the recording the principal may hear, read, verify, decrypt. */
static void s_audio_run(cc_pg_t *pg, wd_job_t *job)
{
    s_audio_t *a = job->arg;
    const char *p[3] = {a->id, a->agent[0] ? a->agent : NULL, a->queues[0] ? a->queues : NULL};
    char err[256];
    json_t *rows = wd_db_query(
        pg,
        "SELECT path, encrypted, coalesce(sha256, '') AS sha256, deleted_at IS NOT NULL AS "
        "deleted, complete, ended_at IS NOT NULL AS finished FROM recordings r "
        "WHERE r.id = $1::bigint AND (CASE WHEN $2::text IS NOT NULL THEN r.agent = $2 "
        "ELSE $3::text[] IS NULL OR r.queue = ANY($3::text[]) END)",
        3, p, err, sizeof err);
    if (!rows) {
        cc_warn("webd.recording_query_failed", "error=%s", cc_logq(err));
        s_fail(a, 503, "database", "%s", "the database did not answer; try again");
        return;
    }
    json_t *row = json_array_get(rows, 0);
    if (!row) {
        s_fail(a, 404, "not_found", "no recording %s of yours", a->id);
        json_decref(rows);
        return;
    }
    char path[1024], sha_idx[65];
    snprintf(path, sizeof path, "%s", json_string_value(json_object_get(row, "path")));
    snprintf(sha_idx, sizeof sha_idx, "%s", json_string_value(json_object_get(row, "sha256")));
    bool encrypted = json_is_true(json_object_get(row, "encrypted"));
    bool deleted = json_is_true(json_object_get(row, "deleted"));
    bool finished = json_is_true(json_object_get(row, "finished"));
    json_decref(rows);
    if (deleted) {
        s_fail(a, 410, "deleted", "recording %s was deleted (retention)", a->id);
        return;
    }
    uint8_t *buf = NULL;
    size_t len = 0;
    if (s_slurp(path, &buf, &len) != 0) {
        cc_warn("webd.recording_unreadable", "id=%s path=%s", a->id, cc_logq(path));
        s_fail(a, 404, "not_found", "recording %s has no file (yet)", a->id);
        return;
    }
    char sha[65];
    rec_sha256_hex(buf, len, sha);
    if (finished && sha_idx[0] && strcmp(sha, sha_idx) != 0) {
        cc_error("webd.recording_tampered", "id=%s path=%s", a->id, cc_logq(path));
        free(buf);
        s_fail(a, 500, "tampered", "recording %s does not match its index", a->id);
        return;
    }
    if (!encrypted) {
        if (!rec_wav_is_ours(buf, len)) {
            free(buf);
            s_fail(a, 500, "bad_file", "recording %s is not a recording WAV", a->id);
            return;
        }
        a->wav = buf;
        a->len = len;
        return;
    }
    uint8_t key[REC_KEY_LEN];
    if (s_master_key(a->key_path, key, err, sizeof err) != 0) {
        cc_error("webd.recording_key", "error=%s", cc_logq(err));
        free(buf);
        s_fail(a, 503, "unavailable", "%s", "the recording key cannot be read");
        return;
    }
    bool whole = false;
    uint8_t *plain = NULL;
    size_t plen = 0;
    int d = rec_decrypt(key, buf, len, &plain, &plen, &whole, err, sizeof err);
    sodium_memzero(key, sizeof key);
    free(buf);
    if (d < 0) {
        cc_error("webd.recording_decrypt_failed", "id=%s error=%s", a->id, cc_logq(err));
        s_fail(a, 500, "bad_file", "recording %s cannot be decrypted", a->id);
        return;
    }
    a->wav = plain;
    a->len = plen;
}

static void s_audio_done(wd_job_t *job, void *app)
{
    wd_req_t *req = wd_req_find(app, job->req_id);
    s_audio_t *a = job->arg;
    if (!req)
        return;
    if (a->status) {
        wd_reply_error(req, a->status, a->code, NULL, "%s", a->message);
        return;
    }
    req->accept_ranges = true;
    if (json_is_true(json_object_get(req->body, "download")))
        snprintf(req->disposition, sizeof req->disposition,
                 "attachment; filename=\"recording-%s.wav\"", a->id);
    size_t from = 0, to = 0;
    int r = wd_range_parse(wd_req_header(req, "Range"), a->len, &from, &to);
    if (r < 0) {
        snprintf(req->content_range, sizeof req->content_range, "bytes */%zu", a->len);
        wd_reply_error(req, 416, "bad_range", NULL, "the recording has %zu bytes", a->len);
        return;
    }
    if (r == 0) {
        wd_reply_bytes(req, 200, "audio/wav", (char *)a->wav, a->len);
        a->wav = NULL;
        return;
    }
    size_t n = to - from + 1;
    char *part = malloc(n ? n : 1);
    if (!part) {
        wd_reply_error(req, 500, "internal", NULL, "out of memory");
        return;
    }
    memcpy(part, a->wav + from, n);
    snprintf(req->content_range, sizeof req->content_range, "bytes %zu-%zu/%zu", from, to, a->len);
    wd_reply_bytes(req, 206, "audio/wav", part, n);
}

void wd_h_recording_audio(wd_req_t *req)
{
    const char *id = wd_param(&req->params, "id");
    size_t n = strlen(id);
    if (n == 0 || n > 18 || strspn(id, "0123456789") != n) {
        wd_reply_error(req, 404, "not_found", NULL, "no recording '%s'", id);
        return;
    }
    s_audio_t *a = calloc(1, sizeof *a);
    wd_job_t *job = calloc(1, sizeof *job);
    if (!a || !job) {
        free(a);
        free(job);
        wd_reply_error(req, 500, "internal", NULL, "out of memory");
        return;
    }
    snprintf(a->id, sizeof a->id, "%s", id);
    if (req->who.role == WD_ROLE_AGENT)
        snprintf(a->agent, sizeof a->agent, "%s", req->who.ext[0] ? req->who.ext : "-");
    else if (!req->who.all_queues)
        snprintf(a->queues, sizeof a->queues, "%s", req->who.queues_sql);
    snprintf(a->key_path, sizeof a->key_path, "%s", req->app->set.rec_key_path);
    job->run = s_audio_run;
    job->done = s_audio_done;
    job->arg = a;
    job->free_arg = s_audio_free;
    job->req_id = req->id;
    wd_db_submit(req->app->db, job);
    wd_reply_later(req);
}

/* ---- GET /api/me/recordings ------------------------------------------------------------------ */

static void s_list_done(wd_job_t *job, void *app)
{
    wd_req_t *req = wd_req_find(app, job->req_id);
    if (!req)
        return;
    if (job->status != 0) {
        wd_reply_error(req, 503, "database", NULL, "the search failed; try again");
        return;
    }
    wd_reply_json(req, 200, json_pack("{s:O}", "recordings", job->result));
}

void wd_h_me_recordings(wd_req_t *req)
{
    char limit[24];
    json_t *l = json_object_get(req->body, "limit");
    snprintf(limit, sizeof limit, "%lld", l ? (long long)json_integer_value(l) : 20LL);
    const char *p[2] = {req->who.ext, limit};
    wd_job_t *job = wd_job_sql(
        "SELECT id, call_id, caller, callee, queue, to_json(started_at) AS started_at, "
        "duration_s, complete, pauses FROM v_recordings r WHERE r.agent = $1 AND NOT r.deleted "
        "AND r.ended_at IS NOT NULL ORDER BY r.started_at DESC LIMIT $2::integer",
        2, p);
    if (!job) {
        wd_reply_error(req, 500, "internal", NULL, "out of memory");
        return;
    }
    job->done = s_list_done;
    job->req_id = req->id;
    wd_db_submit(req->app->db, job);
    wd_reply_later(req);
}
