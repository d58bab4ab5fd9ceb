/**
 * Keeping a database password out of text that leaves this module (error details, stderr tails).
 * Neither libpq nor the pg library prints passwords, but server messages and tool output are not
 * ours to trust, so every text that reaches a user or a log goes through here.
 */

export const REDACTED = '[redacted]';

/** `text` with every occurrence of `secret` replaced; unchanged when there is no secret. */
export function redactSecret(text: string, secret: string | null | undefined): string {
  if (!secret) return text;
  return text.split(secret).join(REDACTED);
}

/**
 * The last `maxChars` characters of `text`, without the secret. A secret that straddles the cut
 * is removed whole, never left as a fragment: the cut moves left to the secret's start before
 * redacting, so the result may be a little longer than `maxChars`.
 */
export function redactedTail(text: string, maxChars: number, secret: string | null | undefined): string {
  let start = Math.max(0, text.length - maxChars);
  if (!secret) return text.slice(start);
  // repeat: with overlapping occurrences ("aaa" in "aaaa") moving the cut can expose another one
  for (let moved = true; moved; ) {
    moved = false;
    for (let at = text.indexOf(secret); at !== -1 && at < start; at = text.indexOf(secret, at + 1)) {
      if (at + secret.length > start) {
        start = at;
        moved = true;
        break;
      }
    }
  }
  return redactSecret(text.slice(start), secret);
}

/**
 * A connection URL fit for a message: whatever may be a password is replaced by `***`. Meant for
 * text that did not parse as a URL, so it assumes nothing about the password's characters (a
 * `/`, `@`, `#`, `?`, `:` or space in it breaks a URL): everything between the user name and the
 * last `@` goes; without an `@`, whatever follows `user:` unless it is a port number; and the
 * value of every query parameter whose name holds "password" (libpq reads `?password=`).
 */
export function redactUrl(text: string): string {
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(text)?.[0] ?? '';
  let rest = text.slice(scheme.length);
  const at = rest.lastIndexOf('@');
  if (at !== -1) {
    const colon = rest.indexOf(':');
    if (colon !== -1 && colon < at) rest = `${rest.slice(0, colon)}:***${rest.slice(at)}`;
  } else {
    // no user info: `host:port`, or `user:password` with the host forgotten
    const port = /^([^:/?#]*):([^/?#]*)/.exec(rest);
    if (port && !/^\d*$/.test(port[2]!)) rest = `${port[1]}:***`;
  }
  return scheme + rest.replace(/([?&;][^=&#]*password=)[^&#]*/gi, '$1***');
}
