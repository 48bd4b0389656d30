/* sp_registry_test.c - bindings: add, refresh, several per user, expiry, unbind. */
#include <stdio.h>
#include <string.h>

#include "cc_test.h"
#include "sp_directory.h"
#include "sp_registry.h"

static sp_contact_t s_contact(const char *ext, const char *uri, uint64_t expires)
{
    sp_contact_t c = {0};
    snprintf(c.ext, sizeof c.ext, "%s", ext);
    snprintf(c.uri, sizeof c.uri, "%s", uri);
    snprintf(c.source, sizeof c.source, "127.0.0.1:5070");
    c.expires_at = expires;
    return c;
}

CC_TEST(registry_bind_refresh_lookup_expire)
{
    sp_registry_t *r = sp_registry_new();
    sp_contact_t out[SP_MAX_CONTACTS];
    sp_contact_t a = s_contact("1001", "sip:1001@10.0.0.1:5060", 160);
    sp_contact_t b = s_contact("1001", "sip:1001@10.0.0.2:5060", 200);
    CC_CHECK_INT(sp_registry_bind(r, &a, 100), 1);
    CC_CHECK_INT(sp_registry_bind(r, &b, 100), 1);
    a.expires_at = 300;
    CC_CHECK_INT(sp_registry_bind(r, &a, 100), 0); /* refresh */
    CC_CHECK_INT(sp_registry_lookup(r, "1001", 100, out, SP_MAX_CONTACTS), 2);
    CC_CHECK_INT(sp_registry_lookup(r, "1002", 100, out, SP_MAX_CONTACTS), 0);
    CC_CHECK_INT(sp_registry_lookup(r, "1001", 250, out, SP_MAX_CONTACTS), 1);
    CC_CHECK_STR(out[0].uri, "sip:1001@10.0.0.1:5060");
    CC_CHECK_INT(sp_registry_expire(r, 250, NULL, NULL), 1);
    CC_CHECK_INT(sp_registry_count(r), 1);
    CC_CHECK_INT(sp_registry_unbind(r, "1001", "sip:1001@10.0.0.1:5060"), 0);
    CC_CHECK_INT(sp_registry_unbind(r, "1001", "sip:1001@10.0.0.1:5060"), -1);
    CC_CHECK_INT(sp_registry_count(r), 0);
    sp_registry_destroy(&r);
    CC_CHECK(r == NULL);
}

CC_TEST(registry_caps_contacts_per_user)
{
    sp_registry_t *r = sp_registry_new();
    char uri[64];
    for (int i = 0; i < SP_MAX_CONTACTS + 3; i++) {
        snprintf(uri, sizeof uri, "sip:1001@10.0.0.%d", i);
        sp_contact_t c = s_contact("1001", uri, 1000 + (uint64_t)i);
        CC_CHECK_INT(sp_registry_bind(r, &c, 10), 1);
    }
    sp_contact_t out[SP_MAX_CONTACTS];
    CC_CHECK_INT(sp_registry_lookup(r, "1001", 10, out, SP_MAX_CONTACTS), SP_MAX_CONTACTS);
    CC_CHECK_INT(sp_registry_unbind_all(r, "1001"), SP_MAX_CONTACTS);
    CC_CHECK_INT(sp_registry_count(r), 0);
    sp_registry_destroy(&r);
}

CC_TEST(directory_users_trunks)
{
    sp_directory_t *d = sp_directory_new();
    char ext[16];
    for (int i = 0; i < 500; i++) {
        sp_user_t u = {0};
        snprintf(ext, sizeof ext, "%d", 1000 + i);
        snprintf(u.ext, sizeof u.ext, "%s", ext);
        u.enabled = true;
        CC_CHECK_INT(sp_directory_add_user(d, &u), 0);
    }
    CC_CHECK_INT(sp_directory_user_count(d), 500);
    CC_CHECK(sp_directory_user(d, "1499") != NULL);
    CC_CHECK(sp_directory_user(d, "1500") == NULL);
    sp_trunk_t t = {.name = "pstn", .host = "127.0.0.1", .port = 5062, .enabled = true};
    CC_CHECK_INT(sp_directory_add_trunk(d, &t), 0);
    CC_CHECK(sp_directory_trunk(d, "pstn") != NULL);
    CC_CHECK(sp_directory_trunk_at(d, "127.0.0.1", 5062) != NULL);
    CC_CHECK(sp_directory_trunk_at(d, "127.0.0.1", 5063) == NULL);
    CC_CHECK(sp_directory_dialplan(d) != NULL);
    sp_directory_destroy(&d);
}

static char s_reasons[256];

static void s_note(const sp_contact_t *c, const char *reason, void *arg)
{
    (void)arg;
    size_t n = strlen(s_reasons);
    if (n + strlen(c->uri) + strlen(reason) + 3 < sizeof s_reasons) {
        strcat(s_reasons, c->uri);
        strcat(s_reasons, ":");
        strcat(s_reasons, reason);
        strcat(s_reasons, " ");
    }
}

CC_TEST(registry_reports_every_removal_with_its_reason)
{
    sp_registry_t *r = sp_registry_new();
    s_reasons[0] = '\0';
    sp_registry_on_removed(r, s_note, NULL);
    sp_contact_t c = {.ext = "1001", .uri = "sip:a", .expires_at = 100};
    sp_registry_bind(r, &c, 10);
    snprintf(c.uri, sizeof c.uri, "sip:b");
    c.expires_at = 50;
    sp_registry_bind(r, &c, 10);
    sp_registry_expire(r, 60, NULL, NULL);
    sp_registry_unbind(r, "1001", "sip:a");
    for (int i = 0; i < SP_MAX_CONTACTS + 1; i++) {
        snprintf(c.uri, sizeof c.uri, "sip:%d", i);
        c.expires_at = 200 + (uint64_t)i;
        sp_registry_bind(r, &c, 60);
    }
    sp_registry_unbind_all(r, "1001");
    CC_CHECK(strncmp(s_reasons, "sip:b:expired sip:a:unregistered sip:0:replaced ", 48) == 0);
    CC_CHECK_INT(sp_registry_count(r), 0);
    sp_registry_destroy(&r);
}

CC_TEST(registry_forgets_an_extension_with_no_bindings_left)
{
    sp_registry_t *r = sp_registry_new();
    sp_contact_t out[SP_MAX_CONTACTS];
    sp_contact_t a = s_contact("1001", "sip:1001@10.0.0.1", 100);
    sp_contact_t b = s_contact("1002", "sip:1002@10.0.0.2", 500);
    CC_CHECK_INT(sp_registry_bind(r, &a, 10), 1);
    CC_CHECK_INT(sp_registry_bind(r, &b, 10), 1);
    CC_CHECK_INT(sp_registry_expire(r, 200, NULL, NULL), 1);
    CC_CHECK_INT(sp_registry_lookup(r, "1001", 200, out, SP_MAX_CONTACTS), 0);
    CC_CHECK_INT(sp_registry_lookup(r, "1002", 200, out, SP_MAX_CONTACTS), 1);
    a.expires_at = 300; /* comes back */
    CC_CHECK_INT(sp_registry_bind(r, &a, 200), 1);
    CC_CHECK_INT(sp_registry_lookup(r, "1001", 200, out, SP_MAX_CONTACTS), 1);
    CC_CHECK_INT(sp_registry_unbind(r, "1001", a.uri), 0);
    CC_CHECK_INT(sp_registry_unbind_all(r, "1002"), 1);
    CC_CHECK_INT(sp_registry_count(r), 0);
    CC_CHECK_INT(sp_registry_unbind_all(r, "1002"), 0);
    sp_registry_destroy(&r);
}

CC_TEST(directory_later_user_row_replaces_the_earlier)
{
    sp_directory_t *d = sp_directory_new();
    sp_user_t u = {.ext = "1001", .name = "old", .enabled = true};
    CC_CHECK_INT(sp_directory_add_user(d, &u), 0);
    snprintf(u.name, sizeof u.name, "new");
    CC_CHECK_INT(sp_directory_add_user(d, &u), 0);
    CC_CHECK_INT(sp_directory_user_count(d), 1);
    CC_CHECK_STR(sp_directory_user(d, "1001")->name, "new");
    sp_user_t empty = {.ext = ""};
    CC_CHECK_INT(sp_directory_add_user(d, &empty), -1);
    CC_CHECK(sp_directory_user(d, "") == NULL);
    CC_CHECK(sp_directory_user(d, NULL) == NULL);
    sp_directory_destroy(&d);
}
