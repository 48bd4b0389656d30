/* ivr_say.c - numbers and digit strings -> prompt names. English reads by thousands
 * (million, thousand, hundred, tens, units); Mandarin by groups of four digits (yi, wan)
 * with its rules for zeros and for a leading ten. Pure. */
#include "ivr_say.h"

#include <stdbool.h>
#include <string.h>

static const char *const s_digit[10] = {"digit-0", "digit-1", "digit-2", "digit-3", "digit-4",
                                        "digit-5", "digit-6", "digit-7", "digit-8", "digit-9"};
static const char *const s_num[20] = {"num-0",  "num-1",  "num-2",  "num-3",  "num-4",
                                      "num-5",  "num-6",  "num-7",  "num-8",  "num-9",
                                      "num-10", "num-11", "num-12", "num-13", "num-14",
                                      "num-15", "num-16", "num-17", "num-18", "num-19"};
static const char *const s_tens[10] = {NULL,     NULL,     "num-20", "num-30", "num-40",
                                       "num-50", "num-60", "num-70", "num-80", "num-90"};

typedef struct {
    const char **names;
    size_t len, max;
} s_out_t;

static void s_put(s_out_t *out, const char *name)
{
    if (out->len < out->max)
        out->names[out->len++] = name;
}

static bool s_is_zh(const char *language)
{
    /* zh, zh-CN, ... and cmn (Mandarin's own code, the prompt directory's name) */
    return language && (strncmp(language, "zh", 2) == 0 || strncmp(language, "cmn", 3) == 0);
}

/* Value as a number 0..999999999, or -1 if it is not one. */
static long s_number(const char *value)
{
    if (!value || !*value)
        return -1;
    long n = 0;
    for (const char *p = value; *p; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        n = n * 10 + (*p - '0');
        if (n > 999999999L)
            return -1;
    }
    return n;
}

static void s_en_below_1000(s_out_t *out, int n)
{
    if (n >= 100) {
        s_put(out, s_num[n / 100]);
        s_put(out, "num-hundred");
        n %= 100;
    }
    if (n >= 20) {
        s_put(out, s_tens[n / 10]);
        n %= 10;
    }
    if (n > 0)
        s_put(out, s_num[n]);
}

static void s_en_number(s_out_t *out, long n)
{
    if (n == 0) {
        s_put(out, s_num[0]);
        return;
    }
    if (n >= 1000000) {
        s_en_below_1000(out, (int)(n / 1000000));
        s_put(out, "num-million");
    }
    if (n / 1000 % 1000) {
        s_en_below_1000(out, (int)(n / 1000 % 1000));
        s_put(out, "num-thousand");
    }
    s_en_below_1000(out, (int)(n % 1000));
}

/* One group of four digits. `leading`: the first group read (no zero before it, and
 * 10-19 is read "shi X" without "yi"). A zero is read once for any run of zeros that is
 * followed by a non-zero digit. */
static void s_zh_group(s_out_t *out, int group, bool leading)
{
    static const char *const units[4] = {"num-thousand", "num-hundred", "num-10", NULL};
    static const int scale[4] = {1000, 100, 10, 1};
    bool started = false, zero_pending = false;
    for (int pos = 0; pos < 4; pos++) {
        int digit = group / scale[pos] % 10;
        if (digit == 0) {
            if (started || !leading)
                zero_pending = true;
            continue;
        }
        if (zero_pending)
            s_put(out, s_num[0]);
        if (!(pos == 2 && digit == 1 && leading && !started))
            s_put(out, s_num[digit]);
        if (units[pos])
            s_put(out, units[pos]);
        started = true;
        zero_pending = false;
    }
}

static void s_zh_number(s_out_t *out, long n)
{
    if (n == 0) {
        s_put(out, s_num[0]);
        return;
    }
    int groups[3] = {(int)(n / 100000000), (int)(n / 10000 % 10000), (int)(n % 10000)};
    static const char *const units[3] = {"num-yi", "num-wan", NULL};
    bool leading = true;
    for (int i = 0; i < 3; i++) {
        if (groups[i] == 0)
            continue;
        s_zh_group(out, groups[i], leading);
        if (units[i])
            s_put(out, units[i]);
        leading = false;
    }
}

size_t ivr_say_prompts(ivr_say_mode_t mode, const char *language, const char *value,
                       const char **names, size_t max)
{
    s_out_t out = {names, 0, max};
    long n = mode == IVR_SAY_NUMBER ? s_number(value) : -1;
    if (n >= 0 && s_is_zh(language))
        s_zh_number(&out, n);
    else if (n >= 0)
        s_en_number(&out, n);
    else if (mode != IVR_SAY_NONE && value)
        for (const char *p = value; *p; p++)
            if (*p >= '0' && *p <= '9')
                s_put(&out, s_digit[*p - '0']);
    return out.len;
}

size_t ivr_say_required(ivr_say_mode_t mode, const char *language, const char **names, size_t max)
{
    s_out_t out = {names, 0, max};
    for (int d = 0; d < 10; d++)
        s_put(&out, s_digit[d]); /* number mode falls back to digits for odd values */
    if (mode != IVR_SAY_NUMBER)
        return out.len;
    if (s_is_zh(language)) {
        for (int i = 0; i <= 10; i++)
            s_put(&out, s_num[i]);
        s_put(&out, "num-wan");
        s_put(&out, "num-yi");
    } else {
        for (int i = 0; i < 20; i++)
            s_put(&out, s_num[i]);
        for (int i = 2; i < 10; i++)
            s_put(&out, s_tens[i]);
        s_put(&out, "num-million");
    }
    s_put(&out, "num-hundred");
    s_put(&out, "num-thousand");
    return out.len;
}
