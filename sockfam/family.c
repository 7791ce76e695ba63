/* family: the runner's table of families; see family.h. */
#include "family.h"

#include <stdio.h>
#include <string.h>

const struct family families[FAM_N] = {
    [FAM_TCP] = {"tcp", "AF_INET SOCK_STREAM", "3-way handshake", 0, "reliable, ordered",
                 "tcp-server", "tcp-client", NULL},
    [FAM_UDP] = {"udp", "AF_INET SOCK_DGRAM", "none", 1, "best effort", "udp-server", "udp-client",
                 NULL},
    [FAM_UNIX_STREAM] = {"unix-stream", "AF_UNIX SOCK_STREAM", "connect(), local", 0,
                         "reliable, ordered", "unix-server", "unix-client", "stream"},
    [FAM_UNIX_DGRAM] = {"unix-dgram", "AF_UNIX SOCK_DGRAM", "none", 1, "reliable (sender waits)",
                        "unix-server", "unix-client", "dgram"},
    [FAM_UNIX_SEQPACKET] = {"unix-seqpacket", "AF_UNIX SOCK_SEQPACKET", "connect(), local", 1,
                            "reliable, ordered", "unix-server", "unix-client", "seqpacket"},
    [FAM_ICMP] = {"icmp", "AF_INET SOCK_RAW", "none", 1, "best effort", NULL, "icmp-ping", NULL},
};

static int one(const char *word, size_t n, int on[FAM_N])
{
    if ((n == 3 && memcmp(word, "all", 3) == 0) || (n == 4 && memcmp(word, "unix", 4) == 0)) {
        for (int f = 0; f < FAM_N; f++)
            if (n == 3 || families[f].unix_type)
                on[f] = 1;
        return 0;
    }
    for (int f = 0; f < FAM_N; f++)
        if (strlen(families[f].name) == n && memcmp(families[f].name, word, n) == 0) {
            on[f] = 1;
            return 0;
        }
    return -1;
}

int family_parse_list(const char *list, int on[FAM_N], char *why, size_t cap)
{
    memset(on, 0, sizeof(int) * FAM_N);
    for (const char *p = list;;) {
        size_t n = strcspn(p, ",");
        if (n == 0 || one(p, n, on) < 0) {
            snprintf(why, cap,
                     "--families: unknown family '%.*s' (tcp, udp, unix-stream, unix-dgram, "
                     "unix-seqpacket, icmp, unix, all)",
                     (int)n, p);
            return -1;
        }
        if (!p[n])
            return 0;
        p += n + 1;
    }
}
