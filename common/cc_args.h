/* cc_args.h - reading one argument of a bus command after the catalogue has checked the
 * types (cc_events_check): a string of bounded length, an integer within a range, JSON
 * null taken as absent as the catalogue takes it. The daemons' argument decoders
 * (acd_args.c, ivrd_args.c, rec_args.c) use these, so an empty id, a string that would not
 * fit the buffer it is copied into, or a number that would be cut to an int is refused the
 * same way everywhere, with a message naming the argument. Pure: no logging, no bus. */
#ifndef CC_ARGS_H
#define CC_ARGS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* args[key] as a string shorter than size (the buffer it will be copied into, with its
 * NUL; SIZE_MAX: any length) and without a NUL inside. Absent or null: -1 if required,
 * else *out = NULL. Required strings must not be empty; optional ones may. 0, or -1 with
 * the bad_args message in err. */
int cc_args_text(json_t *args, const char *key, bool required, size_t size, const char **out,
                 char *err, size_t len);

/* args[key] as an integer in min..max. Absent or null: -1 if required, else *out is left
 * as it was (set the default first). 0, or -1 with the bad_args message in err. */
int cc_args_int(json_t *args, const char *key, bool required, json_int_t min, json_int_t max,
                json_int_t *out, char *err, size_t len);

#endif
