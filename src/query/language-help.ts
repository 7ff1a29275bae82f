/** The statement language in brief, as smbtaquery's -p printed it; docs/query.md has the whole. */
export const LANGUAGE_HELP = `smbtaquery statements: ITEM {, ITEM} ;   (items run left to right)

Objects (narrow the selection; several combine with AND; global starts again):
  global [TIME]            everything
  share NAME [TIME]        one share
  user NAME [TIME]         one user; DOMAIN\\NAME (quoted) when the name is in several domains
  file NAME [TIME]         one file, as its path is stored
  domain NAME [TIME]       one domain
  system                   for self-check and smbtad-report
TIME is 'from T1 to T2' or 'since T'; T is now, today, yesterday, 2026-11-23,
'2026-11-23 10:00:00' (quoted), 10:00 or 10:00:00.

Commands (MODE is r, w or rw: bytes read, written or both):
  total MODE                                        bytes
  list users|shares|files|domains                   the distinct objects
  top N users|shares|files|domains MODE [asc|desc]  the largest (by operations when no bytes)
  last_activity N                                   the latest operations
  24h_usage MODE                                    bytes per hour of the day
  usage [W H] MODE                                  bytes over time (a chart W wide, at most H steps)
  search PATTERN                                    names matching (% any run, _ one character)
  throughput N seconds|minutes|hours|days MODE      bytes in the last N units, and per second
  smbtad-report full|short                          after system: the store and what it holds
  self-check [online|offline]                       after system: versions, senders, losses
A statement starting with SELECT is raw SQL (read-only, --db only).

Examples:
  global, total rw;
  share projects since yesterday, top 10 users rw;
  user 'EXAMPLE\\bob' from '2026-11-01 00:00:00' to '2026-11-02 00:00:00', top 10 files rw desc;
`;
