/* acd_estimate_test.c - the wait estimate's arithmetic (running mean then EWMA, the
 * formula and its edge cases), and the ordered set it and the core rely on. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "acd_estimate.h"
#include "acd_oset.h"
#include "cc_test.h"

CC_TEST(acd_estimate_arithmetic)
{
    acd_estimator_t est;
    acd_estimator_init(&est, 0, 0);
    CC_CHECK_NEAR(acd_estimator_handle_s(&est), ACD_ESTIMATE_DEFAULT_HANDLE_S, 1e-9);
    acd_estimator_init(&est, 100, 0.25);
    CC_CHECK_NEAR(acd_estimator_handle_s(&est), 100, 1e-9);
    acd_estimator_add(&est, 200); /* first sample replaces the default */
    CC_CHECK_NEAR(acd_estimator_handle_s(&est), 200, 1e-9);
    acd_estimator_add(&est, 100); /* mean of 2 */
    CC_CHECK_NEAR(acd_estimator_handle_s(&est), 150, 1e-9);
    acd_estimator_add(&est, 300); /* mean of 3: 200 */
    CC_CHECK_NEAR(acd_estimator_handle_s(&est), 200, 1e-9);
    acd_estimator_add(&est, 600); /* 1/4 == alpha: 200 + 0.25 * 400 */
    CC_CHECK_NEAR(acd_estimator_handle_s(&est), 300, 1e-9);
    acd_estimator_add(&est, 100); /* now EWMA at alpha 0.25: 300 - 0.25 * 200 */
    CC_CHECK_NEAR(acd_estimator_handle_s(&est), 250, 1e-9);
    acd_estimator_add(&est, -5); /* ignored */
    CC_CHECK_NEAR(acd_estimator_handle_s(&est), 250, 1e-9);
    CC_CHECK_INT(est.samples, 5);

    CC_CHECK_NEAR(acd_estimate_wait_s(240, 0, 4), 60, 1e-9);
    CC_CHECK_NEAR(acd_estimate_wait_s(240, 3, 4), 240, 1e-9);
    CC_CHECK_NEAR(acd_estimate_wait_s(180, 9, 1), 1800, 1e-9);
    CC_CHECK_NEAR(acd_estimate_wait_s(180, 2, 0), -1, 1e-9);
}

typedef struct {
    int key;
    acd_onode_t node;
} s_item_t;

static int s_item_cmp(const acd_onode_t *a, const acd_onode_t *b)
{
    int x = ACD_CONTAINER(a, s_item_t, node)->key, y = ACD_CONTAINER(b, s_item_t, node)->key;
    return (x > y) - (x < y);
}

CC_TEST(acd_oset_against_reference)
{
    enum {
        N = 2000
    };
    static s_item_t items[N];
    static bool in[N];
    acd_oset_t set;
    acd_oset_init(&set, s_item_cmp);
    for (int i = 0; i < N; i++) {
        items[i].key = (i * 7919) % N; /* distinct keys, scrambled */
        in[i] = false;
    }
    unsigned seed = 12345;
    for (int round = 0; round < 20000; round++) {
        seed = seed * 1103515245u + 12345u;
        int i = (int)((seed >> 8) % N);
        if (in[i])
            acd_oset_remove(&set, &items[i].node);
        else
            acd_oset_insert(&set, &items[i].node);
        in[i] = !in[i];
        CC_CHECK_INT(acd_onode_linked(&items[i].node), in[i]);
        if (round % 997 != 0)
            continue;
        /* rank, size, first and next agree with counting by hand */
        size_t count = 0;
        int min_key = N;
        for (int j = 0; j < N; j++)
            if (in[j]) {
                count++;
                if (items[j].key < min_key)
                    min_key = items[j].key;
            }
        CC_CHECK_INT(acd_oset_size(&set), count);
        if (count)
            CC_CHECK_INT(ACD_CONTAINER(acd_oset_first(&set), s_item_t, node)->key, min_key);
        for (int j = 0; j < N; j += 37) {
            size_t below = 0;
            int next_key = N;
            for (int k = 0; k < N; k++) {
                if (!in[k])
                    continue;
                below += items[k].key < items[j].key;
                if (items[k].key > items[j].key && items[k].key < next_key)
                    next_key = items[k].key;
            }
            CC_CHECK_INT(acd_oset_rank(&set, &items[j].node), below);
            acd_onode_t *next = acd_oset_next(&set, &items[j].node);
            CC_CHECK_INT(next ? ACD_CONTAINER(next, s_item_t, node)->key : N, next_key);
        }
    }
}
