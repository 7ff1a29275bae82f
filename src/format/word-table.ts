/**
 * A table looked up by words a user or a sender wrote. It has no prototype, so words such as
 * `__proto__`, `constructor` or `toString` are simply not in it (a plain object literal
 * would answer them with Object's own members).
 */
export function wordTable<T>(entries: Record<string, T>): Readonly<Partial<Record<string, T>>> {
  return Object.freeze(Object.assign(Object.create(null) as Record<string, T>, entries));
}
