/* vm_core.c - leaving a voicemail message (see vm_core.h): the greeting, the recording and
 * what ends it, kept or discarded. Pure: no I/O, time passed in. */
#include "vm_core.h"

#include <stdio.h>
#include <string.h>

static const char *const s_reasons[] = {"direct", "busy",     "noanswer", "unavailable",
                                        "dnd",    "overflow", "closed"};

bool vm_reason_ok(const char *reason)
{
    for (size_t i = 0; reason && i < sizeof s_reasons / sizeof s_reasons[0]; i++)
        if (strcmp(reason, s_reasons[i]) == 0)
            return true;
    return false;
}

const char *vm_deposit_state_name(vm_deposit_state_t s)
{
    static const char *const names[] = {"answering", "greeting", "recording", "closing", "done"};
    return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "?";
}

static vm_action_t *s_add(vm_actions_t *out, vm_act_kind_t kind)
{
    if (out->n >= VM_ACTIONS_MAX)
        return NULL; /* cannot happen: no event makes more than a few */
    vm_action_t *a = &out->a[out->n++];
    memset(a, 0, sizeof *a);
    a->kind = kind;
    return a;
}

void vm_deposit_init(vm_deposit_t *d, const vm_box_t *box, const char *reason)
{
    memset(d, 0, sizeof *d);
    d->box = *box;
    snprintf(d->reason, sizeof d->reason, "%s", reason && reason[0] ? reason : "direct");
    d->next_play = 1;
}

size_t vm_greeting(vm_deposit_t *d, const char **prompts, size_t max)
{
    size_t n = 0;
    bool busy = strcmp(d->reason, "busy") == 0;
    const vm_box_t *b = &d->box;
    if (max < 8)
        return 0;
    if (busy && b->greeting_busy[0]) {
        prompts[n++] = b->greeting_busy;
    } else if (!busy && b->greeting_unavailable[0]) {
        prompts[n++] = b->greeting_unavailable;
    } else if (b->is_queue) {
        prompts[n++] = "vm/nobody_available";
    } else {
        /* "<name> | The person at extension 1 0 0 1" + "is busy | is not available" */
        if (b->greeting_name[0]) {
            prompts[n++] = b->greeting_name;
        } else {
            prompts[n++] = "vm/person_at";
            for (const char *p = b->mailbox; *p && n < max - 4 && p - b->mailbox < VM_NAME_MAX;
                 p++) {
                if (*p < '0' || *p > '9')
                    continue;
                char *slot = d->digit_prompts[p - b->mailbox];
                snprintf(slot, sizeof d->digit_prompts[0], "digits/%c", *p);
                prompts[n++] = slot;
            }
        }
        prompts[n++] = busy ? "vm/is_busy" : "vm/is_unavailable";
    }
    prompts[n++] = "vm/leave_message";
    prompts[n++] = "tones/beep";
    return n;
}

static void s_play(vm_deposit_t *d, const char **prompts, size_t n, vm_actions_t *out)
{
    vm_action_t *a = s_add(out, VM_ACT_PLAY);
    if (!a)
        return;
    d->play = d->next_play++;
    a->play = d->play;
    for (size_t i = 0; i < n && i < VM_PROMPTS_MAX; i++)
        a->prompts[a->nprompts++] = prompts[i];
}

static void s_timer(vm_actions_t *out, int64_t at)
{
    vm_action_t *a = s_add(out, VM_ACT_TIMER);
    if (a)
        a->at = at;
}

/* The next moment something may end the recording: max length, or silence. */
static int64_t s_deadline(const vm_deposit_t *d)
{
    int64_t at = d->started_at + d->box.max_ms;
    if (d->box.silence_ms > 0 && !d->talking) {
        int64_t quiet = d->last_talk + d->box.silence_ms;
        if (quiet < at)
            at = quiet;
    }
    return at;
}

void vm_deposit_answered(vm_deposit_t *d, int64_t now, vm_actions_t *out)
{
    (void)now;
    if (d->state != VM_D_ANSWERING)
        return;
    const char *prompts[VM_PROMPTS_MAX];
    size_t n = vm_greeting(d, prompts, VM_PROMPTS_MAX);
    d->state = VM_D_GREETING;
    s_play(d, prompts, n, out);
}

static void s_record(vm_deposit_t *d, int64_t now, vm_actions_t *out)
{
    d->state = VM_D_RECORDING;
    d->play = 0;
    d->started_at = now;
    d->last_talk = now;
    d->talking = d->heard = false;
    s_add(out, VM_ACT_RECORD);
    s_timer(out, s_deadline(d));
}

/* End of the recording: what it holds is kept unless too short (or only silence). */
static void s_stop(vm_deposit_t *d, int64_t now, const char *why, bool caller_there,
                   vm_actions_t *out)
{
    int64_t ms = now - d->started_at;
    if (strcmp(why, "silence") == 0)
        ms -= d->box.silence_ms; /* the quiet tail is not part of the message */
    if (ms < 0)
        ms = 0;
    bool keep = ms >= d->box.min_ms && (d->heard || strcmp(why, "silence") != 0);
    vm_action_t *a = s_add(out, VM_ACT_STOP);
    if (a) {
        a->keep = keep;
        a->duration_ms = ms;
        a->reason = why;
    }
    s_timer(out, 0);
    if (!caller_there) {
        d->state = VM_D_DONE;
        return;
    }
    d->state = VM_D_CLOSING;
    const char *bye[] = {keep ? "vm/message_saved" : "vm/too_short", "goodbye"};
    s_play(d, bye, 2, out);
}

void vm_deposit_play_done(vm_deposit_t *d, unsigned play, int64_t now, vm_actions_t *out)
{
    if (!play || play != d->play)
        return;
    if (d->state == VM_D_GREETING) {
        s_record(d, now, out);
    } else if (d->state == VM_D_CLOSING) {
        d->play = 0;
        d->state = VM_D_DONE;
        vm_action_t *a = s_add(out, VM_ACT_HANGUP);
        if (a)
            a->reason = "voicemail: message left";
    }
}

void vm_deposit_digit(vm_deposit_t *d, char digit, int64_t now, vm_actions_t *out)
{
    if (digit != '#')
        return;
    if (d->state == VM_D_GREETING) {
        /* skip the greeting: a short beep still marks the start */
        s_add(out, VM_ACT_STOP_PLAY);
        const char *beep[] = {"tones/beep"};
        s_play(d, beep, 1, out);
    } else if (d->state == VM_D_RECORDING) {
        s_stop(d, now, "hash", true, out);
    }
}

void vm_deposit_talking(vm_deposit_t *d, bool talking, int64_t now, vm_actions_t *out)
{
    if (d->state != VM_D_RECORDING || talking == d->talking)
        return;
    d->talking = talking;
    if (talking)
        d->heard = true;
    d->last_talk = now;
    s_timer(out, s_deadline(d));
}

void vm_deposit_timer(vm_deposit_t *d, int64_t now, vm_actions_t *out)
{
    if (d->state != VM_D_RECORDING)
        return;
    int64_t at = s_deadline(d);
    if (now < at) {
        s_timer(out, at); /* woken early: the clocks differ a little */
        return;
    }
    bool max = now >= d->started_at + d->box.max_ms;
    s_stop(d, now, max ? "max" : "silence", true, out);
}

void vm_deposit_hangup(vm_deposit_t *d, int64_t now, vm_actions_t *out)
{
    if (d->state == VM_D_RECORDING) {
        s_stop(d, now, "hangup", false, out);
        return;
    }
    if (d->state != VM_D_DONE)
        s_timer(out, 0);
    d->state = VM_D_DONE;
}
