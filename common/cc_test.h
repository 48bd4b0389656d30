/* cc_test.h - the unit-test harness: tests register themselves with CC_TEST, checks say
 * what they expected and what they saw. Each directory's *_test.c files link into one
 * binary, build/<variant>/test/<dir>-unit, whose main (tests/unit/cc_test_main.c) runs
 *   <dir>-unit            every test, last line "N passed, N failed"
 *   <dir>-unit --list     test names, one per line
 *   <dir>-unit NAME...    just those tests
 * Exit status 0 only if everything passed. Tests get no I/O from the harness: pass time
 * in, build structs by hand. */
#ifndef CC_TEST_H
#define CC_TEST_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

typedef void(cc_test_fn)(void);
void cc_test_register(const char *name, cc_test_fn *fn, const char *file);
void cc_test_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
bool cc_test_current_failed(void);

#define CC_TEST(name)                                                                              \
    static void name(void);                                                                        \
    __attribute__((constructor)) static void name##_register(void)                                 \
    {                                                                                              \
        cc_test_register(#name, name, __FILE__);                                                   \
    }                                                                                              \
    static void name(void)

/* Each check records a failure and returns from the test function. */
#define CC_CHECK(cond)                                                                             \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            cc_test_fail(__FILE__, __LINE__, "expected %s", #cond);                                \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define CC_CHECK_INT(seen, expected)                                                               \
    do {                                                                                           \
        long long s_ = (long long)(seen), e_ = (long long)(expected);                              \
        if (s_ != e_) {                                                                            \
            cc_test_fail(__FILE__, __LINE__, "%s: expected %lld, saw %lld", #seen, e_, s_);        \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define CC_CHECK_STR(seen, expected)                                                               \
    do {                                                                                           \
        const char *s_ = (seen), *e_ = (expected);                                                 \
        if (!s_ || !e_ || strcmp(s_, e_) != 0) {                                                   \
            cc_test_fail(__FILE__, __LINE__, "%s: expected \"%s\", saw \"%s\"", #seen,             \
                         e_ ? e_ : "(null)", s_ ? s_ : "(null)");                                  \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define CC_CHECK_NEAR(seen, expected, tolerance)                                                   \
    do {                                                                                           \
        double s_ = (double)(seen), e_ = (double)(expected), t_ = (double)(tolerance);             \
        if (s_ < e_ - t_ || s_ > e_ + t_) {                                                        \
            cc_test_fail(__FILE__, __LINE__, "%s: expected %g +- %g, saw %g", #seen, e_, t_, s_);  \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#endif
