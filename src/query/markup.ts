/**
 * Answers as the original's -o html and -x FILE gave them, for webSMBTA and the pages and
 * scripts built on it: an HTML fragment (a heading and a table per answer) and XML whose
 * rows are `smbta_output/KIND/table_row/table_value[@id=...]`, with the original's ids for
 * names (sharename, username, filename, domain, usersid).
 */
import { escapeMarkup } from '../format/markup.js';
import type { Answer } from './answers.js';
import { cellText } from './cells.js';

const escape = escapeMarkup;

/** The original's id of each column, where it had one. */
const IDS: Record<string, string> = { share: 'sharename', user: 'username', file: 'filename', sid: 'usersid' };

/** The element an answer's rows go in: the command's word, as an XML name. */
function elementOf(a: Answer): string {
  const kind = a.question.command.kind;
  return kind === '24h_usage' ? 'day_usage' : kind.replace(/-/g, '_');
}

export function formatXml(answers: readonly Answer[]): string {
  const body = answers
    .filter((a) => a.error === undefined)
    .map((a) => {
      const rows = a.rows.map(
        (r) =>
          `<table_row>${r.map((v, k) => `<table_value id="${escape(IDS[a.columns[k]!.name] ?? a.columns[k]!.name.replace(/\W+/g, '_'))}">${escape(String(v))}</table_value>`).join('')}</table_row>`,
      );
      const note = a.note ? ` note="${escape(a.note)}"` : '';
      return `<${elementOf(a)} statement="${escape(a.question.statement)}"${note}>\n${rows.join('\n')}\n</${elementOf(a)}>`;
    });
  return `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<smbta_output>\n${body.join('\n')}\n</smbta_output>\n`;
}

export function formatHtml(answers: readonly Answer[]): string {
  return answers
    .filter((a) => a.error === undefined)
    .map((a) => {
      const visible = a.columns.map((c, k) => (c.machineOnly ? -1 : k)).filter((k) => k >= 0);
      const head = visible.map((k) => `<th>${escape(a.columns[k]!.name)}</th>`).join('');
      const rows = a.rows.map((r) => `<tr>${visible.map((k) => `<td>${escape(cellText(a.columns[k]!.kind, r[k]!))}</td>`).join('')}</tr>`);
      const note = a.note ? `<p class="smbta_note">${escape(a.note)}</p>\n` : '';
      const table = a.rows.length ? `<table class="smbta_${elementOf(a)}">\n<tr>${head}</tr>\n${rows.join('\n')}\n</table>` : '<p>(nothing selected)</p>';
      return `<div class="smbta_answer">\n<h3>${escape(a.question.statement)}</h3>\n${note}${table}\n</div>\n`;
    })
    .join('');
}
