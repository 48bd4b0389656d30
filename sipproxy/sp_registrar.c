/* sp_registrar.c - the registrar's decisions (RFC 3261 section 10.3): who may bind which
 * contacts for how long, and what the answer says. It changes the registry, queues the
 * contact writes and publishes reg.added, then leaves the answer in an sp_reply_t; the
 * caller sends it, through nua (sp_proxy.c, TCP and TLS) or as text without a
 * transaction (sp_reg_udp.c). */
#include "sp_call.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sofia-sip/url.h>

#include "cc_log.h"
#include "sp_db.h"

/* 200 with the AOR's live bindings (RFC 3261 10.3 step 8). */
static void s_bindings(sp_proxy_t *self, const char *ext, uint64_t now, sp_reply_t *r)
{
    sp_contact_t live[SP_MAX_CONTACTS];
    size_t n = sp_registry_lookup(self->reg, ext, now, live, SP_MAX_CONTACTS);
    size_t len = 0;
    r->contact[0] = '\0';
    for (size_t i = 0; i < n && len < sizeof r->contact - 300; i++)
        len += (size_t)snprintf(r->contact + len, sizeof r->contact - len, "%s<%s>;expires=%llu",
                                i ? ", " : "", live[i].uri,
                                (unsigned long long)(live[i].expires_at - now));
    sp_reply_set(r, SIP_200_OK);
}

void sp_registrar_decide(sp_proxy_t *self, const sip_t *sip, const sp_source_t *src, sp_reply_t *r)
{
    const sp_user_t *user = NULL;
    if (!sip || !sip->sip_to || !sip->sip_call_id || !sip->sip_cseq) {
        sp_reply_set(r, SIP_400_BAD_REQUEST);
        return;
    }
    if (sp_auth_decide(self, sip, src, false, &user, r) < 0)
        return;
    const char *aor = sip->sip_to->a_url->url_user;
    if (!aor || strcmp(aor, user->ext) != 0) {
        cc_info("sip.register_refused", "source=%s user=%s aor=%s reason=not_own_aor",
                src->hostport, user->ext, cc_logq(aor ? aor : ""));
        sp_reply_set(r, SIP_403_FORBIDDEN);
        return;
    }
    const sip_contact_t *m = sip->sip_contact;
    long hdr_expires = sip->sip_expires ? (long)sip->sip_expires->ex_delta : -1;
    if (m && m->m_url->url_type == url_any) { /* Contact: * */
        if (hdr_expires != 0 || m->m_next) {
            sp_reply_set(r, SIP_400_BAD_REQUEST);
            return;
        }
        int n = sp_registry_unbind_all(self->reg, user->ext);
        if (self->db)
            sp_db_contact_delete(self->db, user->ext, NULL);
        cc_info("sip.unregistered", "user=%s contacts=%d source=%s", user->ext, n, src->hostport);
        sp_reply_set(r, SIP_200_OK);
        return;
    }
    uint64_t now = (uint64_t)time(NULL);
    for (; m; m = m->m_next) { /* check intervals first: all or nothing */
        long e = m->m_expires ? atol(m->m_expires) : hdr_expires;
        if (e > 0 && e < self->set.reg_min_expires) {
            snprintf(r->min_expires, sizeof r->min_expires, "%d", self->set.reg_min_expires);
            sp_reply_set(r, SIP_423_INTERVAL_TOO_BRIEF);
            return;
        }
    }
    for (m = sip->sip_contact; m; m = m->m_next) {
        sp_contact_t c = {0};
        snprintf(c.ext, sizeof c.ext, "%s", user->ext);
        url_e(c.uri, (isize_t)sizeof c.uri, m->m_url);
        long e = m->m_expires ? atol(m->m_expires) : hdr_expires;
        if (e < 0)
            e = self->set.reg_default_expires;
        if (e > self->set.reg_max_expires)
            e = self->set.reg_max_expires;
        if (e == 0) {
            if (sp_registry_unbind(self->reg, c.ext, c.uri) == 0 && self->db)
                sp_db_contact_delete(self->db, c.ext, c.uri);
            cc_info("sip.unregistered", "user=%s contact=%s source=%s", c.ext, cc_logq(c.uri),
                    src->hostport);
            continue;
        }
        snprintf(c.source, sizeof c.source, "%s", src->hostport);
        snprintf(c.transport, sizeof c.transport, "%s", src->transport);
        if (sip->sip_user_agent && sip->sip_user_agent->g_string)
            snprintf(c.user_agent, sizeof c.user_agent, "%s", sip->sip_user_agent->g_string);
        snprintf(c.call_id, sizeof c.call_id, "%s", sip->sip_call_id->i_id);
        c.cseq = sip->sip_cseq->cs_seq;
        c.expires_at = now + (uint64_t)e;
        int rc = sp_registry_bind(self->reg, &c, now);
        if (self->db)
            sp_db_contact_upsert(self->db, &c);
        if (rc == 1)
            cc_bus_publish(self->bus, "reg.added", NULL,
                           json_pack("{s:s, s:s, s:s, s:i}", "ext", c.ext, "contact", c.uri,
                                     "source", c.source, "expires", (int)e));
        if (rc == 1)
            cc_info("sip.registered", "user=%s contact=%s source=%s transport=%s expires=%ld",
                    c.ext, cc_logq(c.uri), src->hostport, src->transport, e);
    }
    self->registers_ok++;
    s_bindings(self, user->ext, now, r);
}
