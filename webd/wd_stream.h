/* wd_stream.h - the live streams (Server-Sent Events) of webd: every update the wallboard
 * core produces becomes one frame with an id that places it in acdd's event stream
 * ("acdd:<epoch>:<seq>.<k>": the k-th update caused by that bus event, or made by a timer
 * after it). Frames go to each open stream whose principal may see them, and into a ring,
 * so a stream that reconnects with Last-Event-ID gets exactly the frames after that id
 * (none missed, none twice); an id the ring no longer holds gets a fresh snapshot.
 * Pure: the HTTP adapter moves the bytes and is told through wake() each time a stream
 * gets something to send. */
#ifndef WD_STREAM_H
#define WD_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wd_route.h"

typedef struct {
    uint64_t epoch, seq;
    uint32_t k;
} wd_cursor_t;

/* "acdd:E:S.k" <-> cursor. 0 or -1. */
int wd_cursor_parse(const char *text, wd_cursor_t *out);
void wd_cursor_format(const wd_cursor_t *c, char *buf, size_t len);
bool wd_cursor_equal(const wd_cursor_t *a, const wd_cursor_t *b);

typedef struct wd_stream wd_stream_t;
typedef struct wd_streams wd_streams_t;
typedef void(wd_wake_fn)(wd_stream_t *stream, void *conn);

/* ring_cap frames kept for resuming; a stream holding more than buf_max unsent bytes (a
 * client that does not read) is marked overflowed and should be closed. */
wd_streams_t *wd_streams_new(size_t ring_cap, size_t buf_max, wd_wake_fn *wake);
void wd_streams_destroy(wd_streams_t **self_p);

/* One update: the frame "id: ..\nevent: <event>\ndata: <json>\n\n" to the streams that may
 * see `scope` (principals of every queue see all), and into the ring. */
void wd_streams_publish(wd_streams_t *self, const wd_cursor_t *id, const wb_qset_t *scope,
                        const char *event, const char *json);
/* The position of the latest frame (or of the last reset). */
wd_cursor_t wd_streams_last(const wd_streams_t *self);
/* Forget the ring from here (after a reset, everyone needs a snapshot): resumes from older
 * ids get a snapshot. The position becomes `at`. */
void wd_streams_reset(wd_streams_t *self, const wd_cursor_t *at);

/* A new stream for `who`; conn is the adapter's, passed to wake(). */
wd_stream_t *wd_stream_open(wd_streams_t *self, const wd_principal_t *who, void *conn);
void wd_stream_close(wd_streams_t *self, wd_stream_t **stream_p);
/* Queue the frames after `after` that this stream may see. 0, or -1 when the ring does not
 * reach back to it (send a snapshot instead). */
int wd_stream_resume(wd_streams_t *self, wd_stream_t *stream, const wd_cursor_t *after);
/* Queue raw bytes (a snapshot frame, a keep-alive). */
void wd_stream_send(wd_streams_t *self, wd_stream_t *stream, const char *bytes, size_t len);
/* Take up to max queued bytes. */
size_t wd_stream_read(wd_stream_t *stream, char *buf, size_t max);
size_t wd_stream_pending(const wd_stream_t *stream);
bool wd_stream_overflowed(const wd_stream_t *stream);
wd_principal_t *wd_stream_who(wd_stream_t *stream);
void *wd_stream_conn(const wd_stream_t *stream);

/* Every open stream, for keep-alives, snapshots after a reset and shutdown. */
size_t wd_streams_count(const wd_streams_t *self);
wd_stream_t *wd_streams_at(const wd_streams_t *self, size_t i);

#endif
