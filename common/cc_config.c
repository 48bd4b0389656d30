/* cc_config.c - the key table (compiled from common/config/<section>.def), the INI reader, value
 * validation, environment overrides, derived paths and the generated example/help text.
 * It does not know what any key means; daemons read typed values through the getters. */
#include "cc_config.h"
#include "cc_secret.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define CC_CFG(section, key, type, def, min, max, help)                                            \
    {#section, #key, CC_CFG_##type, def, min, max, help},

static const cc_cfg_key_t s_keys[] = {
#include "config/common.def"
#include "config/sipproxy.def"
#include "config/mediad.def"
#include "config/acdd.def"
#include "config/ivrd.def"
#include "config/voicemail.def"
#include "config/recorderd.def"
#include "config/cdrd.def"
#include "config/webd.def"
#include "config/dialerd.def"
#include "config/ccctl.def"
};
#undef CC_CFG

#define S_KEY_COUNT (sizeof s_keys / sizeof s_keys[0])

/* Sections exist even without keys yet ([mediad]), so a file may carry them. */
static const char *s_sections[] = {
    "common",    "sipproxy", "mediad", "acdd",    "ivrd",  "voicemail",
    "recorderd", "cdrd",     "webd",   "dialerd", "ccctl",
};
#define S_SECTION_COUNT (sizeof s_sections / sizeof s_sections[0])

typedef struct {
    char *text;  /* normalised text: absolute path, "true"/"false", canonical level */
    long number; /* INT, PORT, LOG_LEVEL (the cc_log_level_t), BOOL (0/1) */
    int lo, hi;  /* PORT_RANGE */
    int line;    /* line of the file that set it, 0 if it did not */
} s_value_t;

struct cc_config {
    s_value_t values[S_KEY_COUNT > 0 ? S_KEY_COUNT : 1];
    char *run_dir;
};

/* ---- table lookups ---------------------------------------------------------------- */

static int s_key_index(const char *section, const char *key)
{
    for (size_t i = 0; i < S_KEY_COUNT; i++)
        if (strcmp(s_keys[i].section, section) == 0 && strcmp(s_keys[i].key, key) == 0)
            return (int)i;
    return -1;
}

static bool s_section_known(const char *section)
{
    for (size_t i = 0; i < S_SECTION_COUNT; i++)
        if (strcmp(s_sections[i], section) == 0)
            return true;
    return false;
}

const cc_cfg_key_t *cc_config_keys(size_t *count)
{
    if (count)
        *count = S_KEY_COUNT;
    return s_keys;
}

/* CC_<KEY> for [common], CC_<SECTION>_<KEY> otherwise, upper-cased. */
static void s_env_name(const cc_cfg_key_t *k, char *buf, size_t len)
{
    if (strcmp(k->section, "common") == 0)
        snprintf(buf, len, "CC_%s", k->key);
    else
        snprintf(buf, len, "CC_%s_%s", k->section, k->key);
    for (char *p = buf; *p; p++)
        *p = (char)toupper((unsigned char)*p);
}

/* ---- value validation ------------------------------------------------------------- */

static bool s_parse_long(const char *text, long *out)
{
    char *end;
    if (!*text || isspace((unsigned char)*text))
        return false;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || *end)
        return false;
    *out = v;
    return true;
}

static bool s_parse_port(const char *text, long *out)
{
    long v;
    if (!s_parse_long(text, &v) || v < 1 || v > 65535)
        return false;
    *out = v;
    return true;
}

/* Relative paths are taken against the current directory at load time, so a daemon that
 * later changes directory (or a unit's WorkingDirectory) still finds the same files. */
static char *s_absolute_path(const char *text)
{
    if (!*text || text[0] == '/')
        return strdup(text);
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd))
        return NULL;
    while (text[0] == '.' && text[1] == '/')
        text += 2;
    if (strcmp(text, ".") == 0 || !*text)
        return strdup(cwd);
    size_t n = strlen(cwd) + strlen(text) + 2;
    char *out = malloc(n);
    if (out)
        snprintf(out, n, "%s%s%s", cwd, strcmp(cwd, "/") == 0 ? "" : "/", text);
    return out;
}

static int s_parse_bool(const char *text, long *out, char *err, size_t errlen)
{
    static const char *yes[] = {"true", "yes", "on", "1"};
    static const char *no[] = {"false", "no", "off", "0"};
    for (int i = 0; i < 4; i++) {
        if (strcasecmp(text, yes[i]) == 0 || strcasecmp(text, no[i]) == 0) {
            *out = strcasecmp(text, yes[i]) == 0;
            return 0;
        }
    }
    snprintf(err, errlen, "'%s' is not a boolean (true/false, yes/no, on/off, 1/0)", text);
    return -1;
}

static int s_parse_range(const char *text, int *lo, int *hi, char *err, size_t errlen)
{
    long a, b;
    char first[16];
    const char *dash = strchr(text, '-');
    size_t flen = dash ? (size_t)(dash - text) : 0;
    if (flen > 0 && flen < sizeof first) {
        memcpy(first, text, flen);
        first[flen] = '\0';
    }
    if (flen == 0 || flen >= sizeof first || !s_parse_port(first, &a) ||
        !s_parse_port(dash + 1, &b)) {
        snprintf(err, errlen, "'%s' is not a port range (LO-HI)", text);
        return -1;
    }
    if (a < 1024 || a > b) {
        snprintf(err, errlen, "'%s' is not a valid port range (1024 <= LO <= HI <= 65535)", text);
        return -1;
    }
    *lo = (int)a;
    *hi = (int)b;
    return 0;
}

static int s_parse_level(const char *text, long *out, char *err, size_t errlen)
{
    static const struct {
        const char *name;
        int level;
    } names[] = {
        {"debug", 0}, {"info", 1}, {"warn", 2}, {"warning", 2}, {"error", 3},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcasecmp(text, names[i].name) == 0) {
            *out = names[i].level;
            return 0;
        }
    }
    snprintf(err, errlen, "'%s' is not a log level (debug, info, warn, error)", text);
    return -1;
}

/* Parse `text` as key k's type into v (replacing what was there). 0, or -1 with the
 * reason (no place) in err. The stored text is normalised: "true"/"false", "warn" for
 * "WARNING", an absolute path. */
static int s_set_value(const cc_cfg_key_t *k, s_value_t *v, const char *text, char *err,
                       size_t errlen)
{
    static const char *level_names[] = {"debug", "info", "warn", "error"};
    long n = 0;
    int lo = 0, hi = 0, rc = 0;
    const char *canonical = text;
    char *owned = NULL;

    switch (k->type) {
    case CC_CFG_STRING:
        break;
    case CC_CFG_INT:
        if (!s_parse_long(text, &n)) {
            snprintf(err, errlen, "'%s' is not an integer", text);
            rc = -1;
        } else if (n < k->min || n > k->max) {
            snprintf(err, errlen, "%ld is out of range (%ld-%ld)", n, k->min, k->max);
            rc = -1;
        }
        break;
    case CC_CFG_BOOL:
        rc = s_parse_bool(text, &n, err, errlen);
        canonical = n ? "true" : "false";
        break;
    case CC_CFG_PORT:
        if (!s_parse_port(text, &n)) {
            snprintf(err, errlen, "'%s' is not a port (1-65535)", text);
            rc = -1;
        }
        break;
    case CC_CFG_PORT_RANGE:
        rc = s_parse_range(text, &lo, &hi, err, errlen);
        break;
    case CC_CFG_LOG_LEVEL:
        rc = s_parse_level(text, &n, err, errlen);
        canonical = level_names[rc == 0 ? n : 0];
        break;
    case CC_CFG_PATH:
        owned = s_absolute_path(text);
        if (!owned) {
            snprintf(err, errlen, "cannot make '%s' absolute: %s", text, strerror(errno));
            rc = -1;
        }
        canonical = owned;
        break;
    }
    if (rc != 0)
        return -1;

    char *copy = owned ? owned : strdup(canonical);
    if (!copy) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    free(v->text);
    v->text = copy;
    v->number = n;
    v->lo = lo;
    v->hi = hi;
    return 0;
}

/* ---- the file --------------------------------------------------------------------- */

static char *s_trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

/* The value part of `key = value`, in place. Unquoted values end at a " #" comment;
 * "quoted" values keep everything and understand \" and \\. 0, or -1 with reason. */
static int s_unquote(char *raw, char **out, char *err, size_t errlen)
{
    char *s = raw;
    while (isspace((unsigned char)*s))
        s++;
    if (*s != '"') {
        for (char *p = s; *p; p++) {
            if (*p == '#' && p > s && isspace((unsigned char)p[-1])) {
                *p = '\0';
                break;
            }
        }
        *out = s_trim(s);
        return 0;
    }
    char *w = s, *r = s + 1;
    for (; *r && *r != '"'; r++) {
        if (*r == '\\' && (r[1] == '"' || r[1] == '\\'))
            r++;
        *w++ = *r;
    }
    if (*r != '"') {
        snprintf(err, errlen, "closing quote missing");
        return -1;
    }
    char *rest = r + 1;
    *w = '\0';
    while (isspace((unsigned char)*rest))
        rest++;
    if (*rest && *rest != '#' && *rest != ';') {
        snprintf(err, errlen, "unexpected text after closing quote");
        return -1;
    }
    *out = s;
    return 0;
}

static int s_parse_line(cc_config_t *self, const char *path, int lineno, char *line, char *section,
                        size_t seclen, char *err, size_t errlen)
{
    char reason[256];
    char *s = s_trim(line);
    if (!*s || *s == '#' || *s == ';')
        return 0;

    if (*s == '[') {
        char *close = strchr(s, ']');
        if (!close || *s_trim(close + 1)) {
            snprintf(err, errlen, "%s:%d: malformed section header '%s'", path, lineno, s);
            return -1;
        }
        *close = '\0';
        char *name = s_trim(s + 1);
        if (!s_section_known(name)) {
            snprintf(err, errlen, "%s:%d: unknown section [%s]", path, lineno, name);
            return -1;
        }
        snprintf(section, seclen, "%s", name);
        return 0;
    }

    char *eq = strchr(s, '=');
    if (!eq) {
        snprintf(err, errlen, "%s:%d: expected 'key = value', saw '%s'", path, lineno, s);
        return -1;
    }
    *eq = '\0';
    char *key = s_trim(s);
    if (!*key) {
        snprintf(err, errlen, "%s:%d: missing key before '='", path, lineno);
        return -1;
    }
    if (!*section) {
        snprintf(err, errlen, "%s:%d: key '%s' outside any [section]", path, lineno, key);
        return -1;
    }
    int idx = s_key_index(section, key);
    if (idx < 0) {
        snprintf(err, errlen, "%s:%d: unknown key '%s' in [%s]", path, lineno, key, section);
        return -1;
    }
    s_value_t *v = &self->values[idx];
    if (v->line) {
        snprintf(err, errlen, "%s:%d: key '%s' in [%s] already set on line %d", path, lineno, key,
                 section, v->line);
        return -1;
    }
    char *value;
    if (s_unquote(eq + 1, &value, reason, sizeof reason) != 0 ||
        s_set_value(&s_keys[idx], v, value, reason, sizeof reason) != 0) {
        snprintf(err, errlen, "%s:%d: %s in [%s]: %s", path, lineno, key, section, reason);
        return -1;
    }
    v->line = lineno;
    return 0;
}

static int s_load_file(cc_config_t *self, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    char section[64] = "";
    char *line = NULL;
    size_t cap = 0;
    int lineno = 0, rc = 0;
    while (rc == 0 && getline(&line, &cap, f) >= 0) {
        lineno++;
        rc = s_parse_line(self, path, lineno, line, section, sizeof section, err, errlen);
    }
    if (rc == 0 && ferror(f)) {
        snprintf(err, errlen, "%s: read error: %s", path, strerror(errno));
        rc = -1;
    }
    /* a file that holds a password is a secret file: others must not read it */
    for (size_t i = 0; rc == 0 && i < S_KEY_COUNT; i++) {
        const s_value_t *v = &self->values[i];
        if (v->line && v->text && *v->text && strstr(s_keys[i].key, "password") &&
            cc_secret_fd_check(fileno(f), path, "config file (it holds a password)", err, errlen) !=
                0)
            rc = -1;
    }
    free(line);
    fclose(f);
    return rc;
}

/* ---- load ------------------------------------------------------------------------- */

static int s_load_env(cc_config_t *self, char *err, size_t errlen)
{
    char name[128], reason[256];
    for (size_t i = 0; i < S_KEY_COUNT; i++) {
        s_env_name(&s_keys[i], name, sizeof name);
        const char *text = getenv(name);
        if (!text)
            continue;
        if (s_set_value(&s_keys[i], &self->values[i], text, reason, sizeof reason) != 0) {
            snprintf(err, errlen, "environment %s: %s", name, reason);
            return -1;
        }
    }
    return 0;
}

static int s_derive(cc_config_t *self, char *err, size_t errlen)
{
    const char *run = cc_config_str(self, "common", "run_dir");
    if (*run) {
        self->run_dir = strdup(run);
    } else {
        const char *var = cc_config_var_dir(self);
        size_t n = strlen(var) + sizeof "/run";
        self->run_dir = malloc(n);
        if (self->run_dir)
            snprintf(self->run_dir, n, "%s/run", var);
    }
    if (!self->run_dir) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

cc_config_t *cc_config_load(const char *path, char *err, size_t errlen)
{
    char reason[256];
    cc_config_t *self = calloc(1, sizeof *self);
    if (!self) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < S_KEY_COUNT; i++) {
        const cc_cfg_key_t *k = &s_keys[i];
        if (s_set_value(k, &self->values[i], k->default_value, reason, sizeof reason) != 0) {
            /* A bad default is a bug in a .def file, but say which one. */
            snprintf(err, errlen, "built-in default of %s in [%s]: %s", k->key, k->section, reason);
            goto fail;
        }
    }
    if (path && s_load_file(self, path, err, errlen) != 0)
        goto fail;
    if (s_load_env(self, err, errlen) != 0 || s_derive(self, err, errlen) != 0)
        goto fail;
    return self;
fail:
    cc_config_destroy(&self);
    return NULL;
}

void cc_config_destroy(cc_config_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    cc_config_t *self = *self_p;
    for (size_t i = 0; i < S_KEY_COUNT; i++)
        free(self->values[i].text);
    free(self->run_dir);
    free(self);
    *self_p = NULL;
}

const char *cc_config_default_path(void)
{
    static char buf[PATH_MAX];
    struct stat st;
    const char *env = getenv("CC_CONFIG");
    if (env && *env) {
        snprintf(buf, sizeof buf, "%s", env);
        return buf;
    }
    const char *var = getenv("CC_VAR_DIR");
    snprintf(buf, sizeof buf, "%s/cc.conf", var && *var ? var : "var");
    if (stat(buf, &st) == 0)
        return buf;
    snprintf(buf, sizeof buf, "%s", "/etc/callcenter/cc.conf");
    if (stat(buf, &st) == 0)
        return buf;
    return NULL;
}

void cc_config_default_candidates(char *buf, size_t len)
{
    char cwd[PATH_MAX] = "";
    const char *env = getenv("CC_CONFIG");
    const char *var = getenv("CC_VAR_DIR");
    if (env && *env) {
        snprintf(buf, len, "%s ($CC_CONFIG)", env);
        return;
    }
    if (!var || !*var)
        var = "var";
    if (var[0] != '/' && !getcwd(cwd, sizeof cwd))
        snprintf(cwd, sizeof cwd, ".");
    snprintf(buf, len, "%s%s%s/cc.conf, /etc/callcenter/cc.conf", cwd, cwd[0] ? "/" : "", var);
}

/* ---- getters ---------------------------------------------------------------------- */

static const s_value_t *s_get(const cc_config_t *self, const char *section, const char *key,
                              int type_mask)
{
    int idx = s_key_index(section, key);
    assert(idx >= 0 && "config key not declared in common/config/*.def");
    assert(((1 << s_keys[idx].type) & type_mask) && "config key read with the wrong type");
    (void)type_mask;
    return &self->values[idx];
}

const char *cc_config_str(const cc_config_t *self, const char *section, const char *key)
{
    return s_get(self, section, key, ~0)->text;
}

long cc_config_int(const cc_config_t *self, const char *section, const char *key)
{
    return s_get(self, section, key,
                 1 << CC_CFG_INT | 1 << CC_CFG_PORT | 1 << CC_CFG_LOG_LEVEL | 1 << CC_CFG_BOOL)
        ->number;
}

bool cc_config_bool(const cc_config_t *self, const char *section, const char *key)
{
    return s_get(self, section, key, 1 << CC_CFG_BOOL)->number != 0;
}

void cc_config_range(const cc_config_t *self, const char *section, const char *key, int *lo,
                     int *hi)
{
    const s_value_t *v = s_get(self, section, key, 1 << CC_CFG_PORT_RANGE);
    if (lo)
        *lo = v->lo;
    if (hi)
        *hi = v->hi;
}

const char *cc_config_var_dir(const cc_config_t *self)
{
    return cc_config_str(self, "common", "var_dir");
}

const char *cc_config_run_dir(const cc_config_t *self)
{
    return self->run_dir;
}

/* ---- pg conninfo ------------------------------------------------------------------ */

/* libpq conninfo values in single quotes, with \ and ' escaped by a backslash, so any
 * password or path survives. */
static void s_conninfo_add(char *buf, size_t cap, size_t *len, const char *name, const char *value)
{
    if (*len >= cap)
        return;
    *len += (size_t)snprintf(buf + *len, cap - *len, "%s%s='", *len ? " " : "", name);
    for (const char *p = value; *p && *len + 3 < cap; p++) {
        if (*p == '\\' || *p == '\'')
            buf[(*len)++] = '\\';
        buf[(*len)++] = *p;
    }
    if (*len + 1 < cap)
        buf[(*len)++] = '\'';
    buf[*len < cap ? *len : cap - 1] = '\0';
}

char *cc_config_pg_conninfo(const cc_config_t *self, const char *section)
{
    const char *host = cc_config_str(self, "common", "pg_host");
    const char *port = cc_config_str(self, "common", "pg_port");
    const char *db = cc_config_str(self, "common", "pg_db");
    int user_idx = section ? s_key_index(section, "pg_user") : -1;
    int pass_idx = section ? s_key_index(section, "pg_password") : -1;
    const char *user = user_idx >= 0 ? self->values[user_idx].text : "";
    const char *pass = pass_idx >= 0 ? self->values[pass_idx].text : "";
    if (!*host)
        host = self->run_dir;

    /* Worst case every byte is escaped. */
    size_t cap = 2 * (strlen(host) + strlen(port) + strlen(db) + strlen(user) + strlen(pass) +
                      (section ? strlen(section) : 0)) +
                 128;
    char *buf = malloc(cap);
    if (!buf)
        return NULL;
    size_t len = 0;
    buf[0] = '\0';
    s_conninfo_add(buf, cap, &len, "host", host);
    s_conninfo_add(buf, cap, &len, "port", port);
    s_conninfo_add(buf, cap, &len, "dbname", db);
    if (*user)
        s_conninfo_add(buf, cap, &len, "user", user);
    if (*pass)
        s_conninfo_add(buf, cap, &len, "password", pass);
    if (section)
        s_conninfo_add(buf, cap, &len, "application_name", section);
    return buf;
}

/* ---- example and help ------------------------------------------------------------- */

static const char *s_type_hint(const cc_cfg_key_t *k, char *buf, size_t len)
{
    switch (k->type) {
    case CC_CFG_STRING:
        return "text";
    case CC_CFG_INT:
        snprintf(buf, len, "integer %ld-%ld", k->min, k->max);
        return buf;
    case CC_CFG_BOOL:
        return "true/false";
    case CC_CFG_PORT:
        return "port";
    case CC_CFG_PORT_RANGE:
        return "port range LO-HI";
    case CC_CFG_LOG_LEVEL:
        return "debug|info|warn|error";
    case CC_CFG_PATH:
        return "path, relative to the current directory";
    }
    return "?";
}

/* A default is shown quoted when reading it back unquoted would change it. */
static void s_print_value(FILE *out, const char *value)
{
    bool quote = !*value || isspace((unsigned char)value[0]) || value[0] == '"' ||
                 strchr(value, '#') || isspace((unsigned char)value[strlen(value) - 1]);
    if (!quote) {
        fputs(value, out);
        return;
    }
    fputc('"', out);
    for (const char *p = value; *p; p++) {
        if (*p == '"' || *p == '\\')
            fputc('\\', out);
        fputc(*p, out);
    }
    fputc('"', out);
}

void cc_config_write_example(FILE *out)
{
    char env[128], hint[64];
    fputs("# Call-center suite configuration (generated from common/config/*.def by\n"
          "# `ccctl config example`; do not edit the generated copy by hand).\n"
          "#\n"
          "# Every key is shown commented out with its built-in default. Precedence:\n"
          "# built-in default < this file < environment (CC_<KEY> for [common],\n"
          "# CC_<SECTION>_<KEY> for the others). Values may be \"quoted\".\n",
          out);
    for (size_t s = 0; s < S_SECTION_COUNT; s++) {
        fprintf(out, "\n[%s]\n", s_sections[s]);
        bool any = false;
        for (size_t i = 0; i < S_KEY_COUNT; i++) {
            const cc_cfg_key_t *k = &s_keys[i];
            if (strcmp(k->section, s_sections[s]) != 0)
                continue;
            s_env_name(k, env, sizeof env);
            fprintf(out, "\n# %s\n# (%s; env %s)\n# %s = ", k->help,
                    s_type_hint(k, hint, sizeof hint), env, k->key);
            s_print_value(out, k->default_value);
            fputc('\n', out);
            any = true;
        }
        if (!any)
            fputs("# (no settings yet)\n", out);
    }
}

void cc_config_print_help(FILE *out, const char *section)
{
    char env[128], hint[64];
    const char *order[2] = {"common", section};
    int n = (section && strcmp(section, "common") != 0) ? 2 : 1;
    for (int s = 0; s < n; s++) {
        fprintf(out, "\nConfiguration keys in [%s]:\n", order[s]);
        bool any = false;
        for (size_t i = 0; i < S_KEY_COUNT; i++) {
            const cc_cfg_key_t *k = &s_keys[i];
            if (strcmp(k->section, order[s]) != 0)
                continue;
            s_env_name(k, env, sizeof env);
            fprintf(out, "  %s = ", k->key);
            s_print_value(out, k->default_value);
            fprintf(out, "\n      %s\n      (%s; env %s)\n", k->help,
                    s_type_hint(k, hint, sizeof hint), env);
            any = true;
        }
        if (!any)
            fputs("  (none yet)\n", out);
    }
}
