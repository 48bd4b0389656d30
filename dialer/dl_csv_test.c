/* dl_csv_test.c - RFC 4180 reading: quoting, line breaks in fields, line numbers, errors. */
#include "cc_test.h"
#include "dl_csv.h"

static int s_next(dl_csv_t *r)
{
    char err[128];
    return dl_csv_next(r, err, sizeof err);
}

CC_TEST(dl_csv_plain_records_and_crlf)
{
    const char *t = "number,name\r\n555,Ann\r\n556,Bob\n";
    dl_csv_t r;
    dl_csv_init(&r, t, strlen(t));
    CC_CHECK_INT(s_next(&r), 1);
    CC_CHECK_INT(r.nfields, 2);
    CC_CHECK_STR(r.fields[0], "number");
    CC_CHECK_INT(s_next(&r), 1);
    CC_CHECK_STR(r.fields[1], "Ann");
    CC_CHECK_INT(r.record_line, 2);
    CC_CHECK_INT(s_next(&r), 1);
    CC_CHECK_STR(r.fields[0], "556");
    CC_CHECK_INT(r.record_line, 3);
    CC_CHECK_INT(s_next(&r), 0);
    dl_csv_clear(&r);
}

CC_TEST(dl_csv_quoted_fields_hold_commas_quotes_and_line_breaks)
{
    const char *t = "a,b,c\n\"x, y\",\"say \"\"hi\"\"\",\"two\r\nlines\"\n\"\",last,\n";
    dl_csv_t r;
    dl_csv_init(&r, t, strlen(t));
    CC_CHECK_INT(s_next(&r), 1);
    CC_CHECK_INT(s_next(&r), 1);
    CC_CHECK_INT(r.nfields, 3);
    CC_CHECK_STR(r.fields[0], "x, y");
    CC_CHECK_STR(r.fields[1], "say \"hi\"");
    CC_CHECK_STR(r.fields[2], "two\r\nlines");
    CC_CHECK_INT(r.record_line, 2);
    CC_CHECK_INT(s_next(&r), 1);
    CC_CHECK_INT(r.record_line, 4); /* the quoted line break counted */
    CC_CHECK_INT(r.nfields, 3);
    CC_CHECK_STR(r.fields[0], "");
    CC_CHECK_STR(r.fields[2], "");
    CC_CHECK_INT(s_next(&r), 0);
    dl_csv_clear(&r);
}

CC_TEST(dl_csv_last_record_without_line_end_and_blank_lines_skipped)
{
    const char *t = "\xEF\xBB\xBFh\n\n\n1\n\n2";
    dl_csv_t r;
    dl_csv_init(&r, t, strlen(t));
    CC_CHECK_INT(s_next(&r), 1);
    CC_CHECK_STR(r.fields[0], "h"); /* byte-order mark dropped */
    CC_CHECK_INT(s_next(&r), 1);
    CC_CHECK_INT(r.record_line, 4);
    CC_CHECK_INT(s_next(&r), 1);
    CC_CHECK_STR(r.fields[0], "2");
    CC_CHECK_INT(r.record_line, 6);
    CC_CHECK_INT(s_next(&r), 0);
    dl_csv_clear(&r);
}

CC_TEST(dl_csv_errors_name_the_line_and_reading_goes_on)
{
    const char *t = "h,i\nab\"c,1\n\"x\"y,2\nok,3\n\"open,4\nmore\n";
    dl_csv_t r;
    char err[128];
    dl_csv_init(&r, t, strlen(t));
    CC_CHECK_INT(s_next(&r), 1);
    CC_CHECK_INT(dl_csv_next(&r, err, sizeof err), -1);
    CC_CHECK_INT(r.record_line, 2);
    CC_CHECK(strstr(err, "quote inside an unquoted field"));
    CC_CHECK_INT(dl_csv_next(&r, err, sizeof err), -1);
    CC_CHECK_INT(r.record_line, 3);
    CC_CHECK(strstr(err, "after a closing quote"));
    CC_CHECK_INT(s_next(&r), 1);
    CC_CHECK_STR(r.fields[0], "ok");
    CC_CHECK_INT(r.record_line, 4);
    CC_CHECK_INT(dl_csv_next(&r, err, sizeof err), -1);
    CC_CHECK_INT(r.record_line, 5);
    CC_CHECK(strstr(err, "opened on line 5 is never closed"));
    CC_CHECK_INT(s_next(&r), 0);
    dl_csv_clear(&r);
}
