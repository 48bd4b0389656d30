/* dl_campaign_test.c - a new campaign's settings: defaults, normalised values, the array
 * parameters of the insert, and a refusal naming the setting for each kind of bad value. */
#include "cc_test.h"
#include "dl_campaign.h"

static bool s_zone_ok(const char *zone)
{
    return !strcmp(zone, "Europe/Paris") || !strcmp(zone, "UTC");
}

static dl_campaign_spec_t s_spec(void)
{
    return (dl_campaign_spec_t){.name = "renewals", .queue = "sales", .caller_id = "+1 212 555"};
}

CC_TEST(dl_campaign_defaults_fill_every_parameter)
{
    dl_campaign_spec_t spec = s_spec();
    dl_campaign_row_t row;
    dl_campaign_error_t err;
    CC_CHECK_INT(dl_campaign_check(&spec, s_zone_ok, &row, &err), 0);
    const char *want[DL_CAMPAIGN_NPARAMS] = {
        "renewals",
        "progressive",
        "sales",
        "+1212555",
        NULL,
        "{\"mon-sat 09:00-20:00\"}",
        "UTC",
        "lead",
        "3.00",
        "20",
        "5",
        "4.00",
        "dialer/abandoned",
        "false",
        "hangup",
        "dialer/machine",
        "{\"busy\",\"no_answer\",\"machine\",\"abandoned\",\"failed\"}",
        "{\"600\",\"3600\",\"7200\",\"259200\",\"1800\"}",
        "{\"5\",\"5\",\"3\",\"3\",\"3\"}",
        "{}",
        "{}",
        "{}",
        "{}"};
    for (int i = 0; i < DL_CAMPAIGN_NPARAMS; i++) {
        if (!want[i])
            CC_CHECK(row.params[i] == NULL);
        else
            CC_CHECK_STR(row.params[i], want[i]);
    }
}

CC_TEST(dl_campaign_takes_lists_and_quotes_labels)
{
    dl_campaign_spec_t spec = s_spec();
    spec.mode = "predictive";
    spec.trunk = "carrier";
    spec.time_zone = "Europe/Paris";
    spec.abandon_cap = "2.5";
    spec.amd = "message";
    spec.hours[0] = "mon-fri 09:00-12:00";
    spec.hours[1] = "mon-fri 14:00-18:00";
    spec.nhours = 2;
    spec.retries[0] = "busy:60:2";
    spec.nretries = 1;
    spec.dispositions[0] = "sale:Sale \"closed\", paid";
    spec.dispositions[1] = "stop:Asked not to be called:dnc";
    spec.dispositions[2] = "law:Regulator list:dnc_global";
    spec.ndispositions = 3;
    dl_campaign_row_t row;
    dl_campaign_error_t err;
    CC_CHECK_INT(dl_campaign_check(&spec, s_zone_ok, &row, &err), 0);
    CC_CHECK_STR(row.params[5], "{\"mon-fri 09:00-12:00\",\"mon-fri 14:00-18:00\"}");
    CC_CHECK_STR(row.params[8], "2.50");
    CC_CHECK_STR(row.params[13], "true");
    CC_CHECK_STR(row.params[14], "message");
    CC_CHECK_STR(row.params[17], "{\"60\",\"3600\",\"7200\",\"259200\",\"1800\"}");
    CC_CHECK_STR(row.params[18], "{\"2\",\"5\",\"3\",\"3\",\"3\"}");
    CC_CHECK_STR(row.params[19], "{\"sale\",\"stop\",\"law\"}");
    CC_CHECK_STR(row.params[20], "{\"Sale \\\"closed\\\", paid\",\"Asked not to be called\","
                                 "\"Regulator list\"}");
    CC_CHECK_STR(row.params[21], "{\"f\",\"t\",\"t\"}");
    CC_CHECK_STR(row.params[22], "{\"f\",\"f\",\"t\"}");
}

static void s_refused(dl_campaign_spec_t spec, const char *field, const char *text)
{
    dl_campaign_row_t row;
    dl_campaign_error_t err;
    CC_CHECK_INT(dl_campaign_check(&spec, s_zone_ok, &row, &err), -1);
    CC_CHECK_STR(err.field, field);
    char out[400];
    dl_campaign_error_text(&err, "--", '-', out, sizeof out);
    if (!strstr(out, text))
        fprintf(stderr, "    refusal '%s' does not hold '%s'\n", out, text);
    CC_CHECK(strstr(out, text));
}

CC_TEST(dl_campaign_refusals_name_the_setting)
{
    dl_campaign_spec_t s = s_spec();
    s.name = NULL;
    s_refused(s, "name", "--name is required");
    s = s_spec();
    s.caller_id = "";
    s_refused(s, "caller_id", "--caller-id is required");
    s = s_spec();
    s.name = "bad name";
    s_refused(s, "name", "bad --name 'bad name'");
    s = s_spec();
    s.caller_id = "12a";
    s_refused(s, "caller_id", "bad --caller-id '12a'");
    s = s_spec();
    s.mode = "auto";
    s_refused(s, "mode", "bad --mode 'auto': preview, progressive or predictive");
    s = s_spec();
    s.hours[0] = "fry 09:00-10:00";
    s.nhours = 1;
    s_refused(s, "hours", "bad --hours 'fry 09:00-10:00'");
    s = s_spec();
    s.hours[0] = "mon 09:00-10:00,tue 09:00-10:00";
    s.nhours = 1;
    s_refused(s, "hours", "one rule per entry");
    s = s_spec();
    s.ring = "10";
    s_refused(s, "ring", "bad --ring '10': a whole number 15-120");
    s = s_spec();
    s.abandon_cap = "nan";
    s_refused(s, "abandon_cap", "bad --abandon-cap 'nan'");
    s = s_spec();
    s.max_ratio = "0.5";
    s_refused(s, "max_ratio", "bad --max-ratio '0.5'");
    s = s_spec();
    s.retries[0] = "busy:5";
    s.nretries = 1;
    s_refused(s, "retries", "bad --retries 'busy:5'");
    s = s_spec();
    s.retries[0] = "lunch:5:5";
    s.nretries = 1;
    s_refused(s, "retries", "OUTCOME one of");
    s = s_spec();
    s.time_zone = "Mars/Base";
    s_refused(s, "time_zone", "bad --time-zone 'Mars/Base'");
    s = s_spec();
    s.dispositions[0] = "sale";
    s.ndispositions = 1;
    s_refused(s, "dispositions", "CODE:LABEL");
    s.dispositions[0] = "sale:Sale";
    s.dispositions[1] = "sale:Sold again";
    s.ndispositions = 2;
    s_refused(s, "dispositions", "the code 'sale' is given twice");
    s = s_spec();
    s.dispositions[0] = "sale:line\nbreak";
    s.ndispositions = 1;
    s_refused(s, "dispositions", "LABEL 1-80 characters");
    s = s_spec();
    s.amd = "shout";
    s_refused(s, "amd", "bad --amd 'shout'");
    s = s_spec();
    s.abandon_prompt = "../etc/passwd";
    s_refused(s, "abandon_prompt", "a prompt name");
    s = s_spec();
    s.nhours = 15;
    for (int i = 0; i < 15; i++)
        s.hours[i] = "mon 09:00-10:00";
    s_refused(s, "hours", "at most 14 rules");
}

CC_TEST(dl_campaign_off_means_no_detection)
{
    dl_campaign_spec_t spec = s_spec();
    spec.amd = "off";
    dl_campaign_row_t row;
    dl_campaign_error_t err;
    CC_CHECK_INT(dl_campaign_check(&spec, s_zone_ok, &row, &err), 0);
    CC_CHECK_STR(row.params[13], "false");
    /* the web API names fields as its JSON does */
    dl_campaign_error_t e = {.field = "caller_id", .value = "x", .reason = "why"};
    char out[128];
    dl_campaign_error_text(&e, "", '_', out, sizeof out);
    CC_CHECK_STR(out, "bad caller_id 'x': why");
}
