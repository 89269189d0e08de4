// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The value parsers behind punchctl's grammar, on the host: endpoints and
 * ranges, durations, numbers, secrets. Each table row is one case; the
 * bad rows are what a user could plausibly type by mistake.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../helper/punchctl/punchctl.h"
#include "ktap.h"

static const struct {
	const char *in;
	int range_ok;
	const char *out;	/* formatted back; NULL: must be refused */
} endpoints[] = {
	{ "192.0.2.1:4000", 0, "192.0.2.1:4000" },
	{ "[2001:db8::1]:4000", 0, "[2001:db8::1]:4000" },
	{ "[::ffff:192.0.2.1]:1", 0, "[::ffff:192.0.2.1]:1" },
	{ "198.51.100.7:40000-40063", 1, "198.51.100.7:40000-40063" },
	{ "[fd00::7]:5000-5001", 1, "[fd00::7]:5000-5001" },
	{ "198.51.100.7:5000-5000", 1, "198.51.100.7:5000" },
	{ "198.51.100.7:40000-40063", 0, NULL },	/* no range for local */
	{ "198.51.100.7:5001-5000", 1, NULL },		/* backwards */
	{ "192.0.2.1", 0, NULL },			/* no port */
	{ "192.0.2.1:", 0, NULL },
	{ "192.0.2.1:0", 0, NULL },
	{ "192.0.2.1:65536", 0, NULL },
	{ "192.0.2.1:-1", 0, NULL },
	{ "192.0.2.1:+80", 0, NULL },
	{ "192.0.2.1:80x", 0, NULL },
	{ "192.0.2.256:80", 0, NULL },
	{ "192.0.2:80", 0, NULL },
	{ "2001:db8::1:4000", 0, NULL },		/* v6 needs brackets */
	{ "[2001:db8::1:4000", 0, NULL },
	{ "[2001:db8::1]4000", 0, NULL },
	{ "[192.0.2.1]:4000", 0, NULL },
	{ "host.example:4000", 0, NULL },		/* no name lookups */
	{ "", 0, NULL },
	{ ":4000", 0, NULL },
	{ "[]:4000", 0, NULL },
	{ "192.0.2.1:1-", 1, NULL },
	{ "192.0.2.1:1-2-3", 1, NULL },
};

static const struct {
	const char *in;
	int ret;
	uint32_t ms;
} durations[] = {
	{ "25s", 0, 25000 }, { "500ms", 0, 500 }, { "2m", 0, 120000 },
	{ "1h", 0, 3600000 }, { "7", 0, 7000 }, { "0ms", 0, 0 },
	{ "4294967295ms", 0, 4294967295u },
	{ "4294967s", 0, 4294967000u },
	{ "4294968s", -ERANGE, 0 },
	{ "99999999999999999999", -EINVAL, 0 },
	{ "", -EINVAL, 0 }, { "s", -EINVAL, 0 }, { "-1s", -EINVAL, 0 },
	{ "1.5s", -EINVAL, 0 }, { "10 s", -EINVAL, 0 }, { "10sec", -EINVAL, 0 },
	{ "10S", -EINVAL, 0 }, { " 10s", -EINVAL, 0 }, { "1d", -EINVAL, 0 },
};

static const struct {
	const char *in;
	int ret;
	uint32_t v;
} numbers[] = {
	{ "0", 0, 0 }, { "100000", 0, 100000 }, { "4294967295", 0, 4294967295u },
	{ "4294967296", -EINVAL, 0 }, { "-1", -EINVAL, 0 }, { "+1", -EINVAL, 0 },
	{ "1k", -EINVAL, 0 }, { "", -EINVAL, 0 }, { " 1", -EINVAL, 0 },
	{ "0x10", -EINVAL, 0 },
};

static const struct {
	const char *in;
	int len;		/* bytes, or -1 when refused */
} secrets[] = {
	{ "000102030405060708090a0b0c0d0e0f", 16 },
	{ "000102030405060708090A0B0C0D0E0F101112131415161718191a1b1c1d1e1f", 32 },
	{ "000102030405060708090a0b0c0d0e", -1 },	/* 15 bytes */
	{ "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20", -1 },
	{ "000102030405060708090a0b0c0d0e0", -1 },	/* odd length */
	{ "000102030405060708090a0b0c0d0e0g", -1 },
	{ "0x0102030405060708090a0b0c0d0e0f", -1 },
	{ "", -1 },
};

static void test_endpoints(void)
{
	for (size_t i = 0; i < sizeof(endpoints) / sizeof(endpoints[0]); i++) {
		struct nfp_endpoint ep;
		char buf[80];
		int ret = nfp_endpoint_parse(endpoints[i].in, &ep, endpoints[i].range_ok);

		if (endpoints[i].out)
			CHECK(ret == 0 && strcmp(nfp_endpoint_format(&ep, buf, sizeof(buf)),
						 endpoints[i].out) == 0,
			      "endpoint '%s'%s parses and prints back", endpoints[i].in,
			      endpoints[i].range_ok ? " (range allowed)" : "");
		else
			CHECK(ret == -EINVAL, "endpoint '%s'%s is refused", endpoints[i].in,
			      endpoints[i].range_ok ? " (range allowed)" : "");
	}
}

static void test_durations(void)
{
	for (size_t i = 0; i < sizeof(durations) / sizeof(durations[0]); i++) {
		uint32_t ms = 12345;
		int ret = parse_duration(durations[i].in, &ms);

		CHECK(ret == durations[i].ret &&
		      (ret ? ms == 12345 : ms == durations[i].ms),
		      "duration '%s' -> %s", durations[i].in,
		      durations[i].ret ? "refused, result untouched" : "ok");
	}
}

static void test_format_duration(void)
{
	char buf[32];

	format_duration(25000, buf, sizeof(buf));
	CHECK(strcmp(buf, "25s") == 0, "25000 ms prints as 25s");
	format_duration(1500, buf, sizeof(buf));
	CHECK(strcmp(buf, "1500ms") == 0, "1500 ms prints as 1500ms");
	format_duration(0, buf, sizeof(buf));
	CHECK(strcmp(buf, "0ms") == 0, "0 prints as 0ms");
}

static void test_numbers(void)
{
	for (size_t i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++) {
		uint32_t v = 777;
		int ret = parse_u32(numbers[i].in, &v);

		CHECK(ret == numbers[i].ret && (ret ? v == 777 : v == numbers[i].v),
		      "number '%s' -> %s", numbers[i].in, ret ? "refused" : "ok");
	}
}

static void test_secrets(void)
{
	for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++) {
		uint8_t out[NFP_SECRET_MAX];
		unsigned int len = 99;
		int ret = parse_secret_hex(secrets[i].in, out, &len);

		if (secrets[i].len < 0)
			CHECK(ret == -EINVAL && len == 99, "secret '%s' is refused",
			      secrets[i].in);
		else
			CHECK(ret == 0 && (int)len == secrets[i].len && out[1] == 1,
			      "secret of %d bytes is accepted", secrets[i].len);
	}
}

static void test_secret_file(void)
{
	char path[] = "/tmp/nfp-args-XXXXXX";
	uint8_t out[NFP_SECRET_MAX];
	unsigned int len = 0;
	int fd = mkstemp(path);
	static const char text[] = "000102030405060708090a0b0c0d0e0f\n";

	CHECK(fd >= 0 && write(fd, text, sizeof(text) - 1) == sizeof(text) - 1,
	      "a secret file is written");
	if (fd >= 0)
		close(fd);
	CHECK(read_secret_file(path, out, &len) == 0 && len == 16,
	      "a secret file with a trailing newline is read");
	unlink(path);
	CHECK(read_secret_file(path, out, &len) == -ENOENT,
	      "a missing secret file gives ENOENT");
}

int main(void)
{
	ktap_start();
	test_endpoints();
	test_durations();
	test_format_duration();
	test_numbers();
	test_secrets();
	test_secret_file();
	return ktap_finish();
}
