/* ccctl_status_test.c - reading `status` replies and the all-ready verdict, and the
 * duration format of the UPTIME column. */
#include <errno.h>
#include <string.h>

#include "cc_test.h"
#include "ccctl_out.h"
#include "ccctl_status.h"

CC_TEST(status_reply_ready)
{
    ccctl_daemon_status_t st = {.daemon = "sipproxy", .timeout_ms = 2000};
    json_t *r = json_pack("{s:s, s:i, s:s, s:b, s:i}", "daemon", "sipproxy", "pid", 4242, "version",
                          "0.1.0", "ready", 1, "uptime_s", 75);
    ccctl_status_from_reply(&st, 0, r);
    json_decref(r);
    CC_CHECK(st.done && st.up && st.ready);
    CC_CHECK_INT(st.pid, 4242);
    CC_CHECK_INT(st.uptime_s, 75);
    CC_CHECK_STR(st.version, "0.1.0");
    CC_CHECK_STR(st.error, "");
    CC_CHECK(ccctl_status_all_ready(&st, 1));
}

CC_TEST(status_timeout_error_and_malformed_are_not_ready)
{
    ccctl_daemon_status_t st[3] = {
        {.daemon = "a", .timeout_ms = 2000}, {.daemon = "b"}, {.daemon = "c"}};
    ccctl_status_from_reply(&st[0], -ETIMEDOUT, NULL);
    CC_CHECK(!st[0].up && !st[0].ready);
    CC_CHECK_STR(st[0].error, "no reply within 2000 ms");
    json_t *e = json_pack("{s:s, s:s}", "code", "internal", "message", "boom");
    ccctl_status_from_reply(&st[1], -EPROTO, e);
    json_decref(e);
    CC_CHECK(st[1].up && !st[1].ready);
    CC_CHECK_STR(st[1].error, "error reply: boom");
    json_t *m = json_pack("{s:s}", "ready", "yes");
    ccctl_status_from_reply(&st[2], 0, m);
    json_decref(m);
    CC_CHECK(st[2].up && !st[2].ready);
    CC_CHECK(!ccctl_status_all_ready(st, 3));
    CC_CHECK(!ccctl_status_all_ready(st, 0));
}

CC_TEST(status_json_shape)
{
    ccctl_daemon_status_t st[2] = {{.daemon = "cdrd", .timeout_ms = 2000},
                                   {.daemon = "ivrd", .timeout_ms = 2000}};
    json_t *r =
        json_pack("{s:i, s:s, s:b, s:i}", "pid", 7, "version", "0.1.0", "ready", 1, "uptime_s", 3);
    ccctl_status_from_reply(&st[0], 0, r);
    json_decref(r);
    ccctl_status_from_reply(&st[1], -ETIMEDOUT, NULL);
    json_t *doc = ccctl_status_json(st, 2);
    json_t *list = json_object_get(doc, "daemons");
    CC_CHECK_INT(json_array_size(list), 2);
    CC_CHECK(json_is_false(json_object_get(doc, "all_ready")));
    json_t *up = json_array_get(list, 0), *down = json_array_get(list, 1);
    CC_CHECK_STR(json_string_value(json_object_get(up, "state")), "up");
    CC_CHECK_INT(json_integer_value(json_object_get(up, "pid")), 7);
    CC_CHECK_STR(json_string_value(json_object_get(down, "state")), "down");
    CC_CHECK(json_object_get(down, "pid") == NULL);
    CC_CHECK(json_is_false(json_object_get(down, "ready")));
    json_decref(doc);
}

CC_TEST(duration_format)
{
    char buf[32];
    CC_CHECK_STR(ccctl_duration(0, buf, sizeof buf), "0s");
    CC_CHECK_STR(ccctl_duration(59, buf, sizeof buf), "59s");
    CC_CHECK_STR(ccctl_duration(192, buf, sizeof buf), "3m12s");
    CC_CHECK_STR(ccctl_duration(7500, buf, sizeof buf), "2h05m");
    CC_CHECK_STR(ccctl_duration(3 * 86400 + 4 * 3600 + 5, buf, sizeof buf), "3d04h");
}
