/**
 * Delivery to the notification channels: webhook (JSON POST of the payload), Slack incoming
 * webhook, Telegram bot and e-mail over SMTP. Each delivery has a timeout and fails with
 * NOTIFY_FAILED, whose detail names the channel and the reason but never a secret (the Slack URL,
 * the bot token, the password and the auth header value are scrubbed from anything a server or
 * library says).
 */
import nodemailer from 'nodemailer';
import { AppError } from '../../../shared/errors';
import type { ChannelConfig, NotificationPayload } from '../../../shared/notify';
import { payloadText } from './format';

export interface ChannelTarget {
  id: string;
  name: string;
  config: ChannelConfig;
}

export interface DeliveryOptions {
  /** the whole delivery, connection included, must finish within this */
  timeoutMs: number;
  /** aborts the delivery early (Lifeboat is closing) */
  signal?: AbortSignal;
  userAgent?: string;
}

export const DEFAULT_DELIVERY_TIMEOUT_MS = 10_000;
const TELEGRAM_TEXT_LIMIT = 4096;
const REPLY_EXCERPT = 200;

/** Thrown inside a delivery with a reason that is safe to show once secrets are scrubbed. */
class DeliveryProblem extends Error {}

/** Replaces every occurrence of a secret with a marker. */
export function scrubSecrets(text: string, secrets: readonly (string | null | undefined)[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret && secret.length >= 3) out = out.split(secret).join('[secret]');
  }
  return out;
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'the server';
  }
}

function networkReason(error: unknown, host: string, options: DeliveryOptions): string {
  if (options.signal?.aborted) return 'cancelled because Lifeboat is closing';
  const err = error as { name?: string; code?: string; cause?: { code?: string; name?: string } };
  if (err.name === 'TimeoutError' || err.cause?.name === 'TimeoutError') {
    return `${host} did not answer within ${Number((options.timeoutMs / 1000).toFixed(1))} s`;
  }
  const code = err.cause?.code ?? err.code;
  switch (code) {
    case 'ECONNREFUSED':
      return `${host} refused the connection`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `the host name of ${host} cannot be resolved`;
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return `${host} closed the connection`;
    case 'ETIMEDOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return `cannot connect to ${host} (timed out)`;
    default:
      if (code && /CERT|SSL|TLS/i.test(code)) return `the TLS certificate of ${host} is not trusted (${code})`;
      return code ? `cannot reach ${host} (${code})` : `cannot reach ${host}`;
  }
}

function deliverySignal(options: DeliveryOptions): AbortSignal {
  const timeout = AbortSignal.timeout(options.timeoutMs);
  return options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
}

async function excerpt(response: Response): Promise<string> {
  try {
    const text = (await response.text()).trim().replace(/\s+/g, ' ');
    return text.length > REPLY_EXCERPT ? `${text.slice(0, REPLY_EXCERPT)}…` : text;
  } catch {
    return '';
  }
}

/** POSTs JSON; resolves with the response once its status is 2xx. */
async function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string>,
  options: DeliveryOptions,
): Promise<Response> {
  const host = hostOf(url);
  const signal = deliverySignal(options);
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'user-agent': options.userAgent ?? 'Lifeboat',
        ...headers,
      },
      body: JSON.stringify(body),
      // a redirected POST would silently become a GET: the URL in the channel must be the final one
      redirect: 'manual',
      signal,
    });
  } catch (error) {
    throw new DeliveryProblem(networkReason(error, host, options));
  }
  if (response.status >= 300 && response.status < 400) {
    throw new DeliveryProblem(`${host} answered with a redirect (HTTP ${response.status}); use the address it redirects to`);
  }
  if (!response.ok) {
    const reply = await excerpt(response);
    throw new DeliveryProblem(`${host} answered HTTP ${response.status}${reply ? `: ${reply}` : ''}`);
  }
  return response;
}

function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Slack's message: a plain `text` (notifications, old clients) and blocks for the channel. */
export function slackMessage(payload: NotificationPayload): { text: string; blocks: unknown[] } {
  const context = [
    payload.plan ? `Plan: *${slackEscape(payload.plan.name)}*` : null,
    payload.job ? `Job: \`${payload.job.id}\` (${payload.job.status})` : null,
    payload.job?.errorCode ? `Error: \`${payload.job.errorCode}\`` : null,
    `${slackEscape(payload.source.host)} · ${payload.at}`,
  ].filter((x): x is string => x !== null);
  return {
    text: `${payload.title}\n${payload.message}`,
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: payload.title.slice(0, 150), emoji: false } },
      { type: 'section', text: { type: 'mrkdwn', text: slackEscape(payload.message).slice(0, 3000) } },
      ...(payload.whatToDo?.length
        ? [{ type: 'section', text: { type: 'mrkdwn', text: `*What to do*\n${payload.whatToDo.map((step) => `• ${slackEscape(step)}`).join('\n')}`.slice(0, 3000) } }]
        : []),
      { type: 'context', elements: [{ type: 'mrkdwn', text: context.join('  ·  ') }] },
    ],
  };
}

async function sendWebhook(
  config: Extract<ChannelConfig, { kind: 'webhook' }>,
  secret: string | null,
  payload: NotificationPayload,
  options: DeliveryOptions,
): Promise<void> {
  const headers: Record<string, string> = secret ? { [config.authHeader]: secret } : {};
  await postJson(config.url, payload, headers, options);
}

async function sendSlack(secret: string | null, payload: NotificationPayload, options: DeliveryOptions): Promise<void> {
  if (!secret) throw new DeliveryProblem('no Slack webhook URL is stored for this channel; enter it again');
  await postJson(secret, slackMessage(payload), {}, options);
}

async function sendTelegram(
  config: Extract<ChannelConfig, { kind: 'telegram' }>,
  secret: string | null,
  payload: NotificationPayload,
  options: DeliveryOptions,
): Promise<void> {
  if (!secret) throw new DeliveryProblem('no bot token is stored for this channel; enter it again');
  const { text } = payloadText(payload);
  const url = `${config.baseUrl.replace(/\/+$/, '')}/bot${secret}/sendMessage`;
  let response: Response;
  try {
    response = await postJson(
      url,
      { chat_id: config.chatId, text: text.slice(0, TELEGRAM_TEXT_LIMIT), disable_web_page_preview: true },
      {},
      options,
    );
  } catch (error) {
    // Telegram says why in its JSON body ("Unauthorized", "Bad Request: chat not found")
    throw error instanceof DeliveryProblem ? telegramProblem(error) : error;
  }
  const reply = (await response.json().catch(() => null)) as { ok?: boolean; description?: string } | null;
  if (!reply?.ok) throw new DeliveryProblem(`Telegram refused the message: ${reply?.description ?? 'no reason given'}`);
}

function telegramProblem(problem: DeliveryProblem): DeliveryProblem {
  const match = /HTTP (\d+): (.*)$/.exec(problem.message);
  if (!match) return problem;
  try {
    const body = JSON.parse(match[2]) as { description?: string };
    if (body.description) return new DeliveryProblem(`Telegram answered HTTP ${match[1]}: ${body.description}`);
  } catch {
    // the reply was cut or not JSON: keep it as it is
  }
  return problem;
}

const SMTP_REASONS: Record<string, string> = {
  EAUTH: 'the SMTP server refused the user name or password',
  ENOAUTH: 'the SMTP server requires a user name and password',
  ECONNECTION: 'cannot connect to the SMTP server',
  ETIMEDOUT: 'the SMTP server did not answer in time',
  ESOCKET: 'the connection to the SMTP server failed',
  EDNS: 'the SMTP host name cannot be resolved',
  ETLS: 'the TLS handshake with the SMTP server failed (check the security setting and port)',
  EENVELOPE: 'the SMTP server refused the sender or a recipient',
  EMESSAGE: 'the SMTP server refused the message',
  EPROTOCOL: 'the SMTP server answered something unexpected (check the security setting and port)',
};

async function sendEmail(
  config: Extract<ChannelConfig, { kind: 'email' }>,
  secret: string | null,
  payload: NotificationPayload,
  options: DeliveryOptions,
): Promise<void> {
  if (config.user && !secret) throw new DeliveryProblem(`no SMTP password is stored for ${config.user}; enter it again`);
  const { subject, text } = payloadText(payload);
  const transport = nodemailer.createTransport({
    host: config.host,
    port: config.port,
    secure: config.security === 'tls',
    requireTLS: config.security === 'starttls',
    ignoreTLS: config.security === 'none',
    auth: config.user ? { user: config.user, pass: secret ?? '' } : undefined,
    connectionTimeout: options.timeoutMs,
    greetingTimeout: options.timeoutMs,
    socketTimeout: options.timeoutMs,
    logger: false,
    debug: false,
  });
  const signal = deliverySignal(options);
  const where = `${config.host}:${config.port}`;
  try {
    const aborted = new Promise<never>((_, reject) => {
      const fail = () => reject(signal.reason);
      if (signal.aborted) fail();
      else signal.addEventListener('abort', fail, { once: true });
    });
    await Promise.race([
      transport.sendMail({ from: config.from, to: config.to, subject, text, headers: { 'X-Lifeboat-Event': payload.event } }),
      aborted,
    ]);
  } catch (error) {
    const err = error as { name?: string; code?: string; responseCode?: number; response?: string };
    if (signal.aborted) throw new DeliveryProblem(networkReason(error, where, options));
    const reason = (err.code && SMTP_REASONS[err.code]) ?? 'the SMTP server could not be used';
    const reply = err.response ? `: ${err.response.slice(0, REPLY_EXCERPT)}` : '';
    throw new DeliveryProblem(`${reason} (${where}${err.code ? `, ${err.code}` : ''})${reply}`);
  } finally {
    transport.close();
  }
}

/**
 * Sends `payload` to one channel. Throws AppError NOTIFY_FAILED naming the channel and the reason;
 * the secret never appears in the error, whatever a server or library said.
 */
export async function deliver(
  channel: ChannelTarget,
  secret: string | null,
  payload: NotificationPayload,
  options: DeliveryOptions = { timeoutMs: DEFAULT_DELIVERY_TIMEOUT_MS },
): Promise<void> {
  try {
    switch (channel.config.kind) {
      case 'webhook':
        return await sendWebhook(channel.config, secret, payload, options);
      case 'slack':
        return await sendSlack(secret, payload, options);
      case 'telegram':
        return await sendTelegram(channel.config, secret, payload, options);
      case 'email':
        return await sendEmail(channel.config, secret, payload, options);
    }
  } catch (error) {
    const reason =
      error instanceof DeliveryProblem ? error.message : `unexpected error: ${error instanceof Error ? error.message : String(error)}`;
    // no `cause`: a library's error can carry the request, and with it the secret
    throw new AppError('NOTIFY_FAILED', {
      detail: scrubSecrets(`${channel.config.kind} channel "${channel.name}": ${reason}`, [secret]),
    });
  }
}
