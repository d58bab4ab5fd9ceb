/**
 * Whether an IPC message comes from our own renderer. Pure (URLs in, boolean out) so that the
 * rule is unit-tested without Electron; the shell applies it to `event.senderFrame.url`.
 */

export interface TrustedOrigins {
  /** ELECTRON_RENDERER_URL in development (the Vite dev server), else null */
  devServerUrl: string | null;
  /** file:// URL of out/renderer/index.html, the page a packaged or previewed app loads */
  rendererFileUrl: string;
}

function parse(url: string): URL | null {
  try {
    return new URL(url);
  } catch {
    return null;
  }
}

/**
 * True only for our renderer page: in development any page of the dev server's exact origin,
 * otherwise exactly the bundled index.html (query and hash ignored, since the app routes with
 * them). Anything else — another file, another host, a data: or about: URL, an unparsable
 * string — is refused, so a page navigated or framed from elsewhere cannot reach the handlers.
 */
export function isTrustedSenderUrl(url: string | null | undefined, origins: TrustedOrigins): boolean {
  if (!url) return false;
  const sender = parse(url);
  if (!sender) return false;

  if (origins.devServerUrl) {
    const dev = parse(origins.devServerUrl);
    // URL.origin is the string "null" for file: URLs, which must never match each other here
    if (dev && dev.protocol.startsWith('http') && sender.origin === dev.origin) return true;
  }

  const renderer = parse(origins.rendererFileUrl);
  if (!renderer || renderer.protocol !== 'file:' || sender.protocol !== 'file:') return false;
  // the host part of a file URL would name a network share; ours never has one
  if (sender.host !== '' || renderer.host !== '') return false;
  const senderPath = filePath(sender);
  return senderPath !== null && senderPath === filePath(renderer);
}

/**
 * A file URL's path in one spelling: percent-decoded (Chromium and Node encode some characters
 * differently) and, for Windows drive paths, lower-cased, since those file systems ignore case
 * and the drive letter's case varies between the two.
 */
function filePath(url: URL): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(url.pathname);
  } catch {
    return null;
  }
  return /^\/[a-zA-Z]:\//.test(decoded) ? decoded.toLowerCase() : decoded;
}
