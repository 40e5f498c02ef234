/* msgpack_frame: find where one msgpack object ends, without allocating.
   msgpack-c's unpacker allocates an array's or map's element table as soon
   as it reads the count, so 5 bytes claiming 2^32 elements would ask for
   96 GB; scanning first lets the reader hand it only complete frames whose
   every count is backed by bytes (each element takes at least one). */
#include "msgpack_value.h"
#include <stdint.h>

static uint64_t be(const unsigned char *p, int n)
{
    uint64_t x = 0;
    for (int i = 0; i < n; i++) x = x << 8 | p[i];
    return x;
}

int ft_msgpack_frame(const void *buf, size_t n, size_t *len)
{
    const unsigned char *p = buf;
    uint64_t stack[FT_MSGPACK_MAX_DEPTH], left = 1;
    int depth = 0;
    size_t i = 0;
    while (left) {
        if (i >= n) return 0;
        unsigned b = p[i];
        size_t hdr = 1;
        int lenbytes = 0, container = 0;
        uint64_t body = 0, count = 0;
        if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3) hdr = 1;
        else if (b <= 0x8f) { container = 1; count = 2 * (uint64_t)(b & 0x0f); }
        else if (b <= 0x9f) { container = 1; count = b & 0x0f; }
        else if (b <= 0xbf) body = b & 0x1f;
        else switch (b) {
        case 0xc4: case 0xd9: lenbytes = 1; break;              /* bin8, str8 */
        case 0xc5: case 0xda: lenbytes = 2; break;
        case 0xc6: case 0xdb: lenbytes = 4; break;
        case 0xc7: lenbytes = 1; hdr = 2; break;                /* ext: + type byte */
        case 0xc8: lenbytes = 2; hdr = 2; break;
        case 0xc9: lenbytes = 4; hdr = 2; break;
        case 0xca: body = 4; break;
        case 0xcb: body = 8; break;
        case 0xcc: case 0xd0: body = 1; break;
        case 0xcd: case 0xd1: body = 2; break;
        case 0xce: case 0xd2: body = 4; break;
        case 0xcf: case 0xd3: body = 8; break;
        case 0xd4: body = 2; break;                             /* fixext: type + data */
        case 0xd5: body = 3; break;
        case 0xd6: body = 5; break;
        case 0xd7: body = 9; break;
        case 0xd8: body = 17; break;
        case 0xdc: container = 1; lenbytes = 2; break;
        case 0xdd: container = 1; lenbytes = 4; break;
        case 0xde: container = 2; lenbytes = 2; break;
        case 0xdf: container = 2; lenbytes = 4; break;
        default: return -1;                                     /* 0xc1: never used */
        }
        if (n - i < hdr + lenbytes) return 0;
        uint64_t v = be(p + i + 1, lenbytes);
        i += hdr + lenbytes;
        left--;
        if (container) {
            if (lenbytes) count = container == 2 ? 2 * v : v;
            if (count) {
                if (count > n - i) return 0;      /* not yet backed by bytes */
                if (depth == FT_MSGPACK_MAX_DEPTH) return -1;
                stack[depth++] = left;
                left = count;
            }
        } else {
            if (lenbytes) body = v;
            if (body > n - i) return 0;
            i += body;
        }
        while (!left && depth) left = stack[--depth];
    }
    *len = i;
    return 1;
}
