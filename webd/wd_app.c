/* wd_app.c - what every part of webd shares beyond the app struct: the wall clock and the
 * default alert rules (set by main.c from the config). Kept out of main.c so the library
 * (unit tests, fuzz targets) links without the entry point. */
#include "wd_app.h"

#include "cc_loop.h"

wb_rules_t wd_default_rules;

int64_t wd_now_us(void)
{
    return (int64_t)cc_wall_us();
}
