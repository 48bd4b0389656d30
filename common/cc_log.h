/* cc_log.h - structured logging for every daemon: one line per event on stderr,
 * `<level> event=dotted.name k=v ...`, which journald collects. Owns formatting
 * and level filtering only; it never allocates per line and never blocks on more
 * than the write(2) of that line. */
#ifndef CC_LOG_H
#define CC_LOG_H

#include <stdbool.h>
#include <stddef.h>

typedef enum {
    CC_LOG_DEBUG = 0,
    CC_LOG_INFO,
    CC_LOG_WARN,
    CC_LOG_ERROR
} cc_log_level_t;

/* Set the daemon name (printed as daemon=NAME on every line) and the minimum level.
 * When stderr is not journald (no JOURNAL_STREAM), each line starts with an ISO-8601
 * UTC timestamp so a terminal or a file still shows when things happened. */
void cc_log_init(const char *daemon_name, cc_log_level_t min_level);
void cc_log_set_level(cc_log_level_t min_level);
bool cc_log_enabled(cc_log_level_t level);

/* "debug", "info", "warn"/"warning", "error" -> level; 0 on success, -1 if unknown. */
int cc_log_level_parse(const char *text, cc_log_level_t *out);
const char *cc_log_level_name(cc_log_level_t level);

/* Log one event. `fields` is a printf format for the k=v part (may be NULL or "").
 * Values that may hold spaces or quotes go through cc_logq(). */
void cc_log(cc_log_level_t level, const char *event, const char *fields, ...)
    __attribute__((format(printf, 3, 4)));

/* The call being handled, printed as call=<id> right after daemon= on every line until it
 * is cleared, so one grep follows a call through every daemon and no call site types it.
 * Set it where handling of a call starts (a bus event or command about the call, a SIP
 * event of one of its dialogs, a timer or reply owned by it) and clear it (NULL) when that
 * handling returns; cc_bus does so itself around events, commands and replies. The id is
 * copied (up to CC_LOG_CALL_MAX - 1 bytes). Per thread. */
#define CC_LOG_CALL_MAX 128
void cc_log_set_call(const char *call_id);
/* The current call id, "" when none (the buffer is the logger's: copy to keep it). */
const char *cc_log_call(void);

/* Work about one call nested in work about another (a batch of rows, actions caused by
 * someone else's event, a sweep): enter sets the call and keeps the one before in saved,
 * leave puts it back. */
typedef struct {
    char id[CC_LOG_CALL_MAX];
} cc_log_call_saved_t;
void cc_log_enter_call(cc_log_call_saved_t *saved, const char *call_id);
void cc_log_leave_call(const cc_log_call_saved_t *saved);

/* Quote a value for a log line: returns the value itself when it needs no quoting,
 * otherwise "..." with \" and \\ escaped and control bytes as \xNN. The result lives in
 * a small thread-local ring of buffers (8 at a time, 256 bytes each, truncated with ...):
 * use it only inside the cc_log() call's arguments. */
const char *cc_logq(const char *value);

#define cc_debug(event, ...)                                                                       \
    do {                                                                                           \
        if (cc_log_enabled(CC_LOG_DEBUG))                                                          \
            cc_log(CC_LOG_DEBUG, event, __VA_ARGS__);                                              \
    } while (0)
/* The level is checked before the arguments are evaluated: a cc_logq() or a formatted id
 * costs nothing on a hot path whose level is off. */
#define cc_info(event, ...)                                                                        \
    do {                                                                                           \
        if (cc_log_enabled(CC_LOG_INFO))                                                           \
            cc_log(CC_LOG_INFO, event, __VA_ARGS__);                                               \
    } while (0)
#define cc_warn(event, ...)                                                                        \
    do {                                                                                           \
        if (cc_log_enabled(CC_LOG_WARN))                                                           \
            cc_log(CC_LOG_WARN, event, __VA_ARGS__);                                               \
    } while (0)
#define cc_error(event, ...) cc_log(CC_LOG_ERROR, event, __VA_ARGS__)

#endif
