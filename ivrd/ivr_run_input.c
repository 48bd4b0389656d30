/* ivr_run_input.c - keys in menu, collect and survey nodes: the prompt with barge-in, the
 * first-digit and inter-digit timers, the terminator, what counts as a valid answer,
 * retries with the invalid/timeout prompts ending in the fallback, and asking again when
 * the media came back after a mediad restart. Pure. */
#include "ivr_run_priv.h"

#include <stdio.h>
#include <string.h>

static const ivr_input_t *s_input(const ivr_node_t *node)
{
    switch (node->kind) {
    case IVR_NODE_MENU:
        return &node->u.menu.input;
    case IVR_NODE_COLLECT:
        return &node->u.collect.input;
    default:
        return &node->u.survey.input;
    }
}

/* The input as the path records it: the digits, or only their count for private input. */
static void s_describe(const ivr_run_t *self, const char *tag, char *text, size_t len)
{
    const ivr_node_t *node = ivr_run_cur(self);
    if (node->kind == IVR_NODE_COLLECT && node->u.collect.private_input)
        snprintf(text, len, "%s:<%zu digits>", tag, self->buf_len);
    else
        snprintf(text, len, "%s:%.*s", tag, (int)self->buf_len, self->buf);
}

static void s_consume_typeahead(ivr_run_t *self, int64_t now, ivr_actions_t *out);

/* Asks again (before: the invalid or timeout prompt), or plays the prompt the first time. */
static void s_ask(ivr_run_t *self, const ivr_prompts_t *before, int64_t now, ivr_actions_t *out)
{
    const ivr_input_t *in = s_input(ivr_run_cur(self));
    self->buf_len = 0;
    self->state = IVR_RS_INPUT;
    if (self->typeahead_len > 0) {
        s_consume_typeahead(self, now, out);
        return;
    }
    if (ivr_run_play(self, before, &in->prompt, true, out) == 0)
        ivr_run_arm(self, now + in->timeout_ms, out);
}

static void s_fail(ivr_run_t *self, const char *reason, bool timeout, int64_t now,
                   ivr_actions_t *out)
{
    const ivr_input_t *in = s_input(ivr_run_cur(self));
    ivr_run_step(self, reason, now, out);
    const ivr_prompts_t *prompt = timeout ? &in->timeout_prompt : &in->invalid_prompt;
    if (++self->failures >= in->retries) {
        ivr_run_step(self, "fallback", now, out);
        ivr_run_play_then(self, prompt, in->fallback, now, out);
        return;
    }
    s_ask(self, prompt, now, out);
}

static int s_menu_next(const ivr_node_t *node, char digit)
{
    for (size_t i = 0; i < node->u.menu.option_count; i++)
        if (node->u.menu.options[i].digit == digit)
            return node->u.menu.options[i].next;
    return IVR_NONE - 1; /* not an option (IVR_NONE itself would be a valid "hang up") */
}

/* Menu: one key that is an option. Returns the next node, or IVR_NONE - 1 if invalid. */
static int s_judge_menu(ivr_run_t *self, const ivr_node_t *node, char *text, size_t len)
{
    int next = self->buf_len == 1 ? s_menu_next(node, self->buf[0]) : IVR_NONE - 1;
    s_describe(self, next >= IVR_NONE ? "key" : "invalid", text, len);
    return next;
}

/* Collect: min..max digits, stored in the node's variable. */
static int s_judge_collect(ivr_run_t *self, const ivr_node_t *node, char *text, size_t len)
{
    const ivr_input_t *in = &node->u.collect.input;
    bool ok = (int)self->buf_len >= in->min_digits && (int)self->buf_len <= in->max_digits;
    s_describe(self, ok ? "digits" : "invalid", text, len);
    if (!ok)
        return IVR_NONE - 1;
    if (ivr_vars_set(self->vars, node->u.collect.variable, self->buf) < 0)
        self->error = -1;
    return node->next;
}

/* The caller finished (max digits, terminator, or inter-digit timeout): judge the answer. */
static void s_complete(ivr_run_t *self, int64_t now, ivr_actions_t *out)
{
    const ivr_node_t *node = ivr_run_cur(self);
    char text[96];
    ivr_run_disarm(self, out);
    self->buf[self->buf_len] = '\0';
    if (node->kind != IVR_NODE_SURVEY) {
        int next = node->kind == IVR_NODE_MENU ? s_judge_menu(self, node, text, sizeof text)
                                               : s_judge_collect(self, node, text, sizeof text);
        if (next < IVR_NONE) {
            s_fail(self, text, false, now, out);
        } else {
            ivr_run_step(self, text, now, out);
            ivr_run_enter(self, next, now, out);
        }
        return;
    }
    int score = self->buf_len == 1 ? self->buf[0] - '0' : 0;
    if (score < 1 || score > 5) {
        s_describe(self, "invalid", text, sizeof text);
        s_fail(self, text, false, now, out);
        return;
    }
    snprintf(text, sizeof text, "score:%d", score);
    ivr_run_step(self, text, now, out);
    if (ivr_actions_survey(out, node->u.survey.question, score) < 0)
        self->error = -1;
    ivr_run_play_then(self, &node->u.survey.thanks, node->next, now, out);
}

void ivr_input_begin(ivr_run_t *self, int64_t now, ivr_actions_t *out)
{
    self->failures = 0;
    s_ask(self, NULL, now, out);
}

void ivr_input_digit(ivr_run_t *self, char digit, int64_t now, ivr_actions_t *out)
{
    const ivr_input_t *in = s_input(ivr_run_cur(self));
    if (self->playing) { /* barge-in: the key stops the prompt and counts */
        self->playing = false;
        if (ivr_actions_simple(out, IVR_ACT_STOP) < 0)
            self->error = -1;
    }
    if (in->terminator && digit == in->terminator) {
        s_complete(self, now, out);
        return;
    }
    if (self->buf_len < sizeof self->buf - 1)
        self->buf[self->buf_len++] = digit;
    if ((int)self->buf_len >= in->max_digits) {
        s_complete(self, now, out);
        return;
    }
    ivr_run_arm(self, now + in->inter_digit_ms, out);
}

void ivr_input_timer(ivr_run_t *self, int64_t now, ivr_actions_t *out)
{
    if (self->buf_len == 0)
        s_fail(self, "timeout", true, now, out);
    else
        s_complete(self, now, out); /* inter-digit timeout ends the input */
}

void ivr_input_prompt_done(ivr_run_t *self, int64_t now, ivr_actions_t *out)
{
    ivr_run_arm(self, now + s_input(ivr_run_cur(self))->timeout_ms, out);
}

void ivr_input_ask_again(ivr_run_t *self, int64_t now, ivr_actions_t *out)
{
    /* a play in an input node is always s_ask's: the lead-in (invalid or timeout prompt)
     * and the node's prompt */
    const ivr_prompts_t *before = self->playing ? self->play_lists[0] : NULL;
    ivr_run_disarm(self, out);
    s_ask(self, before, now, out);
}

/* Keys pressed through an earlier play node count as if pressed during this prompt. */
static void s_consume_typeahead(ivr_run_t *self, int64_t now, ivr_actions_t *out)
{
    const ivr_node_t *node = ivr_run_cur(self);
    char step[24];
    snprintf(step, sizeof step, "typeahead:%.*s", (int)self->typeahead_len, self->typeahead);
    ivr_run_step(self, step, now, out);
    while (self->typeahead_len > 0 && self->state == IVR_RS_INPUT && ivr_run_cur(self) == node) {
        char digit = self->typeahead[0];
        memmove(self->typeahead, self->typeahead + 1, --self->typeahead_len);
        ivr_input_digit(self, digit, now, out);
    }
}
