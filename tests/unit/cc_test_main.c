/* cc_test_main.c - the main() of every <dir>-unit binary (see common/cc_test.h): keeps the
 * registry CC_TEST fills before main, runs all or the named tests in-process and prints
 * one line per test and a summary. It owns no test; a crash ends the run. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cc_test.h"

typedef struct {
    const char *name;
    cc_test_fn *fn;
    const char *file;
} s_test_t;

static s_test_t *s_tests;
static size_t s_count, s_cap;
static const char *s_current;
static bool s_current_failed;

void cc_test_register(const char *name, cc_test_fn *fn, const char *file)
{
    if (s_count == s_cap) {
        size_t cap = s_cap ? s_cap * 2 : 64;
        s_test_t *grown = realloc(s_tests, cap * sizeof *grown);
        if (!grown) {
            fprintf(stderr, "cc_test: out of memory registering %s\n", name);
            exit(1);
        }
        s_tests = grown;
        s_cap = cap;
    }
    s_tests[s_count++] = (s_test_t){name, fn, file};
}

void cc_test_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    s_current_failed = true;
    printf("FAIL %s: %s:%d: ", s_current ? s_current : "?", file, line);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
}

bool cc_test_current_failed(void)
{
    return s_current_failed;
}

static bool s_run(const s_test_t *t)
{
    s_current = t->name;
    s_current_failed = false;
    t->fn();
    if (!s_current_failed)
        printf("ok %s\n", t->name);
    fflush(stdout);
    s_current = NULL;
    return !s_current_failed;
}

int main(int argc, char **argv)
{
    int passed = 0, failed = 0;

    if (argc == 2 && strcmp(argv[1], "--list") == 0) {
        for (size_t i = 0; i < s_count; i++)
            printf("%s\n", s_tests[i].name);
        free(s_tests);
        return 0;
    }
    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("usage: %s [--list] [TEST...]\n", argv[0]);
        free(s_tests);
        return 0;
    }

    if (argc < 2) {
        for (size_t i = 0; i < s_count; i++)
            s_run(&s_tests[i]) ? passed++ : failed++;
    } else {
        for (int a = 1; a < argc; a++) {
            size_t i = 0;
            while (i < s_count && strcmp(s_tests[i].name, argv[a]) != 0)
                i++;
            if (i == s_count) {
                printf("FAIL %s: no such test\n", argv[a]);
                failed++;
                continue;
            }
            s_run(&s_tests[i]) ? passed++ : failed++;
        }
    }
    printf("%d passed, %d failed\n", passed, failed);
    free(s_tests);
    return failed ? 1 : 0;
}
