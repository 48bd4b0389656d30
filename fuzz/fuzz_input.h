/* fuzz_input.h - what every libFuzzer target here does before its parser sees the input:
 * silence the logger once (the parsers log what they refuse, millions of times) and turn
 * the bytes into a NUL-terminated string, as the text parsers expect. */
#ifndef FUZZ_INPUT_H
#define FUZZ_INPUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cc_log.h"

/* Once per process: log nothing, not even errors. */
static inline void fuzz_quiet(void)
{
    static bool done;
    if (!done) {
        cc_log_init("fuzz", (cc_log_level_t)(CC_LOG_ERROR + 1));
        done = true;
    }
}

/* A malloc'd NUL-terminated copy of the input (NULL when out of memory); free() it. */
static inline char *fuzz_text(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (text) {
        memcpy(text, data, size);
        text[size] = '\0';
    }
    return text;
}

#endif
