/* acd_oset.c - the treap behind acd_oset.h. Priorities come from a hash of the node's
 * address, so the shape is random with respect to the keys without a random source;
 * sizes are kept on every path so rank() answers "position in queue" in O(log n). */
#include "acd_oset.h"

#include <assert.h>

static uint32_t s_node_prio(const acd_onode_t *node)
{
    uint64_t x = (uint64_t)(uintptr_t)node;
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return (uint32_t)(x ^ (x >> 31));
}

static uint32_t s_size(const acd_onode_t *node)
{
    return node ? node->size : 0;
}

static void s_update(acd_onode_t *node)
{
    node->size = 1 + s_size(node->left) + s_size(node->right);
}

/* Splits t into the nodes before key (*l) and after it (*r). */
static void s_split(const acd_oset_t *set, acd_onode_t *t, const acd_onode_t *key, acd_onode_t **l,
                    acd_onode_t **r)
{
    if (!t) {
        *l = *r = NULL;
        return;
    }
    if (set->cmp(t, key) < 0) {
        s_split(set, t->right, key, &t->right, r);
        *l = t;
    } else {
        s_split(set, t->left, key, l, &t->left);
        *r = t;
    }
    s_update(t);
}

/* Joins two treaps where every node of l orders before every node of r. */
static acd_onode_t *s_merge(acd_onode_t *l, acd_onode_t *r)
{
    if (!l)
        return r;
    if (!r)
        return l;
    if (l->prio > r->prio) {
        l->right = s_merge(l->right, r);
        s_update(l);
        return l;
    }
    r->left = s_merge(l, r->left);
    s_update(r);
    return r;
}

void acd_oset_init(acd_oset_t *set, acd_ocmp_fn *cmp)
{
    set->root = NULL;
    set->cmp = cmp;
}

void acd_oset_insert(acd_oset_t *set, acd_onode_t *node)
{
    assert(!acd_onode_linked(node));
    node->prio = s_node_prio(node);
    acd_onode_t **link = &set->root;
    while (*link && (*link)->prio >= node->prio) {
        (*link)->size++;
        link = set->cmp(node, *link) < 0 ? &(*link)->left : &(*link)->right;
    }
    s_split(set, *link, node, &node->left, &node->right);
    s_update(node);
    *link = node;
}

void acd_oset_remove(acd_oset_t *set, acd_onode_t *node)
{
    assert(acd_onode_linked(node));
    acd_onode_t **link = &set->root;
    while (*link != node) {
        assert(*link);
        (*link)->size--;
        link = set->cmp(node, *link) < 0 ? &(*link)->left : &(*link)->right;
    }
    *link = s_merge(node->left, node->right);
    node->left = node->right = NULL;
    node->size = 0;
}

acd_onode_t *acd_oset_first(const acd_oset_t *set)
{
    acd_onode_t *t = set->root;
    while (t && t->left)
        t = t->left;
    return t;
}

size_t acd_oset_rank(const acd_oset_t *set, const acd_onode_t *probe)
{
    size_t rank = 0;
    const acd_onode_t *t = set->root;
    while (t) {
        if (t == probe)
            return rank + s_size(t->left);
        if (set->cmp(probe, t) < 0) {
            t = t->left;
        } else {
            rank += s_size(t->left) + 1;
            t = t->right;
        }
    }
    return rank;
}

acd_onode_t *acd_oset_next(const acd_oset_t *set, const acd_onode_t *probe)
{
    acd_onode_t *best = NULL, *t = set->root;
    while (t) {
        if (t != probe && set->cmp(t, probe) > 0) {
            best = t;
            t = t->left;
        } else {
            t = t->right;
        }
    }
    return best;
}
