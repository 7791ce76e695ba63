/* cpu: reading the allowed CPUs and pinning to one; see cpu.h. */
#include "cpu.h"

#include <errno.h>
#include <stdio.h>

int sf_cpus_read(struct sf_err *err, struct sf_cpus *c)
{
    *c = (struct sf_cpus){.first = -1, .second = -1};
    if (sched_getaffinity(0, sizeof(c->allowed), &c->allowed) < 0)
        return sf_err_sys(err, errno, "sched_getaffinity", NULL);
    for (int i = 0; i < CPU_SETSIZE; i++) {
        if (!CPU_ISSET(i, &c->allowed))
            continue;
        if (c->n == 0)
            c->first = i;
        else if (c->n == 1)
            c->second = i;
        c->n++;
    }
    return 0;
}

int sf_cpu_pin(struct sf_err *err, const struct sf_cpus *c, int cpu)
{
    cpu_set_t one;
    char what[16];

    if (cpu < 0) {
        if (sched_setaffinity(0, sizeof(c->allowed), &c->allowed) < 0)
            return sf_err_sys(err, errno, "sched_setaffinity", "every allowed CPU");
        return 0;
    }
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    if (sched_setaffinity(0, sizeof(one), &one) < 0) {
        snprintf(what, sizeof(what), "CPU %d", cpu);
        return sf_err_sys(err, errno, "sched_setaffinity", what);
    }
    return 0;
}
