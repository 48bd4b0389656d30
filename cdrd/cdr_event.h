/* cdr_event.h - decoding of sipproxy's call.* bus events into the core's cdr_event_t:
 * the envelope's ISO-8601 ts to microseconds, the fields, the media stats of call.ended.
 * Pure (JSON in, struct out); subscribing and batching live in cdr_bus.c. */
#ifndef CDR_EVENT_H
#define CDR_EVENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cc_bus.h"
#include "cdr_core.h"

/* "2026-11-21T13:17:03.123456Z" (fraction optional, 1-9 digits; "Z" or "+00:00") to
 * microseconds since 1970 UTC. 0 on success, -1 if it is not such a timestamp. */
int cdr_parse_ts(const char *text, int64_t *us_out);

/* The event's ts ("ts" of its body, either form) as cdr_parse_ts reads it. */
int cdr_event_ts(const cc_bus_event_t *ev, int64_t *us_out);

/* Read one leg's stats object ({packets_in, bytes_in, ...}); absent keys count as 0. */
void cdr_leg_stats_read(json_t *stats, cdr_leg_stats_t *out);

/* Decode a bus event. Returns 1 and fills `out` for call.created/ringing/answered/ended,
 * 0 for any other type (not ours: nothing to do), -1 with a reason in err for a call
 * event that cannot be used (no call id, bad ts). Reads ev->doc when the bus scanned the
 * event, else ev->body, with the same meaning. Strings in `out` borrow from `ev` and
 * from `id_buf`, which receives the event id "pub:epoch:seq". */
int cdr_event_decode(const cc_bus_event_t *ev, cdr_event_t *out, char *id_buf, size_t id_len,
                     char *err, size_t errlen);

/* Field by field, strings by content: for checking that an event decodes the same from
 * its jansson tree and from its scanned tokens (unit tests, fuzz_bus_messages). */
bool cdr_event_equal(const cdr_event_t *a, const cdr_event_t *b);

#endif
