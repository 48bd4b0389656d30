/* ivr_flow_get.c - the flow parser's typed getters: each reads one key of a JSON object,
 * checks its type and range, and on a problem records an error with the key's JSON Pointer
 * path. Also prompt lists and node links. No I/O beyond the env callbacks. */
#include "ivr_flow_priv.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ivr_vars.h"

void ivr_fp_error(ivr_fp_t *fp, const char *path, const char *fmt, ...)
{
    ivr_flow_errors_t *errors = fp->errors;
    if (errors->count == IVR_FLOW_ERRORS_MAX) {
        errors->truncated = true;
        return;
    }
    ivr_flow_error_t *e = &errors->items[errors->count++];
    snprintf(e->path, sizeof e->path, "%s", path && *path ? path : "/");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->reason, sizeof e->reason, fmt, ap);
    va_end(ap);
}

void ivr_fp_path(char *out, size_t outlen, const char *path, const char *key)
{
    size_t len = (size_t)snprintf(out, outlen, "%s/", path);
    for (const char *k = key; *k && len + 3 < outlen; k++) {
        if (*k == '~' || *k == '/') {
            out[len++] = '~';
            out[len++] = *k == '~' ? '0' : '1';
        } else {
            out[len++] = *k;
        }
    }
    if (len < outlen)
        out[len] = '\0';
}

void ivr_fp_known_keys(ivr_fp_t *fp, json_t *obj, const char *path, const char *const *keys)
{
    const char *key;
    json_t *value;
    json_object_foreach(obj, key, value)
    {
        bool known = strcmp(key, "kind") == 0 || strcmp(key, "comment") == 0;
        for (size_t i = 0; !known && keys[i]; i++)
            known = strcmp(key, keys[i]) == 0;
        if (!known) {
            char p[192];
            ivr_fp_path(p, sizeof p, path, key);
            ivr_fp_error(fp, p, "unknown key '%s'", key);
        }
    }
}

/* The value at key, or NULL; records "missing required key" when required. */
static json_t *s_get(ivr_fp_t *fp, json_t *obj, const char *key, const char *path, bool required,
                     char *p, size_t plen)
{
    ivr_fp_path(p, plen, path, key);
    json_t *value = json_object_get(obj, key);
    if (!value && required)
        ivr_fp_error(fp, path, "missing required key '%s'", key);
    return value;
}

int ivr_fp_string(ivr_fp_t *fp, json_t *obj, const char *key, const char *path, bool required,
                  char **out)
{
    char p[192];
    json_t *value = s_get(fp, obj, key, path, required, p, sizeof p);
    if (!value)
        return required ? -1 : 0;
    if (!json_is_string(value) || json_string_length(value) == 0) {
        ivr_fp_error(fp, p, "must be a non-empty string");
        return -1;
    }
    char *copy = strdup(json_string_value(value));
    if (!copy) {
        ivr_fp_error(fp, p, "out of memory");
        return -1;
    }
    free(*out);
    *out = copy;
    return 0;
}

int ivr_fp_template(ivr_fp_t *fp, json_t *obj, const char *key, const char *path, bool required,
                    char **out)
{
    char p[192], why[160];
    json_t *value = json_object_get(obj, key);
    if (json_is_integer(value)) { /* a number where text is expected: take it as text */
        char text[32];
        snprintf(text, sizeof text, "%lld", (long long)json_integer_value(value));
        free(*out);
        *out = strdup(text);
        return *out ? 0 : -1;
    }
    if (ivr_fp_string(fp, obj, key, path, required, out) < 0)
        return -1;
    ivr_fp_path(p, sizeof p, path, key);
    if (*out && ivr_template_check(*out, why, sizeof why) < 0) {
        ivr_fp_error(fp, p, "%s", why);
        return -1;
    }
    return 0;
}

int ivr_fp_variable(ivr_fp_t *fp, json_t *obj, const char *key, const char *path, bool required,
                    char **out)
{
    char p[192];
    if (ivr_fp_string(fp, obj, key, path, required, out) < 0)
        return -1;
    ivr_fp_path(p, sizeof p, path, key);
    if (*out && !ivr_var_name_valid(*out)) {
        ivr_fp_error(fp, p, "'%s' is not a variable name (letters, digits, _; up to %d)", *out,
                     IVR_VAR_NAME_MAX - 1);
        return -1;
    }
    return 0;
}

int ivr_fp_int(ivr_fp_t *fp, json_t *obj, const char *key, const char *path, int lo, int hi,
               int *out)
{
    char p[192];
    json_t *value = s_get(fp, obj, key, path, false, p, sizeof p);
    if (!value)
        return 0;
    if (!json_is_integer(value) || json_integer_value(value) < lo ||
        json_integer_value(value) > hi) {
        ivr_fp_error(fp, p, "must be an integer from %d to %d", lo, hi);
        return -1;
    }
    *out = (int)json_integer_value(value);
    return 0;
}

int ivr_fp_bool(ivr_fp_t *fp, json_t *obj, const char *key, const char *path, bool *out)
{
    char p[192];
    json_t *value = s_get(fp, obj, key, path, false, p, sizeof p);
    if (!value)
        return 0;
    if (!json_is_boolean(value)) {
        ivr_fp_error(fp, p, "must be true or false");
        return -1;
    }
    *out = json_is_true(value);
    return 0;
}

int ivr_fp_seconds(ivr_fp_t *fp, json_t *obj, const char *key, const char *path, double lo,
                   double hi, int *out_ms)
{
    char p[192];
    json_t *value = s_get(fp, obj, key, path, false, p, sizeof p);
    if (!value)
        return 0;
    double secs = json_is_number(value) ? json_number_value(value) : -1.0;
    if (!json_is_number(value) || secs < lo || secs > hi) {
        ivr_fp_error(fp, p, "must be a number of seconds from %g to %g", lo, hi);
        return -1;
    }
    *out_ms = (int)(secs * 1000.0 + 0.5);
    return 0;
}

int ivr_fp_link_value(ivr_fp_t *fp, json_t *value, const char *path, int *out)
{
    if (!json_is_string(value)) {
        ivr_fp_error(fp, path, "must be the id of a node (a string)");
        return -1;
    }
    const char *id = json_string_value(value);
    for (size_t i = 0; i < fp->id_count; i++) {
        if (strcmp(fp->ids[i], id) == 0) {
            *out = (int)i;
            return 0;
        }
    }
    ivr_fp_error(fp, path, "points to '%s', which is not a node", id);
    return -1;
}

int ivr_fp_link(ivr_fp_t *fp, json_t *obj, const char *key, const char *path, bool required,
                int *out)
{
    char p[192];
    *out = IVR_NONE;
    json_t *value = s_get(fp, obj, key, path, required, p, sizeof p);
    if (!value)
        return required ? -1 : 0;
    return ivr_fp_link_value(fp, value, p, out);
}

static bool s_prompt_name_valid(const char *name)
{
    size_t len = strlen(name);
    if (len == 0 || len > 100 || name[0] == '/' || name[0] == '.' || strstr(name, ".."))
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.' || c == '/'))
            return false;
    }
    return true;
}

static void s_check_exists(ivr_fp_t *fp, const char *name, const char *path)
{
    const ivr_flow_env_t *env = fp->env;
    if (env && env->prompt_exists && !env->prompt_exists(name, fp->language, env->ctx))
        ivr_fp_error(fp, path, "prompt '%s' not found for language '%s'", name, fp->language);
}

/* {"digits": "${x}"} or {"number": "${x}"}: every prompt that reading may need must exist. */
static int s_say_item(ivr_fp_t *fp, json_t *item, const char *path, ivr_prompt_t *out)
{
    json_t *digits = json_object_get(item, "digits"), *number = json_object_get(item, "number");
    if (json_object_size(item) != 1 || (!digits && !number)) {
        ivr_fp_error(fp, path,
                     "a prompt item must be a name or {\"digits\": ...} or "
                     "{\"number\": ...}");
        return -1;
    }
    out->say = digits ? IVR_SAY_DIGITS : IVR_SAY_NUMBER;
    if (ivr_fp_template(fp, item, digits ? "digits" : "number", path, true, &out->text) < 0)
        return -1;
    if (!fp->say_checked[out->say]) {
        fp->say_checked[out->say] = true;
        const char *names[64];
        size_t n = ivr_say_required(out->say, fp->language, names, 64);
        for (size_t i = 0; i < n; i++)
            s_check_exists(fp, names[i], path);
    }
    return 0;
}

static int s_prompt_item(ivr_fp_t *fp, json_t *item, const char *path, ivr_prompt_t *out)
{
    if (json_is_object(item))
        return s_say_item(fp, item, path, out);
    const char *name = json_string_value(item);
    if (!name || !s_prompt_name_valid(name)) {
        ivr_fp_error(fp, path, "'%s' is not a prompt name (letters, digits, _ - . /)",
                     name ? name : "(not a string)");
        return -1;
    }
    out->say = IVR_SAY_NONE;
    out->text = strdup(name);
    s_check_exists(fp, name, path);
    return out->text ? 0 : -1;
}

int ivr_fp_prompts(ivr_fp_t *fp, json_t *obj, const char *key, const char *path, bool required,
                   ivr_prompts_t *out)
{
    char p[192], ip[224];
    json_t *value = s_get(fp, obj, key, path, required, p, sizeof p);
    if (!value)
        return required ? -1 : 0;
    size_t n = json_is_array(value) ? json_array_size(value) : 1;
    if (n == 0 || n > 32) {
        ivr_fp_error(fp, p, "must name 1 to 32 prompts");
        return -1;
    }
    ivr_prompts_clear(out);
    out->items = calloc(n, sizeof *out->items);
    if (!out->items)
        return -1;
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *item = json_is_array(value) ? json_array_get(value, i) : value;
        if (json_is_array(value))
            snprintf(ip, sizeof ip, "%s/%zu", p, i);
        else
            snprintf(ip, sizeof ip, "%s", p);
        if (s_prompt_item(fp, item, ip, &out->items[out->count]) < 0)
            rc = -1;
        out->count++;
    }
    return rc;
}
