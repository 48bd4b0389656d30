/* wd_stream_test.c - the live streams without a socket: ids, a frame reaching only the
 * streams that may see its queue, a resume from an id giving exactly the frames after it,
 * an id the ring no longer holds asking for a snapshot, and a stream that does not read. */
#include <string.h>

#include "cc_test.h"
#include "wd_stream.h"

static int s_wakes;

static void s_wake(wd_stream_t *stream, void *conn)
{
    (void)stream;
    (void)conn;
    s_wakes++;
}

static wb_qset_t s_q(int idx)
{
    wb_qset_t s = {{0}};
    wb_qset_add(&s, idx);
    return s;
}

static size_t s_read_all(wd_stream_t *st, char *buf, size_t len)
{
    size_t n = wd_stream_read(st, buf, len - 1);
    buf[n] = '\0';
    return n;
}

CC_TEST(wd_stream_cursor_text)
{
    wd_cursor_t c = {1733000000123456ull, 42, 3}, d;
    char buf[96];
    wd_cursor_format(&c, buf, sizeof buf);
    CC_CHECK_STR(buf, "acdd:1733000000123456:42.3");
    CC_CHECK_INT(wd_cursor_parse(buf, &d), 0);
    CC_CHECK(wd_cursor_equal(&c, &d));
    CC_CHECK_INT(wd_cursor_parse("acdd:1:2", &d), -1);
    CC_CHECK_INT(wd_cursor_parse("acdd:1:2.3x", &d), -1);
    CC_CHECK_INT(wd_cursor_parse(NULL, &d), -1);
}

CC_TEST(wd_stream_scopes_and_resume)
{
    wd_streams_t *ss = wd_streams_new(4, 1 << 20, s_wake);
    wd_principal_t q1 = {.authenticated = true}, all = {.authenticated = true, .all_queues = true};
    wb_qset_add(&q1.qset, 1);
    wd_stream_t *a = wd_stream_open(ss, &q1, NULL), *b = wd_stream_open(ss, &all, NULL);
    char buf[4096];
    wb_qset_t one = s_q(1), two = s_q(2);
    wd_cursor_t c1 = {7, 10, 0}, c2 = {7, 10, 1}, c3 = {7, 11, 0};
    wd_streams_publish(ss, &c1, &one, "update", "{\"n\":1}");
    wd_streams_publish(ss, &c2, &two, "update", "{\"n\":2}");
    wd_streams_publish(ss, &c3, &one, "update", "{\"n\":3}");
    s_read_all(a, buf, sizeof buf);
    CC_CHECK(strstr(buf, "id: acdd:7:10.0\nevent: update\ndata: {\"n\":1}\n\n"));
    CC_CHECK(!strstr(buf, "\"n\":2")); /* queue 2 is not a's */
    CC_CHECK(strstr(buf, "\"n\":3"));
    s_read_all(b, buf, sizeof buf);
    CC_CHECK(strstr(buf, "\"n\":2"));
    /* a stream coming back after the first frame gets the ones after it, no more */
    wd_stream_t *r = wd_stream_open(ss, &all, NULL);
    CC_CHECK_INT(wd_stream_resume(ss, r, &c1), 0);
    s_read_all(r, buf, sizeof buf);
    CC_CHECK(!strstr(buf, "\"n\":1"));
    CC_CHECK(strstr(buf, "\"n\":2") && strstr(buf, "\"n\":3"));
    /* up to date: nothing to send */
    CC_CHECK_INT(wd_stream_resume(ss, r, &c3), 0);
    CC_CHECK_INT(wd_stream_pending(r), 0);
    /* the ring holds 4: after two more frames the first is gone */
    wd_cursor_t c4 = {7, 12, 0}, c5 = {7, 13, 0}, unknown = {8, 1, 0};
    wd_streams_publish(ss, &c4, &one, "update", "{\"n\":4}");
    wd_streams_publish(ss, &c5, &one, "update", "{\"n\":5}");
    s_read_all(r, buf, sizeof buf);
    CC_CHECK_INT(wd_stream_resume(ss, r, &c2), 0);
    s_read_all(r, buf, sizeof buf);
    CC_CHECK(strstr(buf, "\"n\":3") && strstr(buf, "\"n\":5") && !strstr(buf, "\"n\":2"));
    CC_CHECK_INT(wd_stream_resume(ss, r, &c1), 0); /* just before the oldest held: all of it */
    s_read_all(r, buf, sizeof buf);
    CC_CHECK(strstr(buf, "\"n\":2") && strstr(buf, "\"n\":5"));
    wd_cursor_t older = {7, 9, 0};
    CC_CHECK_INT(wd_stream_resume(ss, r, &older), -1); /* gone: a snapshot instead */
    CC_CHECK_INT(wd_stream_resume(ss, r, &unknown), -1);
    /* a reset: older ids get a snapshot, the reset's own id resumes */
    wd_cursor_t at = {7, 13, 9};
    wd_streams_reset(ss, &at);
    CC_CHECK_INT(wd_stream_resume(ss, r, &c5), -1);
    CC_CHECK_INT(wd_stream_resume(ss, r, &at), 0);
    CC_CHECK_INT(wd_streams_count(ss), 3);
    wd_stream_close(ss, &a);
    CC_CHECK(!a);
    CC_CHECK_INT(wd_streams_count(ss), 2);
    wd_streams_destroy(&ss);
}

CC_TEST(wd_stream_that_does_not_read_overflows)
{
    wd_streams_t *ss = wd_streams_new(16, 100, s_wake);
    wd_principal_t all = {.authenticated = true, .all_queues = true};
    wd_stream_t *s = wd_stream_open(ss, &all, NULL);
    wb_qset_t none = {{0}};
    s_wakes = 0;
    for (uint64_t i = 1; i <= 5; i++) {
        wd_cursor_t c = {1, i, 0};
        wd_streams_publish(ss, &c, &none, "update", "{\"x\":\"0123456789\"}");
    }
    CC_CHECK(wd_stream_overflowed(s));
    CC_CHECK(s_wakes >= 2); /* for what it got, and to be closed */
    wd_streams_destroy(&ss);
}
