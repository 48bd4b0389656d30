/* ivr_say.h - reading a value out loud as a list of prompt names: digit by digit
 * ("digit-4" "digit-2") or as a number in the flow's language ("num-40" "num-2" in English,
 * "num-4" "num-10" "num-2" in Mandarin). Pure: names only, the prompt files are mediad's. */
#ifndef IVR_SAY_H
#define IVR_SAY_H

#include <stddef.h>

typedef enum {
    IVR_SAY_NONE = 0,
    IVR_SAY_DIGITS,
    IVR_SAY_NUMBER
} ivr_say_mode_t;

#define IVR_SAY_MAX 40 /* most prompt names one value can produce */

/* Fills names[] (static strings) and returns how many, at most `max`. Digits mode reads
 * 0-9 and skips anything else. Number mode reads 0..999999999 (leading zeros ignored); a
 * value that is not such a number is read digit by digit instead. Languages: "zh..." and
 * "cmn" read Mandarin; anything else English. */
size_t ivr_say_prompts(ivr_say_mode_t mode, const char *language, const char *value,
                       const char **names, size_t max);

/* Every prompt name the mode can produce in the language, so a flow using it can be
 * checked against the installed prompts. Returns how many (at most `max`). */
size_t ivr_say_required(ivr_say_mode_t mode, const char *language, const char **names, size_t max);

#endif
