/* netns: a private network namespace with lo up; see netns.h. */
#include "netns.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

int sf_netns_private(struct sf_err *err)
{
    struct ifreq ifr;
    int fd, rc = 0;

    if (unshare(CLONE_NEWNET) < 0)
        return sf_err_sys(err, errno, "unshare", "CLONE_NEWNET");
    /* A new namespace's lo is down: nothing reaches 127.0.0.1 until it is up. */
    memset(&ifr, 0, sizeof(ifr));
    strcpy(ifr.ifr_name, "lo");
    fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return sf_err_sys(err, errno, "socket", NULL);
    if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0 ||
        (ifr.ifr_flags |= IFF_UP, ioctl(fd, SIOCSIFFLAGS, &ifr) < 0))
        rc = sf_err_sys(err, errno, "bring up", "lo");
    close(fd);
    return rc;
}

int sf_sysctl_write(struct sf_err *err, const char *path, const char *value)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    ssize_t n;

    if (fd < 0)
        return sf_err_sys(err, errno, "open", path);
    n = write(fd, value, strlen(value));
    if (n != (ssize_t)strlen(value)) {
        int e = n < 0 ? errno : EIO;
        close(fd);
        return sf_err_sys(err, e, "write", path);
    }
    close(fd);
    return 0;
}
