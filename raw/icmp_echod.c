/*
 * icmp-echod: the server half of the raw pair, a user-space echo responder.
 *
 * What the kernel does for every host, done by hand on raw sockets: read
 * each ICMP echo request (type 8, or 128 for ICMPv6) addressed to us and
 * send back the same id, seq and payload as a reply (type 0 / 129) with a
 * fresh checksum (IPv4; the kernel fills in ICMPv6's).  Everything else is
 * counted and ignored.  Its last line counts each echo request as one read
 * of its payload's bytes, as the other servers count their reads.  Meant
 * for a private network namespace where the kernel's own answer is off
 * (net.ipv4.icmp_echo_ignore_all=1, net.ipv6.icmp.echo_ignore_all=1);
 * otherwise every request gets two replies.
 *
 *   unshare -n sh -c 'ip link set lo up; sysctl -qw net.ipv4.icmp_echo_ignore_all=1; \
 *       icmp-echod & icmp-ping -c 3 127.0.0.1'
 */
#include <errno.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "icmp.h"
#include "loop.h"
#include "opts.h"
#include "ping.h"
#include "priv.h"
#include "srvout.h"
#include "stats.h"

struct echod {
    uint64_t seen, requests, answered, ignored, malformed;
    struct sf_reads reads; /* each echo request, by its payload's bytes */
    uint8_t buf[65536 + 64];
};

/* Is this IPv4 packet's destination broadcast or multicast? (Not answered, as Linux's default.) */
static int to_group(const uint8_t *ip)
{
    return ip[16] >= 224 || (ip[16] == 255 && ip[17] == 255 && ip[18] == 255 && ip[19] == 255);
}

static void answer(struct echod *d, int fd, int v6, size_t n, const struct sockaddr_storage *from,
                   socklen_t fromlen)
{
    struct sf_icmp_msg m;
    uint8_t *icmp = d->buf + (v6 ? 0 : (size_t)(d->buf[0] & 0x0f) * 4);
    size_t len;

    d->seen++;
    if (sf_icmp_parse(d->buf, n, v6, !v6, &m) != SF_ICMP_ECHO_REQUEST) {
        if (m.kind == SF_ICMP_MALFORMED)
            d->malformed++;
        else
            d->ignored++; /* replies (ours too, on loopback), errors, other types */
        return;
    }
    d->requests++;
    sf_reads_add(&d->reads, m.payload_len);
    if (!v6 && to_group(d->buf)) {
        d->ignored++;
        return;
    }
    len = SF_ICMP_HDR + m.payload_len;
    sf_icmp_echo_to_reply(icmp, len, v6);
    if (sendto(fd, icmp, len, MSG_DONTWAIT | MSG_NOSIGNAL, (const struct sockaddr *)from,
               fromlen) == (ssize_t)len)
        d->answered++;
    else
        sf_cli_warn("reply of %zu bytes not sent: %s", len, strerror(errno));
}

static void on_readable(struct sf_loop *loop, int fd, unsigned events, void *ctx)
{
    struct echod *d = ctx;
    struct sockaddr_storage from;

    (void)loop;
    (void)events;
    for (int i = 0; i < 64; i++) {
        socklen_t fromlen = sizeof(from);
        ssize_t n =
            recvfrom(fd, d->buf, sizeof(d->buf), MSG_DONTWAIT, (struct sockaddr *)&from, &fromlen);
        if (n < 0)
            return;
        answer(d, fd, from.ss_family == AF_INET6, (size_t)n, &from, fromlen);
    }
}

/* A raw socket for one family that only hears echo requests where it can filter. */
static int open_raw(struct sf_err *err, int v6)
{
    int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_RAW | SOCK_CLOEXEC,
                    v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP);

    if (fd < 0)
        return errno == EPERM || errno == EACCES
                   ? sf_err_set(err, SF_ERR_SYS, errno, NULL,
                                "socket(raw %s): %s; icmp-echod needs CAP_NET_RAW (run as root, "
                                "or setcap cap_net_raw+ep icmp-echod)",
                                v6 ? "ICMPv6" : "ICMP", strerror(errno))
                   : sf_err_sys(err, errno, "socket", v6 ? "raw ICMPv6" : "raw ICMP");
    if (v6) {
        struct icmp6_filter f;
        ICMP6_FILTER_SETBLOCKALL(&f);
        ICMP6_FILTER_SETPASS(ICMP6_ECHO_REQUEST, &f);
        setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof(f));
    }
    return fd;
}

static void warn_if_kernel_answers(const char *path, const char *name)
{
    char v = '1';
    FILE *f = fopen(path, "r");

    if (f) {
        v = (char)fgetc(f);
        fclose(f);
    }
    if (v == '0')
        sf_cli_warn("warning: the kernel answers echo requests too (%s=0): each request will get "
                    "two replies",
                    name);
}

static const struct sf_opt echod_opts[] = {
    {"ipv4", '4', NULL, "answer ICMP (IPv4) only"},
    {"ipv6", '6', NULL, "answer ICMPv6 only"},
    {"user", 'Z', "USER",
     "as root: become USER once the sockets are open (default: the user who\n"
     "ran sudo, else nobody), as tcpdump -Z does"},
    {"help", 'h', NULL, "show this help and exit"},
};

static const struct sf_cmd echod_cmd = {
    "[-4|-6] [-Z USER]",
    "Answer ICMP and ICMPv6 echo requests from user space on raw sockets, until SIGINT or\n"
    "SIGTERM; print the counts on exit. Prints 'listening on icmp, icmp6' on stderr when ready.",
    echod_opts,
    sizeof(echod_opts) / sizeof(echod_opts[0]),
    "Exit status: 0 stopped by a signal, 64 usage, 71 OS error, 77 no CAP_NET_RAW.\n",
};

struct echod_opts {
    int want[2]; /* IPv4, IPv6 */
    const char *user;
};

static void echod_option(void *ctx, int c, const char *arg)
{
    struct echod_opts *o = ctx;

    if (c == 'Z') {
        o->user = arg;
        return;
    }
    if ((c == '4' && !o->want[0]) || (c == '6' && !o->want[1]))
        sf_cli_usage_error("-4 and -6 cannot be used together");
    o->want[c == '4'] = 0; /* -4: no v6 socket; -6: no v4 socket */
}

int main(int argc, char **argv)
{
    static struct echod d;
    struct sf_err err;
    int fds[2] = {-1, -1};
    struct echod_opts o = {{1, 1}, NULL};
    int *want = o.want;

    sf_cli_init("icmp-echod");
    sf_opts_no_operands(argc, argv, sf_opts_parse(&echod_cmd, argc, argv, echod_option, &o));
    int stop_fd = sf_cli_stop_fd(); /* SIGINT, SIGTERM */
    struct sf_loop *loop = sf_loop_new(&err);
    for (int v6 = 0; v6 < 2 && loop; v6++) {
        if (!want[v6])
            continue;
        if ((fds[v6] = open_raw(&err, v6)) < 0 ||
            sf_loop_add(&err, loop, fds[v6], SF_EV_IN, on_readable, &d) < 0)
            sf_cli_fail(&err);
    }
    /* The sockets are open: nothing privileged is needed from here on, and no exec gets it back. */
    if (!loop || sf_priv_drop(&err, o.user, NULL) < 0)
        sf_cli_fail(&err);
    if (want[0])
        warn_if_kernel_answers("/proc/sys/net/ipv4/icmp_echo_ignore_all",
                               "net.ipv4.icmp_echo_ignore_all");
    if (want[1])
        warn_if_kernel_answers("/proc/sys/net/ipv6/icmp/echo_ignore_all",
                               "net.ipv6.icmp.echo_ignore_all");
    fprintf(stderr, "listening on %s%s%s\n", want[0] ? "icmp" : "", want[0] && want[1] ? ", " : "",
            want[1] ? "icmp6" : "");
    int rc = sf_loop_run(&err, loop, stop_fd);
    sf_loop_free(loop);
    for (int i = 0; i < 2; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    fprintf(stderr,
            "icmp-echod: seen %llu, echo requests %llu, answered %llu, ignored %llu, "
            "malformed %llu",
            (unsigned long long)d.seen, (unsigned long long)d.requests,
            (unsigned long long)d.answered, (unsigned long long)d.ignored,
            (unsigned long long)d.malformed);
    sf_srv_print_reads(&d.reads);
    if (rc < 0)
        sf_cli_fail(&err);
    return 0;
}
