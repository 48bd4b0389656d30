/* sp_mwi.c - message waiting (RFC 3842): a registered user SUBSCRIBEs to event
 * message-summary for its own mailbox (digest-authenticated like REGISTER); sipproxy
 * accepts, asks ivrd for the counts (vm.counts) for the first NOTIFY, and sends a NOTIFY
 * on every vm.message ivrd publishes for that mailbox. Subscriptions live in memory (a
 * phone refreshes its own; a restart loses them until then). The body is built by
 * sp_mwi_body, pure and unit-tested. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cc_log.h"
#include "cc_map.h"
#include "sp_call.h"
#include "sp_proxy.h"
#include "sp_sofia.h"

#define S_MIN_EXPIRES 60
#define S_MAX_EXPIRES 3600
#define S_SUBS_MAX 10000

/* a handle bound to this is a message-summary subscription (sp_mwi_event) */
struct sp_leg sp_mwi_leg;

typedef struct {
    nua_handle_t *nh;
    char ext[32];
    sp_proxy_t *proxy;
    cc_bus_owner_t requests;
} s_sub_t;

int sp_mwi_body(char *buf, size_t len, const char *account, int new_count, int old_count)
{
    int n = snprintf(buf, len,
                     "Messages-Waiting: %s\r\nMessage-Account: %s\r\nVoice-Message: %d/%d\r\n",
                     new_count > 0 ? "yes" : "no", account, new_count < 0 ? 0 : new_count,
                     old_count < 0 ? 0 : old_count);
    return n > 0 && (size_t)n < len ? n : -1;
}

static void s_key(char *key, size_t len, const nua_handle_t *nh)
{
    snprintf(key, len, "%p", (const void *)nh);
}

static void s_notify(s_sub_t *s, int new_count, int old_count, bool terminated)
{
    char account[200], body[300];
    snprintf(account, sizeof account, "sip:%s@%s", s->ext, s->proxy->set.realm);
    if (sp_mwi_body(body, sizeof body, account, new_count, old_count) < 0)
        return;
    nua_notify(s->nh, NUTAG_SUBSTATE(terminated ? nua_substate_terminated : nua_substate_active),
               SIPTAG_EVENT_STR("message-summary"),
               SIPTAG_CONTENT_TYPE_STR("application/simple-message-summary"),
               SIPTAG_PAYLOAD_STR(body), TAG_END());
    cc_info("sip.mwi_notify", "user=%s new=%d saved=%d%s", s->ext, new_count, old_count,
            terminated ? " terminated=1" : "");
}

static void s_forget(s_sub_t *s)
{
    char key[32];
    s_key(key, sizeof key, s->nh);
    cc_map_take(s->proxy->mwi_subs, key);
    cc_bus_owner_cancel(s->proxy->bus, &s->requests);
    nua_handle_bind(s->nh, NULL);
    nua_handle_destroy(s->nh);
    free(s);
}

static void s_on_counts(cc_bus_t *bus, int status, json_t *result, void *arg)
{
    (void)bus;
    s_sub_t *s = arg;
    int n = 0, o = 0;
    if (status == 0) {
        n = (int)json_integer_value(json_object_get(result, "new"));
        o = (int)json_integer_value(json_object_get(result, "saved"));
    }
    s_notify(s, n, o, false);
}

void sp_mwi_subscribe(sp_proxy_t *self, nua_handle_t *nh, const sip_t *sip)
{
    sp_source_t src;
    sp_source_of(self->nua, &src);
    const sp_user_t *user = NULL;
    if (!sip || !sip->sip_event || !sip->sip_event->o_type ||
        strcmp(sip->sip_event->o_type, "message-summary") != 0) {
        nua_respond(nh, SIP_489_BAD_EVENT, NUTAG_WITH_THIS(self->nua),
                    SIPTAG_ALLOW_EVENTS_STR("message-summary"), TAG_END());
        nua_handle_destroy(nh);
        return;
    }
    char key[32];
    s_key(key, sizeof key, nh);
    s_sub_t *s = self->mwi_subs ? cc_map_get(self->mwi_subs, key) : NULL;
    if (!s && sp_auth_check(self, nh, sip, &src, false, &user) < 0) {
        nua_handle_destroy(nh);
        return;
    }
    const char *want = sip->sip_request->rq_url->url_user;
    if (!s && (!want || strcmp(want, user->ext) != 0)) {
        cc_info("sip.mwi_refused", "user=%s mailbox=%s reason=not_own", user->ext,
                cc_logq(want ? want : ""));
        nua_respond(nh, SIP_403_FORBIDDEN, NUTAG_WITH_THIS(self->nua), TAG_END());
        nua_handle_destroy(nh);
        return;
    }
    long expires = sip->sip_expires ? (long)sip->sip_expires->ex_delta : S_MAX_EXPIRES;
    if (expires > 0 && expires < S_MIN_EXPIRES)
        expires = S_MIN_EXPIRES;
    if (expires > S_MAX_EXPIRES)
        expires = S_MAX_EXPIRES;
    char ex[24];
    snprintf(ex, sizeof ex, "%ld", expires);
    if (!s) {
        s = calloc(1, sizeof *s);
        if (!s || cc_map_size(self->mwi_subs) >= S_SUBS_MAX ||
            cc_map_insert(self->mwi_subs, key, s) != 0) {
            free(s);
            nua_respond(nh, SIP_503_SERVICE_UNAVAILABLE, NUTAG_WITH_THIS(self->nua), TAG_END());
            nua_handle_destroy(nh);
            return;
        }
        s->nh = nh;
        s->proxy = self;
        snprintf(s->ext, sizeof s->ext, "%s", user->ext);
        nua_handle_bind(nh, &sp_mwi_leg);
        cc_info("sip.mwi_subscribed", "user=%s expires=%ld source=%s", s->ext, expires,
                src.hostport);
    }
    if (expires)
        nua_respond(nh, SIP_202_ACCEPTED, NUTAG_WITH_THIS(self->nua), SIPTAG_EXPIRES_STR(ex),
                    TAG_END());
    else
        nua_respond(nh, SIP_200_OK, NUTAG_WITH_THIS(self->nua), SIPTAG_EXPIRES_STR(ex), TAG_END());
    if (!expires) { /* unsubscribed: a last NOTIFY, then the subscription is over */
        s_notify(s, 0, 0, true);
        return;
    }
    if (!cc_bus_request(self->bus, &s->requests, "ivrd", "vm.counts",
                        json_pack("{s:s}", "mailbox", s->ext), 3000, s_on_counts, s))
        s_notify(s, 0, 0, false);
}

void sp_mwi_event(sp_proxy_t *self, nua_event_t event, int status, nua_handle_t *nh,
                  const sip_t *sip, tagi_t tags[])
{
    (void)self, (void)status;
    char key[32];
    s_key(key, sizeof key, nh);
    s_sub_t *s = self->mwi_subs ? cc_map_get(self->mwi_subs, key) : NULL;
    if (event == nua_i_subscribe) {
        sp_mwi_subscribe(self, nh, sip);
        return;
    }
    int state = -1;
    tl_gets(tags, NUTAG_SUBSTATE_REF(state), TAG_END());
    if (s && (event == nua_r_notify || event == nua_i_state) && state == nua_substate_terminated) {
        cc_info("sip.mwi_ended", "user=%s", s->ext);
        s_forget(s);
    }
}

/* ivrd says a mailbox changed: every subscription to it hears the new counts. */
static void s_on_vm_message(cc_bus_t *bus, const cc_bus_event_t *ev, void *arg)
{
    (void)bus;
    sp_proxy_t *self = arg;
    const char *box = json_string_value(json_object_get(ev->body, "mailbox"));
    if (!box || !self->mwi_subs)
        return;
    int n = (int)json_integer_value(json_object_get(ev->body, "new"));
    int o = (int)json_integer_value(json_object_get(ev->body, "saved"));
    cc_map_iter_t it = cc_map_iter(self->mwi_subs);
    for (cc_map_entry_t *e; (e = cc_map_next(&it));) {
        s_sub_t *s = cc_map_value(e);
        if (strcmp(s->ext, box) == 0)
            s_notify(s, n, o, false);
    }
}

int sp_mwi_attach(sp_proxy_t *self)
{
    self->mwi_subs = cc_map_new(NULL);
    if (!self->mwi_subs)
        return -1;
    return cc_bus_subscribe(self->bus, "ivrd", "vm.message", s_on_vm_message, self);
}

void sp_mwi_detach(sp_proxy_t *self)
{
    if (!self->mwi_subs)
        return;
    cc_map_iter_t it = cc_map_iter(self->mwi_subs);
    for (cc_map_entry_t *e; (e = cc_map_next(&it));) {
        s_sub_t *s = cc_map_value(e);
        cc_bus_owner_cancel(s->proxy->bus, &s->requests);
        free(s);
    }
    cc_map_destroy(&self->mwi_subs);
}
