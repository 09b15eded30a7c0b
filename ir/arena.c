/*
 * arena.c: the compiler's heap. ir_alloc/ir_realloc/ir_free wrap malloc so that tests can make the
 * nth allocation fail; an Arena is a list of blocks handed out by bumping a pointer, freed all at
 * once. Requests larger than a quarter block get a block of their own, so an arena never reports
 * "pool full"; it only fails when the heap does.
 */
#include "ir.h"

#include <stdlib.h>
#include <string.h>

static long fail_countdown;     /* >0: allocations left before the injected failure */

void
ir_alloc_fail_after(long n)
{
    fail_countdown = n;
}

static int
injected_failure(void)
{
    if (fail_countdown > 0 && --fail_countdown == 0)
        return 1;
    return 0;
}

void *
ir_alloc(size_t n)
{
    if (injected_failure())
        return NULL;
    return malloc(n ? n : 1);
}

void *
ir_realloc(void *p, size_t n)
{
    if (injected_failure())
        return NULL;
    return realloc(p, n ? n : 1);
}

void
ir_free(void *p)
{
    free(p);
}

enum { BLOCK_SIZE = 1 << 16, ALIGN = 16 };

typedef struct Block {
    struct Block *next;
    size_t size, used;          /* bytes of data[], bytes handed out */
    _Alignas(16) unsigned char data[];
} Block;

struct Arena {
    Block *head;                /* the block being bumped; big blocks go behind it */
    size_t total;               /* bytes handed out */
};

Arena *
ir_arena_new(void)
{
    Arena *a = ir_alloc(sizeof *a);
    if (a)
        memset(a, 0, sizeof *a);
    return a;
}

static Block *
block_new(size_t size)
{
    if (size > SIZE_MAX - sizeof(Block))
        return NULL;
    Block *b = ir_alloc(sizeof(Block) + size);
    if (!b)
        return NULL;
    b->next = NULL;
    b->size = size;
    b->used = 0;
    return b;
}

void *
ir_arena_alloc(Arena *a, size_t n)
{
    if (n > SIZE_MAX - ALIGN)
        return NULL;
    n = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
    if (n > BLOCK_SIZE / 4) {
        /* a big request: its own block, linked behind the current one */
        Block *b = block_new(n);
        if (!b)
            return NULL;
        b->used = n;
        if (a->head) {
            b->next = a->head->next;
            a->head->next = b;
        } else {
            a->head = b;
        }
        a->total += n;
        memset(b->data, 0, n);
        return b->data;
    }
    if (!a->head || a->head->size - a->head->used < n) {
        Block *b = block_new(BLOCK_SIZE);
        if (!b)
            return NULL;
        b->next = a->head;
        a->head = b;
    }
    void *p = a->head->data + a->head->used;
    a->head->used += n;
    a->total += n;
    memset(p, 0, n);
    return p;
}

void
ir_arena_reset(Arena *a)
{
    Block *b = a->head;
    while (b) {
        Block *next = b->next;
        ir_free(b);
        b = next;
    }
    a->head = NULL;
    a->total = 0;
}

void
ir_arena_free(Arena *a)
{
    if (!a)
        return;
    ir_arena_reset(a);
    ir_free(a);
}

size_t
ir_arena_used(const Arena *a)
{
    return a->total;
}
