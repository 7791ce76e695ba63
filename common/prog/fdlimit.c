/* fdlimit: the soft descriptor limit raised to the hard one; see fdlimit.h. */
#include "fdlimit.h"

#include <sys/resource.h>

#include "cli.h"

uint64_t sf_fdlimit_raise(uint32_t max_conns)
{
    struct rlimit r;
    uint64_t need = (uint64_t)max_conns + SF_FDLIMIT_SPARE;

    if (getrlimit(RLIMIT_NOFILE, &r) < 0)
        return 0;
    if (r.rlim_cur < r.rlim_max) {
        struct rlimit up = {r.rlim_max, r.rlim_max};
        if (setrlimit(RLIMIT_NOFILE, &up) == 0)
            r.rlim_cur = r.rlim_max;
    }
    if (max_conns > 0 && r.rlim_cur < need)
        sf_cli_warn("descriptors: --max-conns %u needs %llu, and the limit is %llu (%s, "
                    "ulimit -Hn): past about %llu connections, clients are accepted and closed "
                    "at once",
                    max_conns, (unsigned long long)need, (unsigned long long)r.rlim_cur,
                    r.rlim_cur == r.rlim_max ? "the hard limit" : "below the hard limit",
                    (unsigned long long)(r.rlim_cur > SF_FDLIMIT_SPARE
                                             ? r.rlim_cur - SF_FDLIMIT_SPARE
                                             : 0));
    return r.rlim_cur;
}
