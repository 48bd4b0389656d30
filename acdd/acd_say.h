/* acd_say.h - the prompt names of a queue announcement ("you are number 3, your expected
 * wait is about 4 minutes") from the pieces deploy/prompts/generate.sh makes, in English
 * or Mandarin. Pure: names only, mediad plays them. */
#ifndef ACD_SAY_H
#define ACD_SAY_H

#include <stddef.h>

#define ACD_SAY_MAX 24 /* names in one announcement */
#define ACD_SAY_NAME_MAX 40

typedef struct {
    char names[ACD_SAY_MAX][ACD_SAY_NAME_MAX];
    size_t count;
} acd_say_t;

/* Append the names reading n (0..999999) as a number in `language` ("en", "cmn"/"zh";
 * anything else reads as English). 0 or -1 (out of range, list full). */
int acd_say_number(acd_say_t *out, const char *language, long n);

/* The whole announcement: position (>= 1), then the expected wait when expected_wait_s
 * >= 0, in whole minutes rounded up (at least 1). 0 or -1. */
int acd_say_announcement(acd_say_t *out, const char *language, int position, int expected_wait_s);

/* Append the name reading one key: digits/0-9, digits/star, digits/hash. 0 or -1 (not a
 * key, list full). */
int acd_say_key(acd_say_t *out, char key);

#endif
