/* sp_threeway.c - three-way calls. A party in a call (A with B) consults a third (a second
 * call, A with C), then dials *33: sipproxy puts B's endpoint, C's endpoint and A's
 * endpoint of the consultation into one mediad mix, where each hears the other two (hold
 * music to B stops). When A hangs up either call, B and C stay connected: C's leg moves
 * into B's call as an attended transfer would move it, A's other leg gets BYE, and B and C
 * stay in the mix until that call ends (their phones' streams do not change source). When
 * B or C hangs up, the mix goes and the other call carries on as a plain call.
 * The *33 call itself is answered, hears the feature prompt and ends (sp_feature.c). */
#include "sp_call.h"

#include <stdio.h>
#include <string.h>

#include "cc_log.h"

/* Is ext a party of c: its caller (leg A) or its connected callee? Which endpoint faces
 * it and which faces the other party. */
static bool s_party(const sp_call_t *c, const char *ext, bool *is_a)
{
    char target[80];
    snprintf(target, sizeof target, "ext:%s", ext);
    if (c->winner && strcmp(c->winner->target, target) == 0) {
        *is_a = false;
        return true;
    }
    if (strcmp(c->caller, ext) == 0 && c->a.nh) {
        *is_a = true;
        return true;
    }
    return false;
}

typedef struct {
    const sp_call_t *self;
    const char *ext;
    sp_call_t *found[3];
    int n;
} s_find_t;

static void s_find_calls(sp_call_t *c, void *arg)
{
    s_find_t *f = arg;
    bool is_a;
    if (c == f->self || c->state != SP_CALL_ANSWERED || !c->winner || c->mon.mode ||
        c->feature[0] || c->tw.mix_id || c->ea.id <= 0 || c->eb.id <= 0 ||
        !s_party(c, f->ext, &is_a))
        return;
    if (f->n < 3)
        f->found[f->n] = c;
    f->n++;
}

/* Does ext hold c (music to the other party)? */
static bool s_held_by(const sp_call_t *c, const char *ext)
{
    bool is_a = false;
    s_party(c, ext, &is_a);
    return is_a ? c->hold_a : c->hold_b;
}

static void s_done(cc_bus_t *bus, int status, json_t *result, void *arg)
{
    (void)bus, (void)arg;
    if (status != 0)
        cc_warn("call.threeway_media_failed", "error=%s",
                cc_logq(json_string_value(json_object_get(result, "code"))));
}

typedef struct {
    sp_proxy_t *p;
    char x[48], y[48]; /* the calls merged */
    int eps[3];
} s_merge_t;

static void s_on_mix(cc_bus_t *bus, int status, json_t *result, void *arg)
{
    s_merge_t *m = arg;
    sp_proxy_t *p = m->p;
    sp_call_t *x = sp_call_find(p, m->x), *y = sp_call_find(p, m->y);
    int mix_id = status == 0 ? (int)json_integer_value(json_object_get(result, "mix_id")) : 0;
    if (!mix_id || !x || !y || x->state != SP_CALL_ANSWERED || y->state != SP_CALL_ANSWERED) {
        cc_warn("call.threeway_failed", "status=%d", status);
        if (mix_id)
            cc_bus_request(bus, &p->mediad_owner, "mediad", "mix.delete",
                           json_pack("{s:i}", "mix_id", mix_id), p->set.media_timeout_ms, NULL,
                           NULL);
        free(m);
        return;
    }
    x->tw.mix_id = y->tw.mix_id = mix_id;
    for (int i = 0; i < 3; i++)
        cc_bus_request(bus, &p->mediad_owner, "mediad", "mix.join",
                       json_pack("{s:i, s:i}", "mix_id", mix_id, "endpoint_id", m->eps[i]),
                       p->set.media_timeout_ms, s_done, NULL);
    cc_log_set_call(x->id);
    cc_info("call.threeway", "with=%s party=%s mix=%d", y->id, x->tw.party, mix_id);
    cc_log_set_call(y->id);
    cc_info("call.threeway", "with=%s party=%s mix=%d", x->id, y->tw.party, mix_id);
    cc_log_set_call(NULL);
    free(m);
}

int sp_threeway_merge(sp_call_t *c)
{
    s_find_t f = {.self = c, .ext = c->caller};
    sp_b2bua_foreach(c->proxy, s_find_calls, &f);
    cc_log_set_call(c->id);
    if (f.n != 2) {
        cc_info("call.threeway_refused", "ext=%s calls=%d: needs exactly two answered calls",
                c->caller, f.n);
        return -1;
    }
    /* the consultation (y) is the one A talks on: not held by A, else the newer */
    sp_call_t *x = f.found[0], *y = f.found[1];
    if (s_held_by(y, c->caller) && !s_held_by(x, c->caller)) {
        x = f.found[1];
        y = f.found[0];
    }
    bool x_a, y_a;
    s_party(x, c->caller, &x_a);
    s_party(y, c->caller, &y_a);
    s_merge_t *m = calloc(1, sizeof *m);
    if (!m)
        return -1;
    m->p = c->proxy;
    snprintf(m->x, sizeof m->x, "%s", x->id);
    snprintf(m->y, sizeof m->y, "%s", y->id);
    m->eps[0] = x_a ? x->eb.id : x->ea.id; /* B */
    m->eps[1] = y_a ? y->eb.id : y->ea.id; /* C */
    m->eps[2] = y_a ? y->ea.id : y->eb.id; /* A, on the call it talks on */
    snprintf(x->tw.partner, sizeof x->tw.partner, "%s", y->id);
    snprintf(y->tw.partner, sizeof y->tw.partner, "%s", x->id);
    snprintf(x->tw.party, sizeof x->tw.party, "%s", c->caller);
    snprintf(y->tw.party, sizeof y->tw.party, "%s", c->caller);
    /* hold music would keep the mix from B (or C): it stops; A's phone may resume later */
    sp_media_play_stop(x, m->eps[0]);
    sp_media_play_stop(y, m->eps[1]);
    x->hold_a = x->hold_b = y->hold_a = y->hold_b = false;
    if (!cc_bus_request(c->proxy->bus, &c->proxy->mediad_owner, "mediad", "mix.create",
                        json_pack("{s:s}", "call_id", x->id), c->proxy->set.media_timeout_ms,
                        s_on_mix, m)) {
        free(m);
        x->tw.partner[0] = y->tw.partner[0] = '\0';
        return -1;
    }
    return 0;
}

static void s_unmerge(sp_call_t *c, sp_call_t *partner)
{
    if (c->tw.mix_id)
        cc_bus_request(c->proxy->bus, &c->proxy->mediad_owner, "mediad", "mix.delete",
                       json_pack("{s:i}", "mix_id", c->tw.mix_id), c->proxy->set.media_timeout_ms,
                       NULL, NULL);
    memset(&c->tw, 0, sizeof c->tw);
    if (partner)
        memset(&partner->tw, 0, sizeof partner->tw);
}

bool sp_threeway_leg_left(sp_call_t *c, struct sp_leg *leg)
{
    sp_call_t *other = sp_call_find(c->proxy, c->tw.partner);
    bool is_a = false;
    if (!c->tw.mix_id || !other || other->state != SP_CALL_ANSWERED ||
        !s_party(c, c->tw.party, &is_a) || is_a != leg->is_a)
        return false; /* B or C left: sp_threeway_call_ending puts the partner back */
    /* the merging party left this call: the party that stays here joins the other call
     * in its place (its leg and endpoint move there), and the merging party's leg there
     * ends; then this call, emptied, ends too */
    bool other_a;
    s_party(other, c->tw.party, &other_a);
    struct sp_leg *x = leg->is_a ? c->winner : &c->a;
    char party[64];
    snprintf(party, sizeof party, "%s", c->tw.party);
    if (!x || !x->nh || (other_a && sp_transfer_take_a_side(other, &other->a) != 0)) {
        s_unmerge(c, other);
        return false;
    }
    /* the mix stays, the two who remain its members (the merging party's endpoints leave
     * it as they are deleted), so neither phone's stream changes source; it goes with the
     * call that remains */
    int mix_id = c->tw.mix_id;
    memset(&c->tw, 0, sizeof c->tw);
    memset(&other->tw, 0, sizeof other->tw);
    other->tw.mix_id = mix_id;
    cc_info("call.threeway_left", "party=%s into=%s", party, other->id);
    char why[128];
    snprintf(why, sizeof why, "%.15s left the three-way call; the others go on in %.47s", party,
             other->id);
    return sp_transfer_move_leg(other, c, x, 0, leg->is_a ? SP_END_CALLER_BYE : SP_END_CALLEE_BYE,
                                why) == 0;
}

void sp_threeway_call_ending(sp_call_t *c)
{
    if (!c->tw.mix_id && !c->tw.partner[0])
        return;
    sp_call_t *other = sp_call_find(c->proxy, c->tw.partner);
    char id[sizeof c->id];
    snprintf(id, sizeof id, "%s", c->id);
    if (other)
        cc_info("call.threeway_ended", "the other call %s goes on alone", other->id);
    s_unmerge(c, other);
    cc_log_set_call(id);
}
