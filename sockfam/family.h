/*
 * family: the six families the runner knows, what each one is (socket
 * type, setup, boundaries, delivery: the lessons the table teaches), and
 * how to start its server and its client.
 */
#ifndef SF_FAMILY_H
#define SF_FAMILY_H

#include <stddef.h>

enum fam { FAM_TCP, FAM_UDP, FAM_UNIX_STREAM, FAM_UNIX_DGRAM, FAM_UNIX_SEQPACKET, FAM_ICMP, FAM_N };

struct family {
    const char *name;      /* "tcp", as --families takes it */
    const char *socket;    /* "AF_INET SOCK_STREAM" */
    const char *setup;     /* how a conversation starts */
    int boundaries;        /* message boundaries kept */
    const char *delivery;  /* what the family promises */
    const char *server;    /* program, or NULL (icmp: the kernel or icmp-echod) */
    const char *client;    /* program */
    const char *unix_type; /* --type for unix-server/unix-client, or NULL */
};

extern const struct family families[FAM_N];

/* Parse "tcp,udp,unix" ("unix" = its three types, "all" = every family) into on[]. 0 or -1. */
int family_parse_list(const char *list, int on[FAM_N], char *why, size_t cap);

#endif
