/** smbta-top's colours, in one place (Ink colour names; NO_COLOR turns them all off). */
export const THEME = {
  title: 'cyan',
  read: 'green',
  write: 'yellow',
  heading: 'blue',
  failed: 'red',
  error: 'red',
  dim: 'gray',
  dropped: 'red',
  /** Alerts by severity, as smbta-alert colours its lines. */
  critical: 'redBright',
  high: 'red',
  medium: 'yellow',
  low: 'cyan',
  cleared: 'green',
} as const;
