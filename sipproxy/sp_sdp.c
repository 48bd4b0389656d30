/* sp_sdp.c - SDP filtering and address rewriting for media anchoring (see sp_sdp.h).
 * Owns only text handling of SDP bodies; deciding when to rewrite is the caller's. */
#include "sp_sdp.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SP_SDP_MAX_LINES 256

typedef struct {
    const char *p;
    size_t len;
} s_line_t;

typedef struct {
    char *buf;
    size_t len, cap;
    bool failed;
} s_out_t;

static void s_put(s_out_t *o, const char *p, size_t n)
{
    if (o->failed)
        return;
    if (o->len + n + 3 > o->cap) {
        size_t cap = o->cap ? o->cap * 2 : 1024;
        while (cap < o->len + n + 3)
            cap *= 2;
        char *nb = realloc(o->buf, cap);
        if (!nb) {
            o->failed = true;
            return;
        }
        o->buf = nb;
        o->cap = cap;
    }
    memcpy(o->buf + o->len, p, n);
    o->len += n;
    o->buf[o->len] = '\0';
}

static void s_putline(s_out_t *o, const char *p, size_t n)
{
    s_put(o, p, n);
    s_put(o, "\r\n", 2);
}

static void s_putf(s_out_t *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void s_putf(s_out_t *o, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof tmp) {
        o->failed = true;
        return;
    }
    s_putline(o, tmp, (size_t)n);
}

static size_t s_split(const char *in, s_line_t *lines, size_t max)
{
    size_t n = 0;
    const char *p = in;
    while (*p && n < max) {
        const char *e = p;
        while (*e && *e != '\n' && *e != '\r')
            e++;
        if (e > p)
            lines[n++] = (s_line_t){p, (size_t)(e - p)};
        while (*e == '\r' || *e == '\n')
            e++;
        p = e;
    }
    return n;
}

static bool s_starts(const s_line_t *l, const char *prefix)
{
    size_t n = strlen(prefix);
    return l->len >= n && strncasecmp(l->p, prefix, n) == 0;
}

/* "a=rtpmap:101 telephone-event/8000" -> pt 101, *enc points at "telephone-event/8000". */
static int s_attr_pt(const s_line_t *l, const char *attr, const char **rest)
{
    size_t n = strlen(attr);
    if (!s_starts(l, attr))
        return -1;
    const char *p = l->p + n, *end = l->p + l->len;
    if (p >= end || !isdigit((unsigned char)*p))
        return -1;
    int pt = 0;
    while (p < end && isdigit((unsigned char)*p) && pt < 1000)
        pt = pt * 10 + (*p++ - '0');
    while (p < end && *p == ' ')
        p++;
    if (rest)
        *rest = p;
    return pt;
}

static bool s_is_dir(const s_line_t *l, sp_sdp_dir_t *dir)
{
    static const char *names[] = {"a=sendrecv", "a=sendonly", "a=recvonly", "a=inactive"};
    for (int i = 0; i < 4; i++)
        if (l->len == strlen(names[i]) && strncasecmp(l->p, names[i], l->len) == 0) {
            *dir = (sp_sdp_dir_t)i;
            return true;
        }
    return false;
}

static bool s_kept(const sp_sdp_info_t *info, int pt)
{
    for (int i = 0; i < info->npts; i++)
        if (info->pts[i] == pt)
            return true;
    return false;
}

/* c=IN IP4 addr -> addr */
static void s_conn_addr(const s_line_t *l, char *out, size_t outlen)
{
    const char *p = l->p + 2, *end = l->p + l->len;
    int field = 0;
    while (p < end && field < 2) {
        while (p < end && *p != ' ')
            p++;
        while (p < end && *p == ' ')
            p++;
        field++;
    }
    size_t n = 0;
    while (p < end && *p != ' ' && *p != '/' && n + 1 < outlen)
        out[n++] = *p++;
    out[n] = '\0';
}

/* A decimal number of 1-5 digits up to max (and nothing else in tok), or -1. */
static int s_number(const char *tok, int max)
{
    size_t len = strlen(tok);
    if (len == 0 || len > 5 || strspn(tok, "0123456789") != len)
        return -1;
    int v = atoi(tok);
    return v <= max ? v : -1;
}

/* Classify the first audio stream's payload types: which to keep, from m= and rtpmaps. */
static int s_choose_pts(const s_line_t *lines, size_t mline, size_t mend, sp_sdp_info_t *info)
{
    const s_line_t *m = &lines[mline];
    char tmp[512];
    size_t n = m->len < sizeof tmp - 1 ? m->len : sizeof tmp - 1;
    memcpy(tmp, m->p, n);
    tmp[n] = '\0';
    char *save = NULL;
    char *tok = strtok_r(tmp + 2, " ", &save); /* media */
    tok = strtok_r(NULL, " ", &save);          /* port */
    if (!tok)
        return -1;
    char *count = strchr(tok, '/'); /* port/number-of-ports */
    if (count)
        *count = '\0';
    info->port = s_number(tok, 65535);
    if (info->port < 0)
        return -1;
    tok = strtok_r(NULL, " ", &save); /* proto */
    if (!tok)
        return -1;
    info->savp = strncasecmp(tok, "RTP/SAVP", 8) == 0;
    int events = 0;
    while ((tok = strtok_r(NULL, " ", &save)) && info->npts < SP_SDP_MAX_PT) {
        int pt = s_number(tok, 127);
        if (pt < 0)
            continue; /* not an RTP payload type: nothing we could keep */
        const char *enc = NULL;
        for (size_t i = mline + 1; i < mend; i++) {
            const char *rest;
            if (s_attr_pt(&lines[i], "a=rtpmap:", &rest) == pt) {
                enc = rest;
                break;
            }
        }
        bool codec = false, event = false;
        if (enc) {
            codec = strncasecmp(enc, "PCMU/8000", 9) == 0 || strncasecmp(enc, "PCMA/8000", 9) == 0;
            event = strncasecmp(enc, "telephone-event/8000", 20) == 0;
        } else {
            codec = pt == 0 || pt == 8;
        }
        if (codec) {
            info->pts[info->npts++] = pt;
            info->ncodecs++;
        } else if (event && events == 0) {
            info->pts[info->npts++] = pt;
            events++;
        }
    }
    return 0;
}

sp_sdp_suite_t sp_sdp_suite_parse(const char *name, size_t len)
{
    static const char *const names[] = {"AES_CM_128_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_32"};
    for (int i = 0; i < 2; i++)
        if (len == strlen(names[i]) && strncmp(name, names[i], len) == 0)
            return (sp_sdp_suite_t)(i + 1);
    return SP_SUITE_NONE;
}

const char *sp_sdp_suite_name(sp_sdp_suite_t suite)
{
    return suite == SP_SUITE_AES_CM_128_HMAC_SHA1_80   ? "AES_CM_128_HMAC_SHA1_80"
           : suite == SP_SUITE_AES_CM_128_HMAC_SHA1_32 ? "AES_CM_128_HMAC_SHA1_32"
                                                       : "";
}

/* a=crypto:<tag> <suite> inline:<key>[|<lifetime>] (RFC 4568 9.1), one we can use: 0 with
 * *out filled, or -1 (another suite, an MKI, several keys, session parameters, a key
 * that is not 40 base64 characters). */
static int s_parse_crypto(const s_line_t *l, sp_sdp_crypto_t *out)
{
    const char *p = l->p + 9, *end = l->p + l->len; /* after "a=crypto:" */
    int tag = 0, digits = 0;
    while (p < end && isdigit((unsigned char)*p) && digits < 9) {
        tag = tag * 10 + (*p++ - '0');
        digits++;
    }
    if (digits == 0 || p >= end || *p != ' ')
        return -1;
    while (p < end && *p == ' ')
        p++;
    const char *suite = p;
    while (p < end && *p != ' ')
        p++;
    out->suite = sp_sdp_suite_parse(suite, (size_t)(p - suite));
    while (p < end && *p == ' ')
        p++;
    if (out->suite == SP_SUITE_NONE || (size_t)(end - p) < 7 || strncmp(p, "inline:", 7) != 0)
        return -1;
    p += 7;
    const char *key = p;
    while (p < end && (isalnum((unsigned char)*p) || *p == '+' || *p == '/' || *p == '='))
        p++;
    if (p - key != SP_SDP_KEY_MAX - 1)
        return -1;
    const char *rest = p;
    if (p < end && *p == '|') { /* a lifetime may follow, an MKI (n:len) may not */
        p++;
        while (p < end && *p != ' ' && *p != ':' && *p != ';')
            p++;
    }
    if (p != end || (rest < end && memchr(rest, ':', (size_t)(end - rest))))
        return -1;
    out->tag = tag;
    memcpy(out->key, key, SP_SDP_KEY_MAX - 1);
    out->key[SP_SDP_KEY_MAX - 1] = '\0';
    return 0;
}

const char *sp_sdp_dir_name(sp_sdp_dir_t dir)
{
    switch (dir) {
    case SP_DIR_SENDONLY:
        return "sendonly";
    case SP_DIR_RECVONLY:
        return "recvonly";
    case SP_DIR_INACTIVE:
        return "inactive";
    default:
        return "sendrecv";
    }
}

/* Whether line holds at least `want` space-separated words after its "x=", the first
 * `digits` of them numbers (a port may be "port/count"). */
static bool s_words(const s_line_t *l, int want, int digits)
{
    const char *p = l->p + 2, *end = l->p + l->len;
    int words = 0;
    while (p < end) {
        while (p < end && *p == ' ')
            p++;
        if (p == end)
            break;
        const char *w = p;
        while (p < end && *p != ' ')
            p++;
        if (words >= 1 && words <= digits) {
            for (const char *c = w; c < p; c++)
                if (!(*c >= '0' && *c <= '9') && !(*c == '/' && c > w))
                    return false;
        }
        words++;
    }
    return words >= want;
}

/* m=<media> <port> <proto> <fmt...> written back with our port and the formats kept; a
 * refused stream (keep NULL, port 0) keeps only its first format, as RFC 3264 asks of a
 * rejected stream. Written piece by piece: no line is too long to answer. */
/* Whether m= line l is of media `kind`: its first word, as s_words and s_write_mline read
 * it (spaces before it allowed), so a line is the same stream when we read back what we
 * wrote. */
static bool s_media_is(const s_line_t *l, const char *kind)
{
    const char *p = l->p + 2, *end = l->p + l->len;
    while (p < end && *p == ' ')
        p++;
    size_t k = strlen(kind);
    return (size_t)(end - p) > k && memcmp(p, kind, k) == 0 && p[k] == ' ';
}

static void s_write_mline(s_out_t *o, const s_line_t *m, int port, const sp_sdp_info_t *keep,
                          bool srtp)
{
    const char *p = m->p + 2, *end = m->p + m->len, *w[4];
    size_t wl[4];
    for (int k = 0; k < 4; k++) { /* media, port, proto, first format (s_words checked) */
        while (p < end && *p == ' ')
            p++;
        w[k] = p;
        while (p < end && *p != ' ')
            p++;
        wl[k] = (size_t)(p - w[k]);
    }
    char num[16];
    s_put(o, "m=", 2);
    s_put(o, w[0], wl[0]);
    s_put(o, num, (size_t)snprintf(num, sizeof num, " %d ", port));
    if (keep && srtp)
        s_put(o, "RTP/SAVP", 8);
    else if (keep && wl[2] >= 7 && strncasecmp(w[2], "RTP/SAV", 7) == 0)
        s_put(o, "RTP/AVP", 7); /* the party this goes to speaks plain RTP with us */
    else
        s_put(o, w[2], wl[2]);
    if (keep) {
        for (int i = 0; i < keep->npts; i++)
            s_put(o, num, (size_t)snprintf(num, sizeof num, " %d", keep->pts[i]));
    } else {
        s_put(o, " ", 1);
        s_put(o, w[3], wl[3]);
    }
    s_put(o, "\r\n", 2);
}

static void s_put_crypto(s_out_t *o, const sp_sdp_crypto_t *crypto, int ncrypto)
{
    for (int i = 0; i < ncrypto; i++)
        s_putf(o, "a=crypto:%d %s inline:%s", crypto[i].tag, sp_sdp_suite_name(crypto[i].suite),
               crypto[i].key);
}

char *sp_sdp_rewrite(const char *in, const char *addr, int port, sp_sdp_info_t *info,
                     const char **why)
{
    return sp_sdp_rewrite_srtp(in, addr, port, NULL, 0, false, info, why);
}

char *sp_sdp_rewrite_srtp(const char *in, const char *addr, int port, const sp_sdp_crypto_t *crypto,
                          int ncrypto, bool best_effort, sp_sdp_info_t *info, const char **why)
{
    s_line_t lines[SP_SDP_MAX_LINES];
    const char *dummy;
    if (!why)
        why = &dummy;
    memset(info, 0, sizeof *info);
    if (!in || !addr) {
        *why = "no body";
        return NULL;
    }
    size_t n = s_split(in, lines, SP_SDP_MAX_LINES);
    if (n == 0 || !s_starts(&lines[0], "v=")) {
        *why = "not SDP";
        return NULL;
    }
    /* room for what a rewrite adds (a=crypto, c=), so that what we write is read whole:
     * real bodies have a few dozen lines (found by fuzz_sdp: a longer one was cut) */
    if (n > SP_SDP_MAX_LINES - 16) {
        *why = "too many lines";
        return NULL;
    }
    /* locate the first audio m= line and the end of its section */
    size_t first_m = n, audio = n, audio_end = n;
    for (size_t i = 0; i < n; i++) {
        /* o=<user> <sess-id> <sess-version> IN IP4 <addr>: we rewrite its address, and
         * m=<media> <port> <proto> <fmt...>, ours or refused, we write back: a line we could
         * not write back as valid SDP makes the body unusable, not half-rewritten */
        if (s_starts(&lines[i], "o=") && !s_words(&lines[i], 6, 0)) {
            *why = "bad o= line";
            return NULL;
        }
        if (!s_starts(&lines[i], "m="))
            continue;
        if (!s_words(&lines[i], 4, 1)) {
            *why = "bad m= line";
            return NULL;
        }
        if (first_m == n)
            first_m = i;
        if (audio == n && s_media_is(&lines[i], "audio")) {
            audio = i;
        } else if (audio != n && audio_end == n) {
            audio_end = i;
        }
    }
    if (audio == n) {
        *why = "no audio stream";
        return NULL;
    }
    if (s_choose_pts(lines, audio, audio_end, info) < 0) {
        *why = "bad m= line";
        return NULL;
    }
    if (info->ncodecs == 0) {
        *why = "no common codec (PCMU, PCMA)";
        return NULL;
    }
    /* what the original says about its media */
    sp_sdp_dir_t sess_dir = SP_DIR_SENDRECV, media_dir = SP_DIR_SENDRECV, d;
    bool have_media_dir = false;
    char sess_addr[SP_SDP_ADDR_MAX] = "", media_addr[SP_SDP_ADDR_MAX] = "";
    for (size_t i = 0; i < n; i++) {
        bool in_session = i < first_m;
        bool in_audio = i > audio && i < audio_end;
        if (s_starts(&lines[i], "c=")) {
            if (in_session)
                s_conn_addr(&lines[i], sess_addr, sizeof sess_addr);
            else if (in_audio)
                s_conn_addr(&lines[i], media_addr, sizeof media_addr);
        } else if (in_audio && s_starts(&lines[i], "a=crypto:")) {
            if (info->ncrypto < SP_SDP_MAX_CRYPTO &&
                s_parse_crypto(&lines[i], &info->crypto[info->ncrypto]) == 0)
                info->ncrypto++;
        } else if (s_is_dir(&lines[i], &d)) {
            if (in_session)
                sess_dir = d;
            else if (in_audio) {
                media_dir = d;
                have_media_dir = true;
            }
        }
    }
    snprintf(info->address, sizeof info->address, "%s", media_addr[0] ? media_addr : sess_addr);
    info->dir = have_media_dir ? media_dir : sess_dir;
    if (!info->address[0]) {
        *why = "no connection address";
        return NULL;
    }

    s_out_t o = {0};
    bool conn_written = false;
    for (size_t i = 0; i < n; i++) {
        const s_line_t *l = &lines[i];
        bool in_session = i < first_m;
        bool in_audio = i > audio && i < audio_end;
        if (i == audio) {
            s_write_mline(&o, l, port, info, ncrypto > 0 && !best_effort);
            if (!conn_written) { /* session had no c=: give the stream one */
                s_putf(&o, "c=IN IP4 %s", addr);
                conn_written = true;
            }
            s_put_crypto(&o, crypto, ncrypto);
            continue;
        }
        if (s_starts(l, "m=")) { /* any other stream: refused */
            s_write_mline(&o, l, 0, NULL, false);
            continue;
        }
        if (in_session) {
            if (s_starts(l, "o=")) {
                /* o=<user> <sess-id> <sess-version> IN IP4 <addr>: the first three words
                 * kept (checked above to be there), the address ours */
                const char *p = l->p + 2, *end = l->p + l->len, *w[3];
                size_t wl[3];
                for (int k = 0; k < 3; k++) {
                    while (p < end && *p == ' ')
                        p++;
                    w[k] = p;
                    while (p < end && *p != ' ')
                        p++;
                    wl[k] = (size_t)(p - w[k]);
                }
                s_putf(&o, "o=%.*s %.*s %.*s IN IP4 %s", (int)wl[0], w[0], (int)wl[1], w[1],
                       (int)wl[2], w[2], addr);
            } else if (s_starts(l, "c=")) {
                s_putf(&o, "c=IN IP4 %s", addr);
                conn_written = true;
            } else if (s_starts(l, "a=")) {
                if (s_is_dir(l, &d))
                    s_putline(&o, l->p, l->len);
            } else if (!s_starts(l, "b=")) {
                s_putline(&o, l->p, l->len); /* v= s= t= i= u= e= p= z= k= r= */
            }
            continue;
        }
        if (!in_audio)
            continue; /* attributes of refused streams */
        if (s_starts(l, "c=")) {
            if (!conn_written)
                s_putf(&o, "c=IN IP4 %s", addr);
            continue;
        }
        int pt = s_attr_pt(l, "a=rtpmap:", NULL);
        if (pt < 0)
            pt = s_attr_pt(l, "a=fmtp:", NULL);
        if (pt >= 0) {
            if (s_kept(info, pt))
                s_putline(&o, l->p, l->len);
            continue;
        }
        if (s_is_dir(l, &d) || s_starts(l, "a=ptime:") || s_starts(l, "a=maxptime:"))
            s_putline(&o, l->p, l->len);
    }
    if (o.failed) {
        free(o.buf);
        *why = "out of memory";
        return NULL;
    }
    *why = NULL;
    return o.buf;
}

char *sp_sdp_make(const char *addr, int port, int pt, int te_pt, sp_sdp_dir_t dir,
                  unsigned long version)
{
    return sp_sdp_make_srtp(addr, port, pt, te_pt, dir, version, NULL, 0, false);
}

char *sp_sdp_make_srtp(const char *addr, int port, int pt, int te_pt, sp_sdp_dir_t dir,
                       unsigned long version, const sp_sdp_crypto_t *crypto, int ncrypto,
                       bool best_effort)
{
    const char *proto = ncrypto > 0 && !best_effort ? "RTP/SAVP" : "RTP/AVP";
    s_out_t o = {0};
    bool te = te_pt >= 96 && te_pt <= 127;
    s_putline(&o, "v=0", 3);
    s_putf(&o, "o=cc-sipproxy %lu %lu IN IP4 %s", version, version, addr);
    s_putline(&o, "s=-", 3);
    s_putf(&o, "c=IN IP4 %s", addr);
    s_putline(&o, "t=0 0", 5);
    if (te)
        s_putf(&o, "m=audio %d %s %d %d", port, proto, pt, te_pt);
    else
        s_putf(&o, "m=audio %d %s %d", port, proto, pt);
    s_put_crypto(&o, crypto, ncrypto);
    s_putf(&o, "a=rtpmap:%d %s/8000", pt, pt == 8 ? "PCMA" : "PCMU");
    if (te) {
        s_putf(&o, "a=rtpmap:%d telephone-event/8000", te_pt);
        s_putf(&o, "a=fmtp:%d 0-16", te_pt);
    }
    s_putline(&o, "a=ptime:20", 10);
    s_putf(&o, "a=%s", sp_sdp_dir_name(dir));
    if (o.failed) {
        free(o.buf);
        return NULL;
    }
    return o.buf;
}

int sp_sdp_codec(const sp_sdp_info_t *info)
{
    for (int i = 0; i < info->npts; i++)
        if (info->pts[i] == 0 || info->pts[i] == 8)
            return info->pts[i];
    return 0;
}

int sp_sdp_te(const sp_sdp_info_t *info)
{
    for (int i = 0; i < info->npts; i++)
        if (info->pts[i] >= 96 && info->pts[i] <= 127)
            return info->pts[i];
    return 0;
}
