/* ccctl_args.h - the command line of a ccctl sub-command (options and positionals) and the
 * checks of values that are ccctl's own: passwords, display names, host:port, numbers.
 * Dialplan patterns, targets and extensions are checked by common/cc_dialplan.h instead,
 * so ccctl accepts exactly what sipproxy understands. Pure: no I/O. */
#ifndef CCCTL_ARGS_H
#define CCCTL_ARGS_H

#include <stdbool.h>
#include <stddef.h>

#define CCCTL_MAX_OPTS 8
#define CCCTL_MAX_POS 8

typedef struct {
    const char *name; /* "--password" */
    bool has_value;   /* takes the next word (or "=value") as its value */
} ccctl_opt_t;

typedef struct {
    const ccctl_opt_t *opts;
    size_t nopts;
    const char *value[CCCTL_MAX_OPTS]; /* NULL: not given; "" for a given flag */
    const char *pos[CCCTL_MAX_POS];
    int npos;
} ccctl_args_t;

/* Parse argv[0..argc) (the words after the sub-command) against opts, wanting between
 * min_pos and max_pos positionals. "--opt value" and "--opt=value" both work; "--" ends the
 * options. 0, or -1 with a reason in err ("unknown option --pasword", "missing value for
 * --password", "option --name given twice", "unexpected argument 'x'", "missing EXT"
 * where `pos_names` names the positionals, e.g. "EXT" or "PATTERN TARGET"). */
int ccctl_args_parse(ccctl_args_t *out, int argc, char *const *argv, const ccctl_opt_t *opts,
                     size_t nopts, int min_pos, int max_pos, const char *pos_names, char *err,
                     size_t errlen);

/* The value of option `name` (NULL if not given), or whether it was given at all. */
const char *ccctl_arg(const ccctl_args_t *args, const char *name);
bool ccctl_flag(const ccctl_args_t *args, const char *name);

/* Whole decimal integer in [min, max]. 0 or -1. */
int ccctl_parse_long(const char *text, long min, long max, long *out);

/* Passwords: non-empty, at least 8 characters, printable (no control characters, which a
 * softphone's settings could not take). 0 or -1 with a reason. */
#define CCCTL_PASSWORD_MIN 8
#define CCCTL_PASSWORD_MAX 128
int ccctl_password_check(const char *pw, char *err, size_t errlen);

/* Display names: at most 100 bytes, no control characters. 0 or -1 with a reason. */
int ccctl_name_check(const char *name, char *err, size_t errlen);

/* "host", "host:port", "[v6addr]" or "[v6addr]:port" (port defaults to default_port).
 * Host names: letters, digits, '.', '-'; IPv6 addresses in brackets. 0 or -1 with a reason. */
int ccctl_hostport_parse(const char *text, int default_port, char *host, size_t hostlen, int *port,
                         char *err, size_t errlen);

/* Dialled numbers and prefixes: characters 0-9 * # +, shorter than CC_NUMBER_MAX.
 * A number must be non-empty, a prefix may be empty. 0 or -1 with a reason. */
int ccctl_number_check(const char *number, bool allow_empty, char *err, size_t errlen);

#endif
