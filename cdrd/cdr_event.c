/* cdr_event.c - turns sipproxy's call.* events (JSON bodies from the bus, as a jansson
 * tree or as scanned tokens; of the call control events only an answered
 * call.connect_result) into core events: field extraction, the ts parse, per-leg media
 * stats. No I/O, no state. */
#include "cdr_event.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cc_date.h"

/* Read exactly `n` digits at *p; advance. */
static int s_digits(const char **p, int n, int64_t *out)
{
    int64_t v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i]))
            return -1;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *out = v;
    return 0;
}

static int s_expect(const char **p, char c)
{
    if (**p != c)
        return -1;
    (*p)++;
    return 0;
}

int cdr_parse_ts(const char *text, int64_t *us_out)
{
    if (!text)
        return -1;
    const char *p = text;
    int64_t y, mo, d, h, mi, s, frac = 0;
    if (s_digits(&p, 4, &y) || s_expect(&p, '-') || s_digits(&p, 2, &mo) || s_expect(&p, '-') ||
        s_digits(&p, 2, &d) || (*p != 'T' && *p != ' '))
        return -1;
    p++;
    if (s_digits(&p, 2, &h) || s_expect(&p, ':') || s_digits(&p, 2, &mi) || s_expect(&p, ':') ||
        s_digits(&p, 2, &s))
        return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60)
        return -1;
    if (*p == '.') {
        p++;
        int n = 0;
        for (; isdigit((unsigned char)*p); p++, n++)
            if (n < 6)
                frac = frac * 10 + (*p - '0');
        if (n == 0 || n > 9)
            return -1;
        for (; n < 6; n++)
            frac *= 10;
    }
    if (!strcmp(p, "Z") || !strcmp(p, "+00:00") || !strcmp(p, "+0000"))
        ;
    else
        return -1;
    int64_t secs = cc_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
    *us_out = secs * 1000000 + frac;
    return 0;
}

/* A value of the event in either form the bus delivers: a jansson tree (replays, and
 * subscriptions that are not scanned) or a scanned document's token (live events). One
 * reader for both, so the fields mean the same whichever way an event came. */
typedef struct {
    json_t *j;
    cc_json_doc_t *doc;
    int t; /* token index in doc; -1: absent */
} s_val_t;

static s_val_t s_root(const cc_bus_event_t *ev)
{
    return ev->doc ? (s_val_t){.doc = ev->doc, .t = 0} : (s_val_t){.j = ev->body, .t = -1};
}

static s_val_t s_get(s_val_t v, const char *key)
{
    if (v.doc)
        return (s_val_t){.doc = v.doc, .t = cc_json_get(v.doc, v.t, key)};
    return (s_val_t){.j = json_object_get(v.j, key), .t = -1};
}

static bool s_is_object(s_val_t v)
{
    return v.doc ? cc_json_kind(v.doc, v.t) == CC_JSON_OBJECT : json_is_object(v.j);
}

static const char *s_text(s_val_t v)
{
    return v.doc ? cc_json_str(v.doc, v.t) : json_string_value(v.j); /* NULL if not text */
}

static bool s_integer(s_val_t v, int64_t *out)
{
    if (v.doc)
        return cc_json_int(v.doc, v.t, out);
    if (!json_is_integer(v.j))
        return false;
    *out = (int64_t)json_integer_value(v.j);
    return true;
}

/* An integer or a real (json_number_value); false for anything else. */
static bool s_number(s_val_t v, double *out)
{
    if (v.doc)
        return cc_json_number(v.doc, v.t, out);
    if (!json_is_number(v.j))
        return false;
    *out = json_number_value(v.j);
    return true;
}

/* A counter of the stats object; a real is truncated, one out of int64's range (or NaN)
 * counts as absent: converting it would be undefined (found by fuzz_bus_messages). */
static int64_t s_int(s_val_t obj, const char *key)
{
    s_val_t v = s_get(obj, key);
    int64_t i;
    if (s_integer(v, &i))
        return i;
    double d = 0.0;
    if (!s_number(v, &d))
        d = 0.0;
    return d > -9.2e18 && d < 9.2e18 ? (int64_t)d : 0;
}

static void s_leg_stats(s_val_t stats, cdr_leg_stats_t *out)
{
    memset(out, 0, sizeof *out);
    if (!s_is_object(stats))
        return;
    out->present = true;
    out->packets_in = s_int(stats, "packets_in");
    out->bytes_in = s_int(stats, "bytes_in");
    out->packets_out = s_int(stats, "packets_out");
    out->bytes_out = s_int(stats, "bytes_out");
    out->lost = s_int(stats, "lost");
    out->out_of_order = s_int(stats, "out_of_order");
    if (!s_number(s_get(stats, "jitter_ms"), &out->jitter_ms))
        out->jitter_ms = 0.0;
    out->max_gap_ms = s_int(stats, "max_gap_ms");
    out->srtp_auth_failed = s_int(stats, "srtp_auth_failed");
    out->srtp_replayed = s_int(stats, "srtp_replayed");
}

void cdr_leg_stats_read(json_t *stats, cdr_leg_stats_t *out)
{
    s_leg_stats((s_val_t){.j = stats, .t = -1}, out);
}

/* Append text to buf (len bytes, NUL kept), truncating; returns the new end. */
static char *s_append(char *p, char *end, const char *text, size_t n)
{
    size_t room = (size_t)(end - p) - 1;
    if (n > room)
        n = room;
    memcpy(p, text, n);
    p[n] = '\0';
    return p + n;
}

static char *s_append_u64(char *p, char *end, uint64_t v)
{
    char digits[24];
    size_t n = sizeof digits;
    do {
        digits[--n] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return s_append(p, end, digits + n, sizeof digits - n);
}

/* "pub:epoch:seq", as snprintf would print it, without its cost at every event. */
static void s_event_id(char *buf, size_t len, const char *pub, uint64_t epoch, uint64_t seq)
{
    if (len == 0)
        return;
    char *p = buf, *end = buf + len;
    *p = '\0';
    p = s_append(p, end, pub, strlen(pub));
    p = s_append(p, end, ":", 1);
    p = s_append_u64(p, end, epoch);
    p = s_append(p, end, ":", 1);
    s_append_u64(p, end, seq);
}

static const char *s_str(s_val_t obj, const char *key)
{
    return s_text(s_get(obj, key)); /* NULL if absent or not text */
}

int cdr_event_ts(const cc_bus_event_t *ev, int64_t *us_out)
{
    return cdr_parse_ts(s_str(s_root(ev), "ts"), us_out);
}

int cdr_event_decode(const cc_bus_event_t *ev, cdr_event_t *out, char *id_buf, size_t id_len,
                     char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (!ev->type || strncmp(ev->type, "call.", 5) != 0)
        return 0;
    const char *what = ev->type + 5;
    if (!strcmp(what, "created"))
        out->kind = CDR_EV_CREATED;
    else if (!strcmp(what, "ringing"))
        out->kind = CDR_EV_RINGING;
    else if (!strcmp(what, "answered"))
        out->kind = CDR_EV_ANSWERED;
    else if (!strcmp(what, "ended"))
        out->kind = CDR_EV_ENDED;
    else if (!strcmp(what, "connect_result") &&
             !strcmp(s_str(s_root(ev), "result") ? s_str(s_root(ev), "result") : "", "answered"))
        out->kind = CDR_EV_CONNECTED; /* a controller connected a person */
    else
        return 0; /* another call.* event: not needed for CDRs */

    s_val_t body = s_root(ev);
    out->call_id = ev->call_id ? ev->call_id : s_str(body, "call_id");
    if (!out->call_id || !*out->call_id) {
        snprintf(err, errlen, "%s without call_id", ev->type);
        return -1;
    }
    const char *ts = s_str(body, "ts");
    if (cdr_parse_ts(ts, &out->ts_us) != 0) {
        snprintf(err, errlen, "%s has a bad ts '%s'", ev->type, ts ? ts : "(none)");
        return -1;
    }
    s_event_id(id_buf, id_len, ev->pub ? ev->pub : "?", ev->epoch, ev->seq);
    out->event_id = id_buf;
    out->epoch = ev->epoch;
    switch (out->kind) {
    case CDR_EV_CREATED:
        out->caller = s_str(body, "caller");
        out->callee = s_str(body, "callee");
        out->direction = s_str(body, "direction");
        out->trunk = s_str(body, "trunk");
        out->route_kind = s_str(body, "route_kind");
        out->route_target = s_str(body, "route_target");
        break;
    case CDR_EV_ANSWERED:
        out->answered_by = s_str(body, "answered_by");
        break;
    case CDR_EV_CONNECTED:
        out->answered_by = s_str(body, "target");
        break;
    case CDR_EV_ENDED: {
        /* The hang-up itself, when sipproxy says (the event may come much later: it waits
         * for mediad's statistics); else the event's time. */
        int64_t ended_us;
        if (cdr_parse_ts(s_str(body, "ended_at"), &ended_us) == 0 && ended_us <= out->ts_us)
            out->ts_us = ended_us;
        out->disposition = s_str(body, "disposition");
        out->hangup_side = s_str(body, "hangup_side");
        out->reason = s_str(body, "reason");
        int64_t code;
        out->sip_code = s_integer(s_get(body, "sip_code"), &code) ? (int)code : 0;
        s_val_t media = s_get(body, "media");
        s_leg_stats(s_get(media, "caller"), &out->legs[CDR_LEG_CALLER]);
        s_leg_stats(s_get(media, "callee"), &out->legs[CDR_LEG_CALLEE]);
        break;
    }
    case CDR_EV_RINGING:
        break;
    }
    return 1;
}

static bool s_same_str(const char *a, const char *b)
{
    return a == b || (a && b && !strcmp(a, b));
}

bool cdr_event_equal(const cdr_event_t *a, const cdr_event_t *b)
{
    if (a->kind != b->kind || a->ts_us != b->ts_us || a->epoch != b->epoch ||
        a->sip_code != b->sip_code)
        return false;
    const char *sa[] = {a->call_id,     a->event_id,    a->caller,      a->callee,
                        a->direction,   a->trunk,       a->route_kind,  a->route_target,
                        a->answered_by, a->disposition, a->hangup_side, a->reason};
    const char *sb[] = {b->call_id,     b->event_id,    b->caller,      b->callee,
                        b->direction,   b->trunk,       b->route_kind,  b->route_target,
                        b->answered_by, b->disposition, b->hangup_side, b->reason};
    for (size_t i = 0; i < sizeof sa / sizeof sa[0]; i++)
        if (!s_same_str(sa[i], sb[i]))
            return false;
    for (int leg = 0; leg < CDR_LEG_COUNT; leg++) {
        const cdr_leg_stats_t *x = &a->legs[leg], *y = &b->legs[leg];
        if (x->present != y->present || x->packets_in != y->packets_in ||
            x->bytes_in != y->bytes_in || x->packets_out != y->packets_out ||
            x->bytes_out != y->bytes_out || x->lost != y->lost ||
            x->out_of_order != y->out_of_order || x->max_gap_ms != y->max_gap_ms ||
            x->srtp_auth_failed != y->srtp_auth_failed || x->srtp_replayed != y->srtp_replayed ||
            memcmp(&x->jitter_ms, &y->jitter_ms, sizeof x->jitter_ms) != 0)
            return false;
    }
    return true;
}
