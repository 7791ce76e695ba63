/* fuzz_addr: libFuzzer target for the address parser (sf_addr_parse), every argument shape. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "addr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char text[512];
    struct sf_addr out;
    struct sf_err err;
    size_t n = size < sizeof(text) - 1 ? size : sizeof(text) - 1;

    memcpy(text, data, n);
    text[n] = '\0'; /* the parser takes C strings: argv */
    sf_addr_parse(&err, text, NULL, 0, &out);
    sf_addr_parse(&err, text, "50007", 1, &out);
    return 0;
}
