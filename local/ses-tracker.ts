import { randomUUID } from 'node:crypto';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { PutEventsEntry } from './event-bus.js';
import type { LocalReply } from './http-gateway.js';

/** One email SES took, as the local tracker remembers it to report its opens and clicks. */
interface TrackedMail {
  readonly trackingId: string;
  readonly messageId: string;
  readonly timestamp: string;
  readonly source: string;
  readonly destination: readonly string[];
  readonly tags: Readonly<Record<string, readonly string[]>>;
  readonly links: readonly string[];
}

export interface SesTracker {
  /** Where dispatch sends email: the tracker, which passes it on to the SES emulator. */
  readonly endpoint: string;
  /** Answers the tracking links in local mail (`/_local/ses/open/…`, `/_local/ses/click/…`); undefined for other paths. */
  route(url: URL, method: string, headers: IncomingHttpHeaders): LocalReply | undefined;
  stop(): Promise<void>;
}

export const trackingPath = '/_local/ses/';
/** SES's mailbox simulator: mail to these addresses bounces or is complained about, in AWS and here. */
const simulator = { bounce: 'bounce@simulator.amazonses.com', complaint: 'complaint@simulator.amazonses.com' };
const pixel = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

/**
 * What SES does in AWS for a configuration set with open and click tracking, for local mail: links
 * in the HTML go through a tracking address and an invisible image reports the open; the sent
 * email's Send and Delivery events, and an Open or a Click when someone opens the email or follows
 * a link in the local inbox, are put on the default bus as SES puts them (source `aws.ses`, the
 * event record as the detail). Links marked `ses:no-track` are left alone, as SES does.
 */
export async function startSesTracker(options: {
  readonly upstream: string;
  /** The base of tracking links: the local runtime's HTTP address. */
  readonly publicUrl: string;
  readonly dataDir: string;
  readonly region: string;
  readonly publish: (entry: Omit<PutEventsEntry, 'EventBusName'>) => void;
}): Promise<SesTracker> {
  const file = join(options.dataDir, 'ses-mail.ndjson');
  const mails = new Map<string, TrackedMail>();
  if (existsSync(file)) {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      try {
        const mail = JSON.parse(line) as TrackedMail;
        mails.set(mail.trackingId, mail);
      } catch {
        // A line cut off by a crash: that one email's opens and clicks go unreported.
      }
    }
  }

  const publish = (mail: TrackedMail, detailType: string, eventType: string, extra: Record<string, unknown>) => {
    options.publish({
      Source: 'aws.ses',
      DetailType: detailType,
      Resources: [`arn:aws:ses:${options.region}:000000000000:configuration-set/${mail.tags['ses:configuration-set']?.[0] ?? 'local'}`],
      Detail: JSON.stringify({
        eventType,
        mail: {
          timestamp: mail.timestamp,
          source: mail.source,
          sendingAccountId: '000000000000',
          messageId: mail.messageId,
          destination: mail.destination,
          headersTruncated: false,
          tags: mail.tags,
        },
        ...extra,
      }),
    });
  };

  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      let body: Buffer = Buffer.concat(chunks);
      let tracked: Omit<TrackedMail, 'messageId'> | undefined;
      if (request.method === 'POST' && request.url === '/v2/email/outbound-emails') {
        const rewritten = track(body, options.publicUrl);
        if (rewritten !== undefined) {
          body = rewritten.body;
          tracked = rewritten.mail;
        }
      }
      const headers = { ...request.headers, 'content-length': String(body.length) };
      const upstream = httpRequest(new URL(request.url ?? '/', options.upstream), { method: request.method, headers }, (answer) => {
        const answerChunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => answerChunks.push(chunk));
        answer.on('end', () => {
          const answerBody = Buffer.concat(answerChunks);
          if (tracked !== undefined && answer.statusCode === 200) {
            const messageId = (JSON.parse(answerBody.toString('utf8')) as { MessageId?: string }).MessageId;
            if (messageId !== undefined) {
              const mail: TrackedMail = { ...tracked, messageId };
              mails.set(mail.trackingId, mail);
              appendFileSync(file, `${JSON.stringify(mail)}\n`);
              const at = new Date().toISOString();
              publish(mail, 'Email Sent', 'Send', { send: {} });
              if (mail.destination.includes(simulator.bounce))
                publish(mail, 'Email Bounced', 'Bounce', {
                  bounce: {
                    bounceType: 'Permanent',
                    bounceSubType: 'General',
                    bouncedRecipients: [{ emailAddress: simulator.bounce, action: 'failed', status: '5.1.1', diagnosticCode: 'smtp; 550 5.1.1 user unknown' }],
                    timestamp: at,
                  },
                });
              else {
                publish(mail, 'Email Delivered', 'Delivery', {
                  delivery: {
                    timestamp: at,
                    processingTimeMillis: 0,
                    recipients: mail.destination,
                    smtpResponse: '250 OK (local inbox)',
                    reportingMTA: 'localhost',
                  },
                });
                if (mail.destination.includes(simulator.complaint))
                  publish(mail, 'Email Complaint Received', 'Complaint', {
                    complaint: { complainedRecipients: [{ emailAddress: simulator.complaint }], timestamp: at, complaintFeedbackType: 'abuse' },
                  });
              }
            }
          }
          response.writeHead(answer.statusCode ?? 502, answer.headers);
          response.end(answerBody);
        });
      });
      upstream.on('error', () => {
        response.writeHead(502, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ message: 'The local SES emulator did not answer' }));
      });
      upstream.end(body);
    });
  });
  await new Promise<void>((resolveListen) => server.listen(0, '127.0.0.1', () => resolveListen()));

  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    route(url, method, headers): LocalReply | undefined {
      if (!url.pathname.startsWith(trackingPath)) return undefined;
      const text = (status: number, body: string, extra: Record<string, string> = {}): LocalReply => ({
        status,
        headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...extra },
        body,
      });
      // Only a GET is someone opening or following: HEAD, OPTIONS and the like come from scanners and prefetchers.
      if (method !== 'GET') return text(405, 'Tracking links are followed with GET', { allow: 'GET' });
      const parts = url.pathname.slice(trackingPath.length).split('/');
      const [kind, trackingId = '', index = ''] = parts;
      const open = kind === 'open' && parts.length === 2;
      const click = kind === 'click' && parts.length === 3 && /^\d{1,4}$/.test(index);
      if (!open && !click) return text(404, 'No such tracking address');
      const mail = mails.get(trackingId);
      if (mail === undefined) return text(404, 'No such email');
      const seen = { ipAddress: '127.0.0.1', timestamp: new Date().toISOString(), userAgent: String(headers['user-agent'] ?? '') };
      if (open) {
        publish(mail, 'Email Opened', 'Open', { open: seen });
        return { status: 200, headers: { 'content-type': 'image/gif', 'cache-control': 'no-store' }, body: pixel };
      }
      // Only the email's own links: the tracker is no open redirect.
      const link = mail.links[Number(index)];
      if (link === undefined) return text(404, 'No such link');
      publish(mail, 'Email Clicked', 'Click', { click: { ...seen, link, linkTags: {} } });
      return { status: 302, headers: { location: link, 'cache-control': 'no-store' } };
    },
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolveClose) => server.close(() => resolveClose()));
    },
  };
}

interface SendEmailBody {
  FromEmailAddress?: string;
  Destination?: { ToAddresses?: string[] };
  ConfigurationSetName?: string;
  EmailTags?: { Name: string; Value: string }[];
  Content?: { Simple?: { Body?: { Html?: { Data?: string } } } };
}

/** The email with its links through the tracker and the open image added; undefined when SES would not track it. */
function track(body: Buffer, publicUrl: string): { body: Buffer; mail: Omit<TrackedMail, 'messageId'> } | undefined {
  let email: SendEmailBody;
  try {
    email = JSON.parse(body.toString('utf8')) as SendEmailBody;
  } catch {
    return undefined;
  }
  // SES publishes events only for email sent with a configuration set.
  if (!email.ConfigurationSetName) return undefined;
  const trackingId = randomUUID();
  const links: string[] = [];
  const html = email.Content?.Simple?.Body?.Html;
  if (html?.Data !== undefined) {
    html.Data = html.Data.replace(/<a\b([^>]*?)\bhref="(https?:\/\/[^"]+)"([^>]*)>/gi, (anchor, before: string, href: string, after: string) => {
      if (/ses:no-track/i.test(before + after)) return anchor;
      // The address as the browser would follow it: HTML entities decoded, non-ASCII percent-encoded.
      let link: string;
      try {
        link = new URL(
          href.replace(
            /&(amp|quot|#34|#39|#x27|apos);/g,
            (_, name: string) => ({ amp: '&', quot: '"', '#34': '"', '#39': "'", '#x27': "'", apos: "'" })[name] ?? '',
          ),
        ).href;
      } catch {
        return anchor;
      }
      links.push(link);
      return `<a${before}href="${publicUrl}${trackingPath}click/${trackingId}/${links.length - 1}"${after}>`;
    });
    const image = `<img src="${publicUrl}${trackingPath}open/${trackingId}" width="1" height="1" alt="" style="display:none">`;
    html.Data = /<\/body>/i.test(html.Data) ? html.Data.replace(/<\/body>/i, `${image}</body>`) : `${html.Data}${image}`;
  }
  const tags: Record<string, string[]> = { 'ses:configuration-set': [email.ConfigurationSetName] };
  for (const tag of email.EmailTags ?? []) tags[tag.Name] = [tag.Value];
  return {
    body: Buffer.from(JSON.stringify(email)),
    mail: {
      trackingId,
      timestamp: new Date().toISOString(),
      source: email.FromEmailAddress ?? '',
      destination: email.Destination?.ToAddresses ?? [],
      tags,
      links,
    },
  };
}
