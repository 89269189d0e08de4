// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * How many CPUs this process may run on: its affinity, which a cpuset or
 * taskset narrows. The default number of STUN and relay workers.
 */
#include <sched.h>

#include "rdv.h"

unsigned int rdv_cpus_usable(unsigned int max)
{
	cpu_set_t set;
	int cpus;

	cpus = sched_getaffinity(0, sizeof(set), &set) ? 1 : CPU_COUNT(&set);
	return cpus < 1 ? 1 : (unsigned int)cpus > max ? max : (unsigned int)cpus;
}
