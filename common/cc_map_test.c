/* cc_map_test.c - unit tests of the hash map: put/get/replace/insert, take and delete,
 * owned values freed exactly once, growth keeping every entry, and sweeping a table by
 * deleting entries while iterating. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "cc_map.h"
#include "cc_test.h"

static int s_freed;

static void s_count_free(void *value)
{
    s_freed++;
    free(value);
}

static int *s_int(int v)
{
    int *p = malloc(sizeof *p);
    *p = v;
    return p;
}

CC_TEST(map_put_get_replace)
{
    cc_map_t *m = cc_map_new(NULL);
    int a = 1, b = 2;
    CC_CHECK(m && cc_map_size(m) == 0);
    CC_CHECK(cc_map_get(m, "x") == NULL);
    CC_CHECK_INT(cc_map_put(m, "x", &a), 0);
    CC_CHECK(cc_map_get(m, "x") == &a);
    CC_CHECK_INT(cc_map_insert(m, "x", &b), -EEXIST);
    CC_CHECK(cc_map_get(m, "x") == &a);
    CC_CHECK_INT(cc_map_put(m, "x", &b), 0);
    CC_CHECK(cc_map_get(m, "x") == &b);
    CC_CHECK_INT(cc_map_size(m), 1);
    CC_CHECK(cc_map_put(m, "", &a) == 0 && cc_map_get(m, "") == &a); /* empty key is a key */
    CC_CHECK(cc_map_has(m, "") && !cc_map_has(m, "y"));
    cc_map_destroy(&m);
    CC_CHECK(m == NULL);
    cc_map_destroy(&m); /* NULL is fine */
}

CC_TEST(map_owned_values_freed_once)
{
    s_freed = 0;
    cc_map_t *m = cc_map_new(s_count_free);
    cc_map_put(m, "a", s_int(1));
    cc_map_put(m, "b", s_int(2));
    cc_map_put(m, "a", s_int(3)); /* replaces: the old value is freed */
    CC_CHECK_INT(s_freed, 1);
    CC_CHECK_INT(*(int *)cc_map_get(m, "a"), 3);
    int *taken = cc_map_take(m, "b"); /* taken back: not freed */
    CC_CHECK(taken && *taken == 2);
    free(taken);
    CC_CHECK_INT(s_freed, 1);
    CC_CHECK(cc_map_delete(m, "a"));
    CC_CHECK(!cc_map_delete(m, "a"));
    CC_CHECK_INT(s_freed, 2);
    cc_map_put(m, "c", s_int(4));
    cc_map_put(m, "d", s_int(5));
    cc_map_destroy(&m);
    CC_CHECK_INT(s_freed, 4);
}

CC_TEST(map_grows_and_keeps_everything)
{
    cc_map_t *m = cc_map_new(s_count_free);
    char key[32];
    for (int i = 0; i < 20000; i++) {
        snprintf(key, sizeof key, "call-%d", i);
        CC_CHECK_INT(cc_map_insert(m, key, s_int(i)), 0);
    }
    CC_CHECK_INT(cc_map_size(m), 20000);
    for (int i = 0; i < 20000; i++) {
        snprintf(key, sizeof key, "call-%d", i);
        int *v = cc_map_get(m, key);
        CC_CHECK(v && *v == i);
    }
    CC_CHECK(cc_map_get(m, "call-20000") == NULL);
    cc_map_destroy(&m);
}

CC_TEST(map_sweep_while_iterating)
{
    s_freed = 0;
    cc_map_t *m = cc_map_new(s_count_free);
    char key[32];
    for (int i = 0; i < 1000; i++) {
        snprintf(key, sizeof key, "%d", i);
        cc_map_put(m, key, s_int(i));
    }
    int seen = 0;
    cc_map_iter_t it = cc_map_iter(m);
    for (cc_map_entry_t *e; (e = cc_map_next(&it));) {
        seen++;
        if (*(int *)cc_map_value(e) % 2 == 0)
            cc_map_delete(m, cc_map_key(e)); /* the entry just returned */
    }
    CC_CHECK_INT(seen, 1000);
    CC_CHECK_INT(cc_map_size(m), 500);
    CC_CHECK_INT(s_freed, 500);
    int odd = 0;
    it = cc_map_iter(m);
    for (cc_map_entry_t *e; (e = cc_map_next(&it));)
        odd += *(int *)cc_map_value(e) % 2;
    CC_CHECK_INT(odd, 500);
    cc_map_clear(m);
    CC_CHECK_INT(cc_map_size(m), 0);
    it = cc_map_iter(m);
    CC_CHECK(cc_map_next(&it) == NULL);
    cc_map_destroy(&m);
}
