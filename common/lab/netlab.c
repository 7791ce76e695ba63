/* netlab: three namespaces, two veth pairs, a router with impairments; see netlab.h. */
#include "netlab.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io.h"
#include "netns.h"
#include "spawn.h"

#define PREFIX "sockfam-lab-"
#define TOOL_MS 10000  /* any one command of the build, at most */
#define OUT_MAX 65536  /* a command's stdout kept (nft's listing) */
#define ERR_MAX 2048   /* its stderr kept, for the error line */
#define HOST SF_LAB_NS /* "no namespace": the host's, for ip netns add/del */

struct sf_lab {
    char name[SF_LAB_NS][64];
    int fd[SF_LAB_NS];
    int home_fd; /* this thread's own namespace, for sf_lab_enter(.., SF_LAB_NS) */
    struct sf_lab_opts o;
    char cc[32];
    int64_t build_ns;
    char out[OUT_MAX]; /* the last command's stdout */
    size_t out_len;
};

static const char *const ns_word[SF_LAB_NS] = {"client", "router", "server"};
static const char *const v4[SF_LAB_NS] = {"198.18.1.2", NULL, "198.18.2.2"};
static const char *const v6[SF_LAB_NS] = {"2001:2:0:1::2", NULL, "2001:2:0:2::2"};

/* Where a tool is: the first of the usual directories that has it. */
static int find_tool(struct sf_err *err, const char *name, char *buf, size_t cap)
{
    static const char *const dirs[] = {"/usr/sbin", "/sbin", "/usr/bin", "/bin"};
    static const char *const pkg[][2] = {
        {"ip", "iproute2"}, {"tc", "iproute2"}, {"nft", "nftables"}, {"ethtool", "ethtool"}};

    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
        snprintf(buf, cap, "%s/%s", dirs[i], name);
        if (access(buf, X_OK) == 0)
            return 0;
    }
    for (size_t i = 0; i < sizeof(pkg) / sizeof(pkg[0]); i++)
        if (strcmp(pkg[i][0], name) == 0)
            return sf_err_set(err, SF_ERR_PEER, ENOENT, NULL,
                              "the lab needs %s, which is not installed (apt-get install %s)", name,
                              pkg[i][1]);
    return sf_err_set(err, SF_ERR_PEER, ENOENT, NULL, "the lab needs %s: not found", name);
}

/* argv as the shell line that runs it by hand in namespace ns. */
static void line_of(const struct sf_lab *lab, int ns, const char *const argv[], char *buf,
                    size_t cap)
{
    size_t n = 0;

    if (ns != HOST)
        n = (size_t)snprintf(buf, cap, "ip netns exec %s ", lab->name[ns]);
    for (int i = 0; argv[i] && n < cap; i++) {
        int quote = strpbrk(argv[i], " {};<") != NULL;
        n += (size_t)snprintf(buf + n, cap - n, "%s%s%s%s", i ? " " : "", quote ? "'" : "", argv[i],
                              quote ? "'" : "");
    }
}

static void trace(const struct sf_lab *lab, const char *line, int64_t t0)
{
    if (lab->o.trace)
        lab->o.trace(lab->o.ctx, line, sf_now_ns() - t0);
}

/* Read the child's two pipes to their end (bounded, with a deadline); 0, or -1 on the deadline. */
static int drain(struct sf_lab *lab, struct sf_child *c, char *errbuf, size_t *errlen,
                 int64_t deadline)
{
    char scratch[4096];

    lab->out_len = 0;
    while (c->out_fd >= 0 || c->err_fd >= 0) {
        struct pollfd pf[2] = {{c->out_fd, POLLIN, 0}, {c->err_fd, POLLIN, 0}};
        if (poll(pf, 2, sf_deadline_poll_ms(deadline)) <= 0)
            return -1;
        for (int i = 0; i < 2; i++) {
            int *fd = i ? &c->err_fd : &c->out_fd;
            char *to = i ? errbuf : lab->out;
            size_t *len = i ? errlen : &lab->out_len, cap = i ? ERR_MAX : OUT_MAX;
            if (*fd < 0 || !pf[i].revents)
                continue;
            ssize_t n = *len + 1 < cap ? read(*fd, to + *len, cap - 1 - *len)
                                       : read(*fd, scratch, sizeof(scratch)); /* kept: the start */
            if (n <= 0) {
                close(*fd);
                *fd = -1;
            } else if (*len + 1 < cap) {
                *len += (size_t)n;
            }
        }
    }
    lab->out[lab->out_len] = '\0';
    errbuf[*errlen] = '\0';
    return 0;
}

/* Run one tool in namespace ns (HOST: ours); its stdout in lab->out.  0, or -1 naming it. */
static int run(struct sf_err *err, struct sf_lab *lab, int ns, const char *const argv[])
{
    char path[256], line[1024], errbuf[ERR_MAX];
    size_t errlen = 0;
    int64_t t0 = sf_now_ns(), deadline = sf_deadline_after_ms(TOOL_MS);
    struct sf_child c;
    int status = -1;

    line_of(lab, ns, argv, line, sizeof(line));
    if (find_tool(err, argv[0], path, sizeof(path)) < 0 ||
        sf_spawn_in(err, &c, path, argv, ns == HOST ? -1 : lab->fd[ns], NULL) < 0)
        return -1;
    int drained = drain(lab, &c, errbuf, &errlen, deadline);
    while (drained == 0 && !sf_child_reap(&c, &status) && sf_now_ns() < deadline)
        poll(&(struct pollfd){c.pidfd, POLLIN, 0}, 1, sf_deadline_poll_ms(deadline));
    if (drained < 0 || status < 0) {
        sf_child_kill(&c);
        return sf_err_set(err, SF_ERR_TIMEOUT, ETIMEDOUT, NULL, "%s: no end within %d s", line,
                          TOOL_MS / 1000);
    }
    sf_child_close(&c);
    trace(lab, line, t0);
    if (status == 0)
        return 0;
    errbuf[strcspn(errbuf, "\n")] = '\0';
    return sf_err_set(err, SF_ERR_SYS, EIO, NULL, "%s: exit %d: %s", line, status,
                      errlen ? errbuf : "(nothing on stderr)");
}

/* A NULL-terminated argv from a list of words. */
#define RUN(err, lab, ns, ...) run(err, lab, ns, (const char *const[]){__VA_ARGS__, NULL})

int sf_lab_enter(struct sf_err *err, struct sf_lab *lab, enum sf_lab_ns ns)
{
    int fd = ns == SF_LAB_NS ? lab->home_fd : lab->fd[ns];

    if (setns(fd, CLONE_NEWNET) < 0)
        return sf_err_sys(err, errno, "setns", ns == SF_LAB_NS ? "home" : lab->name[ns]);
    return 0;
}

/* "net.ipv4.ip_forward" as its file, /proc/sys/net/ipv4/ip_forward. */
static void sysctl_path(const char *key, char *buf, size_t cap)
{
    snprintf(buf, cap, "/proc/sys/%s", key);
    for (char *p = buf + strlen("/proc/sys/"); *p; p++)
        if (*p == '.')
            *p = '/';
}

/* Write a sysctl of namespace ns (HOST: ours) from this thread; the shell line is traced. */
static int sysctl_in(struct sf_err *err, struct sf_lab *lab, int ns, const char *key,
                     const char *value)
{
    char path[256], line[512];
    int64_t t0 = sf_now_ns();
    int rc;

    sysctl_path(key, path, sizeof(path));
    if (ns != HOST && sf_lab_enter(err, lab, (enum sf_lab_ns)ns) < 0)
        return -1;
    rc = sf_sysctl_write(err, path, value);
    if (ns != HOST && sf_lab_enter(rc < 0 ? NULL : err, lab, SF_LAB_NS) < 0)
        rc = -1;
    if (ns == HOST)
        snprintf(line, sizeof(line), "sysctl -w %s='%s'", key, value);
    else
        snprintf(line, sizeof(line), "ip netns exec %s sysctl -w %s=%s", lab->name[ns], key, value);
    trace(lab, line, t0);
    return rc;
}

/* The three namespaces, each held open by a descriptor. */
static int make_namespaces(struct sf_err *err, struct sf_lab *lab)
{
    char path[128];

    for (int ns = 0; ns < SF_LAB_NS; ns++) {
        if (RUN(err, lab, HOST, "ip", "netns", "add", lab->name[ns]) < 0)
            return -1;
        snprintf(path, sizeof(path), "/run/netns/%s", lab->name[ns]);
        lab->fd[ns] = open(path, O_RDONLY | O_CLOEXEC);
        if (lab->fd[ns] < 0)
            return sf_err_sys(err, errno, "open", path);
    }
    return 0;
}

/*
 * Both veth pairs are made in the router's namespace, each peer sent
 * straight to its own.  Each end gets an interface index of its own: the
 * kernel tells the stack of a veth's carrier at once only when the two ends'
 * indexes differ (linkwatch_urgent_event), else up to a second later, and
 * two fresh namespaces would number both ends 2.
 */
static int make_links(struct sf_err *err, struct sf_lab *lab)
{
    if (RUN(err, lab, SF_LAB_ROUTER, "ip", "link", "add", "r0", "index", "10", "type", "veth",
            "peer", "name", "c0", "index", "11", "netns", lab->name[SF_LAB_CLIENT]) < 0 ||
        RUN(err, lab, SF_LAB_ROUTER, "ip", "link", "add", "r1", "index", "12", "type", "veth",
            "peer", "name", "s0", "index", "13", "netns", lab->name[SF_LAB_SERVER]) < 0)
        return -1;
    return 0;
}

/*
 * One interface: no duplicate address detection (its link-local address
 * would be tentative for a second or two, and neighbour discovery with
 * it), addresses, offloads off, up.
 */
static int setup_if(struct sf_err *err, struct sf_lab *lab, int ns, const char *dev, const char *a4,
                    const char *a6)
{
    char key[96];

    snprintf(key, sizeof(key), "net.ipv6.conf.%s.accept_dad", dev);
    return sysctl_in(err, lab, ns, key, "0") < 0 ||
                   RUN(err, lab, ns, "ip", "addr", "add", a4, "dev", dev) < 0 ||
                   RUN(err, lab, ns, "ip", "-6", "addr", "add", a6, "dev", dev, "nodad") < 0 ||
                   /* Real segments in the captures: no TSO/GSO/GRO "segments" of 64 KiB. */
                   RUN(err, lab, ns, "ethtool", "-K", dev, "tso", "off", "gso", "off", "gro",
                       "off") < 0 ||
                   RUN(err, lab, ns, "ip", "link", "set", dev, "up") < 0
               ? -1
               : 0;
}

static int setup_ifs(struct sf_err *err, struct sf_lab *lab)
{
    for (int ns = 0; ns < SF_LAB_NS; ns++)
        if (RUN(err, lab, ns, "ip", "link", "set", "lo", "up") < 0)
            return -1;
    return setup_if(err, lab, SF_LAB_CLIENT, "c0", "198.18.1.2/24", "2001:2:0:1::2/64") < 0 ||
                   setup_if(err, lab, SF_LAB_ROUTER, "r0", "198.18.1.1/24", "2001:2:0:1::1/64") <
                       0 ||
                   setup_if(err, lab, SF_LAB_ROUTER, "r1", "198.18.2.1/24", "2001:2:0:2::1/64") <
                       0 ||
                   setup_if(err, lab, SF_LAB_SERVER, "s0", "198.18.2.2/24", "2001:2:0:2::2/64") < 0
               ? -1
               : 0;
}

/* Each end reaches the other's network through the router; nothing else is routed. */
static int setup_routes(struct sf_err *err, struct sf_lab *lab)
{
    return RUN(err, lab, SF_LAB_CLIENT, "ip", "route", "add", "198.18.2.0/24", "via",
               "198.18.1.1") < 0 ||
                   RUN(err, lab, SF_LAB_CLIENT, "ip", "-6", "route", "add", "2001:2:0:2::/64",
                       "via", "2001:2:0:1::1") < 0 ||
                   RUN(err, lab, SF_LAB_SERVER, "ip", "route", "add", "198.18.1.0/24", "via",
                       "198.18.2.1") < 0 ||
                   RUN(err, lab, SF_LAB_SERVER, "ip", "-6", "route", "add", "2001:2:0:1::/64",
                       "via", "2001:2:0:2::1") < 0 ||
                   sysctl_in(err, lab, SF_LAB_ROUTER, "net.ipv4.ip_forward", "1") < 0 ||
                   sysctl_in(err, lab, SF_LAB_ROUTER, "net.ipv6.conf.all.forwarding", "1") < 0
               ? -1
               : 0;
}

/*
 * A narrow hop after the router: its routes towards the server carry the
 * MTU, the links stay 1500.  Both ends then announce MSS 1460, so TCP sends
 * 1500-byte packets, and the router answers them with fragmentation-needed
 * (ICMPv6 Packet Too Big) for the sender to shrink to (RFC 1191, 8201).
 * (An MTU on the server's own link would make it announce a smaller MSS,
 * and no packet would ever be too big.)
 */
static int setup_mtu(struct sf_err *err, struct sf_lab *lab)
{
    char mtu[16];

    if (!lab->o.mtu)
        return 0;
    snprintf(mtu, sizeof(mtu), "%d", lab->o.mtu);
    return RUN(err, lab, SF_LAB_ROUTER, "ip", "route", "replace", "198.18.2.0/24", "dev", "r1",
               "mtu", mtu) < 0 ||
                   /* The connected route's own metric (256): replaced, not shadowed. */
                   RUN(err, lab, SF_LAB_ROUTER, "ip", "-6", "route", "replace", "2001:2:0:2::/64",
                       "dev", "r1", "metric", "256", "mtu", mtu) < 0
               ? -1
               : 0;
}

/* A /proc/sys file's first line into buf (trailing newline dropped).  0 or -1. */
static int read_line(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "re");
    int rc = f && fgets(buf, (int)cap, f) ? 0 : -1;

    if (f)
        fclose(f);
    if (rc == 0)
        buf[strcspn(buf, "\n")] = '\0';
    return rc;
}

static int set_cc(struct sf_err *err, struct sf_lab *lab)
{
    return sysctl_in(err, lab, SF_LAB_CLIENT, "net.ipv4.tcp_congestion_control", lab->cc) < 0 ||
                   sysctl_in(err, lab, SF_LAB_SERVER, "net.ipv4.tcp_congestion_control", lab->cc) <
                       0
               ? -1
               : 0;
}

/* Is word one of the space-separated words of list? */
static int word_in(const char *list, const char *word)
{
    size_t n = strlen(word);

    for (const char *p = list; n && (p = strstr(p, word)) != NULL; p += n)
        if ((p == list || p[-1] == ' ') && (p[n] == '\0' || p[n] == ' '))
            return 1;
    return 0;
}

/*
 * A namespace other than the host's may only choose a congestion control
 * the host allows (net.ipv4.tcp_allowed_congestion_control, global): one
 * that is available but not allowed (cubic, where the host runs bbr) is
 * allowed for the moment of the choice and the host's list put back at
 * once, under a lock, so that two labs built at the same time cannot leave
 * it changed, nor make their choice while another's widening is being
 * undone (EPERM).  The choice stays with the namespaces.
 */
static int set_cc_allowing(struct sf_err *err, struct sf_lab *lab, const char *allowed)
{
    static const char key[] = "net.ipv4.tcp_allowed_congestion_control";
    char more[600], now[512];
    int lock = open("/run/netns", O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc;

    /* Bounded: another lab holds it for a few milliseconds; 10 s means something is wrong. */
    int64_t deadline = sf_deadline_after_ms(10000);
    int got = -1;
    while (lock >= 0 && (got = flock(lock, LOCK_EX | LOCK_NB)) < 0 && errno == EWOULDBLOCK &&
           sf_now_ns() < deadline)
        sf_sleep_ms(5);
    if (lock < 0 || got < 0) {
        rc = sf_err_sys(err, errno, "flock", "/run/netns");
        if (lock >= 0)
            close(lock);
        return rc;
    }
    /* Read under the lock: another lab may be between widening the list and putting it back,
     * and a choice made outside the lock then fails with EPERM once it does. */
    if (read_line("/proc/sys/net/ipv4/tcp_allowed_congestion_control", now, sizeof(now)) < 0)
        snprintf(now, sizeof(now), "%s", allowed);
    if (word_in(now, lab->cc)) {
        rc = set_cc(err, lab);
    } else {
        snprintf(more, sizeof(more), "%s %s", now, lab->cc);
        rc = sysctl_in(err, lab, HOST, key, more) < 0 ? -1 : set_cc(err, lab);
        if (sysctl_in(rc < 0 ? NULL : err, lab, HOST, key, now) < 0)
            rc = -1;
    }
    flock(lock, LOCK_UN);
    close(lock);
    return rc;
}

/* The congestion control, in both ends (per namespace since Linux 4.15); refused if unknown. */
static int setup_cc(struct sf_err *err, struct sf_lab *lab)
{
    char avail[512] = "", allowed[512] = "";

    read_line("/proc/sys/net/ipv4/tcp_available_congestion_control", avail, sizeof(avail));
    read_line("/proc/sys/net/ipv4/tcp_allowed_congestion_control", allowed, sizeof(allowed));
    snprintf(lab->cc, sizeof(lab->cc), "%s", lab->o.cc ? lab->o.cc : "cubic");
    if (!word_in(avail, lab->cc))
        return sf_err_set(err, SF_ERR_PEER, ENOENT, NULL,
                          "congestion control '%s' is not available here (tcp_available_"
                          "congestion_control: %s)",
                          lab->cc, avail[0] ? avail : "unreadable");
    return set_cc_allowing(err, lab, allowed); /* under the lock, whatever the list says now */
}

/* One loss rule for one direction (the interface packets come in on), with its counter. */
static int loss_rule(struct sf_err *err, struct sf_lab *lab, const char *iif)
{
    char n[32], len[32];
    const char *argv[24] = {"nft", "add", "rule", "inet", "sockfam", "forward", "iifname", iif};
    int k = 8;

    if (lab->o.loss_min_len) {
        /* Before numgen: only the packets long enough are counted and dropped. */
        snprintf(len, sizeof(len), "%u", lab->o.loss_min_len);
        argv[k++] = "meta", argv[k++] = "length", argv[k++] = ">=", argv[k++] = len;
    }
    if (lab->o.loss == SF_LOSS_EVERY) {
        /* numgen inc counts the packets that reach it: each Nth is dropped. */
        snprintf(n, sizeof(n), "%u", lab->o.loss_every);
        argv[k++] = "numgen", argv[k++] = "inc", argv[k++] = "mod", argv[k++] = n;
        argv[k++] = "0";
    } else {
        snprintf(n, sizeof(n), "%u", (unsigned)(lab->o.loss_pct * 100 + 0.5));
        argv[k++] = "numgen", argv[k++] = "random", argv[k++] = "mod", argv[k++] = "10000";
        argv[k++] = "<", argv[k++] = n;
    }
    argv[k++] = "counter", argv[k++] = "drop", argv[k] = NULL;
    return run(err, lab, SF_LAB_ROUTER, argv);
}

/* Duplication: nft's dup is ip and ip6 only, so a table of each; a copy to the next hop. */
static int dup_rules(struct sf_err *err, struct sf_lab *lab)
{
    static const char *const fam[2] = {"ip", "ip6"};
    static const char *const to[2][2] = {{"198.18.2.2", "198.18.1.2"},
                                         {"2001:2:0:2::2", "2001:2:0:1::2"}};
    char n[32];

    snprintf(n, sizeof(n), "%u", (unsigned)(lab->o.dup_pct * 100 + 0.5));
    for (int f = 0; f < 2; f++) {
        if (RUN(err, lab, SF_LAB_ROUTER, "nft", "add", "table", fam[f], "sockfam_dup") < 0 ||
            RUN(err, lab, SF_LAB_ROUTER, "nft", "add", "chain", fam[f], "sockfam_dup", "forward",
                "{ type filter hook forward priority 10 ; }") < 0)
            return -1;
        for (int d = 0; d < 2; d++)
            if (RUN(err, lab, SF_LAB_ROUTER, "nft", "add", "rule", fam[f], "sockfam_dup", "forward",
                    "iifname", d ? "r1" : "r0", "numgen", "random", "mod", "10000", "<", n, "dup",
                    "to", to[f][d], "device", d ? "r0" : "r1") < 0)
                return -1;
    }
    return 0;
}

static int setup_nft(struct sf_err *err, struct sf_lab *lab)
{
    int up = !lab->o.loss_dir || (lab->o.loss_dir & SF_LAB_UP);
    int down = !lab->o.loss_dir || (lab->o.loss_dir & SF_LAB_DOWN);

    if (RUN(err, lab, SF_LAB_ROUTER, "nft", "add", "table", "inet", "sockfam") < 0 ||
        RUN(err, lab, SF_LAB_ROUTER, "nft", "add", "chain", "inet", "sockfam", "forward",
            "{ type filter hook forward priority 0 ; }") < 0)
        return -1;
    if (lab->o.loss != SF_LOSS_NONE &&
        ((up && loss_rule(err, lab, "r0") < 0) || (down && loss_rule(err, lab, "r1") < 0)))
        return -1;
    return lab->o.dup_pct > 0 ? dup_rules(err, lab) : 0;
}

/* A bottleneck (tbf, a bounded queue) and a delay line (netem) on both of the router's links. */
static int setup_qdiscs(struct sf_err *err, struct sf_lab *lab)
{
    char ms[32];
    const char *dev[2] = {"r0", "r1"};

    snprintf(ms, sizeof(ms), "%ums", lab->o.delay_ms);
    for (int i = 0; i < 2; i++) {
        if (lab->o.delay_ms) {
            if (RUN(err, lab, SF_LAB_ROUTER, "tc", "qdisc", "add", "dev", dev[i], "root", "netem",
                    "delay", ms) < 0) {
                if (err && strstr(err->msg, "qdisc kind is unknown"))
                    return sf_err_set(err, SF_ERR_PEER, ENOENT, NULL,
                                      "--delay needs netem, which this kernel lacks (modprobe "
                                      "sch_netem); sockfam does not imitate a delay line");
                return -1;
            }
        } else if (lab->o.rate[0] &&
                   RUN(err, lab, SF_LAB_ROUTER, "tc", "qdisc", "add", "dev", dev[i], "root", "tbf",
                       "rate", lab->o.rate, "burst", "32kbit", "latency", "100ms") < 0) {
            return -1;
        }
    }
    return 0;
}

/* Is dev, in ns, running (IFF_RUNNING: its carrier is on and the stack was told)?  0 or -1. */
static int link_running(struct sf_err *err, struct sf_lab *lab, int ns, const char *dev,
                        int *running)
{
    struct ifreq ifr;
    int fd, rc, saved;

    if (sf_lab_enter(err, lab, ns) < 0)
        return -1;
    memset(&ifr, 0, sizeof(ifr));
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
    fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    rc = fd >= 0 ? ioctl(fd, SIOCGIFFLAGS, &ifr) : -1;
    saved = errno;
    if (fd >= 0)
        close(fd);
    if (sf_lab_enter(err, lab, SF_LAB_NS) < 0)
        return -1;
    if (rc < 0)
        return sf_err_sys(err, saved, "SIOCGIFFLAGS", dev);
    *running = (ifr.ifr_flags & IFF_RUNNING) != 0;
    return 0;
}

/*
 * Wait, at most LINKS_MS, until every end of both veth pairs runs.  The
 * kernel turns a veth's carrier on at once but tells the rest of the stack
 * later (linkwatch, which may wait up to a second), and until then IPv6
 * answers no neighbour solicitation on that link: the first packets of a
 * run over -6 would find no router, and wait a second for the next try.
 * Polled every few milliseconds, after the rest of the build, which
 * overlaps most of the wait.
 */
#define LINKS_MS 3000
static int wait_links(struct sf_err *err, struct sf_lab *lab)
{
    static const struct {
        int ns;
        const char *dev;
    } ends[] = {
        {SF_LAB_CLIENT, "c0"}, {SF_LAB_ROUTER, "r0"}, {SF_LAB_ROUTER, "r1"}, {SF_LAB_SERVER, "s0"}};
    int64_t t0 = sf_now_ns(), deadline = sf_deadline_after_ms(LINKS_MS);
    size_t i = 0;

    while (i < sizeof(ends) / sizeof(ends[0])) {
        int running = 0;
        if (link_running(err, lab, ends[i].ns, ends[i].dev, &running) < 0)
            return -1;
        if (running) {
            i++;
            continue;
        }
        if (sf_now_ns() >= deadline)
            return sf_err_set(err, SF_ERR_SYS, ETIMEDOUT, NULL,
                              "lab: %s in %s has no carrier after %d ms", ends[i].dev,
                              lab->name[ends[i].ns], LINKS_MS);
        sf_sleep_ms(5);
    }
    trace(lab, "every link running (c0, r0, r1, s0)", t0);
    return 0;
}

static int build(struct sf_err *err, struct sf_lab *lab)
{
    return make_namespaces(err, lab) < 0 || make_links(err, lab) < 0 || setup_ifs(err, lab) < 0 ||
                   setup_routes(err, lab) < 0 || setup_mtu(err, lab) < 0 ||
                   setup_cc(err, lab) < 0 || setup_nft(err, lab) < 0 ||
                   setup_qdiscs(err, lab) < 0 || wait_links(err, lab) < 0
               ? -1
               : 0;
}

struct sf_lab *sf_lab_up(struct sf_err *err, const struct sf_lab_opts *o)
{
    struct sf_lab *lab;
    int64_t t0 = sf_now_ns();

    if (geteuid() != 0) {
        sf_err_set(err, SF_ERR_SYS, EPERM, NULL,
                   "the lab needs root: it makes network namespaces and veth pairs "
                   "(CAP_SYS_ADMIN, CAP_NET_ADMIN)");
        return NULL;
    }
    lab = calloc(1, sizeof(*lab));
    if (!lab) {
        sf_err_sys(err, ENOMEM, "calloc", "lab");
        return NULL;
    }
    lab->o = *o;
    for (int ns = 0; ns < SF_LAB_NS; ns++) {
        lab->fd[ns] = -1;
        snprintf(lab->name[ns], sizeof(lab->name[ns]), PREFIX "%d-%s", (int)getpid(), ns_word[ns]);
    }
    lab->home_fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    sf_lab_sweep(NULL); /* what a killed run left */
    if (lab->home_fd < 0 || build(err, lab) < 0) {
        if (lab->home_fd < 0)
            sf_err_sys(err, errno, "open", "/proc/thread-self/ns/net");
        sf_lab_down(NULL, lab);
        return NULL;
    }
    lab->build_ns = sf_now_ns() - t0;
    return lab;
}

int sf_lab_netns(const struct sf_lab *lab, enum sf_lab_ns ns)
{
    return lab->fd[ns];
}

const char *sf_lab_name(const struct sf_lab *lab, enum sf_lab_ns ns)
{
    return lab->name[ns];
}

const char *sf_lab_addr(enum sf_lab_ns ns, int v6_)
{
    return v6_ ? v6[ns] : v4[ns];
}

int64_t sf_lab_build_ns(const struct sf_lab *lab)
{
    return lab->build_ns;
}

const char *sf_lab_cc(const struct sf_lab *lab)
{
    return lab->cc;
}

/* The packets counter of the first loss rule on iif in nft's listing: 0 when there is none. */
static uint64_t counter_of(const char *listing, const char *iif)
{
    char key[32];
    const char *p;
    unsigned long long v = 0;

    snprintf(key, sizeof(key), "iifname \"%s\"", iif);
    for (p = strstr(listing, key); p; p = strstr(p + 1, key)) {
        const char *eol = strchr(p, '\n'), *c = strstr(p, "counter packets ");
        if (c && (!eol || c < eol) && strstr(p, "drop") &&
            sscanf(c, "counter packets %llu", &v) == 1)
            return v;
    }
    return 0;
}

int sf_lab_dropped(struct sf_err *err, struct sf_lab *lab, uint64_t *up, uint64_t *down)
{
    void (*saved)(void *, const char *, int64_t) = lab->o.trace;
    int rc;

    lab->o.trace = NULL; /* a reading, not a step of the build */
    rc = RUN(err, lab, SF_LAB_ROUTER, "nft", "list", "chain", "inet", "sockfam", "forward");
    lab->o.trace = saved;
    if (rc < 0)
        return -1;
    *up = counter_of(lab->out, "r0");
    *down = counter_of(lab->out, "r1");
    return 0;
}

int sf_lab_down(struct sf_err *err, struct sf_lab *lab)
{
    int rc = 0;

    if (!lab)
        return 0;
    for (int ns = SF_LAB_NS - 1; ns >= 0; ns--) {
        char path[128];
        struct stat st;
        if (lab->fd[ns] >= 0)
            close(lab->fd[ns]);
        lab->fd[ns] = -1;
        snprintf(path, sizeof(path), "/run/netns/%s", lab->name[ns]);
        /* Deleting the namespace takes its veths, nft rules and qdiscs with it. */
        if (stat(path, &st) == 0 &&
            RUN(rc < 0 ? NULL : err, lab, HOST, "ip", "netns", "del", lab->name[ns]) < 0)
            rc = -1;
    }
    if (lab->home_fd >= 0)
        close(lab->home_fd);
    free(lab);
    return rc;
}

int sf_lab_sweep(struct sf_err *err)
{
    DIR *d = opendir("/run/netns");
    struct dirent *e;
    int n = 0;

    if (!d)
        return errno == ENOENT ? 0 : sf_err_sys(err, errno, "opendir", "/run/netns");
    while ((e = readdir(d)) != NULL) {
        int pid = 0;
        char word[16];
        struct sf_lab probe = {.o = {0}};
        if (strncmp(e->d_name, PREFIX, strlen(PREFIX)) != 0 ||
            sscanf(e->d_name + strlen(PREFIX), "%d-%15s", &pid, word) != 2 || pid <= 0 ||
            kill(pid, 0) == 0 || errno != ESRCH)
            continue;
        /* Its run is gone (killed before it could tear down): remove what it left. */
        if (RUN(err, &probe, HOST, "ip", "netns", "del", e->d_name) == 0)
            n++;
    }
    closedir(d);
    return n;
}
