/* wd_auth_test.c - sessions, tokens and principals without a database, and the login
 * throttle with time passed in. */
#include <sodium.h>
#include <string.h>

#include "cc_test.h"
#include "wd_auth.h"
#include "wd_throttle.h"

#define NOW 1800000000000000LL

static wb_core_t *s_core(void)
{
    wb_rules_t r = {80, 60, 600, 600};
    wb_core_t *c = wb_core_new(WB_SL_ANSWERED_ABANDONED, r);
    wb_core_queue_set(c, "support", 20);
    wb_core_queue_set(c, "sales", 20);
    return c;
}

CC_TEST(wd_auth_sessions_and_principals)
{
    CC_CHECK(sodium_init() >= 0);
    wb_core_t *core = s_core();
    wd_auth_t *auth = wd_auth_new();
    json_t *users =
        json_loads("[{\"name\":\"sup\",\"role\":\"supervisor\",\"queues\":[\"sales\"],\"ext\":\"\","
                   "\"password_hash\":\"$argon2id$x\",\"disabled\":false},"
                   "{\"name\":\"bad\",\"role\":\"root\",\"queues\":null},"
                   "{\"name\":\"boss\",\"role\":\"admin\",\"queues\":null,\"disabled\":false}]",
                   0, NULL);
    int skipped;
    CC_CHECK_INT(wd_auth_set_users(auth, users, &skipped), 0);
    CC_CHECK_INT(skipped, 1);
    char cookie[WD_SECRET_B64];
    wd_session_t s;
    CC_CHECK_INT(wd_auth_new_session(auth, "sup", "10.0.0.1", NOW, 3600, cookie, &s), 0);
    CC_CHECK(strlen(cookie) == 43);
    CC_CHECK(strcmp(s.key, cookie) != 0); /* only its hash is kept */
    wd_principal_t who;
    wd_auth_principal(auth, core, cookie, NULL, NOW + 1, &who);
    CC_CHECK(who.authenticated && !who.is_token && who.role == WD_ROLE_SUPERVISOR);
    CC_CHECK(!who.all_queues);
    CC_CHECK(wb_qset_has(&who.qset, wb_core_queue(core, "sales")->idx));
    CC_CHECK(!wb_qset_has(&who.qset, wb_core_queue(core, "support")->idx));
    CC_CHECK_STR(who.queues_sql, "{\"sales\"}");
    CC_CHECK_STR(who.csrf, s.csrf);
    /* expired, or a made-up cookie: nobody */
    wd_auth_principal(auth, core, cookie, NULL, NOW + 3600000001LL, &who);
    CC_CHECK(!who.authenticated);
    wd_auth_principal(auth, core, "made-up", NULL, NOW, &who);
    CC_CHECK(!who.authenticated);
    /* a token */
    char key[WD_KEY_HEX], row[512];
    wd_auth_key("cct_secret", key);
    snprintf(row, sizeof row,
             "[{\"name\":\"crm\",\"role\":\"admin\",\"queues\":null,"
             "\"token_sha256\":\"%s\",\"expires_ms\":null}]",
             key);
    json_t *tokens = json_loads(row, 0, NULL);
    CC_CHECK_INT(wd_auth_set_tokens(auth, tokens, &skipped), 0);
    wd_auth_principal(auth, core, NULL, "cct_secret", NOW, &who);
    CC_CHECK(who.authenticated && who.is_token && who.all_queues);
    CC_CHECK_STR(who.name, "token:crm");
    CC_CHECK(wd_auth_refresh(auth, core, &who, NOW));
    /* the user disabled: its session stops, and shows up as stale */
    wd_auth_principal(auth, core, cookie, NULL, NOW + 1, &who);
    json_t *none = json_array();
    CC_CHECK_INT(wd_auth_set_users(auth, none, &skipped), 0);
    CC_CHECK(!wd_auth_refresh(auth, core, &who, NOW + 2));
    char stale[4][WD_KEY_HEX];
    CC_CHECK_INT(wd_auth_stale_sessions(auth, NOW + 2, stale, 4), 1);
    CC_CHECK_STR(stale[0], s.key);
    json_decref(users);
    json_decref(tokens);
    json_decref(none);
    wd_auth_destroy(&auth);
    wb_core_destroy(&core);
}

CC_TEST(wd_throttle_counts_within_the_window)
{
    wd_throttle_t *t = wd_throttle_new(3, 60);
    int64_t s = 1000000;
    CC_CHECK_INT(wd_throttle_wait_s(t, "u", NOW), 0);
    wd_throttle_fail(t, "u", NOW);
    wd_throttle_fail(t, "u", NOW + 1 * s);
    CC_CHECK_INT(wd_throttle_wait_s(t, "u", NOW + 2 * s), 0);
    wd_throttle_fail(t, "u", NOW + 2 * s);
    CC_CHECK_INT(wd_throttle_wait_s(t, "u", NOW + 2 * s), 58);
    CC_CHECK_INT(wd_throttle_wait_s(t, "v", NOW + 2 * s), 0);
    CC_CHECK_INT(wd_throttle_wait_s(t, "u", NOW + 60 * s), 0); /* the window has passed */
    wd_throttle_fail(t, "u", NOW + 61 * s);                    /* a new window */
    CC_CHECK_INT(wd_throttle_wait_s(t, "u", NOW + 61 * s), 0);
    wd_throttle_clear(t, "u");
    CC_CHECK_INT(wd_throttle_wait_s(t, "u", NOW + 61 * s), 0);
    wd_throttle_destroy(&t);
}
