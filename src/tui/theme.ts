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
} as const;
