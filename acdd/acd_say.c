/* acd_say.c - announcement prompt lists (see acd_say.h). English reads 0-99 as the tens
 * word then the units word and hundreds as "N hundred ..."; Mandarin as 十, 百 and 千 with
 * 零 for a gap, 一十 shortened to 十 at the start. */
#include "acd_say.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static int s_add(acd_say_t *out, const char *name)
{
    if (out->count >= ACD_SAY_MAX)
        return -1;
    snprintf(out->names[out->count++], ACD_SAY_NAME_MAX, "%s", name);
    return 0;
}

static int s_addn(acd_say_t *out, long n)
{
    char name[ACD_SAY_NAME_MAX];
    snprintf(name, sizeof name, "numbers/%ld", n);
    return s_add(out, name);
}

static int s_en_below_1000(acd_say_t *out, long n)
{
    int rc = 0;
    if (n >= 100) {
        rc |= s_addn(out, n / 100);
        rc |= s_add(out, "numbers/hundred");
        n %= 100;
        if (n == 0)
            return rc;
    }
    if (n < 20)
        return rc | s_addn(out, n);
    rc |= s_addn(out, n / 10 * 10);
    if (n % 10)
        rc |= s_addn(out, n % 10);
    return rc;
}

static int s_en(acd_say_t *out, long n)
{
    int rc = 0;
    if (n >= 1000) {
        rc |= s_en_below_1000(out, n / 1000);
        rc |= s_add(out, "numbers/thousand");
        n %= 1000;
        if (n == 0)
            return rc;
    }
    return rc | s_en_below_1000(out, n);
}

/* 0..9999 in Mandarin; `lead` is true when nothing was said before (一十 -> 十). */
static int s_cmn(acd_say_t *out, long n)
{
    static const char *const units[] = {"numbers/thousand", "numbers/hundred", "numbers/10", NULL};
    static const long div[] = {1000, 100, 10, 1};
    if (n == 0)
        return s_addn(out, 0);
    int rc = 0;
    bool said = false, gap = false;
    for (int i = 0; i < 4; i++) {
        long d = n / div[i] % 10;
        if (d == 0) {
            gap = said;
            continue;
        }
        if (gap)
            rc |= s_addn(out, 0);
        gap = false;
        if (!(i == 2 && d == 1 && !said))
            rc |= s_addn(out, d);
        if (units[i])
            rc |= s_add(out, units[i]);
        said = true;
    }
    return rc;
}

static bool s_is_cmn(const char *language)
{
    return language && (!strcmp(language, "cmn") || !strcmp(language, "zh"));
}

int acd_say_number(acd_say_t *out, const char *language, long n)
{
    if (n < 0 || n > 999999)
        return -1;
    if (s_is_cmn(language)) {
        if (n > 9999) { /* wan */
            int rc = s_cmn(out, n / 10000) | s_add(out, "numbers/wan");
            return n % 10000 ? rc | s_cmn(out, n % 10000) : rc;
        }
        return s_cmn(out, n);
    }
    return s_en(out, n);
}

int acd_say_announcement(acd_say_t *out, const char *language, int position, int expected_wait_s)
{
    out->count = 0;
    if (position < 1)
        return -1;
    int rc = s_add(out, "queue/you_are_number");
    rc |= acd_say_number(out, language, position);
    rc |= s_add(out, "queue/in_queue");
    if (expected_wait_s >= 0) {
        long minutes = (expected_wait_s + 59) / 60;
        if (minutes < 1)
            minutes = 1;
        rc |= s_add(out, "queue/expected_wait");
        rc |= acd_say_number(out, language, minutes);
        rc |= s_add(out, minutes == 1 && !s_is_cmn(language) ? "queue/minute" : "queue/minutes");
    }
    return rc ? -1 : 0;
}

int acd_say_key(acd_say_t *out, char key)
{
    char name[ACD_SAY_NAME_MAX];
    if (key >= '0' && key <= '9')
        snprintf(name, sizeof name, "digits/%c", key);
    else if (key == '*' || key == '#')
        snprintf(name, sizeof name, "digits/%s", key == '*' ? "star" : "hash");
    else
        return -1;
    return s_add(out, name);
}
