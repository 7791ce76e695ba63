/* netns: a private network namespace for one test; see netns.h. */
#include "netns.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

int netns_enter(char *why, size_t cap)
{
    struct ifreq ifr;
    int fd;

    if (unshare(CLONE_NEWNET) < 0) {
        snprintf(why, cap, "cannot create a network namespace (unshare: %s); run as root",
                 strerror(errno));
        return -1;
    }
    /* A new namespace's lo is down: nothing reaches 127.0.0.1 until it is up. */
    memset(&ifr, 0, sizeof(ifr));
    strcpy(ifr.ifr_name, "lo");
    fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr) < 0 ||
        (ifr.ifr_flags |= IFF_UP, ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)) {
        snprintf(why, cap, "cannot bring lo up in the new namespace: %s", strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    close(fd);
    return 0;
}

int netns_sysctl(const char *path, const char *value)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    ssize_t n = fd < 0 ? -1 : write(fd, value, strlen(value));

    if (fd >= 0)
        close(fd);
    return n == (ssize_t)strlen(value) ? 0 : -1;
}
