/*
 * alloc.c - the counted host allocator.
 *
 * Each block carries a small header with its size so live bytes can be
 * tracked; counters are atomics because the service allocates from several
 * threads. Fault injection fails exactly one chosen allocation, which is how
 * tests walk every allocation of an operation (SQLite's fault simulator idea).
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "tml/core.h"

/* 16 bytes keeps the payload aligned for any scalar type on our hosts. */
typedef union block_header {
    size_t size;
    max_align_t align;
} block_header_t;

static atomic_uint_fast64_t n_attempts;
static atomic_int_fast64_t n_live_bytes;
static atomic_int_fast64_t n_live_blocks;
static atomic_uint_fast64_t fail_at_attempt; /* 0 = never */

static int should_fail(void)
{
    uint64_t attempt = atomic_fetch_add(&n_attempts, 1) + 1;
    uint64_t target = atomic_load(&fail_at_attempt);
    if (target != 0 && attempt == target) {
        atomic_store(&fail_at_attempt, 0);
        return 1;
    }
    return 0;
}

void *tml_malloc(size_t n)
{
    if (should_fail() || n > SIZE_MAX - sizeof(block_header_t))
        return NULL;
    block_header_t *h = malloc(sizeof(*h) + n);
    if (!h)
        return NULL;
    h->size = n;
    atomic_fetch_add(&n_live_bytes, (int_fast64_t)n);
    atomic_fetch_add(&n_live_blocks, 1);
    return h + 1;
}

void *tml_calloc(size_t count, size_t size)
{
    if (size != 0 && count > SIZE_MAX / size) {
        (void)should_fail();
        return NULL;
    }
    void *p = tml_malloc(count * size);
    if (p)
        memset(p, 0, count * size);
    return p;
}

void *tml_realloc(void *ptr, size_t n)
{
    if (!ptr)
        return tml_malloc(n);
    if (should_fail() || n > SIZE_MAX - sizeof(block_header_t))
        return NULL;
    block_header_t *old = (block_header_t *)ptr - 1;
    size_t old_size = old->size;
    block_header_t *h = realloc(old, sizeof(*h) + n);
    if (!h)
        return NULL;
    h->size = n;
    atomic_fetch_add(&n_live_bytes, (int_fast64_t)n - (int_fast64_t)old_size);
    return h + 1;
}

void tml_free(void *ptr)
{
    if (!ptr)
        return;
    block_header_t *h = (block_header_t *)ptr - 1;
    atomic_fetch_sub(&n_live_bytes, (int_fast64_t)h->size);
    atomic_fetch_sub(&n_live_blocks, 1);
    free(h);
}

char *tml_strdup(const char *s)
{
    size_t len = strlen(s);
    char *copy = tml_malloc(len + 1);
    if (copy)
        memcpy(copy, s, len + 1);
    return copy;
}

uint64_t tml_alloc_count(void) { return atomic_load(&n_attempts); }
int64_t tml_alloc_live_bytes(void) { return atomic_load(&n_live_bytes); }
int64_t tml_alloc_live_blocks(void) { return atomic_load(&n_live_blocks); }

void tml_alloc_fail_at(uint64_t nth)
{
    atomic_store(&fail_at_attempt, nth == 0 ? 0 : atomic_load(&n_attempts) + nth);
}
