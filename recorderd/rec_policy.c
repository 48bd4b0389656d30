/* rec_policy.c - policy resolution, retention and feature codes (see rec_policy.h). */
#include "rec_policy.h"

#include <stdio.h>
#include <string.h>

int rec_mode_parse(const char *text, rec_mode_t *out)
{
    if (!text)
        return -1;
    if (!strcmp(text, "always"))
        *out = REC_ALWAYS;
    else if (!strcmp(text, "never"))
        *out = REC_NEVER;
    else if (!strcmp(text, "on-demand") || !strcmp(text, "on_demand"))
        *out = REC_ON_DEMAND;
    else
        return -1;
    return 0;
}

const char *rec_mode_name(rec_mode_t mode)
{
    return mode == REC_ALWAYS ? "always" : mode == REC_ON_DEMAND ? "on-demand" : "never";
}

static bool s_matches(const rec_policy_t *p, const rec_call_keys_t *k)
{
    const char *name = NULL;
    if (!strcmp(p->kind, "ext")) {
        return (k->caller_ext && !strcmp(p->name, k->caller_ext)) ||
               (k->callee_ext && !strcmp(p->name, k->callee_ext)) ||
               (k->agent_ext && !strcmp(p->name, k->agent_ext));
    }
    if (!strcmp(p->kind, "queue"))
        name = k->queue;
    else if (!strcmp(p->kind, "trunk"))
        name = k->trunk;
    return name && *name && !strcmp(p->name, name);
}

void rec_policy_resolve(const rec_policy_t *list, size_t n, const rec_call_keys_t *keys,
                        rec_mode_t default_mode, int default_retention_days, rec_decision_t *out)
{
    int best = -1;
    int retention = -1;
    const rec_policy_t *decider = NULL;
    for (size_t i = 0; i < n; i++) {
        const rec_policy_t *p = &list[i];
        if (!s_matches(p, keys))
            continue;
        if ((int)p->mode > best) {
            best = (int)p->mode;
            decider = p;
        }
        if (p->mode != REC_NEVER) {
            int days = p->retention_days >= 0 ? p->retention_days : default_retention_days;
            if (days > retention)
                retention = days;
        }
    }
    if (!decider) {
        out->mode = default_mode;
        out->retention_days = default_retention_days;
        snprintf(out->matched, sizeof out->matched, "default");
        return;
    }
    out->mode = (rec_mode_t)best;
    out->retention_days = retention >= 0 ? retention : default_retention_days;
    snprintf(out->matched, sizeof out->matched, "%s:%s", decider->kind, decider->name);
}

int64_t rec_retention_until(int64_t started_us, int days)
{
    return started_us + (int64_t)days * 86400 * 1000000;
}

bool rec_retention_expired(int64_t retention_until_us, bool legal_hold, bool deleted, bool finished,
                           int64_t now_us)
{
    return !legal_hold && !deleted && finished && retention_until_us <= now_us;
}

rec_fc_t rec_fc_feed(rec_fc_state_t *st, char digit, uint64_t now_us)
{
    if (digit == '*') {
        st->star = true;
        st->star_us = now_us;
        return REC_FC_NONE;
    }
    bool armed = st->star && now_us - st->star_us <= REC_FC_WINDOW_US;
    st->star = false;
    if (!armed)
        return REC_FC_NONE;
    switch (digit) {
    case '1':
        return REC_FC_PAUSE;
    case '2':
        return REC_FC_RESUME;
    case '3':
        return REC_FC_START;
    case '4':
        return REC_FC_STOP;
    default:
        return REC_FC_NONE;
    }
}
