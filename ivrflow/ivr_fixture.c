/* ivr_fixture.c - the shared helpers of the IVR unit tests (see ivr_fixture.h). Holds no
 * test itself and is never linked into a program. */
#include "ivr_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cc_date.h"
#include "ivr_tz.h"

bool ivr_fx_prompt_exists(const char *name, const char *language, void *ctx)
{
    (void)ctx;
    return strncmp(name, "missing", 7) != 0 && strcmp(language, "xx") != 0;
}

bool ivr_fx_zone_exists(const char *zone, void *ctx)
{
    (void)ctx;
    return ivr_tz_name_valid(zone) && strcmp(zone, "Mars/Olympus") != 0;
}

int64_t ivr_fx_utc(int year, int month, int day, int hour, int minute, int second)
{
    int64_t days = cc_days_from_civil(year, month, day);
    return ((days * 24 + hour) * 60 + minute) * 60000 + (int64_t)second * 1000;
}

int ivr_fx_to_local(const char *zone, int64_t utc_ms, ivr_local_t *out)
{
    int64_t offset_ms;
    if (strcmp(zone, "UTC") == 0)
        offset_ms = 0;
    else if (strcmp(zone, "Test/Plus2") == 0)
        offset_ms = 2 * 3600000;
    else
        return -1;
    int64_t secs = (utc_ms + offset_ms) / 1000;
    int64_t days = secs / 86400, rem = secs % 86400;
    /* civil_from_days */
    int64_t z = days + 719468, era = z / 146097, doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
    out->day = (int)(doy - (153 * mp + 2) / 5 + 1);
    out->month = (int)(mp < 10 ? mp + 3 : mp - 9);
    out->year = (int)(yoe + era * 400 + (out->month <= 2));
    out->weekday = (int)((days + 3) % 7); /* 1970-01-01 was a Thursday (3) */
    out->hour = (int)(rem / 3600);
    out->minute = (int)(rem / 60 % 60);
    out->second = (int)(rem % 60);
    return 0;
}

const ivr_flow_env_t *ivr_fx_env(void)
{
    static const ivr_flow_env_t env = {
        .prompt_exists = ivr_fx_prompt_exists, .zone_exists = ivr_fx_zone_exists, .version = 7};
    return &env;
}

ivr_flow_t *ivr_fx_flow(const char *json)
{
    ivr_flow_errors_t errors;
    ivr_flow_t *flow = ivr_flow_parse(json, ivr_fx_env(), &errors);
    if (!flow) {
        char text[4096];
        ivr_flow_errors_format(&errors, text, sizeof text);
        fprintf(stderr, "flow refused:\n%s", text);
    }
    return flow;
}

char *ivr_fx_read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *text = NULL;
    size_t len = 0, cap = 0, n;
    char chunk[4096];
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (len + n + 1 > cap) {
            cap = (len + n + 1) * 2;
            char *grown = realloc(text, cap);
            if (!grown)
                break;
            text = grown;
        }
        memcpy(text + len, chunk, n);
        len += n;
    }
    fclose(f);
    if (text)
        text[len] = '\0';
    return text;
}
