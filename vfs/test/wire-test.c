/*
 * Prints one smbta_format message for the unit test (test/unit/vfs-wire.test.ts):
 *   wire-test OP EPOCH_MS USER SID SHARE DOMAIN CLIENT [COUNT LAST_EPOCH_MS] -- FIELD...
 * A field "#N" is the number N as the module prints numbers (so "#-1" is 4294967295).
 */
#include "../smbta_wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct timespec at_ms(const char *ms)
{
	long long v = atoll(ms);
	struct timespec ts = { .tv_sec = v / 1000, .tv_nsec = (v % 1000) * 1000000 };
	return ts;
}

int main(int argc, char **argv)
{
	static char buf[65536];
	struct smbta_common c;
	struct timespec ts, last;
	const char *count = NULL;
	static char numbers[64][21];
	int i = 8, n, f;

	if (argc < 9 || argc > 64) {
		fprintf(stderr, "usage: wire-test OP EPOCH_MS USER SID SHARE DOMAIN CLIENT [COUNT LAST_MS] -- FIELD...\n");
		return 2;
	}
	c = (struct smbta_common){ argv[3], argv[4], argv[5], argv[6], argv[7] };
	ts = at_ms(argv[2]);
	if (strcmp(argv[8], "--") != 0) {
		count = argv[8];
		last = at_ms(argv[9]);
		i = 10;
	}
	for (f = i + 1; f < argc; f++) {
		if (argv[f][0] == '#') {
			smbta_number(numbers[f], atoll(argv[f] + 1));
			argv[f] = numbers[f];
		}
	}
	n = smbta_format(buf, sizeof(buf), atoi(argv[1]), &c, &ts, count, count ? &last : NULL,
			 (size_t)(argc - i - 1), (const char *const *)argv + i + 1);
	if (n < 0) {
		fprintf(stderr, "does not fit\n");
		return 1;
	}
	fwrite(buf, 1, (size_t)n, stdout);
	return 0;
}
