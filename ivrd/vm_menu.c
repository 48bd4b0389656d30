/* vm_menu.c - the mailbox menu by phone (see vm_menu.h). Pure: no I/O, time passed in. */
#include "vm_menu.h"

#include "ivr_say.h"

#include <stdio.h>
#include <string.h>

const char *vm_menu_state_name(vm_menu_state_t s)
{
    static const char *const names[] = {"box", "lookup", "pin",       "check",  "loading", "main",
                                        "msg", "greet",  "greet_rec", "newpin", "bye"};
    return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "?";
}

static vm_menu_action_t *s_add(vm_menu_actions_t *out, vm_menu_act_kind_t kind)
{
    if (out->n >= sizeof out->a / sizeof out->a[0])
        return NULL; /* cannot happen: no event makes more than a few */
    vm_menu_action_t *a = &out->a[out->n++];
    memset(a, 0, sizeof *a);
    a->kind = kind;
    return a;
}

static void s_timer(vm_menu_actions_t *out, int64_t at)
{
    vm_menu_action_t *a = s_add(out, VM_MA_TIMER);
    if (a)
        a->at = at;
}

/* Plays prompts; with barge_in a key stops them (and is acted on). */
static void s_say(vm_menu_t *m, const char *const *prompts, size_t n, bool barge_in,
                  vm_menu_actions_t *out)
{
    vm_menu_action_t *a = s_add(out, VM_MA_PLAY);
    if (!a)
        return;
    m->play = m->next_play++;
    m->play_over = false;
    a->play = m->play;
    a->barge_in = barge_in;
    for (size_t i = 0; i < n && i < VM_PROMPTS_MAX; i++)
        a->prompts[a->nprompts++] = prompts[i];
    s_timer(out, 0);
}

static void s_bye(vm_menu_t *m, const char *first, vm_menu_actions_t *out)
{
    const char *p[] = {first, "goodbye"};
    m->state = VM_M_BYE;
    s_say(m, first ? p : p + 1, first ? 2 : 1, false, out);
}

static void s_ask(vm_menu_t *m, vm_menu_state_t state, const char *prompt, const char *before,
                  vm_menu_actions_t *out)
{
    const char *p[] = {before, prompt};
    m->state = state;
    m->digits[0] = '\0';
    s_say(m, before ? p : p + 1, before ? 2 : 1, true, out);
}

/* Adds the prompts that say count n in the box's language (ivr_say's number reading, the
 * same as IVR flows; at most 3 names below 100: "num-2 num-10 num-3" in Mandarin) to p at
 * *k. Counts are capped at 99, which no box of VM_MENU_MSGS_MAX reaches. */
static void s_count(const vm_menu_t *m, int n, const char **p, size_t *k)
{
    char value[8];
    snprintf(value, sizeof value, "%d", n < 0 ? 0 : n > 99 ? 99 : n);
    *k += ivr_say_prompts(IVR_SAY_NUMBER, m->language, value, p + *k, 3);
}

static void s_main(vm_menu_t *m, bool counts, vm_menu_actions_t *out)
{
    m->state = VM_M_MAIN;
    m->idle = 0;
    const char *p[12];
    size_t n = 0;
    if (counts) {
        p[n++] = "vm/you_have";
        s_count(m, m->new_count, p, &n);
        p[n++] = "vm/new_messages";
        p[n++] = "vm/and";
        s_count(m, m->saved_count, p, &n);
        p[n++] = "vm/saved_messages";
    }
    p[n++] = "vm/main_menu";
    s_say(m, p, n, true, out);
}

static void s_load(vm_menu_t *m, vm_menu_actions_t *out)
{
    m->state = VM_M_LOADING;
    vm_menu_action_t *a = s_add(out, VM_MA_LOAD);
    if (a)
        a->box = m->box;
}

/* Message cur (with what comes before it, e.g. "saved."), or the end of the list. */
static void s_message(vm_menu_t *m, const char *before, vm_menu_actions_t *out)
{
    const char *p[5];
    size_t n = 0;
    if (before)
        p[n++] = before;
    if (m->cur >= m->nmsgs) {
        p[n++] = m->nmsgs ? "vm/no_more_messages" : "vm/no_messages";
        s_say(m, p, n, false, out);
        m->state = VM_M_LOADING; /* reloaded when said: the counts changed */
        m->cur = -1;
        return;
    }
    m->state = VM_M_MSG;
    m->idle = 0;
    p[n++] = "vm/message";
    p[n++] = m->paths[m->cur];
    p[n++] = "vm/message_menu";
    s_say(m, p, n, true, out);
}

void vm_menu_language(vm_menu_t *m, const char *language)
{
    snprintf(m->language, sizeof m->language, "%s", language ? language : "");
}

void vm_menu_start(vm_menu_t *m, bool own, const char *box, int64_t now, vm_menu_actions_t *out)
{
    (void)now;
    memset(m, 0, sizeof *m);
    m->next_play = 1;
    m->own = own;
    if (own && box && box[0]) {
        snprintf(m->box, sizeof m->box, "%s", box);
        m->state = VM_M_LOOKUP;
        vm_menu_action_t *a = s_add(out, VM_MA_LOOKUP);
        if (a)
            a->box = m->box;
        return;
    }
    s_ask(m, VM_M_BOX, "vm/enter_mailbox", NULL, out);
}

void vm_menu_box(vm_menu_t *m, bool found, bool pin_needed, bool has_pin, int64_t now,
                 vm_menu_actions_t *out)
{
    (void)now;
    if (m->state != VM_M_LOOKUP)
        return;
    if (!found || (!m->own && !has_pin)) { /* a box without a PIN opens only at home */
        s_bye(m, "vm/no_mailbox", out);
        return;
    }
    if (pin_needed && has_pin) {
        s_ask(m, VM_M_PIN, "vm/enter_pin", NULL, out);
        return;
    }
    s_load(m, out);
}

void vm_menu_pin_result(vm_menu_t *m, bool ok, bool blocked, int64_t now, vm_menu_actions_t *out)
{
    (void)now;
    if (m->state != VM_M_CHECK)
        return;
    if (ok) {
        s_load(m, out);
        return;
    }
    if (blocked || ++m->tries >= VM_MENU_PIN_TRIES) {
        s_bye(m, "vm/wrong_pin", out);
        return;
    }
    s_ask(m, VM_M_PIN, "vm/enter_pin", "vm/wrong_pin", out);
}

void vm_menu_loaded(vm_menu_t *m, int n, const int64_t *ids, const char *const *paths,
                    int new_count, int saved_count, int64_t now, vm_menu_actions_t *out)
{
    (void)now;
    if (m->state != VM_M_LOADING)
        return;
    if (n > VM_MENU_MSGS_MAX)
        n = VM_MENU_MSGS_MAX;
    m->nmsgs = n < 0 ? 0 : n;
    for (int i = 0; i < m->nmsgs; i++) {
        m->ids[i] = ids[i];
        snprintf(m->paths[i], sizeof m->paths[i], "%s", paths[i]);
    }
    m->new_count = new_count;
    m->saved_count = saved_count;
    m->cur = -1;
    s_main(m, true, out);
}

/* A number keyed into digits is complete: act on it. */
static void s_number_done(vm_menu_t *m, vm_menu_actions_t *out)
{
    vm_menu_action_t *a;
    s_timer(out, 0);
    switch (m->state) {
    case VM_M_BOX:
        if (!m->digits[0]) {
            s_ask(m, VM_M_BOX, "vm/enter_mailbox", NULL, out);
            return;
        }
        snprintf(m->box, sizeof m->box, "%s", m->digits);
        m->state = VM_M_LOOKUP;
        if ((a = s_add(out, VM_MA_LOOKUP)))
            a->box = m->box;
        break;
    case VM_M_PIN:
        m->state = VM_M_CHECK;
        if ((a = s_add(out, VM_MA_CHECK_PIN))) {
            a->box = m->box;
            a->digits = m->digits;
        }
        break;
    case VM_M_NEWPIN: {
        size_t len = strlen(m->digits);
        if (len < 4 || len > 12) {
            const char *p[] = {"vm/pin_invalid"};
            s_say(m, p, 1, false, out);
            m->state = VM_M_LOADING; /* back to the menu when said */
            m->cur = -1;
            return;
        }
        if ((a = s_add(out, VM_MA_SET_PIN))) {
            a->box = m->box;
            a->digits = m->digits;
        }
        const char *p[] = {"vm/pin_changed"};
        s_say(m, p, 1, false, out);
        m->state = VM_M_LOADING;
        m->cur = -1;
        break;
    }
    default:
        break;
    }
}

static void s_greeting_key(vm_menu_t *m, char digit, vm_menu_actions_t *out)
{
    static const char *const kinds[] = {"unavailable", "busy", "name"};
    if (digit == '*') {
        s_main(m, false, out);
        return;
    }
    if (digit < '1' || digit > '3')
        return;
    m->greeting = kinds[digit - '1'];
    m->state = VM_M_GREET_REC;
    const char *p[] = {"vm/record_greeting", "tones/beep"};
    s_say(m, p, 2, false, out);
}

static void s_message_key(vm_menu_t *m, char digit, vm_menu_actions_t *out)
{
    vm_menu_action_t *a;
    switch (digit) {
    case '1':
        s_message(m, NULL, out);
        break;
    case '2':
        if ((a = s_add(out, VM_MA_SAVE)))
            a->id = m->ids[m->cur];
        m->cur++;
        s_message(m, "vm/saved", out);
        break;
    case '3':
        if ((a = s_add(out, VM_MA_DELETE)))
            a->id = m->ids[m->cur];
        m->cur++;
        s_message(m, "vm/deleted", out);
        break;
    case '6':
        m->cur++;
        s_message(m, NULL, out);
        break;
    case '*':
        s_load(m, out);
        break;
    default:
        break;
    }
}

void vm_menu_digit(vm_menu_t *m, char digit, int64_t now, vm_menu_actions_t *out)
{
    switch (m->state) {
    case VM_M_BOX:
    case VM_M_PIN:
    case VM_M_NEWPIN: {
        if (digit == '#') {
            s_number_done(m, out);
            return;
        }
        size_t len = strlen(m->digits);
        if (digit < '0' || digit > '9' || len + 1 >= sizeof m->digits)
            return;
        m->digits[len] = digit;
        m->digits[len + 1] = '\0';
        s_timer(out, now + VM_MENU_DIGIT_MS);
        break;
    }
    case VM_M_MAIN:
        if (digit == '1') {
            m->cur = 0;
            s_message(m, NULL, out);
        } else if (digit == '3') {
            m->state = VM_M_GREET;
            const char *p[] = {"vm/greeting_menu"};
            s_say(m, p, 1, true, out);
        } else if (digit == '4') {
            s_ask(m, VM_M_NEWPIN, "vm/enter_new_pin", NULL, out);
        } else if (digit == '*') {
            s_bye(m, NULL, out);
        }
        break;
    case VM_M_MSG:
        s_message_key(m, digit, out);
        break;
    case VM_M_GREET:
        s_greeting_key(m, digit, out);
        break;
    case VM_M_GREET_REC:
        if (digit == '#' && m->play == 0) { /* recording (the beep is over) */
            vm_menu_action_t *a = s_add(out, VM_MA_STOP_GREET);
            if (a) {
                a->keep = true;
                a->greeting = m->greeting;
                a->box = m->box;
            }
            m->state = VM_M_GREET;
            const char *p[] = {"vm/greeting_saved", "vm/greeting_menu"};
            s_say(m, p, 2, true, out);
        }
        break;
    default:
        break;
    }
}

void vm_menu_play_done(vm_menu_t *m, unsigned play, int64_t now, vm_menu_actions_t *out)
{
    if (!play || play != m->play)
        return;
    m->play = 0;
    m->play_over = true;
    switch (m->state) {
    case VM_M_BYE: {
        vm_menu_action_t *a = s_add(out, VM_MA_HANGUP);
        if (a)
            a->digits = "voicemail menu: goodbye";
        break;
    }
    case VM_M_LOADING:
        if (m->cur == -1)
            s_load(m, out);
        break;
    case VM_M_GREET_REC: {
        vm_menu_action_t *a = s_add(out, VM_MA_REC_GREET);
        if (a) {
            a->greeting = m->greeting;
            a->box = m->box;
        }
        s_timer(out, now + VM_MENU_GREETING_MS);
        break;
    }
    case VM_M_BOX:
    case VM_M_PIN:
    case VM_M_NEWPIN:
        if (!m->digits[0])
            s_timer(out, now + VM_MENU_IDLE_MS);
        break;
    case VM_M_MAIN:
    case VM_M_MSG:
    case VM_M_GREET:
        s_timer(out, now + VM_MENU_IDLE_MS);
        break;
    default:
        break;
    }
}

void vm_menu_timer(vm_menu_t *m, int64_t now, vm_menu_actions_t *out)
{
    (void)now;
    switch (m->state) {
    case VM_M_BOX:
    case VM_M_PIN:
    case VM_M_NEWPIN:
        if (m->digits[0]) {
            s_number_done(m, out);
            return;
        }
        if (++m->idle >= VM_MENU_IDLE_MAX) {
            s_bye(m, NULL, out);
            return;
        }
        s_ask(m, m->state,
              m->state == VM_M_BOX   ? "vm/enter_mailbox"
              : m->state == VM_M_PIN ? "vm/enter_pin"
                                     : "vm/enter_new_pin",
              NULL, out);
        break;
    case VM_M_MAIN:
    case VM_M_MSG:
    case VM_M_GREET: {
        if (++m->idle >= VM_MENU_IDLE_MAX) {
            s_bye(m, NULL, out);
            return;
        }
        int idle = m->idle;
        if (m->state == VM_M_MSG) {
            const char *p[] = {"vm/message_menu"};
            s_say(m, p, 1, true, out);
        } else if (m->state == VM_M_GREET) {
            const char *p[] = {"vm/greeting_menu"};
            s_say(m, p, 1, true, out);
        } else {
            s_main(m, false, out);
        }
        m->idle = idle;
        break;
    }
    case VM_M_GREET_REC: { /* the longest greeting: kept as it is */
        vm_menu_action_t *a = s_add(out, VM_MA_STOP_GREET);
        if (a) {
            a->keep = true;
            a->greeting = m->greeting;
            a->box = m->box;
        }
        m->state = VM_M_GREET;
        const char *p[] = {"vm/greeting_saved", "vm/greeting_menu"};
        s_say(m, p, 2, true, out);
        break;
    }
    default:
        break;
    }
}

void vm_menu_hangup(vm_menu_t *m, vm_menu_actions_t *out)
{
    if (m->state == VM_M_GREET_REC && m->play == 0) {
        vm_menu_action_t *a = s_add(out, VM_MA_STOP_GREET);
        if (a) {
            a->keep = false; /* cut short: the old greeting stays */
            a->greeting = m->greeting;
            a->box = m->box;
        }
    }
    s_timer(out, 0);
    m->state = VM_M_BYE;
}
