/*
 * checksum.h: the checksum of a weights file's data (NAME.weights), shared by the compiler, which
 * writes it, and the runtime, which checks it when a plan starts. Header-only, so that the two
 * never link each other.
 *
 * Four 64-bit lanes take the data's 8-byte little-endian words in turn: lane = rotl(lane ^ w, 31)
 * times an odd constant. The lanes are independent, so the multiplies overlap and a large file
 * is summed at several bytes a cycle, where byte-wise FNV-1a manages about one every four. The
 * last partial block is zero-padded, and the length and the lanes are mixed at the end. It finds
 * corruption and truncation; it is no defence against someone who means harm.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct HcSum {
    uint64_t lane[4];
    unsigned char tail[32]; /* a block not yet complete */
    size_t ntail;
    uint64_t len;
} HcSum;

enum { HC_BLOCK = 32 };

static inline uint64_t
hc_rotl(uint64_t x, int r)
{
    return (x << r) | (x >> (64 - r));
}

static inline void
hc_sum_init(HcSum *s)
{
    memset(s, 0, sizeof *s);
    s->lane[0] = 0x243f6a8885a308d3ull;
    s->lane[1] = 0x13198a2e03707344ull;
    s->lane[2] = 0xa4093822299f31d0ull;
    s->lane[3] = 0x082efa98ec4e6c89ull;
}

static inline void
hc_sum_block(HcSum *s, const unsigned char *p)
{
    for (int i = 0; i < 4; i++) {
        uint64_t w = 0;
        for (int b = 0; b < 8; b++) /* little-endian whatever the host */
            w |= (uint64_t)p[8 * i + b] << (8 * b);
        s->lane[i] = hc_rotl(s->lane[i] ^ w, 31) * 0x9e3779b97f4a7c15ull;
    }
}

static inline void
hc_sum_add(HcSum *s, const void *data, size_t n)
{
    const unsigned char *p = data;
    s->len += n;
    if (s->ntail) {
        size_t k = HC_BLOCK - s->ntail < n ? HC_BLOCK - s->ntail : n;
        memcpy(s->tail + s->ntail, p, k);
        s->ntail += k;
        p += k;
        n -= k;
        if (s->ntail < HC_BLOCK)
            return;
        hc_sum_block(s, s->tail);
        s->ntail = 0;
    }
    for (; n >= HC_BLOCK; p += HC_BLOCK, n -= HC_BLOCK)
        hc_sum_block(s, p);
    memcpy(s->tail, p, n);
    s->ntail = n;
}

static inline uint64_t
hc_sum_end(HcSum *s)
{
    if (s->ntail) {
        memset(s->tail + s->ntail, 0, HC_BLOCK - s->ntail);
        hc_sum_block(s, s->tail);
        s->ntail = 0;
    }
    uint64_t h = s->len * 0xff51afd7ed558ccdull;
    for (int i = 0; i < 4; i++) {
        h ^= hc_rotl(s->lane[i], 17 * i + 7);
        h *= 0xc4ceb9fe1a85ec53ull;
        h ^= h >> 33;
    }
    return h;
}

/* The checksum of n bytes at data. */
static inline uint64_t
hc_sum(const void *data, size_t n)
{
    HcSum s;
    hc_sum_init(&s);
    hc_sum_add(&s, data, n);
    return hc_sum_end(&s);
}
