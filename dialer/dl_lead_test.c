/* dl_lead_test.c - judging lead lists: good lists, every bad line named with its reason. */
#include "cc_test.h"
#include "dl_lead.h"

static bool s_zone_ok(const char *zone)
{
    return !strcmp(zone, "Europe/Paris") || !strcmp(zone, "America/New_York") ||
           !strcmp(zone, "UTC");
}

static dl_import_t *s_judge(const char *text)
{
    return dl_import_judge(text, strlen(text), s_zone_ok);
}

CC_TEST(dl_number_normalise_strips_separators)
{
    char out[DL_NUMBER_MAX], err[128];
    CC_CHECK_INT(dl_number_normalise("+33 1 23-45.67", out, sizeof out, err, sizeof err), 0);
    CC_CHECK_STR(out, "+331234567");
    CC_CHECK_INT(dl_number_normalise("(555) 0100", out, sizeof out, err, sizeof err), 0);
    CC_CHECK_STR(out, "5550100");
    CC_CHECK_INT(dl_number_normalise("55a5", out, sizeof out, err, sizeof err), -1);
    CC_CHECK(strstr(err, "only digits"));
    CC_CHECK_INT(dl_number_normalise("12", out, sizeof out, err, sizeof err), -1);
    CC_CHECK_INT(dl_number_normalise("", out, sizeof out, err, sizeof err), -1);
    CC_CHECK(strstr(err, "no digits"));
    CC_CHECK_INT(dl_number_normalise("123456789012345678901", out, sizeof out, err, sizeof err),
                 -1);
    CC_CHECK_INT(dl_number_normalise("1+2", out, sizeof out, err, sizeof err), -1);
}

CC_TEST(dl_import_good_list_keeps_order_zone_and_extra_fields)
{
    dl_import_t *im = s_judge("Number,Name,time_zone,account,\"note, long\"\n"
                              "+1 212 555 0100,\"Doe, Jane\",America/New_York,A-1,\"x\"\"y\"\n"
                              "0612345678,Jean,,A-2,\n");
    CC_CHECK(im);
    CC_CHECK_INT(im->nerrors, 0);
    CC_CHECK_INT(im->nrows, 2);
    CC_CHECK_STR(im->rows[0].number, "+12125550100");
    CC_CHECK_STR(im->rows[0].name, "Doe, Jane");
    CC_CHECK_STR(im->rows[0].zone, "America/New_York");
    CC_CHECK_INT(im->rows[0].line, 2);
    CC_CHECK_STR(json_string_value(json_object_get(im->rows[0].fields, "account")), "A-1");
    CC_CHECK_STR(json_string_value(json_object_get(im->rows[0].fields, "note, long")), "x\"y");
    CC_CHECK(im->rows[1].zone == NULL);
    CC_CHECK_INT(json_object_size(im->rows[1].fields), 2);
    dl_import_destroy(&im);
    CC_CHECK(im == NULL);
}

CC_TEST(dl_import_refuses_whole_list_naming_every_bad_line)
{
    dl_import_t *im = s_judge("number,name,tz\n"
                              "5550100,Ann,UTC\n"         /* 2 good */
                              "55x0101,Bob,UTC\n"         /* 3 bad number */
                              "5550102,Cy,Mars/Olympus\n" /* 4 bad zone */
                              "5550100,Ann again,UTC\n"   /* 5 duplicate of 2 */
                              "5550103,Dee\n"             /* 6 column count */
                              "5550104,\"Eve\n"           /* 7-8: never closed */
                              "more\n");
    CC_CHECK(im);
    CC_CHECK_INT(im->nrows, 0);
    CC_CHECK_INT(im->nerrors, 5);
    CC_CHECK_INT(im->errors[0].line, 3);
    CC_CHECK(strstr(im->errors[0].reason, "bad number '55x0101'"));
    CC_CHECK_INT(im->errors[1].line, 4);
    CC_CHECK(strstr(im->errors[1].reason, "bad time zone 'Mars/Olympus'"));
    CC_CHECK_INT(im->errors[2].line, 5);
    CC_CHECK(strstr(im->errors[2].reason, "duplicate: number 5550100 is already on line 2"));
    CC_CHECK_INT(im->errors[3].line, 6);
    CC_CHECK(strstr(im->errors[3].reason, "wrong column count: 2 fields, the header has 3"));
    CC_CHECK_INT(im->errors[4].line, 7);
    CC_CHECK(strstr(im->errors[4].reason, "never closed"));
    dl_import_destroy(&im);
}

CC_TEST(dl_import_header_problems)
{
    dl_import_t *im = s_judge("name,zone\nAnn,UTC\n");
    CC_CHECK(im);
    CC_CHECK_INT(im->nerrors, 1);
    CC_CHECK_INT(im->errors[0].line, 1);
    CC_CHECK(strstr(im->errors[0].reason, "no 'number' column"));
    dl_import_destroy(&im);
    im = s_judge("number,phone\n1234,5678\n");
    CC_CHECK(im);
    CC_CHECK_INT(im->nerrors, 1);
    CC_CHECK(strstr(im->errors[0].reason, "given twice"));
    dl_import_destroy(&im);
    im = s_judge("number\n");
    CC_CHECK(im);
    CC_CHECK_INT(im->nerrors, 1);
    CC_CHECK(strstr(im->errors[0].reason, "no leads"));
    dl_import_destroy(&im);
    im = s_judge("");
    CC_CHECK(im);
    CC_CHECK_INT(im->nerrors, 1);
    dl_import_destroy(&im);
}
