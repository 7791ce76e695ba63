/*
 * fuzz_decode: libFuzzer target for the capture decoder, on every link
 * type it reads.  Every field of a decoded packet is read, and the payload
 * touched, so MemorySanitizer sees a field left unset and ASan a payload
 * pointer past the captured bytes.
 */
#include <pcap/dlt.h>
#include <stddef.h>
#include <stdint.h>

#include "decode.h"

static volatile uint64_t sink;

static void consume(const struct sf_pkt *p)
{
    uint64_t s = (uint64_t)p->ip_version + p->ip_proto + (uint64_t)p->l4 + p->sport + p->dport +
                 p->seq + p->ack + p->flags + p->window + p->mss + (uint64_t)p->wscale +
                 (uint64_t)p->sack_ok + (uint64_t)p->has_ts + p->ts_val + p->ts_ecr + p->type +
                 p->code + p->id + p->icmp_seq + (uint64_t)p->checksum_ok +
                 (uint64_t)p->checksum_checked + p->payload_len + p->ip_len + (uint64_t)p->frag +
                 p->frag_id + p->frag_off + (uint64_t)p->frag_more + p->frag_len + p->frag_proto;

    for (int i = 0; i < 16; i++)
        s += (uint64_t)p->src[i] + p->dst[i];
    for (size_t i = 0; i < p->payload_len; i++)
        s += p->payload[i];
    if (s & 1) /* a branch on the sum: MSan reports a use of any unset byte in it */
        sink++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int dlts[] = {DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_NULL, DLT_LOOP,
                               DLT_RAW,    101,           DLT_IPV4,       DLT_IPV6};
    struct sf_pkt p;

    for (size_t i = 0; i < sizeof(dlts) / sizeof(dlts[0]); i++)
        if (sf_decode(dlts[i], data, size, &p) == 0)
            consume(&p);
    return 0;
}
