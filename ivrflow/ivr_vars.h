/* ivr_vars.h - the variables of one call (name -> string value) and the ${name} templates
 * that read them. Pure: plain strings in and out. Flow documents use templates wherever a
 * value may come from a variable (route targets, set values, lookup keys, say values). */
#ifndef IVR_VARS_H
#define IVR_VARS_H

#include <stdbool.h>
#include <stddef.h>

#define IVR_VAR_NAME_MAX 48   /* longest variable name, in characters */
#define IVR_VAR_VALUE_MAX 256 /* longest value; longer values are cut */
#define IVR_VARS_MAX 64       /* most variables one call may hold */

/* A borrowed name/value pair, used to pass variables in and out. */
typedef struct {
    const char *name;
    const char *value;
} ivr_var_t;

typedef struct ivr_vars ivr_vars_t;

ivr_vars_t *ivr_vars_new(void);
void ivr_vars_destroy(ivr_vars_t **self_p);
/* Sets or replaces. -1 if the name is invalid or the table is full. */
int ivr_vars_set(ivr_vars_t *self, const char *name, const char *value);
/* The value or NULL if unset. Borrowed until the next set of that name. */
const char *ivr_vars_get(const ivr_vars_t *self, const char *name);
size_t ivr_vars_size(const ivr_vars_t *self);
/* The i-th pair in insertion order (borrowed). */
ivr_var_t ivr_vars_at(const ivr_vars_t *self, size_t i);

/* Names: 1-47 of [A-Za-z0-9_], not starting with a digit. */
bool ivr_var_name_valid(const char *name);

/* 0 if `text` is a valid template (every "${" closed by "}" around a valid name), else -1
 * with a reason. */
int ivr_template_check(const char *text, char *err, size_t errlen);
/* Expands ${name} references (unset -> empty). Returns a new string, the caller's to free;
 * NULL only when out of memory. */
char *ivr_template_expand(const char *text, const ivr_vars_t *vars);

#endif
