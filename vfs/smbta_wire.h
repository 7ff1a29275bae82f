/*
 * smbta_wire: protocol v2 messages of SMB Traffic Analyzer, as smbta-recv reads them
 * (docs/wire-protocol.md). Plain C with no Samba types, so it is tested on its own.
 */
#ifndef SMBTA_WIRE_H
#define SMBTA_WIRE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define SMBTA_HEADER_LEN 26
/* A sub-block's length has four digits. */
#define SMBTA_FIELD_MAX 9999

/* Operation ids: 0-9 as SMBTA's module sent them; 10 (delete) and 99 (dropped) are smbta's. */
enum smbta_op {
	SMBTA_READ = 0,
	SMBTA_PREAD = 1,
	SMBTA_WRITE = 2,
	SMBTA_PWRITE = 3,
	SMBTA_MKDIR = 4,
	SMBTA_RMDIR = 5,
	SMBTA_RENAME = 6,
	SMBTA_CHDIR = 7,
	SMBTA_OPEN = 8,
	SMBTA_CLOSE = 9,
	SMBTA_DELETE = 10,
	SMBTA_DROPPED = 99,
};

/* Who and where: the common blocks every message starts with. */
struct smbta_common {
	const char *user;
	const char *sid;
	const char *share;
	const char *domain;
	const char *client;
};

/* "YYYY-MM-DD hh:mm:ss.mmm" in local time, as the original module wrote it; out holds 24 bytes. */
void smbta_timestamp(char out[32], const struct timespec *ts);

/* A number as the module prints it: -1 (and any negative) as an unsigned 32-bit value. */
void smbta_number(char out[21], int64_t v);

/*
 * Formats one message into buf: header, then the common blocks (7, or 9 when `count` and
 * `last` are given: the operations a summary stands for and the time of its last one),
 * then `nfields` operation blocks. Returns the message's length, or -1 when it does not
 * fit in `size` or a field is longer than SMBTA_FIELD_MAX bytes.
 */
int smbta_format(char *buf, size_t size, enum smbta_op op,
		 const struct smbta_common *c, const struct timespec *ts,
		 const char *count, const struct timespec *last,
		 size_t nfields, const char *const *fields);

#endif
