/* acd_oset.h - an intrusive ordered set for the ACD core: a treap with subtree sizes, so
 * insert, remove, first, rank (position) and successor are O(log n) with no allocation,
 * the node living inside the call or agent it orders. Knows nothing about calls or agents. */
#ifndef ACD_OSET_H
#define ACD_OSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct acd_onode {
    struct acd_onode *left, *right;
    uint32_t prio; /* heap order of the treap, from a hash of the node's address */
    uint32_t size; /* nodes in this subtree; 0 while the node is in no set */
} acd_onode_t;

/* A total order: never 0 for two distinct nodes (break ties with a sequence number). */
typedef int(acd_ocmp_fn)(const acd_onode_t *a, const acd_onode_t *b);

typedef struct {
    acd_onode_t *root;
    acd_ocmp_fn *cmp;
} acd_oset_t;

#define ACD_CONTAINER(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

void acd_oset_init(acd_oset_t *set, acd_ocmp_fn *cmp);
static inline bool acd_onode_linked(const acd_onode_t *node)
{
    return node->size != 0;
}
static inline size_t acd_oset_size(const acd_oset_t *set)
{
    return set->root ? set->root->size : 0;
}
/* The node must not be in a set. */
void acd_oset_insert(acd_oset_t *set, acd_onode_t *node);
/* The node must be in this set. */
void acd_oset_remove(acd_oset_t *set, acd_onode_t *node);
acd_onode_t *acd_oset_first(const acd_oset_t *set);
/* How many nodes of the set order before `probe` (which need not be in the set). */
size_t acd_oset_rank(const acd_oset_t *set, const acd_onode_t *probe);
/* The smallest node ordering after `probe` (which need not be in the set), or NULL. */
acd_onode_t *acd_oset_next(const acd_oset_t *set, const acd_onode_t *probe);

#endif
