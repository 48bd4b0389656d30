/* ccctl_args_test.c - command-line parsing and ccctl's own value checks. */
#include "cc_test.h"
#include "ccctl_args.h"

static const ccctl_opt_t s_opts[] = {{"--password", true}, {"--name", true}, {"--json", false}};

CC_TEST(args_take_options_in_both_forms_and_positionals)
{
    char *argv[] = {"1001", "--password", "secret-pw", "--name=Ann Smith", "--json"};
    ccctl_args_t a;
    char err[128] = "";
    CC_CHECK_INT(ccctl_args_parse(&a, 5, argv, s_opts, 3, 1, 1, "EXT", err, sizeof err), 0);
    CC_CHECK_INT(a.npos, 1);
    CC_CHECK_STR(a.pos[0], "1001");
    CC_CHECK_STR(ccctl_arg(&a, "--password"), "secret-pw");
    CC_CHECK_STR(ccctl_arg(&a, "--name"), "Ann Smith");
    CC_CHECK(ccctl_flag(&a, "--json"));
}

CC_TEST(args_name_what_is_wrong)
{
    ccctl_args_t a;
    char err[128];
    char *unknown[] = {"1001", "--pasword", "x"};
    CC_CHECK_INT(ccctl_args_parse(&a, 3, unknown, s_opts, 3, 1, 1, "EXT", err, sizeof err), -1);
    CC_CHECK_STR(err, "unknown option --pasword");
    char *novalue[] = {"1001", "--password"};
    CC_CHECK_INT(ccctl_args_parse(&a, 2, novalue, s_opts, 3, 1, 1, "EXT", err, sizeof err), -1);
    CC_CHECK_STR(err, "missing value for --password");
    char *twice[] = {"--name", "a", "--name", "b", "1001"};
    CC_CHECK_INT(ccctl_args_parse(&a, 5, twice, s_opts, 3, 1, 1, "EXT", err, sizeof err), -1);
    CC_CHECK_STR(err, "option --name given twice");
    char *extra[] = {"1001", "1002"};
    CC_CHECK_INT(ccctl_args_parse(&a, 2, extra, s_opts, 3, 1, 1, "EXT", err, sizeof err), -1);
    CC_CHECK_STR(err, "unexpected argument '1002'");
    char *flagval[] = {"--json=yes"};
    CC_CHECK_INT(ccctl_args_parse(&a, 1, flagval, s_opts, 3, 0, 0, "", err, sizeof err), -1);
    CC_CHECK_STR(err, "option --json takes no value");
}

CC_TEST(args_name_the_missing_positional)
{
    ccctl_args_t a;
    char err[128];
    char *one[] = {"1XXX"};
    CC_CHECK_INT(ccctl_args_parse(&a, 1, one, NULL, 0, 2, 2, "PATTERN TARGET", err, sizeof err),
                 -1);
    CC_CHECK_STR(err, "missing TARGET");
    CC_CHECK_INT(ccctl_args_parse(&a, 0, one, NULL, 0, 2, 2, "PATTERN TARGET", err, sizeof err),
                 -1);
    CC_CHECK_STR(err, "missing PATTERN");
}

CC_TEST(args_double_dash_and_lone_dash_are_values)
{
    ccctl_args_t a;
    char err[128];
    char *argv[] = {"--password", "-", "--", "--name"};
    CC_CHECK_INT(ccctl_args_parse(&a, 4, argv, s_opts, 3, 1, 1, "X", err, sizeof err), 0);
    CC_CHECK_STR(ccctl_arg(&a, "--password"), "-");
    CC_CHECK_STR(a.pos[0], "--name");
    CC_CHECK(ccctl_arg(&a, "--name") == NULL);
}

CC_TEST(parse_long_takes_whole_numbers_in_range)
{
    long v = -1;
    CC_CHECK_INT(ccctl_parse_long("20", 1, 100, &v), 0);
    CC_CHECK_INT(v, 20);
    CC_CHECK_INT(ccctl_parse_long("0", 1, 100, &v), -1);
    CC_CHECK_INT(ccctl_parse_long("101", 1, 100, &v), -1);
    CC_CHECK_INT(ccctl_parse_long("5x", 1, 100, &v), -1);
    CC_CHECK_INT(ccctl_parse_long("", 1, 100, &v), -1);
    CC_CHECK_INT(ccctl_parse_long(" 5", 1, 100, &v), -1);
    CC_CHECK_INT(ccctl_parse_long("99999999999999999999", 1, 100, &v), -1);
}

CC_TEST(password_rules)
{
    char err[128];
    CC_CHECK_INT(ccctl_password_check("", err, sizeof err), -1);
    CC_CHECK_STR(err, "empty password");
    CC_CHECK_INT(ccctl_password_check("1234567", err, sizeof err), -1);
    CC_CHECK_STR(err, "password too short: 7 characters, at least 8 needed");
    CC_CHECK_INT(ccctl_password_check("tab\there!", err, sizeof err), -1);
    CC_CHECK_INT(ccctl_password_check("12345678", err, sizeof err), 0);
    CC_CHECK_INT(ccctl_password_check("Circle Of Life", err, sizeof err), 0);
}

CC_TEST(name_rules)
{
    char err[128], long_name[120];
    memset(long_name, 'x', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    CC_CHECK_INT(ccctl_name_check("", err, sizeof err), 0);
    CC_CHECK_INT(ccctl_name_check("Agent 1001 (Zoë)", err, sizeof err), 0);
    CC_CHECK_INT(ccctl_name_check("two\nlines", err, sizeof err), -1);
    CC_CHECK_INT(ccctl_name_check(long_name, err, sizeof err), -1);
}

CC_TEST(hostport_forms)
{
    char host[64], err[128];
    int port = 0;
    CC_CHECK_INT(
        ccctl_hostport_parse("sip.example.com", 5060, host, sizeof host, &port, err, sizeof err),
        0);
    CC_CHECK_STR(host, "sip.example.com");
    CC_CHECK_INT(port, 5060);
    CC_CHECK_INT(
        ccctl_hostport_parse("10.0.0.1:5080", 5060, host, sizeof host, &port, err, sizeof err), 0);
    CC_CHECK_STR(host, "10.0.0.1");
    CC_CHECK_INT(port, 5080);
    CC_CHECK_INT(
        ccctl_hostport_parse("[2001:db8::1]:5062", 5060, host, sizeof host, &port, err, sizeof err),
        0);
    CC_CHECK_STR(host, "2001:db8::1");
    CC_CHECK_INT(port, 5062);
    CC_CHECK_INT(ccctl_hostport_parse("host:0", 5060, host, sizeof host, &port, err, sizeof err),
                 -1);
    CC_CHECK_INT(
        ccctl_hostport_parse("host:70000", 5060, host, sizeof host, &port, err, sizeof err), -1);
    CC_CHECK_INT(ccctl_hostport_parse(":5060", 5060, host, sizeof host, &port, err, sizeof err),
                 -1);
    CC_CHECK_INT(ccctl_hostport_parse("bad host", 5060, host, sizeof host, &port, err, sizeof err),
                 -1);
    CC_CHECK_INT(ccctl_hostport_parse("[::1", 5060, host, sizeof host, &port, err, sizeof err), -1);
    CC_CHECK_INT(ccctl_hostport_parse("[::1]x", 5060, host, sizeof host, &port, err, sizeof err),
                 -1);
}

CC_TEST(number_rules)
{
    char err[128];
    CC_CHECK_INT(ccctl_number_check("+4930123#*", false, err, sizeof err), 0);
    CC_CHECK_INT(ccctl_number_check("", false, err, sizeof err), -1);
    CC_CHECK_INT(ccctl_number_check("", true, err, sizeof err), 0);
    CC_CHECK_INT(ccctl_number_check("12a", false, err, sizeof err), -1);
    CC_CHECK_STR(err, "'12a': bad character 'a' (only 0-9 * # + allowed)");
}
