/* fuzz_decode: libFuzzer target for the capture decoder, on every link type it reads. */
#include <pcap/dlt.h>
#include <stddef.h>
#include <stdint.h>

#include "decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int dlts[] = {DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_NULL, DLT_LOOP,
                               DLT_RAW,    101,           DLT_IPV4,       DLT_IPV6};
    struct sf_pkt p;

    for (size_t i = 0; i < sizeof(dlts) / sizeof(dlts[0]); i++)
        sf_decode(dlts[i], data, size, &p);
    return 0;
}
