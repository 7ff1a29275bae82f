/**
 * --mail: the report as a mail for `sendmail -t`: multipart/alternative with the text form
 * first and the HTML second (mail readers show the last they can), both UTF-8 in base64.
 */
import { createHash } from 'node:crypto';

export interface MailParts {
  from: string;
  to: string[];
  subject: string;
  text: string;
  html: string;
  date: number;
}

/** A header value, encoded (RFC 2047) when it is not plain ASCII. */
function headerText(s: string): string {
  return /^[\x20-\x7e]*$/.test(s) ? s : `=?utf-8?B?${Buffer.from(s).toString('base64')}?=`;
}

function base64Lines(s: string): string {
  return (
    Buffer.from(s)
      .toString('base64')
      .match(/.{1,76}/g) ?? []
  ).join('\r\n');
}

export function mimeMessage(m: MailParts): string {
  // Made from the content, so the same report is the same message.
  const boundary = `smbta-${createHash('sha256').update(m.text).update(m.html).digest('hex').slice(0, 24)}`;
  const part = (type: string, body: string): string =>
    [`--${boundary}`, `Content-Type: ${type}; charset=utf-8`, 'Content-Transfer-Encoding: base64', '', base64Lines(body)].join('\r\n');
  return [
    `From: ${m.from}`,
    `To: ${m.to.join(', ')}`,
    `Subject: ${headerText(m.subject)}`,
    `Date: ${new Date(m.date).toUTCString()}`,
    'MIME-Version: 1.0',
    `Content-Type: multipart/alternative; boundary="${boundary}"`,
    '',
    part('text/plain', m.text),
    part('text/html', m.html),
    `--${boundary}--`,
    '',
  ].join('\r\n');
}
