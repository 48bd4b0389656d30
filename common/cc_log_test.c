/* cc_log_test.c - unit tests of the log writer: value quoting, level names and parsing,
 * and the exact line format (stderr is redirected to a pipe for the duration). */
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cc_log.h"
#include "cc_test.h"

CC_TEST(log_quote_plain_values_unchanged)
{
    const char *v = "sipproxy";
    CC_CHECK(cc_logq(v) == v); /* no copy when no quoting is needed */
    CC_CHECK_STR(cc_logq("1001"), "1001");
    CC_CHECK_STR(cc_logq("sip:1001@cc.local;transport=udp"), "\"sip:1001@cc.local;transport=udp\"");
    CC_CHECK_STR(cc_logq("a/b.c-d_e:f@g"), "a/b.c-d_e:f@g");
    CC_CHECK_STR(cc_logq("Grüße"), "Grüße"); /* UTF-8 passes through */
}

CC_TEST(log_quote_special_values)
{
    CC_CHECK_STR(cc_logq(""), "\"\"");
    CC_CHECK_STR(cc_logq(NULL), "\"\"");
    CC_CHECK_STR(cc_logq("caller hung up"), "\"caller hung up\"");
    CC_CHECK_STR(cc_logq("say \"hi\""), "\"say \\\"hi\\\"\"");
    CC_CHECK_STR(cc_logq("C:\\path"), "\"C:\\\\path\"");
    CC_CHECK_STR(cc_logq("a=b"), "\"a=b\"");
    CC_CHECK_STR(cc_logq("line1\nline2"), "\"line1\\x0aline2\"");
    CC_CHECK_STR(cc_logq("tab\there"), "\"tab\\x09here\"");
    CC_CHECK_STR(cc_logq("\x7f"), "\"\\x7f\"");
}

CC_TEST(log_quote_ring_of_eight)
{
    /* Eight quoted values in one call's arguments stay distinct. */
    const char *q[8];
    char text[8][16];
    for (int i = 0; i < 8; i++) {
        snprintf(text[i], sizeof text[i], "v %d", i);
        q[i] = cc_logq(text[i]);
    }
    for (int i = 0; i < 8; i++) {
        char want[16];
        snprintf(want, sizeof want, "\"v %d\"", i);
        CC_CHECK_STR(q[i], want);
    }
}

CC_TEST(log_quote_truncates_long_values)
{
    char big[600];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    const char *plain = cc_logq(big);
    CC_CHECK_INT(strlen(plain), 255);
    CC_CHECK(strcmp(plain + 252, "...") == 0);

    big[0] = ' ';
    const char *quoted = cc_logq(big);
    size_t n = strlen(quoted);
    CC_CHECK(n <= 255);
    CC_CHECK(quoted[0] == '"');
    CC_CHECK(strcmp(quoted + n - 4, "...\"") == 0);

    /* Escapes are never cut in half. */
    char esc[400];
    for (size_t i = 0; i < sizeof esc - 1; i++)
        esc[i] = '\n';
    esc[sizeof esc - 1] = '\0';
    const char *e = cc_logq(esc);
    n = strlen(e);
    CC_CHECK(n <= 255);
    CC_CHECK(strcmp(e + n - 4, "...\"") == 0);
    CC_CHECK_INT((n - 5) % 4, 0);
}

CC_TEST(log_level_parse_and_names)
{
    cc_log_level_t level = CC_LOG_ERROR;
    CC_CHECK_INT(cc_log_level_parse("debug", &level), 0);
    CC_CHECK_INT(level, CC_LOG_DEBUG);
    CC_CHECK_INT(cc_log_level_parse("info", &level), 0);
    CC_CHECK_INT(level, CC_LOG_INFO);
    CC_CHECK_INT(cc_log_level_parse("warn", &level), 0);
    CC_CHECK_INT(level, CC_LOG_WARN);
    CC_CHECK_INT(cc_log_level_parse("warning", &level), 0);
    CC_CHECK_INT(level, CC_LOG_WARN);
    CC_CHECK_INT(cc_log_level_parse("ERROR", &level), 0);
    CC_CHECK_INT(level, CC_LOG_ERROR);
    level = CC_LOG_INFO;
    CC_CHECK_INT(cc_log_level_parse("verbose", &level), -1);
    CC_CHECK_INT(cc_log_level_parse("", &level), -1);
    CC_CHECK_INT(cc_log_level_parse(NULL, &level), -1);
    CC_CHECK_INT(level, CC_LOG_INFO); /* untouched on failure */
    CC_CHECK_STR(cc_log_level_name(CC_LOG_DEBUG), "debug");
    CC_CHECK_STR(cc_log_level_name(CC_LOG_INFO), "info");
    CC_CHECK_STR(cc_log_level_name(CC_LOG_WARN), "warn");
    CC_CHECK_STR(cc_log_level_name(CC_LOG_ERROR), "error");
}

/* Runs fn with stderr on a pipe; returns what was written (static buffer). */
static const char *s_capture(void (*fn)(void))
{
    static char buf[8192];
    int fds[2];
    buf[0] = '\0';
    if (pipe(fds) != 0)
        return buf;
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    dup2(fds[1], STDERR_FILENO);
    close(fds[1]);
    fn();
    dup2(saved, STDERR_FILENO);
    close(saved);
    ssize_t n = read(fds[0], buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = '\0';
    close(fds[0]);
    return buf;
}

static void s_log_some(void)
{
    cc_log_init("testd", CC_LOG_INFO);
    cc_debug("test.hidden", "x=%d", 1);
    cc_info("test.event", "call=%s reason=%s n=%d", "abc", cc_logq("no answer"), 3);
    cc_warn("test.bare", NULL);
    cc_info("test.newline", "value=%s", "two\nlines");
    cc_log_set_level(CC_LOG_DEBUG);
    cc_debug("test.shown", "x=%d", 2);
    cc_log_set_level(CC_LOG_INFO);
}

CC_TEST(log_line_format_terminal)
{
    /* A JOURNAL_STREAM that is not our stderr (inherited, then redirected) counts as no
     * journald: the line carries its own UTC timestamp. */
    setenv("JOURNAL_STREAM", "0:0", 1);
    const char *out = s_capture(s_log_some);
    unsetenv("JOURNAL_STREAM");
    /* Timestamp: 2026-11-21T13:17:03.123Z then the level. */
    CC_CHECK(strlen(out) > 25);
    CC_CHECK(out[4] == '-' && out[10] == 'T' && out[19] == '.' && out[23] == 'Z' && out[24] == ' ');
    CC_CHECK(strncmp(out + 25, "info event=test.event daemon=testd call=abc", 43) == 0);
}

static void s_log_to_journal(void)
{
    /* Point JOURNAL_STREAM at the stderr s_capture installed, as journald would. */
    struct stat st;
    char stream[64];
    fstat(STDERR_FILENO, &st);
    snprintf(stream, sizeof stream, "%llu:%llu", (unsigned long long)st.st_dev,
             (unsigned long long)st.st_ino);
    setenv("JOURNAL_STREAM", stream, 1);
    s_log_some();
    unsetenv("JOURNAL_STREAM");
}

CC_TEST(log_line_format_exact)
{
    const char *out = s_capture(s_log_to_journal);
    CC_CHECK_STR(out, "info event=test.event daemon=testd call=abc reason=\"no answer\" n=3\n"
                      "warn event=test.bare daemon=testd\n"
                      "info event=test.newline daemon=testd value=two lines\n"
                      "debug event=test.shown daemon=testd x=2\n");
}

static void s_log_long(void)
{
    char big[6000];
    memset(big, 'z', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    cc_info("test.long", "v=%s", big);
}

CC_TEST(log_long_line_truncated)
{
    const char *out = s_capture(s_log_long);
    size_t n = strlen(out);
    CC_CHECK(n <= 4096);
    CC_CHECK(n > 4000);
    CC_CHECK(strcmp(out + n - 4, "...\n") == 0);
    CC_CHECK(strchr(out, '\n') == out + n - 1);
}

static void s_log_in_call(void)
{
    cc_log_init("testd", CC_LOG_INFO);
    cc_log_set_call("5f1e-12");
    cc_info("test.in_call", "n=%d", 1);
    cc_warn("test.bare_in_call", NULL);
    cc_log_set_call("an id with spaces");
    cc_info("test.quoted", NULL);
    cc_log_set_call(NULL);
    cc_info("test.after", "n=%d", 2);
}

CC_TEST(log_call_context_on_every_line_until_cleared)
{
    setenv("JOURNAL_STREAM", "0:0", 1);
    const char *out = s_capture(s_log_in_call);
    unsetenv("JOURNAL_STREAM");
    CC_CHECK(strstr(out, "info event=test.in_call daemon=testd call=5f1e-12 n=1\n") != NULL);
    CC_CHECK(strstr(out, "warn event=test.bare_in_call daemon=testd call=5f1e-12\n") != NULL);
    CC_CHECK(strstr(out, "info event=test.quoted daemon=testd call=\"an id with spaces\"\n"));
    CC_CHECK(strstr(out, "info event=test.after daemon=testd n=2\n") != NULL);
    CC_CHECK_STR(cc_log_call(), "");
}

static void s_log_nested(void)
{
    cc_log_init("testd", CC_LOG_INFO);
    cc_log_set_call("outer");
    cc_log_call_saved_t saved;
    cc_log_enter_call(&saved, "inner");
    cc_info("test.inner", NULL);
    cc_log_leave_call(&saved);
    cc_info("test.outer_again", NULL);
    cc_log_set_call(NULL);
}

CC_TEST(log_call_context_nests)
{
    setenv("JOURNAL_STREAM", "0:0", 1);
    const char *out = s_capture(s_log_nested);
    unsetenv("JOURNAL_STREAM");
    CC_CHECK(strstr(out, "event=test.inner daemon=testd call=inner\n") != NULL);
    CC_CHECK(strstr(out, "event=test.outer_again daemon=testd call=outer\n") != NULL);
}
