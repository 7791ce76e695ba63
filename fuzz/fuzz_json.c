/* fuzz_json: libFuzzer target for the strict JSON reader the runner uses on its children's output.
 */
#include <stddef.h>
#include <stdint.h>

#include "json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const paths[] = {"sent", "rtt_us.p50", "cells.0.name", "a.b.0.c", ""};
    const char *text = (const char *)data, *why;
    struct sf_json_val v;
    char buf[256];

    sf_json_check(text, size, &why);
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
        if (sf_json_get(text, size, paths[i], &v) == 1 && v.type == SF_JSON_STRING)
            sf_json_unescape(&v, buf, sizeof(buf));
    return 0;
}
