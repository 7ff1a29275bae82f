/*
 * vfs_smbta: reports every read, write, open, close, rename, mkdir, rmdir, chdir and delete
 * to smbta-recv in SMB Traffic Analyzer's protocol v2 (docs/wire-protocol.md), with the
 * bytes actually moved. Successor of Samba's smb_traffic_analyzer (removed in 4.4).
 *
 * It never blocks smbd: a record is formatted on the request path and copied into a bounded
 * queue; a helper thread per receiver sends it. When the receiver is away the thread
 * reconnects with backoff; when the queue is full records are dropped, counted, and the count
 * is sent (operation 99) once the receiver is back. Settings: vfs/README.md.
 */
#include "includes.h"
#include "system/filesys.h"
#include "smbd/smbd.h"
#include "smbd/globals.h"
#include "auth.h"
#include "lib/util/tevent_unix.h"
#include "lib/tsocket/tsocket.h"
#include "libcli/security/dom_sid.h"

#include <pthread.h>
#include <poll.h>
#include <netdb.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "smbta_wire.h"

/* Messages go to the vfs debug class: `log level = 1 vfs:3` shows the module's totals. */
#undef DBGC_CLASS
#define DBGC_CLASS DBGC_VFS

#define MODULE "smbta"
/* Room for the largest message: ten fields of SMBTA_FIELD_MAX bytes. */
#define MESSAGE_MAX (SMBTA_HEADER_LEN + 12 * (4 + SMBTA_FIELD_MAX))
#define BACKOFF_FIRST_MS 100
#define BACKOFF_MAX_MS 5000

/* One receiver, shared by every share of this smbd process that names it. */
struct smbta_sender {
	struct smbta_sender *next;
	char *target; /* "unix:PATH" or "HOST:PORT": the key and what logs say */
	bool is_unix;
	char *path, *host, *port;

	pthread_mutex_t lock;
	pthread_cond_t wake; /* records queued */
	pthread_cond_t idle; /* queue empty, or the receiver found away */
	char *pending;       /* whole messages, appended on the request path */
	size_t pending_len, cap;
	char *out; /* what the thread is sending: the drop count, then pending */
	size_t out_len;
	int fd;
	bool away; /* the last connection attempt failed */
	uint64_t unreported; /* dropped, not yet told to the receiver */
	struct timespec first_drop, last_drop;
	uint64_t queued, sent, dropped;
	unsigned notes; /* NOTE_*: set by the thread, logged by the request path */
};

/* Samba's logging is not for helper threads: the thread leaves notes, smbd's thread says them. */
enum { NOTE_AWAY = 1, NOTE_BACK = 2 };

struct smbta_share {
	struct smbta_sender *sender;
	struct smbta_common who;
	const char *connectpath;
	bool summary;
	int flush_ms;
};

/* Per open file (not pathref): its fd, to tell its own close, and the summary's sums. */
struct smbta_file {
	int fd;
	uint64_t read_bytes, reads, write_bytes, writes;
	struct timespec first, last;
};

static struct smbta_sender *senders;
static pid_t senders_pid;
static pthread_mutex_t senders_lock = PTHREAD_MUTEX_INITIALIZER;

static struct timespec now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return ts;
}

static uint64_t field_number(const char *p, size_t n)
{
	uint64_t v = 0;
	while (n-- > 0) {
		v = v * 10 + (uint64_t)(*p++ - '0');
	}
	return v;
}

/*
 * Whole messages at the start of buf[0, len): their bytes in *bytes, and how many of them
 * are records (not drop counts), for the totals the module logs.
 */
static uint64_t whole_messages(const char *buf, size_t len, size_t *bytes)
{
	uint64_t records = 0;
	size_t at = 0;

	for (;;) {
		size_t body, oplen;
		if (at + SMBTA_HEADER_LEN > len) {
			break;
		}
		body = field_number(buf + at + 9, 17);
		if (at + SMBTA_HEADER_LEN + body > len) {
			break;
		}
		/* Body: "0001" + count digit, then the op id's block. */
		oplen = field_number(buf + at + SMBTA_HEADER_LEN + 5, 4);
		if (field_number(buf + at + SMBTA_HEADER_LEN + 9, oplen) != SMBTA_DROPPED) {
			records++;
		}
		at += SMBTA_HEADER_LEN + body;
	}
	*bytes = at;
	return records;
}

static int connect_target(struct smbta_sender *s)
{
	int fd = -1;

	if (s->is_unix) {
		struct sockaddr_un sun = { .sun_family = AF_UNIX };
		if (strlen(s->path) >= sizeof(sun.sun_path)) {
			return -1;
		}
		strlcpy(sun.sun_path, s->path, sizeof(sun.sun_path));
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0 && connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
			close(fd);
			fd = -1;
		}
	} else {
		struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
		if (getaddrinfo(s->host, s->port, &hints, &res) != 0) {
			return -1;
		}
		for (ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
			fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
			if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
				close(fd);
				fd = -1;
			}
		}
		freeaddrinfo(res);
	}
	return fd;
}

/* The receiver never sends: a readable socket means it closed (or sent garbage). */
static bool peer_gone(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN | POLLRDHUP };
	return poll(&p, 1, 0) > 0;
}

/* Sends buf; returns the bytes the kernel took before an error (len when all). */
static size_t send_all(int fd, const char *buf, size_t len)
{
	size_t done = 0;
	while (done < len) {
		ssize_t n = send(fd, buf + done, len - done, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n <= 0) {
			break;
		}
		done += (size_t)n;
	}
	return done;
}

/* Moves the drop count (as a message) and the pending records to `out`; called locked. */
static void take_pending(struct smbta_sender *s)
{
	if (s->unreported > 0) {
		char count[21], first[32], last[32];
		const char *fields[] = { count, first, last };
		struct smbta_common none = { "", "", "", "", "" };
		int n;
		smbta_number(count, (int64_t)s->unreported);
		smbta_timestamp(first, &s->first_drop);
		smbta_timestamp(last, &s->last_drop);
		n = smbta_format(s->out, MESSAGE_MAX, SMBTA_DROPPED, &none, &s->last_drop, NULL, NULL, 3, fields);
		s->out_len = n > 0 ? (size_t)n : 0;
		s->unreported = 0;
	}
	memcpy(s->out + s->out_len, s->pending, s->pending_len);
	s->out_len += s->pending_len;
	s->pending_len = 0;
}

/* `ms` from now on the monotonic clock the condition variables wait on. */
static struct timespec deadline(unsigned ms)
{
	struct timespec until;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (long)(ms % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	return until;
}

static void wait_ms(struct smbta_sender *s, unsigned ms)
{
	struct timespec until = deadline(ms);
	pthread_cond_timedwait(&s->wake, &s->lock, &until);
}

/* Ensures a connection; false (after a backoff wait) when the receiver is away. Locked. */
static bool ensure_connected(struct smbta_sender *s, unsigned *backoff)
{
	int fd;

	if (s->fd >= 0 && !peer_gone(s->fd)) {
		return true;
	}
	if (s->fd >= 0) {
		close(s->fd);
		s->fd = -1;
	}
	pthread_mutex_unlock(&s->lock);
	fd = connect_target(s);
	pthread_mutex_lock(&s->lock);
	if (fd < 0) {
		if (!s->away) {
			s->notes |= NOTE_AWAY;
		}
		s->away = true;
		pthread_cond_broadcast(&s->idle);
		wait_ms(s, *backoff);
		*backoff = MIN(*backoff * 2, BACKOFF_MAX_MS);
		return false;
	}
	if (s->away) {
		s->notes |= NOTE_BACK;
	}
	s->fd = fd;
	s->away = false;
	*backoff = BACKOFF_FIRST_MS;
	return true;
}

static void *sender_main(void *arg)
{
	struct smbta_sender *s = arg;
	unsigned backoff = BACKOFF_FIRST_MS;

	pthread_mutex_lock(&s->lock);
	for (;;) {
		size_t len, done, whole;
		int fd;

		if (!ensure_connected(s, &backoff)) {
			continue;
		}
		if (s->out_len == 0 && s->pending_len == 0 && s->unreported == 0) {
			pthread_cond_broadcast(&s->idle);
			/* Wake now and then to notice a receiver that went away while idle. */
			wait_ms(s, 1000);
			continue;
		}
		if (s->out_len == 0) {
			take_pending(s);
		}
		len = s->out_len;
		fd = s->fd;
		pthread_mutex_unlock(&s->lock);
		done = send_all(fd, s->out, len);
		pthread_mutex_lock(&s->lock);
		s->sent += whole_messages(s->out, done, &whole);
		if (done == len) {
			s->out_len = 0;
			continue;
		}
		/* Resend from the first message the receiver did not get whole. */
		memmove(s->out, s->out + whole, len - whole);
		s->out_len = len - whole;
		close(s->fd);
		s->fd = -1;
	}
	return NULL;
}

/* Counts a record that could not be queued; called locked. */
static void count_drop(struct smbta_sender *s)
{
	struct timespec t = now();
	if (s->unreported == 0) {
		s->first_drop = t;
		DBG_WARNING(MODULE ": %s: queue of %zu bytes full, dropping and "
			    "counting records\n", s->target, s->cap);
	}
	s->last_drop = t;
	s->unreported++;
	s->dropped++;
}

/* Queues a message; msg NULL counts one that could not be formatted as dropped. */
static void sender_enqueue(struct smbta_sender *s, const char *msg, size_t len)
{
	unsigned notes;

	pthread_mutex_lock(&s->lock);
	notes = s->notes;
	s->notes = 0;
	if (notes & NOTE_AWAY) {
		DBG_WARNING(MODULE ": %s: receiver away, queueing up to %zu bytes "
			    "and retrying\n", s->target, s->cap);
	}
	if (notes & NOTE_BACK) {
		DBG_WARNING(MODULE ": %s: receiver back\n", s->target);
	}
	if (msg == NULL || s->pending_len + len > s->cap) {
		count_drop(s);
	} else {
		memcpy(s->pending + s->pending_len, msg, len);
		s->pending_len += len;
		s->queued++;
		pthread_cond_signal(&s->wake);
	}
	pthread_mutex_unlock(&s->lock);
}

/* Waits up to ms for the queue to empty while the receiver is there; never when it is away. */
static void sender_flush(struct smbta_sender *s, int ms)
{
	struct timespec until = deadline((unsigned)MAX(ms, 0));

	pthread_mutex_lock(&s->lock);
	while (!s->away && (s->pending_len > 0 || s->out_len > 0 || s->unreported > 0)) {
		if (pthread_cond_timedwait(&s->idle, &s->lock, &until) == ETIMEDOUT) {
			break;
		}
	}
	DBG_NOTICE(MODULE ": %s: %" PRIu64 " records queued, %" PRIu64 " sent, %" PRIu64
		   " dropped, %zu bytes unsent\n", s->target, s->queued, s->sent,
		   s->dropped, s->pending_len + s->out_len);
	if (s->pending_len + s->out_len > 0 || s->unreported > 0) {
		DBG_WARNING(MODULE ": %s: %zu bytes of records and a count of %" PRIu64
			    " dropped ones not delivered (receiver away)\n",
			    s->target, s->pending_len + s->out_len, s->unreported);
	}
	pthread_mutex_unlock(&s->lock);
}

/* A forked child has no helper threads: it starts its own senders when it needs them. */
static void forget_senders(void)
{
	senders = NULL;
	pthread_mutex_init(&senders_lock, NULL);
}

static struct smbta_sender *sender_start(const char *target, bool is_unix, const char *path,
					 const char *host, const char *port, size_t cap)
{
	struct smbta_sender *s = calloc(1, sizeof(*s));
	pthread_condattr_t ca;
	pthread_attr_t attr;
	pthread_t thread;
	int rc;

	if (s == NULL) {
		return NULL;
	}
	s->target = strdup(target);
	s->is_unix = is_unix;
	s->path = strdup(path);
	s->host = strdup(host);
	s->port = strdup(port);
	s->cap = cap;
	s->pending = malloc(cap);
	s->out = malloc(cap + MESSAGE_MAX);
	s->fd = -1;
	if (!s->target || !s->path || !s->host || !s->port || !s->pending || !s->out) {
		goto fail;
	}
	pthread_mutex_init(&s->lock, NULL);
	/* Timed waits on a monotonic clock: a clock step must not stall the backoff. */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->wake, &ca);
	pthread_cond_init(&s->idle, &ca);
	pthread_condattr_destroy(&ca);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	/* As root: the thread keeps the credentials it starts with, and the socket may be root's. */
	become_root();
	rc = pthread_create(&thread, &attr, sender_main, s);
	unbecome_root();
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		goto fail;
	}
	return s;
fail:
	free(s->target);
	free(s->path);
	free(s->host);
	free(s->port);
	free(s->pending);
	free(s->out);
	free(s);
	return NULL;
}

/* The sender for a target, started on first use in this process. */
static struct smbta_sender *sender_for(int snum)
{
	const char *proto = lp_parm_const_string(snum, MODULE, "protocol", NULL);
	const char *host = lp_parm_const_string(snum, MODULE, "host", NULL);
	const char *port = lp_parm_const_string(snum, MODULE, "port", NULL);
	const char *path = lp_parm_const_string(snum, MODULE, "socket", "/var/tmp/stadsocket");
	size_t cap = (size_t)lp_parm_ulonglong(snum, MODULE, "queue_size", 8 << 20);
	struct smbta_sender *s;
	bool is_unix;
	char target[512];
	static bool atfork;

	if (proto == NULL) {
		is_unix = host == NULL && port == NULL;
	} else if (strequal(proto, "unix") || strequal(proto, "unix_domain_socket")) {
		is_unix = true;
	} else if (strequal(proto, "tcp") || strequal(proto, "internet_socket")) {
		is_unix = false;
	} else {
		DBG_ERR(MODULE ": smbta:protocol = %s: expected unix or tcp\n", proto);
		return NULL;
	}
	host = host ? host : "localhost";
	port = port ? port : "3490";
	cap = MAX(cap, 4096);
	if (is_unix) {
		snprintf(target, sizeof(target), "unix:%s", path);
	} else {
		snprintf(target, sizeof(target), "%s%s%s:%s", strchr(host, ':') ? "[" : "",
			 host, strchr(host, ':') ? "]" : "", port);
	}

	pthread_mutex_lock(&senders_lock);
	if (!atfork) {
		pthread_atfork(NULL, NULL, forget_senders);
		atfork = true;
	}
	if (senders_pid != getpid()) {
		senders = NULL;
		senders_pid = getpid();
	}
	for (s = senders; s != NULL && strcmp(s->target, target) != 0; s = s->next) {
	}
	if (s == NULL && (s = sender_start(target, is_unix, path, host, port, cap)) != NULL) {
		s->next = senders;
		senders = s;
	}
	pthread_mutex_unlock(&senders_lock);
	return s;
}

/* name relative to the share: connectpath and "./" taken off; the share root is ".". */
static const char *share_relative(const struct smbta_share *sh, const char *name)
{
	size_t n = strlen(sh->connectpath);

	if (name[0] == '/' && strncmp(name, sh->connectpath, n) == 0 &&
	    (name[n] == '/' || name[n] == '\0')) {
		name += n;
		while (*name == '/') {
			name++;
		}
	}
	while (name[0] == '.' && name[1] == '/') {
		name += 2;
	}
	return name[0] == '\0' ? "." : name;
}

/* A file name as reported: share-relative, with ":stream" when it names a stream. */
static const char *report_name(TALLOC_CTX *ctx, const struct smbta_share *sh,
			       const struct smb_filename *fname)
{
	const char *base = share_relative(sh, fname->base_name);
	if (fname->stream_name == NULL || fname->stream_name[0] == '\0') {
		return base;
	}
	return talloc_asprintf(ctx, "%s%s", base, fname->stream_name);
}

static const char *at_name(TALLOC_CTX *ctx, const struct smbta_share *sh,
			   const struct files_struct *dirfsp, const struct smb_filename *atname)
{
	struct smb_filename *full = full_path_from_dirfsp_atname(ctx, dirfsp, atname);
	return full == NULL ? share_relative(sh, atname->base_name) : report_name(ctx, sh, full);
}

static void emit(struct vfs_handle_struct *handle, enum smbta_op op, const char *count,
		 const struct timespec *first, const struct timespec *last,
		 size_t nfields, const char *const *fields)
{
	/* VFS calls come on smbd's main thread only: one buffer serves them all. */
	static char msg[MESSAGE_MAX];
	struct smbta_share *sh = handle->data;
	struct timespec t = first ? *first : now();
	int len;

	if (sh == NULL || sh->sender == NULL) {
		return;
	}
	len = smbta_format(msg, sizeof(msg), op, &sh->who, &t, count, last, nfields, fields);
	/* Only a name longer than the protocol's 9999 bytes fails: counted with the drops. */
	sender_enqueue(sh->sender, len < 0 ? NULL : msg, len < 0 ? 0 : (size_t)len);
}

/* An operation's path, its second field if it has one (a rename's target, a mode), and its result: 0, or -1 when negative. */
static void emit_result(struct vfs_handle_struct *handle, enum smbta_op op, const char *path,
			const char *second, int result)
{
	char res[21];
	const char *fields[] = { path, second != NULL ? second : res, res };
	smbta_number(res, result < 0 ? -1 : 0);
	emit(handle, op, NULL, NULL, NULL, second != NULL ? 3 : 2, fields);
}

static void emit_bytes(struct vfs_handle_struct *handle, enum smbta_op op, const char *path,
		       int64_t bytes, const char *count, const struct timespec *first,
		       const struct timespec *last)
{
	char len[21];
	const char *fields[] = { path, len };
	smbta_number(len, bytes);
	emit(handle, op, count, first, last, 2, fields);
}

/* A read or write of `n` bytes (-1: failed): sent now, or added to the file's summary. */
static void account_io(struct vfs_handle_struct *handle, files_struct *fsp, enum smbta_op op,
		       ssize_t n)
{
	struct smbta_share *sh = handle->data;
	struct smbta_file *f;

	if (sh == NULL) {
		return;
	}
	f = sh->summary ? VFS_FETCH_FSP_EXTENSION(handle, fsp) : NULL;
	if (f != NULL && n >= 0) {
		bool reading = op == SMBTA_READ || op == SMBTA_PREAD;
		struct timespec t = now();
		if (f->reads + f->writes == 0) {
			f->first = t;
		}
		f->last = t;
		if (reading) {
			f->read_bytes += (uint64_t)n;
			f->reads++;
		} else {
			f->write_bytes += (uint64_t)n;
			f->writes++;
		}
		return;
	}
	emit_bytes(handle, op, report_name(talloc_tos(), sh, fsp->fsp_name), n, NULL, NULL, NULL);
}

static void emit_summary(struct vfs_handle_struct *handle, const char *path,
			 const struct smbta_file *f)
{
	char count[21];
	if (f->reads > 0) {
		smbta_number(count, (int64_t)f->reads);
		emit_bytes(handle, SMBTA_PREAD, path, (int64_t)f->read_bytes, count, &f->first, &f->last);
	}
	if (f->writes > 0) {
		smbta_number(count, (int64_t)f->writes);
		emit_bytes(handle, SMBTA_PWRITE, path, (int64_t)f->write_bytes, count, &f->first, &f->last);
	}
}

/* User and SID as sent, a copy of the share's own: anonymised with smbta:anonymize_prefix as the original did. */
static const char *anonymised(TALLOC_CTX *ctx, int snum, const char *name)
{
	const char *prefix = lp_parm_const_string(snum, MODULE, "anonymize_prefix", NULL);
	if (prefix == NULL) {
		return talloc_strdup(ctx, name);
	}
	if (lp_parm_bool(snum, MODULE, "total_anonymization", false)) {
		return talloc_strdup(ctx, prefix);
	}
	return talloc_asprintf(ctx, "%s%d", prefix, str_checksum(name));
}

static int smbta_connect(vfs_handle_struct *handle, const char *service, const char *user)
{
	struct connection_struct *conn = handle->conn;
	const struct auth_session_info *si = conn->session_info;
	int snum = SNUM(conn);
	struct smbta_share *sh;
	struct dom_sid_buf sid;
	char *client;
	int ret = SMB_VFS_NEXT_CONNECT(handle, service, user);

	if (ret < 0) {
		return ret;
	}
	sh = talloc_zero(handle, struct smbta_share);
	if (sh == NULL) {
		SMB_VFS_NEXT_DISCONNECT(handle);
		return -1;
	}
	sh->sender = sender_for(snum);
	sh->summary = lp_parm_bool(snum, MODULE, "summary", false);
	sh->flush_ms = lp_parm_int(snum, MODULE, "flush_timeout", 1000);
	sh->connectpath = talloc_strdup(sh, conn->connectpath);
	client = tsocket_address_inet_addr_string(conn->sconn->remote_address, sh);
	/* Copies: the session's own strings can change under a share (reauthentication). */
	sh->who = (struct smbta_common){
		.user = anonymised(sh, snum, si->unix_info->sanitized_username),
		.sid = anonymised(sh, snum, si->security_token->num_sids > 0
				  ? dom_sid_str_buf(&si->security_token->sids[0], &sid) : ""),
		.share = talloc_strdup(sh, service),
		.domain = talloc_strdup(sh, si->info->domain_name),
		.client = client ? client : "",
	};
	if (sh->sender == NULL || sh->connectpath == NULL || sh->who.user == NULL ||
	    sh->who.sid == NULL || sh->who.share == NULL || sh->who.domain == NULL) {
		/* Say so, but serve the share: auditing must not take the file server down. */
		DBG_ERR(MODULE ": [%s]: cannot report this share's operations\n", service);
		sh->sender = NULL;
	}
	handle->data = sh;
	return ret;
}

static void smbta_disconnect(vfs_handle_struct *handle)
{
	struct smbta_share *sh = handle->data;
	if (sh != NULL && sh->sender != NULL) {
		sender_flush(sh->sender, sh->flush_ms);
	}
	SMB_VFS_NEXT_DISCONNECT(handle);
}

static int smbta_openat(vfs_handle_struct *handle, const struct files_struct *dirfsp,
			const struct smb_filename *smb_fname, struct files_struct *fsp,
			const struct vfs_open_how *how)
{
	int fd = SMB_VFS_NEXT_OPENAT(handle, dirfsp, smb_fname, fsp, how);
	int err = errno;
	char mode[21];

	/*
	 * Pathref opens are smbd walking paths, not a client opening a file; a failed open is
	 * reported by create_file, which also sees those refused before the file system.
	 */
	if (fsp->fsp_flags.is_pathref || fd < 0 || handle->data == NULL) {
		errno = err;
		return fd;
	}
	/* Reopens go through /proc/self/fd: the file's own name is the one to report. */
	smbta_number(mode, how->mode);
	emit_result(handle, SMBTA_OPEN,
		    fsp->fsp_name != NULL ? report_name(talloc_tos(), handle->data, fsp->fsp_name)
					  : at_name(talloc_tos(), handle->data, dirfsp, smb_fname),
		    mode, 0);
	{
		struct smbta_file *f = VFS_FETCH_FSP_EXTENSION(handle, fsp);
		if (f == NULL) {
			f = VFS_ADD_FSP_EXTENSION(handle, fsp, struct smbta_file, NULL);
		}
		if (f != NULL) {
			*f = (struct smbta_file){ .fd = fd };
		}
	}
	errno = err;
	return fd;
}

/* A client's open that failed: no such file, access denied, a sharing violation... */
static NTSTATUS smbta_create_file(vfs_handle_struct *handle, struct smb_request *req,
				  struct files_struct *dirfsp, struct smb_filename *smb_fname,
				  uint32_t access_mask, uint32_t share_access,
				  uint32_t create_disposition, uint32_t create_options,
				  uint32_t file_attributes, uint32_t oplock_request,
				  const struct smb2_lease *lease, uint64_t allocation_size,
				  uint32_t private_flags, struct security_descriptor *sd,
				  struct ea_list *ea_list, files_struct **result_fsp, int *pinfo,
				  const struct smb2_create_blobs *in_context_blobs,
				  struct smb2_create_blobs *out_context_blobs)
{
	NTSTATUS status = SMB_VFS_NEXT_CREATE_FILE(
		handle, req, dirfsp, smb_fname, access_mask, share_access, create_disposition,
		create_options, file_attributes, oplock_request, lease, allocation_size,
		private_flags, sd, ea_list, result_fsp, pinfo, in_context_blobs, out_context_blobs);

	if (!NT_STATUS_IS_OK(status) && handle->data != NULL) {
		emit_result(handle, SMBTA_OPEN, at_name(talloc_tos(), handle->data, dirfsp, smb_fname), "0", -1);
	}
	return status;
}

static int smbta_close(vfs_handle_struct *handle, files_struct *fsp)
{
	struct smbta_file *f = VFS_FETCH_FSP_EXTENSION(handle, fsp);
	int fd = fsp_get_pathref_fd(fsp);
	int ret = SMB_VFS_NEXT_CLOSE(handle, fsp);
	int err = errno;

	/* Only the close of the fd its open reported: a reopen's old pathref fd is not one. */
	if (f != NULL && f->fd == fd) {
		const char *name = report_name(talloc_tos(), handle->data, fsp->fsp_name);
		emit_summary(handle, name, f);
		emit_result(handle, SMBTA_CLOSE, name, NULL, ret);
		VFS_REMOVE_FSP_EXTENSION(handle, fsp);
	}
	errno = err;
	return ret;
}

static ssize_t smbta_pread(vfs_handle_struct *handle, files_struct *fsp, void *data, size_t n,
			   off_t offset)
{
	ssize_t ret = SMB_VFS_NEXT_PREAD(handle, fsp, data, n, offset);
	int err = errno;
	account_io(handle, fsp, SMBTA_PREAD, ret);
	errno = err;
	return ret;
}

static ssize_t smbta_pwrite(vfs_handle_struct *handle, files_struct *fsp, const void *data,
			    size_t n, off_t offset)
{
	ssize_t ret = SMB_VFS_NEXT_PWRITE(handle, fsp, data, n, offset);
	int err = errno;
	account_io(handle, fsp, SMBTA_PWRITE, ret);
	errno = err;
	return ret;
}

static ssize_t smbta_sendfile(vfs_handle_struct *handle, int tofd, files_struct *fromfsp,
			      const DATA_BLOB *hdr, off_t offset, size_t n)
{
	ssize_t ret = SMB_VFS_NEXT_SENDFILE(handle, tofd, fromfsp, hdr, offset, n);
	int err = errno;
	/* The count includes the header sent with the data; the file's bytes are the rest. */
	account_io(handle, fromfsp, SMBTA_READ,
		   ret > 0 && hdr != NULL ? MAX(ret - (ssize_t)hdr->length, 0) : ret);
	errno = err;
	return ret;
}

static ssize_t smbta_recvfile(vfs_handle_struct *handle, int fromfd, files_struct *tofsp,
			      off_t offset, size_t n)
{
	ssize_t ret = SMB_VFS_NEXT_RECVFILE(handle, fromfd, tofsp, offset, n);
	int err = errno;
	account_io(handle, tofsp, SMBTA_WRITE, ret);
	errno = err;
	return ret;
}

/* The asynchronous forms count at completion: the bytes moved, not the bytes asked for. */
struct smbta_aio_state {
	vfs_handle_struct *handle;
	files_struct *fsp;
	ssize_t ret;
	struct vfs_aio_state aio;
};

static void smbta_pread_done(struct tevent_req *subreq)
{
	struct tevent_req *req = tevent_req_callback_data(subreq, struct tevent_req);
	struct smbta_aio_state *state = tevent_req_data(req, struct smbta_aio_state);

	state->ret = SMB_VFS_PREAD_RECV(subreq, &state->aio);
	TALLOC_FREE(subreq);
	tevent_req_done(req);
}

static void smbta_pwrite_done(struct tevent_req *subreq)
{
	struct tevent_req *req = tevent_req_callback_data(subreq, struct tevent_req);
	struct smbta_aio_state *state = tevent_req_data(req, struct smbta_aio_state);

	state->ret = SMB_VFS_PWRITE_RECV(subreq, &state->aio);
	TALLOC_FREE(subreq);
	tevent_req_done(req);
}

static struct tevent_req *smbta_aio_send(vfs_handle_struct *handle, TALLOC_CTX *mem_ctx,
					 struct tevent_context *ev, files_struct *fsp,
					 struct tevent_req *(*next)(struct smbta_aio_state *),
					 tevent_req_fn done)
{
	struct smbta_aio_state *state;
	struct tevent_req *req = tevent_req_create(mem_ctx, &state, struct smbta_aio_state);
	struct tevent_req *subreq;

	if (req == NULL) {
		return NULL;
	}
	state->handle = handle;
	state->fsp = fsp;
	subreq = next(state);
	if (tevent_req_nomem(subreq, req)) {
		return tevent_req_post(req, ev);
	}
	tevent_req_set_callback(subreq, done, req);
	return req;
}

static ssize_t smbta_aio_recv(struct tevent_req *req, struct vfs_aio_state *aio,
			      enum smbta_op op)
{
	struct smbta_aio_state *state = tevent_req_data(req, struct smbta_aio_state);

	if (tevent_req_is_unix_error(req, &aio->error)) {
		account_io(state->handle, state->fsp, op, -1);
		return -1;
	}
	account_io(state->handle, state->fsp, op, state->ret);
	*aio = state->aio;
	return state->ret;
}

/* The next module's send, with the arguments the caller gave (tevent has no closures). */
static struct {
	struct tevent_context *ev;
	void *data;
	size_t n;
	off_t offset;
} aio_args;

static struct tevent_req *next_pread(struct smbta_aio_state *state)
{
	return SMB_VFS_NEXT_PREAD_SEND(state, aio_args.ev, state->handle, state->fsp,
				       aio_args.data, aio_args.n, aio_args.offset);
}

static struct tevent_req *next_pwrite(struct smbta_aio_state *state)
{
	return SMB_VFS_NEXT_PWRITE_SEND(state, aio_args.ev, state->handle, state->fsp,
					aio_args.data, aio_args.n, aio_args.offset);
}

static struct tevent_req *smbta_pread_send(vfs_handle_struct *handle, TALLOC_CTX *mem_ctx,
					   struct tevent_context *ev, files_struct *fsp,
					   void *data, size_t n, off_t offset)
{
	aio_args.ev = ev;
	aio_args.data = data;
	aio_args.n = n;
	aio_args.offset = offset;
	return smbta_aio_send(handle, mem_ctx, ev, fsp, next_pread, smbta_pread_done);
}

static ssize_t smbta_pread_recv(struct tevent_req *req, struct vfs_aio_state *aio)
{
	return smbta_aio_recv(req, aio, SMBTA_PREAD);
}

static struct tevent_req *smbta_pwrite_send(vfs_handle_struct *handle, TALLOC_CTX *mem_ctx,
					    struct tevent_context *ev, files_struct *fsp,
					    const void *data, size_t n, off_t offset)
{
	aio_args.ev = ev;
	aio_args.data = discard_const(data);
	aio_args.n = n;
	aio_args.offset = offset;
	return smbta_aio_send(handle, mem_ctx, ev, fsp, next_pwrite, smbta_pwrite_done);
}

static ssize_t smbta_pwrite_recv(struct tevent_req *req, struct vfs_aio_state *aio)
{
	return smbta_aio_recv(req, aio, SMBTA_PWRITE);
}

static int smbta_renameat(vfs_handle_struct *handle, files_struct *srcfsp,
			  const struct smb_filename *src, files_struct *dstfsp,
			  const struct smb_filename *dst)
{
	int ret = SMB_VFS_NEXT_RENAMEAT(handle, srcfsp, src, dstfsp, dst);
	int err = errno;

	if (handle->data != NULL) {
		emit_result(handle, SMBTA_RENAME, at_name(talloc_tos(), handle->data, srcfsp, src),
			    at_name(talloc_tos(), handle->data, dstfsp, dst), ret);
	}
	errno = err;
	return ret;
}

static int smbta_mkdirat(vfs_handle_struct *handle, struct files_struct *dirfsp,
			 const struct smb_filename *smb_fname, mode_t mode)
{
	int ret = SMB_VFS_NEXT_MKDIRAT(handle, dirfsp, smb_fname, mode);
	int err = errno;
	char m[21];

	if (handle->data != NULL) {
		smbta_number(m, mode);
		emit_result(handle, SMBTA_MKDIR, at_name(talloc_tos(), handle->data, dirfsp, smb_fname), m, ret);
	}
	errno = err;
	return ret;
}

static int smbta_unlinkat(vfs_handle_struct *handle, struct files_struct *dirfsp,
			  const struct smb_filename *smb_fname, int flags)
{
	int ret = SMB_VFS_NEXT_UNLINKAT(handle, dirfsp, smb_fname, flags);
	int err = errno;

	if (handle->data != NULL) {
		emit_result(handle, (flags & AT_REMOVEDIR) ? SMBTA_RMDIR : SMBTA_DELETE,
			    at_name(talloc_tos(), handle->data, dirfsp, smb_fname), NULL, ret);
	}
	errno = err;
	return ret;
}

static int smbta_chdir(vfs_handle_struct *handle, const struct smb_filename *smb_fname)
{
	int ret = SMB_VFS_NEXT_CHDIR(handle, smb_fname);
	int err = errno;

	if (handle->data != NULL) {
		emit_result(handle, SMBTA_CHDIR, report_name(talloc_tos(), handle->data, smb_fname), NULL, ret);
	}
	errno = err;
	return ret;
}

static struct vfs_fn_pointers vfs_smbta_fns = {
	.connect_fn = smbta_connect,
	.disconnect_fn = smbta_disconnect,
	.openat_fn = smbta_openat,
	.create_file_fn = smbta_create_file,
	.close_fn = smbta_close,
	.pread_fn = smbta_pread,
	.pread_send_fn = smbta_pread_send,
	.pread_recv_fn = smbta_pread_recv,
	.pwrite_fn = smbta_pwrite,
	.pwrite_send_fn = smbta_pwrite_send,
	.pwrite_recv_fn = smbta_pwrite_recv,
	.sendfile_fn = smbta_sendfile,
	.recvfile_fn = smbta_recvfile,
	.renameat_fn = smbta_renameat,
	.mkdirat_fn = smbta_mkdirat,
	.unlinkat_fn = smbta_unlinkat,
	.chdir_fn = smbta_chdir,
};

static_decl_vfs;
NTSTATUS vfs_smbta_init(TALLOC_CTX *ctx)
{
	return smb_register_vfs(SMB_VFS_INTERFACE_VERSION, MODULE, &vfs_smbta_fns);
}
