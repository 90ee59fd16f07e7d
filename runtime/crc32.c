/*
 * crc32.c - CRC-32 (IEEE 802.3 polynomial, reflected, as zlib computes it),
 * bitwise: the header is 128 bytes, so a table would cost more flash than
 * it saves time.
 */
#include "tml/rt.h"

uint32_t tml_crc32(uint32_t crc, const void *data, size_t len)
{
    const uint8_t *p = data;
    crc = ~crc;
    for (size_t i = 0; i < len; i++) {
        crc ^= p[i];
        for (int bit = 0; bit < 8; bit++)
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}
