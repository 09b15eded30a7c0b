#include "ir/checksum.h"

/* also the one behaviour the weights format relies on: summing in pieces, of any sizes, gives
 * the same as summing at once, and a changed byte or length changes the sum */
int checksum_h_compiles;

static int
pieces_agree(void)
{
    unsigned char data[1000];
    for (int i = 0; i < 1000; i++)
        data[i] = (unsigned char)(i * 7 + 3);
    uint64_t whole = hc_sum(data, sizeof data);
    static const size_t cuts[] = {1, 7, 31, 32, 33, 64, 100, 999};
    for (size_t c = 0; c < sizeof cuts / sizeof cuts[0]; c++) {
        HcSum s;
        hc_sum_init(&s);
        for (size_t at = 0; at < sizeof data; at += cuts[c])
            hc_sum_add(&s, data + at, sizeof data - at < cuts[c] ? sizeof data - at : cuts[c]);
        if (hc_sum_end(&s) != whole)
            return 0;
    }
    data[500] ^= 1;
    int flip = hc_sum(data, sizeof data) != whole;
    data[500] ^= 1;
    return flip && hc_sum(data, sizeof data - 1) != whole && hc_sum(data, 0) != hc_sum(data, 1);
}

int checksum_h_compiles = 0;

__attribute__((constructor)) static void
check(void)
{
    checksum_h_compiles = pieces_agree();
}
