/*
 * fuzz_json: libFuzzer target for the strict JSON reader the runner uses
 * on its children's output and on iperf3's.  Every value it returns is
 * read, so MemorySanitizer sees a value handed back without being set
 * (the outside review's stale-number bug) and ASan a read past the input.
 */
#include <stddef.h>
#include <stdint.h>

#include "json.h"

static volatile uint64_t sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const paths[] = {"sent", "rtt_us.p50", "cells.0.name", "a.b.0.c", "a", ""};
    const char *text = (const char *)data, *why;
    struct sf_json_val v;
    char buf[256];

    sf_json_check(text, size, &why);
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        if (sf_json_get(text, size, paths[i], &v) != 1)
            continue;
        uint64_t s = (uint64_t)v.type + v.len + v.count + (uint64_t)(v.num != 0);
        for (size_t k = 0; k < v.len; k++)
            s += (unsigned char)v.start[k];
        if (v.type == SF_JSON_STRING)
            s += sf_json_unescape(&v, buf, sizeof(buf));
        if (s & 1)
            sink++;
    }
    return 0;
}
