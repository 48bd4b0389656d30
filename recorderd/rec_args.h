/* rec_args.h - the arguments of recorderd's rec.start, rec.stop, rec.pause and rec.resume,
 * decoded and checked: JSON in, a plain struct or a bad_args message out. Pure (no calls,
 * no bus), so fuzz/fuzz_rec_commands.c and the unit tests drive exactly what the handlers
 * in rec_calls.c run. Beyond the catalogue's types: a call id that is not empty and fits
 * rec_call_t, endpoints and mixes that are mediad ids (checked as sent, not after being
 * cut to an int), and a mix or endpoints, not both. Whether the call exists is the
 * handler's question. */
#ifndef REC_ARGS_H
#define REC_ARGS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define REC_CALL_ID_MAX 256 /* rec_call_t's call_id, with its NUL */

/* rec.start. Strings are borrowed from the arguments. */
typedef struct {
    const char *call_id;         /* 1..REC_CALL_ID_MAX-1 characters */
    int caller_ep, callee_ep;    /* 1..INT32_MAX, 0: not given */
    uint32_t mix_id;             /* 1..UINT32_MAX, 0: not given (then no endpoints given) */
    const char *caller, *callee; /* NULL: not given (keep what call.created said) */
} rec_start_args_t;

/* rec.start's arguments: 0, or -1 with the bad_args message in err. */
int rec_args_start(json_t *args, rec_start_args_t *out, char *err, size_t len);

/* rec.stop, rec.pause, rec.resume: the call id. 0, or -1 with err. */
int rec_args_call(json_t *args, const char **call_id, char *err, size_t len);

#endif
