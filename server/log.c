// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Structured logs: "level=info event=register id=alice addr=..." on
 * stderr, one line each, so journald or a pipe to a collector keeps them
 * and a grep finds them. Per-packet complaints go through a rate limit:
 * a flood of garbage must not turn into a flood of log lines. The STUN
 * workers log too: a lock keeps lines whole and the limit shared.
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "metrics.h"
#include "rdv.h"

int rdv_log_level = RDV_LOG_INFO;
static const char *const level_names[] = { "err", "warn", "info", "debug" };

static unsigned int log_rate = 20;
static uint64_t log_window;
static unsigned int log_used, log_suppressed;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

uint64_t rdv_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void vlog(int level, const char *event, const char *fmt, va_list ap)
{
	struct timespec ts;
	struct tm tm;
	char when[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(stderr, "ts=%s.%03ldZ level=%s event=%s", when,
		ts.tv_nsec / 1000000, level_names[level], event);
	if (fmt && *fmt) {
		fputc(' ', stderr);
		vfprintf(stderr, fmt, ap);
	}
	fputc('\n', stderr);
}

void rdv_log(int level, const char *event, const char *fmt, ...)
{
	va_list ap;

	if (level > rdv_log_level)
		return;
	va_start(ap, fmt);
	pthread_mutex_lock(&log_lock);
	vlog(level, event, fmt, ap);
	pthread_mutex_unlock(&log_lock);
	va_end(ap);
}

/* vlog() of a whole line, with the lock already held. */
__attribute__((format(printf, 3, 4)))
static void log_locked(int level, const char *event, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(level, event, fmt, ap);
	va_end(ap);
}

void rdv_log_set_rate(unsigned int per_sec)
{
	log_rate = per_sec;
}

/*
 * Whether a per-packet line would be written now. Lock-free, so that the
 * datagrams of a flood do not queue on the lock only to be counted: hot
 * paths ask before they format anything. What it lets through may still
 * be suppressed by rdv_log_limited().
 */
bool rdv_log_limited_room(void)
{
	uint64_t now = rdv_now_ms() / 1000;

	if (RDV_LOG_WARN > rdv_log_level)
		return false;
	if (__atomic_load_n(&log_window, __ATOMIC_RELAXED) == now &&
	    __atomic_load_n(&log_used, __ATOMIC_RELAXED) >= log_rate) {
		__atomic_fetch_add(&log_suppressed, 1, __ATOMIC_RELAXED);
		rdv_count(RDV_C_LOG_SUPPRESSED, 1);
		return false;
	}
	return true;
}

void rdv_log_limited(const char *event, const char *fmt, ...)
{
	unsigned int suppressed;
	uint64_t now;
	va_list ap;

	if (RDV_LOG_WARN > rdv_log_level)
		return;
	pthread_mutex_lock(&log_lock);
	/* Read under the lock: a thread late with its clock must not open
	 * the past second's window again, with a fresh budget. */
	now = rdv_now_ms() / 1000;
	if (now > log_window) {
		suppressed = __atomic_exchange_n(&log_suppressed, 0,
						 __ATOMIC_RELAXED);
		if (suppressed)
			log_locked(RDV_LOG_WARN, "log-suppressed", "lines=%u",
				   suppressed);
		__atomic_store_n(&log_used, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&log_window, now, __ATOMIC_RELAXED);
	}
	if (log_used >= log_rate) {
		__atomic_fetch_add(&log_suppressed, 1, __ATOMIC_RELAXED);
		pthread_mutex_unlock(&log_lock);
		rdv_count(RDV_C_LOG_SUPPRESSED, 1);
		return;
	}
	__atomic_store_n(&log_used, log_used + 1, __ATOMIC_RELAXED);
	va_start(ap, fmt);
	vlog(RDV_LOG_WARN, event, fmt, ap);
	va_end(ap);
	pthread_mutex_unlock(&log_lock);
}

const char *rdv_addr_str(const struct sockaddr_storage *ss, char *buf,
			 size_t len)
{
	struct sig_ep ep;

	rdv_ep_from_ss(&ep, ss);
	return sig_ep_format(&ep, buf, len);
}
