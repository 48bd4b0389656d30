/* wd_route_test.c - the route table's decisions without a socket: matching (404, 405 with
 * its Allow list, path parameters), who may pass (401, 403 by role, CSRF for sessions but
 * not tokens, the login's double submit), scopes, and the validation of fields. */
#include <stdio.h>

#include "cc_test.h"
#include "wd_route.h"

static void s_noop(wd_req_t *req)
{
    (void)req;
}

static const wd_field_t s_fields[] = {
    {"state", WD_F_STRING, true, 1, 16, WD_CS_NAME, (const char *const[]){"ready", "pause", NULL}},
    {"reason", WD_F_STRING, false, 1, 8, WD_CS_NAME, NULL},
    {"limit", WD_F_INT, false, 1, 100, 0, NULL},
    {"from", WD_F_TIME, false, 0, 0, 0, NULL},
    {"cap", WD_F_NUMBER, false, 0, 0, 0, NULL},
    {"hours", WD_F_LIST, false, 1, 8, WD_CS_NAME, NULL},
    {NULL, 0, false, 0, 0, 0, NULL},
};

static const wd_route_t s_table[] = {
    {"GET", "/api/queues", WD_ROLES_STAFF, 0, 0, NULL, NULL, s_noop},
    {"GET", "/api/queues/{queue}", WD_ROLES_STAFF, 0, WD_SCOPE_QUEUE, NULL, NULL, s_noop},
    {"POST", "/api/agents/{ext}/state", WD_ROLES_STAFF, WD_R_CSRF, 0, s_fields, "agent.state",
     s_noop},
    {"GET", "/api/agents/{ext}/state", WD_ROLE_ADMIN, 0, 0, NULL, NULL, s_noop},
    {"POST", "/api/login", 0, WD_R_LOGIN, 0, NULL, "login", s_noop},
    {"GET", "/static/*", 0, 0, 0, NULL, NULL, s_noop},
};
#define N (sizeof s_table / sizeof s_table[0])

CC_TEST(wd_route_matches_paths_and_methods)
{
    const wd_route_t *r = NULL;
    wd_params_t p;
    char allow[64];
    CC_CHECK_INT(
        wd_route_match(s_table, N, "GET", "/api/queues/support", &r, &p, allow, sizeof allow), 0);
    CC_CHECK(r == &s_table[1]);
    CC_CHECK_STR(wd_param(&p, "queue"), "support");
    CC_CHECK_INT(
        wd_route_match(s_table, N, "POST", "/api/agents/1001/state", &r, &p, allow, sizeof allow),
        0);
    CC_CHECK_STR(wd_param(&p, "ext"), "1001");
    CC_CHECK_INT(
        wd_route_match(s_table, N, "DELETE", "/api/agents/1001/state", &r, &p, allow, sizeof allow),
        405);
    CC_CHECK_STR(allow, "POST, GET");
    CC_CHECK_INT(wd_route_match(s_table, N, "GET", "/api/nothing", &r, &p, allow, sizeof allow),
                 404);
    CC_CHECK_INT(wd_route_match(s_table, N, "GET", "/api/queues/", &r, &p, allow, sizeof allow),
                 404);
    CC_CHECK_INT(
        wd_route_match(s_table, N, "GET", "/api/queues/a\x01", &r, &p, allow, sizeof allow), 400);
    CC_CHECK_INT(wd_route_match(s_table, N, "GET", "/static/app.js", &r, &p, allow, sizeof allow),
                 0);
    CC_CHECK(r == &s_table[5]);
}

CC_TEST(wd_route_authorizes_in_order)
{
    wd_principal_t nobody = {0}, agent = {.authenticated = true, .role = WD_ROLE_AGENT},
                   sup = {.authenticated = true, .role = WD_ROLE_SUPERVISOR, .csrf = "tok"},
                   token = {.authenticated = true, .is_token = true, .role = WD_ROLE_SUPERVISOR};
    const char *why;
    CC_CHECK_INT(wd_route_authorize(&s_table[0], &nobody, NULL, NULL, &why), 401);
    CC_CHECK_INT(wd_route_authorize(&s_table[0], &agent, NULL, NULL, &why), 403);
    CC_CHECK_INT(wd_route_authorize(&s_table[0], &sup, NULL, NULL, &why), 0);
    CC_CHECK_INT(wd_route_authorize(&s_table[2], &sup, NULL, NULL, &why), 403); /* no CSRF */
    CC_CHECK_INT(wd_route_authorize(&s_table[2], &sup, "tok2", NULL, &why), 403);
    CC_CHECK_INT(wd_route_authorize(&s_table[2], &sup, "tok", NULL, &why), 0);
    CC_CHECK_INT(wd_route_authorize(&s_table[2], &token, NULL, NULL, &why), 0);
    CC_CHECK_INT(wd_route_authorize(&s_table[3], &sup, NULL, NULL, &why), 403); /* admin only */
    CC_CHECK_INT(wd_route_authorize(&s_table[4], &nobody, "abc", "abc", &why), 0);
    CC_CHECK_INT(wd_route_authorize(&s_table[4], &nobody, "abc", NULL, &why), 403);
    CC_CHECK_INT(wd_route_authorize(&s_table[4], &nobody, "", "", &why), 403);
    CC_CHECK_INT(wd_route_authorize(&s_table[5], &nobody, NULL, NULL, &why), 0);
}

CC_TEST(wd_route_scopes)
{
    wd_principal_t some = {.authenticated = true},
                   all = {.authenticated = true, .all_queues = true};
    wb_qset_add(&some.qset, 3);
    wb_qset_t set = {{0}};
    wb_qset_add(&set, 700);
    CC_CHECK(wd_scope_queue(&some, 3));
    CC_CHECK(!wd_scope_queue(&some, 4));
    CC_CHECK(!wd_scope_queue(&some, -1));
    CC_CHECK(wd_scope_queue(&all, -1));
    CC_CHECK(!wd_scope_set(&some, &set));
    wb_qset_add(&set, 3);
    CC_CHECK(wd_scope_set(&some, &set));
}

/* The field named is copied: it may point into the object checked. */
static int s_check(const char *text, bool query, const char **field)
{
    static char named[64];
    char msg[200];
    json_t *o = json_loads(text, 0, NULL);
    const char *f = "";
    int rc = o ? wd_fields_check(s_fields, o, query, &f, msg, sizeof msg) : -2;
    snprintf(named, sizeof named, "%s", f);
    *field = named;
    json_decref(o);
    return rc;
}

CC_TEST(wd_route_checks_fields)
{
    const char *f;
    CC_CHECK_INT(s_check("{\"state\": \"ready\"}", false, &f), 0);
    CC_CHECK_INT(s_check("{\"state\": \"pause\", \"reason\": \"lunch\", \"limit\": 5, "
                         "\"from\": \"2026-01-31T08:00:00+01:00\"}",
                         false, &f),
                 0);
    CC_CHECK_INT(s_check("{}", false, &f), -1);
    CC_CHECK_STR(f, "state");
    CC_CHECK_INT(s_check("{\"state\": \"sleep\"}", false, &f), -1);
    CC_CHECK_STR(f, "state");
    CC_CHECK_INT(s_check("{\"state\": \"ready\", \"x\": 1}", false, &f), -1);
    CC_CHECK_STR(f, "x");
    CC_CHECK_INT(s_check("{\"state\": \"ready\", \"reason\": \"a b\"}", false, &f), -1);
    CC_CHECK_STR(f, "reason");
    CC_CHECK_INT(s_check("{\"state\": \"ready\", \"reason\": \"toolongreason\"}", false, &f), -1);
    CC_CHECK_INT(s_check("{\"state\": \"ready\", \"limit\": 101}", false, &f), -1);
    CC_CHECK_STR(f, "limit");
    CC_CHECK_INT(s_check("{\"state\": \"ready\", \"limit\": \"5\"}", false, &f), -1);
    CC_CHECK_INT(s_check("{\"state\": \"ready\", \"limit\": \"5\"}", true, &f), 0);
    CC_CHECK_INT(s_check("{\"state\": \"ready\", \"limit\": \"5x\"}", true, &f), -1);
    CC_CHECK_INT(s_check("{\"state\": \"ready\", \"from\": \"2026-13-01\"}", false, &f), -1);
    CC_CHECK_STR(f, "from");
    CC_CHECK_INT(s_check("{\"state\": \"ready\", \"from\": \"2026-01-01T25:00\"}", false, &f), -1);
    CC_CHECK_INT(s_check("{\"state\": \"ready\", \"reason\": null}", false, &f), 0);
    /* numbers of either kind; lists of strings, each checked as a STRING field */
    CC_CHECK_INT(s_check("{\"state\": \"ready\", \"cap\": 2.5}", false, &f), 0);
    CC_CHECK_INT(s_check("{\"state\": \"ready\", \"cap\": 3}", false, &f), 0);
    CC_CHECK_INT(s_check("{\"state\": \"ready\", \"cap\": \"3\"}", false, &f), -1);
    CC_CHECK_STR(f, "cap");
    CC_CHECK_INT(s_check("{\"state\": \"ready\", \"hours\": [\"a\", \"b.c\"]}", false, &f), 0);
    CC_CHECK_INT(s_check("{\"state\": \"ready\", \"hours\": []}", false, &f), 0);
    CC_CHECK_INT(s_check("{\"state\": \"ready\", \"hours\": \"a\"}", false, &f), -1);
    CC_CHECK_STR(f, "hours");
    CC_CHECK_INT(s_check("{\"state\": \"ready\", \"hours\": [\"a\", 1]}", false, &f), -1);
    CC_CHECK_INT(s_check("{\"state\": \"ready\", \"hours\": [\"a b\"]}", false, &f), -1);
    CC_CHECK_INT(s_check("{\"state\": \"ready\", \"hours\": [\"toolongvalue\"]}", false, &f), -1);
    CC_CHECK_INT(s_check("{\"state\": \"ready\", \"hours\": [\"a\",\"a\",\"a\",\"a\",\"a\","
                         "\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\","
                         "\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\","
                         "\"a\",\"a\",\"a\",\"a\",\"a\",\"a\"]}",
                         false, &f),
                 -1);
    CC_CHECK(wd_secret_equal("abc", "abc"));
    CC_CHECK(!wd_secret_equal("abc", "abd"));
    CC_CHECK(!wd_secret_equal("abc", "abcd"));
    CC_CHECK(!wd_secret_equal("", ""));
    CC_CHECK(!wd_secret_equal(NULL, "x"));
}

CC_TEST(wd_range_parses_one_byte_range)
{
    size_t from = 99, to = 99;
    CC_CHECK_INT(wd_range_parse("bytes=0-99", 1000, &from, &to), 1);
    CC_CHECK_INT((int)from, 0);
    CC_CHECK_INT((int)to, 99);
    CC_CHECK_INT(wd_range_parse("bytes=900-", 1000, &from, &to), 1);
    CC_CHECK_INT((int)from, 900);
    CC_CHECK_INT((int)to, 999);
    CC_CHECK_INT(wd_range_parse("bytes=10-5000", 1000, &from, &to), 1); /* clipped */
    CC_CHECK_INT((int)to, 999);
    CC_CHECK_INT(wd_range_parse("bytes=-10", 1000, &from, &to), 1); /* the last 10 */
    CC_CHECK_INT((int)from, 990);
    CC_CHECK_INT((int)to, 999);
    CC_CHECK_INT(wd_range_parse("bytes=-5000", 1000, &from, &to), 1);
    CC_CHECK_INT((int)from, 0);
    /* not satisfiable */
    CC_CHECK_INT(wd_range_parse("bytes=1000-", 1000, &from, &to), -1);
    CC_CHECK_INT(wd_range_parse("bytes=-0", 1000, &from, &to), -1);
    CC_CHECK_INT(wd_range_parse("bytes=0-", 0, &from, &to), -1);
    /* ignored: the whole body */
    CC_CHECK_INT(wd_range_parse(NULL, 1000, &from, &to), 0);
    CC_CHECK_INT(wd_range_parse("bytes=0-1,5-6", 1000, &from, &to), 0);
    CC_CHECK_INT(wd_range_parse("items=0-1", 1000, &from, &to), 0);
    CC_CHECK_INT(wd_range_parse("bytes=5-1", 1000, &from, &to), 0);
    CC_CHECK_INT(wd_range_parse("bytes=a-1", 1000, &from, &to), 0);
    CC_CHECK_INT(wd_range_parse("bytes=1-x", 1000, &from, &to), 0);
    CC_CHECK_INT(wd_range_parse("bytes=-", 1000, &from, &to), 0);
    CC_CHECK_INT(wd_range_parse("bytes= 1-2", 1000, &from, &to), 0);
    CC_CHECK_INT(wd_range_parse("bytes=99999999999999999999999-", 1000, &from, &to), 0);
}
