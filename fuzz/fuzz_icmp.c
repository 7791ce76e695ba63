/* fuzz_icmp: libFuzzer target for the ICMP reply parser, as a raw IPv4, a dgram and a v6 socket see
 * it. */
#include <stddef.h>
#include <stdint.h>

#include "icmp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sf_icmp_msg m;
    struct timespec ts;

    for (int v6 = 0; v6 <= 1; v6++)
        for (int with_ip = 0; with_ip <= !v6; with_ip++)
            if (sf_icmp_parse(data, size, v6, with_ip, &m) != SF_ICMP_MALFORMED) {
                sf_icmp_is_ours(&m, m.id, 70000);
                sf_icmp_stamp(&m, &ts);
            }
    return 0;
}
