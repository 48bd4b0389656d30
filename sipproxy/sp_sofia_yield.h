/* sp_sofia_yield.h - sipproxy's replacement for sofia-sip's su_root_yield() (see
 * sp_sofia_yield.c for why the stack must not poll its sockets from inside its timers). */
#ifndef SP_SOFIA_YIELD_H
#define SP_SOFIA_YIELD_H

#include <stdbool.h>

/* True when the library's own calls to su_root_yield() reach sipproxy's version: the
 * executable exports the symbol and the dynamic linker bound the library to it. */
bool sp_sofia_yield_replaced(void);

#endif
