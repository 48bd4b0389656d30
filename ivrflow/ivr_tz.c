/* ivr_tz.c - UTC -> local time in a named zone via the C library's tz database support:
 * set TZ, tzset, localtime_r, put TZ back, all under one mutex. Isolated here because it is
 * the only part of the IVR core that touches process state and the file system. */
#include "ivr_tz.h"

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static pthread_mutex_t s_lock = PTHREAD_MUTEX_INITIALIZER;

bool ivr_tz_name_valid(const char *zone)
{
    size_t len = zone ? strlen(zone) : 0;
    if (len == 0 || len > 64 || zone[0] == '/' || zone[0] == '-' || strstr(zone, ".."))
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = zone[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '/' || c == '_' || c == '-' || c == '+';
        if (!ok)
            return false;
    }
    return true;
}

bool ivr_tz_exists(const char *zone)
{
    if (!ivr_tz_name_valid(zone))
        return false;
    const char *dir = getenv("TZDIR");
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", zone);
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int ivr_tz_to_local(const char *zone, int64_t utc_ms, ivr_local_t *out)
{
    if (!ivr_tz_exists(zone)) /* the C library would quietly fall back to UTC */
        return -1;
    /* Floor division, so instants before 1970 still land in the right second. */
    time_t secs = (time_t)(utc_ms >= 0 ? utc_ms / 1000 : -((-utc_ms + 999) / 1000));
    struct tm tm;
    char zone_spec[80];
    snprintf(zone_spec, sizeof zone_spec, ":%s", zone);

    pthread_mutex_lock(&s_lock);
    const char *old = getenv("TZ");
    char *saved = old ? strdup(old) : NULL;
    int rc = -1;
    if (setenv("TZ", zone_spec, 1) == 0) {
        tzset();
        rc = localtime_r(&secs, &tm) ? 0 : -1;
    }
    if (saved)
        setenv("TZ", saved, 1);
    else
        unsetenv("TZ");
    tzset();
    pthread_mutex_unlock(&s_lock);
    free(saved);

    if (rc < 0)
        return -1;
    out->year = tm.tm_year + 1900;
    out->month = tm.tm_mon + 1;
    out->day = tm.tm_mday;
    out->weekday = (tm.tm_wday + 6) % 7; /* tm: 0 = Sunday; here 0 = Monday */
    out->hour = tm.tm_hour;
    out->minute = tm.tm_min;
    out->second = tm.tm_sec;
    return 0;
}
