/* acd_config_apply.c - a configuration snapshot from acd_db (at start-up and after each
 * NOTIFY) applied to the core and to the agents' metadata: queues added or updated,
 * agents, skills and memberships added, and what the tables no longer hold removed
 * (memberships, skills, deleted agents logged out). Loading the snapshot is acd_db.c's. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "acd_app.h"
#include "cc_log.h"

/* The reloaded tables as sets, so that reconciling costs one lookup per item rather than a
 * scan of the tables (thousands of agents): agents by ext, memberships and skills by
 * "q<ext>/<queue>" and "s<ext>/<skill>" (an extension is digits, so no two pairs meet). */
typedef struct {
    cc_map_t *agents, *pairs;
} s_cfg_sets_t;

#define S_PAIR_MAX (ACD_EXT_MAX + ACD_NAME_MAX + 3)

static void s_pair_key(char *out, char kind, const char *ext, const char *name)
{
    snprintf(out, S_PAIR_MAX, "%c%.*s/%.*s", kind, ACD_EXT_MAX - 1, ext, ACD_NAME_MAX - 1, name);
}

static int s_cfg_sets_init(s_cfg_sets_t *sets, const acd_db_config_t *cfg)
{
    sets->agents = cc_map_new(NULL);
    sets->pairs = cc_map_new(NULL);
    if (!sets->agents || !sets->pairs)
        return -1;
    int rc = 0;
    for (size_t i = 0; i < cfg->nagents; i++)
        rc |= cc_map_put(sets->agents, cfg->agents[i].ext, (void *)1) == -ENOMEM;
    for (size_t i = 0; i < cfg->nmembers + cfg->nskills; i++) {
        char key[S_PAIR_MAX];
        if (i < cfg->nmembers)
            s_pair_key(key, 'q', cfg->members[i].ext, cfg->members[i].queue);
        else
            s_pair_key(key, 's', cfg->skills[i - cfg->nmembers].ext,
                       cfg->skills[i - cfg->nmembers].skill);
        rc |= cc_map_put(sets->pairs, key, (void *)1) == -ENOMEM;
    }
    return rc ? -1 : 0;
}

static void s_cfg_sets_free(s_cfg_sets_t *sets)
{
    cc_map_destroy(&sets->agents);
    cc_map_destroy(&sets->pairs);
}

static bool s_cfg_has_pair(const s_cfg_sets_t *sets, char kind, const char *ext, const char *name)
{
    char key[S_PAIR_MAX];
    s_pair_key(key, kind, ext, name);
    return cc_map_has(sets->pairs, key);
}

/* What the tables no longer say goes: memberships and skills removed, and agents deleted
 * (logged out -- after their call, if on one -- and hidden; the core keeps their struct,
 * so a call still ringing or talking there ends normally). Names are copied first: the
 * core's lists change under each removal. */
static void s_drop_removed(acd_app_t *app, const acd_db_config_t *cfg)
{
    s_cfg_sets_t sets;
    if (s_cfg_sets_init(&sets, cfg) != 0) { /* out of memory: removing nothing is safe */
        cc_warn("acd.reconcile_skipped", "reason=out_of_memory");
        s_cfg_sets_free(&sets);
        return;
    }
    cc_map_iter_t it = cc_map_iter(app->agents);
    for (cc_map_entry_t *e; (e = cc_map_next(&it));) {
        acd_agent_meta_t *meta = cc_map_value(e);
        bool keep = cc_map_has(sets.agents, meta->ext);
        meta->deleted = !keep;
        /* (an agent in more than 64 queues or with more than 64 skills is reconciled
         * for the first 64 only; nothing near that is configured in practice) */
        const char *names[64];
        int levels[64];
        char copy[64][ACD_NAME_MAX];
        int n = acd_core_agent_queues(app->core, meta->ext, names, 64);
        for (int k = 0; k < n && k < 64; k++)
            acd_text_copy(copy[k], sizeof copy[k], names[k]);
        for (int k = 0; k < n && k < 64; k++)
            if (!keep || !s_cfg_has_pair(&sets, 'q', meta->ext, copy[k])) {
                cc_info("acd.member_removed", "agent=%s queue=%s", meta->ext, copy[k]);
                acd_core_agent_leave(app->core, meta->ext, copy[k]);
            }
        n = acd_core_agent_skills(app->core, meta->ext, names, levels, 64);
        for (int k = 0; k < n && k < 64; k++)
            acd_text_copy(copy[k], sizeof copy[k], names[k]);
        for (int k = 0; k < n && k < 64; k++)
            if (!keep || !s_cfg_has_pair(&sets, 's', meta->ext, copy[k]))
                acd_core_agent_set_skill(app->core, meta->ext, copy[k], 0);
        acd_agent_info_t info;
        if (!keep && acd_core_agent_info(app->core, meta->ext, &info) == 0 &&
            info.state != ACD_AGENT_LOGGED_OUT) {
            cc_info("acd.agent_deleted", "agent=%s state=%s", meta->ext,
                    acd_agent_state_name(info.state));
            acd_event_t ev = {.kind = ACD_EV_AGENT_LOGOUT, .agent = meta->ext, .reason = "deleted"};
            acd_app_step(app, &ev);
        }
    }
    s_cfg_sets_free(&sets);
}

void acd_app_apply_config(acd_app_t *app, const acd_db_config_t *cfg)
{
    acd_qmeta_t *queues = calloc(cfg->nqueues + 1, sizeof *queues);
    if (!queues)
        return;
    for (size_t i = 0; i < cfg->nqueues; i++) {
        const acd_db_queue_t *q = &cfg->queues[i];
        if (acd_core_queue_set(app->core, &q->cfg) != 0) {
            cc_warn("acd.bad_queue", "queue=%s", q->cfg.name);
            continue;
        }
        acd_qmeta_t *m = &queues[i];
        acd_text_copy(m->name, sizeof m->name, q->cfg.name);
        acd_text_copy(m->number, sizeof m->number, q->number);
        acd_text_copy(m->callback_key, sizeof m->callback_key, q->callback_key);
        acd_text_copy(m->music, sizeof m->music, q->music);
        acd_text_copy(m->language, sizeof m->language, q->language);
        m->sl_threshold_s = q->cfg.sl_threshold_s;
        m->strategy = q->cfg.strategy;
    }
    /* queues removed from the table stay known to the core (it has no removal); they are
     * only hidden from queue.list and refuse new calls */
    free(app->queues);
    app->queues = queues;
    app->nqueues = cfg->nqueues;
    for (size_t i = 0; i < cfg->nagents; i++) {
        const acd_db_agent_t *a = &cfg->agents[i];
        acd_agent_meta_t *meta = cc_map_get(app->agents, a->ext);
        if (!meta) {
            meta = calloc(1, sizeof *meta);
            if (!meta)
                continue;
            acd_text_copy(meta->ext, sizeof meta->ext, a->ext);
            if (cc_map_insert(app->agents, meta->ext, meta) != 0) {
                free(meta);
                continue;
            }
        }
        acd_text_copy(meta->name, sizeof meta->name, a->name);
        acd_core_agent_add(app->core, a->ext);
    }
    for (size_t i = 0; i < cfg->nskills; i++)
        acd_core_agent_set_skill(app->core, cfg->skills[i].ext, cfg->skills[i].skill,
                                 cfg->skills[i].level);
    for (size_t i = 0; i < cfg->nmembers; i++)
        acd_core_agent_join(app->core, cfg->members[i].ext, cfg->members[i].queue);
    s_drop_removed(app, cfg);
    cc_info("acd.config_loaded", "queues=%zu agents=%zu skills=%zu members=%zu", cfg->nqueues,
            cfg->nagents, cfg->nskills, cfg->nmembers);
    /* agents made routable by the change are routed on this tick */
    acd_event_t ev = {.kind = ACD_EV_TICK};
    acd_app_step(app, &ev);
}
