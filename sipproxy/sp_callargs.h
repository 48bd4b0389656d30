/* sp_callargs.h - the arguments controllers send with call.connect and call.originate,
 * checked: targets ("ext:1001", "number:0123"), the X-CC-* headers put on the INVITE, the
 * ring timeout and what happens when the callee hangs up. Pure (JSON in, values or a
 * bad_args message out), so fuzz/fuzz_commands.c drives exactly what sipproxy runs; what
 * passes here goes into SIP messages, so nothing that could end a header line gets by. */
#ifndef SP_CALLARGS_H
#define SP_CALLARGS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* "ext:DIGITS" or "number:DIGITS" (digits and * # +), under 80 characters. */
bool sp_callargs_target_ok(const char *target);

/* A JSON array of 1..max targets, each sp_callargs_target_ok. 0, or -1 with err. */
int sp_callargs_targets(json_t *targets, size_t max, char *err, size_t errlen);

/* An object of X-CC-* headers (NULL: none) -> "Name: value\r\nName: value" in out (no
 * last CRLF): names are X-CC- and a token, values strings without control characters
 * but tab. 0, or -1 with err. */
int sp_callargs_headers(json_t *obj, char *out, size_t len, char *err, size_t errlen);

/* headers, timeout_s (1-600; 0 when absent) and on_callee_hangup (end|return) of a
 * call.connect or call.originate. 0, or -1 with err. */
int sp_callargs_attempt(json_t *args, char *headers, size_t hlen, int *timeout_s,
                        bool *on_hangup_return, char *err, size_t errlen);

#endif
