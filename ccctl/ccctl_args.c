/* ccctl_args.c - parsing a sub-command's words into options and positionals, and the
 * value checks that belong to ccctl alone (see ccctl_args.h). Pure: no I/O. */
#include "ccctl_args.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cc_dialplan.h"

static int s_find_opt(const ccctl_opt_t *opts, size_t nopts, const char *word, size_t len)
{
    for (size_t i = 0; i < nopts; i++)
        if (strlen(opts[i].name) == len && strncmp(opts[i].name, word, len) == 0)
            return (int)i;
    return -1;
}

/* The i-th word of a "EXT PATTERN ..." list, for "missing PATTERN". */
static void s_pos_name(const char *names, int index, char *out, size_t outlen)
{
    const char *p = names ? names : "";
    for (int i = 0; i < index && *p; i++) {
        p += strcspn(p, " ");
        p += strspn(p, " ");
    }
    size_t len = strcspn(p, " ");
    snprintf(out, outlen, "%.*s", (int)(len ? len : 8), len ? p : "argument");
}

/* One "--name[=value]" word at argv[*i]; advances *i past a separate value. */
static int s_take_option(ccctl_args_t *out, int argc, char *const *argv, int *i, char *err,
                         size_t errlen)
{
    const char *word = argv[*i];
    const char *eq = strchr(word, '=');
    size_t len = eq ? (size_t)(eq - word) : strlen(word);
    int k = s_find_opt(out->opts, out->nopts, word, len);
    if (k < 0) {
        snprintf(err, errlen, "unknown option %.*s", (int)len, word);
        return -1;
    }
    const ccctl_opt_t *opt = &out->opts[k];
    if (out->value[k]) {
        snprintf(err, errlen, "option %s given twice", opt->name);
        return -1;
    }
    if (!opt->has_value) {
        if (eq) {
            snprintf(err, errlen, "option %s takes no value", opt->name);
            return -1;
        }
        out->value[k] = "";
        return 0;
    }
    if (eq) {
        out->value[k] = eq + 1;
    } else if (*i + 1 < argc) {
        out->value[k] = argv[++*i];
    } else {
        snprintf(err, errlen, "missing value for %s", opt->name);
        return -1;
    }
    return 0;
}

int ccctl_args_parse(ccctl_args_t *out, int argc, char *const *argv, const ccctl_opt_t *opts,
                     size_t nopts, int min_pos, int max_pos, const char *pos_names, char *err,
                     size_t errlen)
{
    memset(out, 0, sizeof *out);
    out->opts = opts;
    out->nopts = nopts < CCCTL_MAX_OPTS ? nopts : CCCTL_MAX_OPTS;
    if (max_pos > CCCTL_MAX_POS)
        max_pos = CCCTL_MAX_POS;
    bool options_done = false;
    for (int i = 0; i < argc; i++) {
        const char *word = argv[i];
        if (!options_done && strcmp(word, "--") == 0) {
            options_done = true;
            continue;
        }
        /* "-" alone is a value (e.g. stdin), and numbers never start with '-'. */
        if (!options_done && word[0] == '-' && word[1] != '\0') {
            if (s_take_option(out, argc, argv, &i, err, errlen) != 0)
                return -1;
            continue;
        }
        if (out->npos >= max_pos) {
            snprintf(err, errlen, "unexpected argument '%s'", word);
            return -1;
        }
        out->pos[out->npos++] = word;
    }
    if (out->npos < min_pos) {
        char name[64];
        s_pos_name(pos_names, out->npos, name, sizeof name);
        snprintf(err, errlen, "missing %s", name);
        return -1;
    }
    return 0;
}

const char *ccctl_arg(const ccctl_args_t *args, const char *name)
{
    int k = s_find_opt(args->opts, args->nopts, name, strlen(name));
    return k < 0 ? NULL : args->value[k];
}

bool ccctl_flag(const ccctl_args_t *args, const char *name)
{
    return ccctl_arg(args, name) != NULL;
}

int ccctl_parse_long(const char *text, long min, long max, long *out)
{
    if (!text || (!isdigit((unsigned char)text[0]) && text[0] != '-'))
        return -1;
    errno = 0;
    char *end = NULL;
    long v = strtol(text, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

static bool s_has_control(const char *text)
{
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return true;
    return false;
}

int ccctl_password_check(const char *pw, char *err, size_t errlen)
{
    size_t len = pw ? strlen(pw) : 0;
    if (len == 0)
        snprintf(err, errlen, "empty password");
    else if (len < CCCTL_PASSWORD_MIN)
        snprintf(err, errlen, "password too short: %zu characters, at least %d needed", len,
                 CCCTL_PASSWORD_MIN);
    else if (len > CCCTL_PASSWORD_MAX)
        snprintf(err, errlen, "password too long: %zu characters, at most %d", len,
                 CCCTL_PASSWORD_MAX);
    else if (s_has_control(pw))
        snprintf(err, errlen, "password contains a control character");
    else
        return 0;
    return -1;
}

int ccctl_name_check(const char *name, char *err, size_t errlen)
{
    if (strlen(name) > 100)
        snprintf(err, errlen, "name too long: %zu bytes, at most 100", strlen(name));
    else if (s_has_control(name))
        snprintf(err, errlen, "name contains a control character");
    else
        return 0;
    return -1;
}

static bool s_host_char(char c, bool v6)
{
    if (v6)
        return isxdigit((unsigned char)c) || c == ':' || c == '.';
    return isalnum((unsigned char)c) || c == '.' || c == '-';
}

int ccctl_hostport_parse(const char *text, int default_port, char *host, size_t hostlen, int *port,
                         char *err, size_t errlen)
{
    bool v6 = text[0] == '[';
    const char *start = v6 ? text + 1 : text;
    const char *end = v6 ? strchr(start, ']') : strchr(start, ':');
    if (v6 && !end) {
        snprintf(err, errlen, "'%s': ']' not closed", text);
        return -1;
    }
    size_t len = end ? (size_t)(end - start) : strlen(start);
    const char *rest = end ? end + (v6 ? 1 : 0) : start + len;
    if (len == 0 || len >= hostlen) {
        snprintf(err, errlen, "'%s': %s host", text, len ? "too long a" : "empty");
        return -1;
    }
    for (size_t i = 0; i < len; i++) {
        if (!s_host_char(start[i], v6)) {
            snprintf(err, errlen, "'%s': bad character '%c' in host", text, start[i]);
            return -1;
        }
    }
    long p = default_port;
    if (*rest) {
        if (rest[0] != ':' || ccctl_parse_long(rest + 1, 1, 65535, &p) != 0) {
            snprintf(err, errlen, "'%s': port must be 1-65535", text);
            return -1;
        }
    }
    memcpy(host, start, len);
    host[len] = '\0';
    *port = (int)p;
    return 0;
}

int ccctl_number_check(const char *number, bool allow_empty, char *err, size_t errlen)
{
    size_t len = strlen(number);
    if (len == 0 && !allow_empty) {
        snprintf(err, errlen, "empty number");
        return -1;
    }
    if (len >= CC_NUMBER_MAX) {
        snprintf(err, errlen, "'%s' is too long (at most %d characters)", number,
                 CC_NUMBER_MAX - 1);
        return -1;
    }
    size_t bad = strspn(number, "0123456789*#+");
    if (bad != len) {
        snprintf(err, errlen, "'%s': bad character '%c' (only 0-9 * # + allowed)", number,
                 number[bad]);
        return -1;
    }
    return 0;
}
