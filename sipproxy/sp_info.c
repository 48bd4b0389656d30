/* sp_info.c - SIP INFO inside a call's dialog (see sp_info.h): the body parsed here, the
 * key handed to mediad with dtmf.inject on the endpoint facing the leg that sent it. Only
 * keys; any other INFO package is refused with 415. */
#include "sp_info.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sp_call.h"

#include "cc_log.h"

static bool s_is_key(char ch)
{
    return ch && strchr("0123456789*#ABCD", ch) != NULL;
}

/* RFC 4733 event numbers some phones put in Signal= (10 '*', 11 '#', 12-15 A-D). */
static char s_key_of(const char *v, size_t n)
{
    if (n == 1) {
        char ch = (char)toupper((unsigned char)v[0]);
        return s_is_key(ch) ? ch : 0;
    }
    if (n == 2 && v[0] == '1' && v[1] >= '0' && v[1] <= '5')
        return "*#ABCD"[v[1] - '0'];
    return 0;
}

/* The value of "name=" in a dtmf-relay body (lines of name=value), trimmed. */
static const char *s_field(const char *body, const char *name, size_t *len)
{
    size_t nl = strlen(name);
    for (const char *line = body; line && *line;) {
        while (*line == ' ' || *line == '\t' || *line == '\r' || *line == '\n')
            line++;
        const char *end = line + strcspn(line, "\r\n");
        if ((size_t)(end - line) > nl && strncasecmp(line, name, nl) == 0) {
            const char *v = line + nl;
            while (*v == ' ' || *v == '\t')
                v++;
            if (*v == '=') {
                v++;
                while (*v == ' ' || *v == '\t')
                    v++;
                const char *e = end;
                while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
                    e--;
                *len = (size_t)(e - v);
                return v;
            }
        }
        line = *end ? end + 1 : end;
    }
    return NULL;
}

sp_info_result_t sp_info_dtmf_parse(const char *content_type, const char *body, char *digit,
                                    int *duration_ms)
{
    *digit = 0;
    *duration_ms = 0;
    if (!content_type)
        return SP_INFO_UNSUPPORTED;
    bool relay = strcasecmp(content_type, "application/dtmf-relay") == 0;
    if (!relay && strcasecmp(content_type, "application/dtmf") != 0)
        return SP_INFO_UNSUPPORTED;
    if (!body)
        return SP_INFO_BAD;
    size_t n;
    const char *v;
    if (relay) {
        v = s_field(body, "Signal", &n);
        if (!v)
            return SP_INFO_BAD;
    } else {
        v = body;
        while (isspace((unsigned char)*v))
            v++;
        n = strlen(v);
        while (n > 0 && isspace((unsigned char)v[n - 1]))
            n--;
    }
    *digit = s_key_of(v, n);
    if (!*digit)
        return SP_INFO_BAD;
    if (relay) {
        const char *d = s_field(body, "Duration", &n);
        if (d && n > 0 && n < 7 && strspn(d, "0123456789") >= n)
            *duration_ms = atoi(d);
    }
    return SP_INFO_OK;
}

static void s_injected(cc_bus_t *bus, int status, json_t *result, void *arg)
{
    (void)bus, (void)result, (void)arg;
    if (status != 0)
        cc_warn("call.info_dtmf_failed", "status=%d", status);
}

void sp_info(sp_call_t *c, struct sp_leg *leg, const sip_t *sip)
{
    sp_proxy_t *p = c->proxy;
    const char *ctype = sip->sip_content_type ? sip->sip_content_type->c_type : NULL;
    char *body = sp_call_body(sip);
    char digit;
    int duration;
    sp_info_result_t r = sp_info_dtmf_parse(ctype, body, &digit, &duration);
    free(body);
    if (r == SP_INFO_UNSUPPORTED) {
        cc_info("call.info_refused", "leg=%s content_type=%s", leg->is_a ? "a" : "b",
                cc_logq(ctype ? ctype : ""));
        nua_respond(leg->nh, SIP_415_UNSUPPORTED_MEDIA, NUTAG_WITH_THIS(p->nua),
                    SIPTAG_ACCEPT_STR("application/dtmf-relay, application/dtmf"), TAG_END());
        return;
    }
    if (r == SP_INFO_BAD) {
        nua_respond(leg->nh, 400, "No DTMF key in body", NUTAG_WITH_THIS(p->nua), TAG_END());
        return;
    }
    nua_respond(leg->nh, SIP_200_OK, NUTAG_WITH_THIS(p->nua), TAG_END());
    /* the key goes where this party's RTP goes: the caller's endpoint, or the callee's */
    const sp_endpoint_t *e = leg->is_a ? &c->ea : leg == c->winner ? &c->eb : NULL;
    char key[2] = {digit, 0};
    cc_info("call.info_dtmf", "leg=%s digit=%s endpoint=%d", leg->is_a ? "a" : "b", key,
            e ? e->id : 0);
    if (!e || e->id <= 0)
        return; /* no media of ours on this leg: nobody listens for keys */
    json_t *args = json_pack("{s:i, s:s}", "endpoint_id", e->id, "digit", key);
    if (duration > 0)
        json_object_set_new(args, "duration_ms", json_integer(duration));
    sp_media(c, "dtmf.inject", args, s_injected);
}
