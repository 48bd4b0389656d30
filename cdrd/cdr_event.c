/* cdr_event.c - turns sipproxy's call.* events (JSON bodies from the bus; of the call
 * control events only an answered call.connect_result) into core events: field
 * extraction, the ts parse, per-leg media stats. No I/O, no state. */
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

/* A counter of the stats object; a real is truncated, one out of int64's range (or NaN)
 * counts as absent: converting it would be undefined (found by fuzz_bus_messages). */
static int64_t s_int(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    if (json_is_integer(v))
        return (int64_t)json_integer_value(v);
    double d = json_is_real(v) ? json_real_value(v) : 0.0;
    return d > -9.2e18 && d < 9.2e18 ? (int64_t)d : 0;
}

void cdr_leg_stats_read(json_t *stats, cdr_leg_stats_t *out)
{
    memset(out, 0, sizeof *out);
    if (!json_is_object(stats))
        return;
    out->present = true;
    out->packets_in = s_int(stats, "packets_in");
    out->bytes_in = s_int(stats, "bytes_in");
    out->packets_out = s_int(stats, "packets_out");
    out->bytes_out = s_int(stats, "bytes_out");
    out->lost = s_int(stats, "lost");
    out->out_of_order = s_int(stats, "out_of_order");
    json_t *jitter = json_object_get(stats, "jitter_ms");
    out->jitter_ms = json_is_number(jitter) ? json_number_value(jitter) : 0.0;
    out->max_gap_ms = s_int(stats, "max_gap_ms");
    out->srtp_auth_failed = s_int(stats, "srtp_auth_failed");
    out->srtp_replayed = s_int(stats, "srtp_replayed");
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

static const char *s_str(json_t *body, const char *key)
{
    return json_string_value(json_object_get(body, key)); /* NULL if absent or not text */
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
             !strcmp(s_str(ev->body, "result") ? s_str(ev->body, "result") : "", "answered"))
        out->kind = CDR_EV_CONNECTED; /* a controller connected a person */
    else
        return 0; /* another call.* event: not needed for CDRs */

    json_t *body = ev->body;
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
        json_t *code = json_object_get(body, "sip_code");
        out->sip_code = json_is_integer(code) ? (int)json_integer_value(code) : 0;
        json_t *media = json_object_get(body, "media");
        cdr_leg_stats_read(json_object_get(media, "caller"), &out->legs[CDR_LEG_CALLER]);
        cdr_leg_stats_read(json_object_get(media, "callee"), &out->legs[CDR_LEG_CALLEE]);
        break;
    }
    case CDR_EV_RINGING:
        break;
    }
    return 1;
}
