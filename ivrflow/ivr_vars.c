/* ivr_vars.c - a call's variable table (small, insertion-ordered, linear lookup: a call
 * holds a few dozen variables at most) and ${name} template checking and expansion.
 * Pure: no I/O. */
#include "ivr_vars.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cc_errbuf.h"

typedef struct {
    char name[IVR_VAR_NAME_MAX];
    char *value;
} s_var_t;

struct ivr_vars {
    s_var_t items[IVR_VARS_MAX];
    size_t len;
};

ivr_vars_t *ivr_vars_new(void)
{
    return calloc(1, sizeof(ivr_vars_t));
}

void ivr_vars_destroy(ivr_vars_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ivr_vars_t *self = *self_p;
    for (size_t i = 0; i < self->len; i++)
        free(self->items[i].value);
    free(self);
    *self_p = NULL;
}

static bool s_name_char(char c, bool first)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_')
        return true;
    return !first && c >= '0' && c <= '9';
}

static bool s_name_valid_n(const char *name, size_t len)
{
    if (len == 0 || len >= IVR_VAR_NAME_MAX)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!s_name_char(name[i], i == 0))
            return false;
    return true;
}

bool ivr_var_name_valid(const char *name)
{
    return name && s_name_valid_n(name, strlen(name));
}

static s_var_t *s_find(const ivr_vars_t *self, const char *name, size_t len)
{
    for (size_t i = 0; i < self->len; i++) {
        const s_var_t *var = &self->items[i];
        if (strlen(var->name) == len && memcmp(var->name, name, len) == 0)
            return (s_var_t *)var;
    }
    return NULL;
}

int ivr_vars_set(ivr_vars_t *self, const char *name, const char *value)
{
    if (!ivr_var_name_valid(name))
        return -1;
    size_t vlen = strnlen(value ? value : "", IVR_VAR_VALUE_MAX - 1);
    char *copy = malloc(vlen + 1);
    if (!copy)
        return -1;
    memcpy(copy, value ? value : "", vlen);
    copy[vlen] = '\0';
    s_var_t *var = s_find(self, name, strlen(name));
    if (!var) {
        if (self->len == IVR_VARS_MAX) {
            free(copy);
            return -1;
        }
        var = &self->items[self->len++];
        snprintf(var->name, sizeof var->name, "%s", name);
        var->value = NULL;
    }
    free(var->value);
    var->value = copy;
    return 0;
}

const char *ivr_vars_get(const ivr_vars_t *self, const char *name)
{
    const s_var_t *var = name ? s_find(self, name, strlen(name)) : NULL;
    return var ? var->value : NULL;
}

size_t ivr_vars_size(const ivr_vars_t *self)
{
    return self->len;
}

ivr_var_t ivr_vars_at(const ivr_vars_t *self, size_t i)
{
    ivr_var_t pair = {NULL, NULL};
    if (i < self->len) {
        pair.name = self->items[i].name;
        pair.value = self->items[i].value;
    }
    return pair;
}

int ivr_template_check(const char *text, char *err, size_t errlen)
{
    for (const char *p = text; (p = strstr(p, "${")) != NULL;) {
        const char *close = strchr(p + 2, '}');
        if (!close) {
            cc_errf(err, errlen, "'${' at position %zu is not closed by '}'", (size_t)(p - text));
            return -1;
        }
        if (!s_name_valid_n(p + 2, (size_t)(close - p - 2))) {
            cc_errf(err, errlen, "'%.*s' is not a valid variable name", (int)(close - p - 2),
                    p + 2);
            return -1;
        }
        p = close + 1;
    }
    return 0;
}

char *ivr_template_expand(const char *text, const ivr_vars_t *vars)
{
    size_t cap = strlen(text) + 1, len = 0;
    char *out = malloc(cap);
    if (!out)
        return NULL;
    for (const char *p = text; *p;) {
        const char *piece = p;
        size_t plen = 1;
        const char *close = strncmp(p, "${", 2) == 0 ? strchr(p + 2, '}') : NULL;
        if (close) {
            s_var_t *var = vars ? s_find(vars, p + 2, (size_t)(close - p - 2)) : NULL;
            piece = var ? var->value : "";
            plen = strlen(piece);
            p = close + 1;
        } else {
            p++;
        }
        if (len + plen + 1 > cap) {
            cap = (len + plen + 1) * 2;
            char *grown = realloc(out, cap);
            if (!grown) {
                free(out);
                return NULL;
            }
            out = grown;
        }
        memcpy(out + len, piece, plen);
        len += plen;
    }
    out[len] = '\0';
    return out;
}
