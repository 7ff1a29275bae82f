/* smbta_wire: formatting of protocol v2 messages; see smbta_wire.h. */
#include "smbta_wire.h"

#include <stdio.h>
#include <string.h>

void smbta_timestamp(char out[32], const struct timespec *ts)
{
	struct tm tm;
	time_t s = ts->tv_sec;

	localtime_r(&s, &tm);
	strftime(out, 32, "%Y-%m-%d %H:%M:%S", &tm);
	snprintf(out + 19, 13, ".%03u", (unsigned)(ts->tv_nsec / 1000000) % 1000u);
}

void smbta_number(char out[21], int64_t v)
{
	if (v < 0) {
		snprintf(out, 21, "%u", (unsigned)(uint32_t)v);
	} else {
		snprintf(out, 21, "%llu", (unsigned long long)v);
	}
}

/* Appends [4-digit length][text] at *at; false when it does not fit. */
static int put_block(char *buf, size_t size, size_t *at, const char *text)
{
	size_t n = strlen(text);

	if (n > SMBTA_FIELD_MAX || *at + 4 + n > size) {
		return 0;
	}
	snprintf(buf + *at, 5, "%04zu", n);
	memcpy(buf + *at + 4, text, n);
	*at += 4 + n;
	return 1;
}

int smbta_format(char *buf, size_t size, enum smbta_op op,
		 const struct smbta_common *c, const struct timespec *ts,
		 const char *count, const struct timespec *last,
		 size_t nfields, const char *const *fields)
{
	char opid[21], when[32], lastwhen[32], header[SMBTA_HEADER_LEN + 1];
	int summary = count != NULL && last != NULL;
	size_t at = SMBTA_HEADER_LEN, i;
	int ok;

	smbta_number(opid, op);
	smbta_timestamp(when, ts);
	/* The common-block count is itself a block: "0001" + "7" (or "9"). */
	ok = put_block(buf, size, &at, summary ? "9" : "7") &&
	     put_block(buf, size, &at, opid) &&
	     put_block(buf, size, &at, c->user) &&
	     put_block(buf, size, &at, c->sid) &&
	     put_block(buf, size, &at, c->share) &&
	     put_block(buf, size, &at, c->domain) &&
	     put_block(buf, size, &at, when) &&
	     put_block(buf, size, &at, c->client);
	if (ok && summary) {
		smbta_timestamp(lastwhen, last);
		ok = put_block(buf, size, &at, count) &&
		     put_block(buf, size, &at, lastwhen);
	}
	for (i = 0; ok && i < nfields; i++) {
		ok = put_block(buf, size, &at, fields[i]);
	}
	if (!ok) {
		return -1;
	}
	snprintf(header, sizeof(header), "V2.000000%017zu", at - SMBTA_HEADER_LEN);
	memcpy(buf, header, SMBTA_HEADER_LEN);
	return (int)at;
}
