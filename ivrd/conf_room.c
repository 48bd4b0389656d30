/* conf_room.c - a conference room's rules (see conf_room.h). Pure: members in an array,
 * actions into the caller's list, time passed in. PINs are compared here and never put
 * into an action or a log line. */
#include "conf_room.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    S_THEN_NONE = 0,
    S_THEN_PIN,
    S_THEN_MUSIC,
    S_THEN_HANGUP
};

struct conf_room {
    conf_room_cfg_t cfg;
    conf_member_t *m[CONF_SLOTS];
    size_t n;
    int next_id;
    unsigned next_play;
    bool locked, started, muted_all;
};

/* ---- actions ------------------------------------------------------------------------- */

static conf_action_t *s_act(conf_actions_t *out, conf_act_kind_t kind, int member)
{
    if (out->n >= CONF_ACTIONS_MAX)
        return NULL; /* cannot happen: at most a few actions per member and event */
    conf_action_t *a = &out->a[out->n++];
    memset(a, 0, sizeof *a);
    a->kind = kind;
    a->member = member;
    return a;
}

/* Plays one or two prompts to m; `then` says what follows when they are done. */
static void s_play_to(conf_room_t *self, conf_member_t *m, conf_actions_t *out, const char *p1,
                      const char *p2, bool loop, bool barge_in, int then)
{
    conf_action_t *a = s_act(out, CONF_ACT_PLAY, m->id);
    if (!a)
        return;
    if (++self->next_play == 0)
        self->next_play = 1;
    a->play = m->play = self->next_play;
    a->prompts[a->nprompts++] = p1;
    if (p2)
        a->prompts[a->nprompts++] = p2;
    a->loop = loop;
    a->barge_in = barge_in;
    m->then = then;
}

static void s_timer(conf_member_t *m, conf_actions_t *out, int64_t at)
{
    conf_action_t *a = s_act(out, CONF_ACT_TIMER, m->id);
    if (a)
        a->at = at;
}

/* ---- members ------------------------------------------------------------------------- */

static conf_member_t *s_member(const conf_room_t *self, int id)
{
    for (size_t i = 0; i < self->n; i++)
        if (self->m[i]->id == id)
            return self->m[i];
    return NULL;
}

int conf_room_count(const conf_room_t *self)
{
    int n = 0;
    for (size_t i = 0; i < self->n; i++)
        n += self->m[i]->state == CONF_M_WAITING || self->m[i]->state == CONF_M_IN;
    return n;
}

static bool s_needs_pin(const conf_room_t *self)
{
    return self->cfg.pin[0] || self->cfg.moderator_pin[0];
}

static int s_max(const conf_room_t *self)
{
    int max = self->cfg.max_members;
    return max > 0 && max < CONF_MEMBERS_MAX ? max : CONF_MEMBERS_MAX;
}

/* Refused (locked, full, wrong PIN): a last prompt, then the hang-up. */
static void s_refuse(conf_room_t *self, conf_member_t *m, conf_actions_t *out, const char *prompt,
                     const char *reason, int64_t now)
{
    m->state = CONF_M_LEAVING;
    m->leave_reason = reason;
    s_timer(m, out, now + CONF_REAP_MS);
    s_play_to(self, m, out, prompt, "goodbye", false, false, S_THEN_HANGUP);
}

static void s_joined_event(const conf_room_t *self, conf_member_t *m, conf_actions_t *out)
{
    (void)self;
    s_act(out, CONF_ACT_JOINED, m->id);
}

/* m goes into the mix and hears the join tone (and, alone, that it is the first). */
static void s_enter_mix(conf_room_t *self, conf_member_t *m, conf_actions_t *out)
{
    bool alone = true;
    for (size_t i = 0; i < self->n; i++)
        if (self->m[i] != m &&
            (self->m[i]->state == CONF_M_IN || self->m[i]->state == CONF_M_WAITING))
            alone = false;
    m->state = CONF_M_IN;
    if (self->muted_all && !m->moderator)
        m->muted = true;
    conf_action_t *a = s_act(out, CONF_ACT_JOIN, m->id);
    if (a)
        a->muted = m->muted;
    s_play_to(self, m, out, "tones/join", alone ? "conf/first" : NULL, false, false, S_THEN_NONE);
}

static void s_admit(conf_room_t *self, conf_member_t *m, int64_t now, conf_actions_t *out)
{
    if (self->locked && !m->moderator) {
        s_refuse(self, m, out, "conf/locked", "locked", now);
        return;
    }
    if (conf_room_count(self) >= s_max(self)) {
        s_refuse(self, m, out, "conf/full", "full", now);
        return;
    }
    m->admitted = true;
    m->joined_at = now;
    s_timer(m, out, 0);
    if (self->cfg.moderator_pin[0] && !self->started && !m->moderator) {
        m->state = CONF_M_WAITING;
        s_play_to(self, m, out, "conf/wait_moderator", NULL, false, false, S_THEN_MUSIC);
        s_joined_event(self, m, out);
        return;
    }
    s_enter_mix(self, m, out);
    s_joined_event(self, m, out);
    if (!m->moderator || self->started)
        return;
    self->started = true; /* the waiting come in with the moderator */
    for (size_t i = 0; i < self->n; i++) {
        conf_member_t *w = self->m[i];
        if (w->state != CONF_M_WAITING)
            continue;
        s_act(out, CONF_ACT_STOP, w->id);
        s_enter_mix(self, w, out);
    }
}

/* The PIN as entered so far is final (# or the timer). */
static void s_pin_entered(conf_room_t *self, conf_member_t *m, int64_t now, conf_actions_t *out)
{
    const conf_room_cfg_t *c = &self->cfg;
    const char *d = m->digits;
    bool moderator = c->moderator_pin[0] && strcmp(d, c->moderator_pin) == 0;
    bool ok = moderator || (c->pin[0] && strcmp(d, c->pin) == 0) || (!c->pin[0] && !d[0]);
    memset(m->digits, 0, sizeof m->digits);
    if (ok) {
        m->moderator = moderator;
        s_admit(self, m, now, out);
        return;
    }
    if (++m->tries >= CONF_PIN_TRIES) {
        s_refuse(self, m, out, "conf/wrong_pin", "wrong_pin", now);
        return;
    }
    s_timer(m, out, 0);
    s_play_to(self, m, out, "conf/wrong_pin", "conf/enter_pin", false, true, S_THEN_PIN);
}

/* ---- events -------------------------------------------------------------------------- */

int conf_room_arrive(conf_room_t *self, const char *call_id, const char *caller, int64_t now,
                     conf_actions_t *out)
{
    out->n = 0;
    if (self->n >= CONF_SLOTS)
        return -1;
    conf_member_t *m = calloc(1, sizeof *m);
    if (!m)
        return -1;
    m->id = ++self->next_id;
    snprintf(m->call_id, sizeof m->call_id, "%s", call_id);
    snprintf(m->caller, sizeof m->caller, "%s", caller);
    self->m[self->n++] = m;
    if (s_needs_pin(self)) {
        m->state = CONF_M_PIN;
        s_play_to(self, m, out, "conf/enter_pin", NULL, false, true, S_THEN_PIN);
        s_timer(m, out, now + CONF_PIN_TIMEOUT_MS + 10000); /* should the prompt never end */
    } else {
        s_admit(self, m, now, out);
    }
    return m->id;
}

void conf_room_prompt_done(conf_room_t *self, int member, unsigned play, int64_t now,
                           conf_actions_t *out)
{
    out->n = 0;
    conf_member_t *m = s_member(self, member);
    if (!m || !play || m->play != play)
        return;
    m->play = 0;
    int then = m->then;
    m->then = S_THEN_NONE;
    if (then == S_THEN_PIN && m->state == CONF_M_PIN) {
        s_timer(m, out, now + CONF_PIN_TIMEOUT_MS);
    } else if (then == S_THEN_MUSIC && m->state == CONF_M_WAITING) {
        s_play_to(self, m, out, "music/default", NULL, true, false, S_THEN_NONE);
    } else if (then == S_THEN_HANGUP && m->state == CONF_M_LEAVING) {
        conf_action_t *a = s_act(out, CONF_ACT_HANGUP, m->id);
        if (a)
            a->reason = m->leave_reason;
    }
}

static void s_set_muted(conf_room_t *self, conf_member_t *m, bool muted, const char *by,
                        conf_actions_t *out)
{
    (void)self;
    if (m->muted == muted)
        return;
    m->muted = muted;
    conf_action_t *a;
    if (m->state == CONF_M_IN && (a = s_act(out, CONF_ACT_MUTE, m->id)))
        a->muted = muted;
    if ((a = s_act(out, CONF_ACT_MUTED, m->id))) {
        a->muted = muted;
        a->by = by;
    }
}

static void s_set_locked(conf_room_t *self, bool locked, const char *by, conf_actions_t *out)
{
    if (self->locked == locked)
        return;
    self->locked = locked;
    conf_action_t *a = s_act(out, CONF_ACT_LOCKED, 0);
    if (a) {
        a->locked = locked;
        a->by = by;
    }
}

static void s_key_in(conf_room_t *self, conf_member_t *m, char digit, conf_actions_t *out)
{
    if (digit == '6') {
        s_set_muted(self, m, !m->muted, "self", out);
        s_play_to(self, m, out, m->muted ? "conf/muted" : "conf/unmuted", NULL, false, false,
                  S_THEN_NONE);
    } else if (digit == '7' && m->moderator) {
        s_set_locked(self, !self->locked, "moderator", out);
        s_play_to(self, m, out, self->locked ? "conf/room_locked" : "conf/room_unlocked", NULL,
                  false, false, S_THEN_NONE);
    } else if (digit == '8' && m->moderator) {
        self->muted_all = !self->muted_all;
        for (size_t i = 0; i < self->n; i++) {
            conf_member_t *o = self->m[i];
            if (o != m && !o->moderator && (o->state == CONF_M_IN || o->state == CONF_M_WAITING))
                s_set_muted(self, o, self->muted_all, "moderator", out);
        }
        s_play_to(self, m, out, self->muted_all ? "conf/all_muted" : "conf/all_unmuted", NULL,
                  false, false, S_THEN_NONE);
    }
}

void conf_room_digit(conf_room_t *self, int member, char digit, int64_t now, conf_actions_t *out)
{
    out->n = 0;
    conf_member_t *m = s_member(self, member);
    if (!m)
        return;
    if (m->state == CONF_M_IN) {
        s_key_in(self, m, digit, out);
        return;
    }
    if (m->state != CONF_M_PIN)
        return;
    if (m->play) { /* a key stops the prompt (mediad's barge-in): the entry has begun */
        s_act(out, CONF_ACT_STOP, m->id);
        m->play = 0;
        m->then = S_THEN_NONE;
    }
    if (digit == '#') {
        s_pin_entered(self, m, now, out);
        return;
    }
    size_t len = strlen(m->digits);
    if (digit == '*')
        m->digits[0] = '\0'; /* start again */
    else if (digit >= '0' && digit <= '9' && len < CONF_PIN_MAX + 1)
        m->digits[len] = digit; /* one too many is kept, so a longer entry stays wrong */
    s_timer(m, out, now + CONF_PIN_TIMEOUT_MS);
}

void conf_room_timer(conf_room_t *self, int member, int64_t now, conf_actions_t *out)
{
    out->n = 0;
    conf_member_t *m = s_member(self, member);
    if (!m)
        return;
    if (m->state == CONF_M_PIN) {
        m->play = 0;
        s_pin_entered(self, m, now, out);
    } else if (m->state == CONF_M_LEAVING) {
        /* its prompt never ended, or the hang-up was never reported */
        conf_action_t *a = s_act(out, CONF_ACT_HANGUP, m->id);
        if (a)
            a->reason = m->leave_reason;
        conf_actions_t rest = {.n = 0};
        conf_room_gone(self, member, m->leave_reason, &rest);
        for (size_t i = 0; i < rest.n && out->n < CONF_ACTIONS_MAX; i++)
            out->a[out->n++] = rest.a[i];
    }
}

void conf_room_gone(conf_room_t *self, int member, const char *reason, conf_actions_t *out)
{
    out->n = 0;
    size_t i = 0;
    while (i < self->n && self->m[i]->id != member)
        i++;
    if (i == self->n)
        return;
    conf_member_t *m = self->m[i];
    self->m[i] = self->m[--self->n];
    if (m->admitted) {
        conf_action_t *a = s_act(out, CONF_ACT_LEFT, m->id);
        if (a)
            a->reason = m->leave_reason ? m->leave_reason : reason ? reason : "hangup";
    }
    free(m);
    if (conf_room_count(self) == 0) { /* nobody left in the room: it starts afresh */
        if (self->locked)
            s_set_locked(self, false, "empty", out);
        self->started = false;
        self->muted_all = false;
    }
}

int conf_room_kick(conf_room_t *self, int member, int64_t now, conf_actions_t *out)
{
    out->n = 0;
    conf_member_t *m = s_member(self, member);
    if (!m)
        return -1;
    if (m->state == CONF_M_PIN || m->state == CONF_M_WAITING || m->play)
        s_act(out, CONF_ACT_STOP, m->id);
    m->state = CONF_M_LEAVING;
    m->leave_reason = "kicked";
    m->play = 0;
    s_timer(m, out, now + CONF_REAP_MS);
    conf_action_t *a = s_act(out, CONF_ACT_HANGUP, m->id);
    if (a)
        a->reason = "kicked";
    return 0;
}

int conf_room_mute(conf_room_t *self, int member, bool muted, const char *by, conf_actions_t *out)
{
    out->n = 0;
    conf_member_t *m = s_member(self, member);
    if (!m || m->state == CONF_M_LEAVING)
        return -1;
    s_set_muted(self, m, muted, by, out);
    return 0;
}

int conf_room_lock(conf_room_t *self, bool locked, const char *by, conf_actions_t *out)
{
    out->n = 0;
    if (conf_room_count(self) == 0)
        return -1;
    s_set_locked(self, locked, by, out);
    return 0;
}

void conf_room_talking(conf_room_t *self, int member, bool talking)
{
    conf_member_t *m = s_member(self, member);
    if (m)
        m->talking = talking;
}

/* ---- lookups ------------------------------------------------------------------------- */

int conf_room_find(const conf_room_t *self, const char *who)
{
    if (!who || !*who)
        return -1;
    char *end = NULL;
    long id = strtol(who, &end, 10);
    /* a participant id is short; a caller's number is not taken for one */
    if (end && !*end && strlen(who) <= 3 && s_member(self, (int)id))
        return (int)id;
    for (size_t i = 0; i < self->n; i++)
        if (strcmp(self->m[i]->caller, who) == 0 || strcmp(self->m[i]->call_id, who) == 0)
            return self->m[i]->id;
    return -1;
}

const conf_member_t *conf_room_member(const conf_room_t *self, int member)
{
    return s_member(self, member);
}

size_t conf_room_slots(const conf_room_t *self)
{
    return self->n;
}

const conf_member_t *conf_room_member_at(const conf_room_t *self, size_t i)
{
    return i < self->n ? self->m[i] : NULL;
}

bool conf_room_locked(const conf_room_t *self)
{
    return self->locked;
}

const char *conf_member_state_name(conf_member_state_t state)
{
    static const char *names[] = {"pin", "waiting", "in", "leaving"};
    return (unsigned)state < 4 ? names[state] : "?";
}

/* ---- life ---------------------------------------------------------------------------- */

conf_room_t *conf_room_new(const conf_room_cfg_t *cfg)
{
    conf_room_t *self = calloc(1, sizeof *self);
    if (self)
        self->cfg = *cfg;
    return self;
}

void conf_room_configure(conf_room_t *self, const conf_room_cfg_t *cfg)
{
    self->cfg = *cfg;
}

const conf_room_cfg_t *conf_room_cfg(const conf_room_t *self)
{
    return &self->cfg;
}

void conf_room_destroy(conf_room_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    conf_room_t *self = *self_p;
    for (size_t i = 0; i < self->n; i++)
        free(self->m[i]);
    free(self);
    *self_p = NULL;
}

void conf_actions_format(const conf_actions_t *out, char *buf, size_t len)
{
    static const char *kinds[] = {"play",   "stop",   "join", "mute",  "timer",
                                  "hangup", "joined", "left", "muted", "locked"};
    size_t n = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < out->n && n < len; i++) {
        const conf_action_t *a = &out->a[i];
        int w = snprintf(buf + n, len - n, "%s %d", kinds[a->kind], a->member);
        if (w < 0)
            return;
        n += (size_t)w;
        switch (a->kind) {
        case CONF_ACT_PLAY:
            for (size_t p = 0; p < a->nprompts && n < len; p++)
                n += (size_t)snprintf(buf + n, len - n, "%s%s", p ? "," : " [", a->prompts[p]);
            if (n < len)
                n += (size_t)snprintf(buf + n, len - n, "]%s%s", a->loop ? " loop" : "",
                                      a->barge_in ? " barge" : "");
            break;
        case CONF_ACT_JOIN:
        case CONF_ACT_MUTE:
            if (a->muted && n < len)
                n += (size_t)snprintf(buf + n, len - n, " muted");
            break;
        case CONF_ACT_MUTED:
            if (n < len)
                n +=
                    (size_t)snprintf(buf + n, len - n, " %s by %s", a->muted ? "on" : "off", a->by);
            break;
        case CONF_ACT_LOCKED:
            if (n < len)
                n += (size_t)snprintf(buf + n, len - n, " %s by %s", a->locked ? "on" : "off",
                                      a->by);
            break;
        case CONF_ACT_TIMER:
            if (n < len)
                n += (size_t)snprintf(buf + n, len - n, " %lld", (long long)a->at);
            break;
        case CONF_ACT_HANGUP:
        case CONF_ACT_LEFT:
            if (n < len)
                n += (size_t)snprintf(buf + n, len - n, " %s", a->reason ? a->reason : "?");
            break;
        default:
            break;
        }
        if (n < len)
            n += (size_t)snprintf(buf + n, len - n, "\n");
    }
}
