/* cc_config.h - the suite's one configuration file (INI style, a [section] per daemon
 * plus [common]) and its environment overrides. Every key is declared once, in
 * common/config/<section>.def, with its type, default, bounds and help; that table drives
 * parsing, validation, `--help` and deploy/cc.conf.example, so they cannot drift apart.
 *
 * File syntax:   # comment        [section]        key = value   (value may be "quoted")
 * Environment:   [common] key K    <- CC_K           (e.g. CC_SIP_PORT, CC_VAR_DIR)
 *                [section] key K   <- CC_SECTION_K   (e.g. CC_SIPPROXY_RING_TIMEOUT)
 * Precedence: built-in default < file < environment.
 * Every file is validated whole (all sections), so a typo anywhere stops any daemon. */
#ifndef CC_CONFIG_H
#define CC_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef enum {
    CC_CFG_STRING,     /* any text */
    CC_CFG_INT,        /* integer within [min, max] */
    CC_CFG_BOOL,       /* true/false/yes/no/on/off/1/0 */
    CC_CFG_PORT,       /* 1..65535 */
    CC_CFG_PORT_RANGE, /* LO-HI, 1024 <= LO <= HI <= 65535 */
    CC_CFG_LOG_LEVEL,  /* debug|info|warn|error */
    CC_CFG_PATH,       /* a path; made absolute (against the current directory) on load */
} cc_cfg_type_t;

typedef struct {
    const char *section;
    const char *key;
    cc_cfg_type_t type;
    const char *default_value; /* as text, parsed like a file value; "" allowed */
    long min, max;             /* for CC_CFG_INT */
    const char *help;
} cc_cfg_key_t;

typedef struct cc_config cc_config_t;

/* Load defaults, then `path` (NULL: none), then the environment. On any error returns
 * NULL and writes into err a message naming the place and the reason, e.g.
 *   "/etc/cc.conf:12: unknown key 'ring_timout' in [sipproxy]"
 *   "environment CC_SIP_PORT: 'abc' is not a port (1-65535)" */
cc_config_t *cc_config_load(const char *path, char *err, size_t errlen);
void cc_config_destroy(cc_config_t **self_p);

/* Which file to load when none was given on the command line: $CC_CONFIG if set, else
 * $CC_VAR_DIR/cc.conf (or var/cc.conf) if it exists, else /etc/callcenter/cc.conf if it
 * exists, else NULL (built-in defaults + environment). Returns a borrowed static string. */
const char *cc_config_default_path(void);
/* The files cc_config_default_path() looks for, in its order and as absolute paths, for a
 * message when it found none: "/srv/x/var/cc.conf, /etc/callcenter/cc.conf". */
void cc_config_default_candidates(char *buf, size_t len);

/* Typed getters. Asking for a key that is not declared is a programmer error (assert). */
const char *cc_config_str(const cc_config_t *self, const char *section, const char *key);
long cc_config_int(const cc_config_t *self, const char *section, const char *key);
bool cc_config_bool(const cc_config_t *self, const char *section, const char *key);
void cc_config_range(const cc_config_t *self, const char *section, const char *key, int *lo,
                     int *hi);

/* Derived paths, absolute: var_dir as configured; run_dir = [common] run_dir or
 * var_dir/run when empty. The bus sockets and the Postgres socket live in run_dir. */
const char *cc_config_var_dir(const cc_config_t *self);
const char *cc_config_run_dir(const cc_config_t *self);

/* libpq conninfo for a section's role: host ([common] pg_host, default run_dir), port,
 * dbname, user/password from [section] pg_user / pg_password. Caller frees. */
char *cc_config_pg_conninfo(const cc_config_t *self, const char *section);

/* The whole declared table (for --help, the example config and tests). */
const cc_cfg_key_t *cc_config_keys(size_t *count);

/* Write the example config (every key with its help and default) to a FILE*. */
void cc_config_write_example(FILE *out);
/* Print the keys of one section (and [common]) with help, for a daemon's --help. */
void cc_config_print_help(FILE *out, const char *section);

#endif
