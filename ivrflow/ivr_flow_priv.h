/* ivr_flow_priv.h - what the flow parser's files share (ivr_flow.c: the document, links,
 * reachability; ivr_flow_node.c: one node of each kind): the parse context, error
 * recording with JSON Pointer paths, and typed getters that report what they reject.
 * Not for use outside the flow parser. */
#ifndef IVR_FLOW_PRIV_H
#define IVR_FLOW_PRIV_H

#include <jansson.h>

#include "ivr_flow.h"

typedef struct {
    const ivr_flow_env_t *env;
    ivr_flow_errors_t *errors;
    const char *language;
    char (*ids)[IVR_NODE_ID_MAX]; /* node ids, index = node index */
    size_t id_count;
    bool say_checked[3]; /* say prompt sets already checked, by mode */
} ivr_fp_t;

void ivr_fp_error(ivr_fp_t *fp, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* path + "/" + key, with JSON Pointer escaping of key (~ -> ~0, / -> ~1). */
void ivr_fp_path(char *out, size_t outlen, const char *path, const char *key);

/* Reports each key of obj not in the NULL-terminated list ("kind" and "comment" always
 * allowed). */
void ivr_fp_known_keys(ivr_fp_t *fp, json_t *obj, const char *path, const char *const *keys);

/* Getters: 0 if found and valid (or absent and not required: out keeps its default),
 * -1 after recording an error. Strings are copied (caller frees). */
int ivr_fp_string(ivr_fp_t *fp, json_t *obj, const char *key, const char *path, bool required,
                  char **out);
int ivr_fp_template(ivr_fp_t *fp, json_t *obj, const char *key, const char *path, bool required,
                    char **out);
int ivr_fp_variable(ivr_fp_t *fp, json_t *obj, const char *key, const char *path, bool required,
                    char **out);
int ivr_fp_int(ivr_fp_t *fp, json_t *obj, const char *key, const char *path, int lo, int hi,
               int *out);
int ivr_fp_bool(ivr_fp_t *fp, json_t *obj, const char *key, const char *path, bool *out);
/* Seconds (integer or fraction) between lo and hi, stored as milliseconds. */
int ivr_fp_seconds(ivr_fp_t *fp, json_t *obj, const char *key, const char *path, double lo,
                   double hi, int *out_ms);
/* A node id -> its index. Absent and not required: IVR_NONE. */
int ivr_fp_link(ivr_fp_t *fp, json_t *obj, const char *key, const char *path, bool required,
                int *out);
int ivr_fp_link_value(ivr_fp_t *fp, json_t *value, const char *path, int *out);
/* A prompt list: "name", or an array of names and {"digits": tpl} / {"number": tpl}. */
int ivr_fp_prompts(ivr_fp_t *fp, json_t *obj, const char *key, const char *path, bool required,
                   ivr_prompts_t *out);

/* ivr_flow_node.c: fills node (id and kind already set) from its JSON object. Returns 0,
 * or -1 if any error was recorded. */
int ivr_fp_node(ivr_fp_t *fp, json_t *obj, ivr_node_t *node, const char *path);
void ivr_node_clear(ivr_node_t *node);
void ivr_prompts_clear(ivr_prompts_t *prompts);

#endif
