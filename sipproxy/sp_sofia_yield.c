/* sp_sofia_yield.c - replaces sofia-sip's su_root_yield() with one that does nothing.
 *
 * Why: the stack calls su_root_yield() from inside its own timers, to read the sockets
 * while a long loop runs: nta after every fifth client retransmission in a timer pass,
 * nua once per handle on each of its timer ticks. In the Debian build of sofia-sip
 * (1.12.11+20110422) that read is not harmless. nta's timer keeps "now" in the agent
 * (sa_millisec); a message read in the nested poll resets it to 0 when it is done, and
 * the server-transaction half of the same timer pass then compares every deadline with
 * 0. Deadlines are milliseconds modulo 2^32 compared as signed differences, so for the
 * 24.8 days in every 49.7 when the clock's top bit is set, every server timer fires in
 * that pass: 200 OKs are retransmitted at once, timer H ends INVITE transactions whose
 * ACK is on its way (nua then sends BYE with Reason "ACK Timeout" on a healthy call), and
 * timers I and J drop transactions whose retransmissions or ACKs then reach no one. In
 * the other 24.8 days the same pass fires nothing. Measured here: under load the call
 * benchmark lost up to 2% of calls in bursts this way (docs/ARCHITECTURE.md, "The SIP
 * edge under load"). Newer sofia-sip reads the clock afresh in each loop; the Debian
 * package does not.
 *
 * Without the nested poll, what arrives during a timer pass waits in the socket's
 * buffer (sized for bursts by s_tune_udp) until the pass is over, a few milliseconds at
 * most, and nua's timer tick no longer makes one epoll_wait per handle.
 *
 * The library calls su_root_yield() through its PLT, so the definition in this
 * executable wins as long as the executable exports it (Makefile:
 * --export-dynamic-symbol). sp_sofia_yield_replaced() says whether it did. */
#include "sp_sofia_yield.h"

#include <dlfcn.h>
#include <sofia-sip/su_wait.h>

int su_root_yield(su_root_t *root)
{
    (void)root;
    return 0; /* "no events handled", which every caller in the library ignores */
}

bool sp_sofia_yield_replaced(void)
{
    return dlsym(RTLD_DEFAULT, "su_root_yield") == (void *)su_root_yield;
}
