/* sp_sofia_yield_test.c - the stack's nested socket poll is gone: the executable's
 * su_root_yield is the one the dynamic linker hands out (so libsofia-sip's own calls,
 * which go through its PLT, reach it), and it runs no wait callback even with a datagram
 * waiting on a registered socket. */
#include <sys/socket.h>
#include <unistd.h>

#include <sofia-sip/su_wait.h>

#include "cc_test.h"
#include "sp_sofia_yield.h"

static int s_called;

static int s_on_readable(su_root_magic_t *magic, su_wait_t *w, su_wakeup_arg_t *arg)
{
    (void)magic, (void)w, (void)arg;
    s_called++;
    return 0;
}

CC_TEST(sofia_yield_is_replaced_and_polls_nothing)
{
    CC_CHECK(sp_sofia_yield_replaced());
    su_init();
    su_root_t *root = su_root_create(NULL);
    CC_CHECK(root != NULL);
    int sv[2];
    CC_CHECK_INT(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
    su_wait_t w[1];
    CC_CHECK_INT(su_wait_create(w, sv[0], SU_WAIT_IN), 0);
    CC_CHECK(su_root_register(root, w, s_on_readable, NULL, 0) >= 0);
    CC_CHECK_INT((int)write(sv[1], "x", 1), 1);
    su_root_yield(root); /* the library's version would run s_on_readable here */
    CC_CHECK_INT(s_called, 0);
    su_root_step(root, 0); /* the loop proper still reads the socket */
    CC_CHECK_INT(s_called, 1);
    su_root_destroy(root);
    close(sv[0]);
    close(sv[1]);
    su_deinit();
}
