import { convert } from 'html-to-text';
import { Liquid, type Template } from 'liquidjs';
import { isLocale } from '#shared/events/common.js';

/**
 * An email template: a Liquid file whose front matter holds the subject, and whose body is the
 * HTML part. The text part is derived from the HTML, so the two never disagree.
 *
 *   ---
 *   subject: Thank you, {{ profile.firstName | default: "friend" }}
 *   layout: default
 *   ---
 *   <p>Your order of {{ event.properties.total | money }} is on its way.</p>
 */
export interface EmailTemplate {
  readonly name: string;
  /** email (the default), or sms / webhook: a text body, rendered without HTML escaping. */
  readonly channel: 'email' | 'sms' | 'webhook';
  readonly subject: Template[];
  readonly html: Template[];
  /** A file in templates/layouts/ (without .liquid) that wraps the body, at `{{ content }}`. */
  readonly layout: string | undefined;
  /** The coupon pools it takes a unique code from (`{{ coupon.welcome10 }}`): each message claims one of each. */
  readonly coupons: readonly string[];
  /** Whether it shows `recommendations` (what to buy next): only then are they read for a message. */
  readonly recommends: boolean;
}

/** Layouts by name: the HTML shell, head and footer that templates share. */
export type Layouts = ReadonlyMap<string, Template[]>;

/** Reads a layout file: the body of the emails that use it goes where it says `{{ content }}`. */
export function parseLayout(name: string, source: string): Template[] {
  if (!source.includes('{{ content }}')) throw new TemplateError(`layouts/${name}.liquid: a layout must say where the email goes, with {{ content }}`);
  try {
    return htmlEngine.parse(source.replace('{{ content }}', '{{ content | raw }}'));
  } catch (error) {
    throw new TemplateError(`layouts/${name}.liquid: ${(error as Error).message}`);
  }
}

export interface RenderedEmail {
  readonly subject: string;
  readonly html: string;
  readonly text: string;
}

export class TemplateError extends Error {
  override readonly name = 'TemplateError';
}

/** Formats { amount: "404.95", currency: "USD" } as "$404.95" (in the profile's locale when known). */
function money(value: unknown, locale?: unknown): string {
  if (typeof value !== 'object' || value === null) return '';
  const { amount, currency } = value as { amount?: unknown; currency?: unknown };
  if (typeof amount !== 'string' || typeof currency !== 'string') return '';
  // A locale Intl cannot use (stored before locales were checked) falls back to English, never fails the email.
  const format = new Intl.NumberFormat(typeof locale === 'string' && isLocale(locale) ? locale : 'en', { style: 'currency', currency });
  // Intl formats decimal strings exactly; the cast is for TypeScript's older signature.
  return format.format(amount as unknown as number);
}

function engine(escapeOutput: boolean): Liquid {
  const liquid = new Liquid({ outputEscape: escapeOutput ? 'escape' : undefined, strictFilters: true });
  liquid.registerFilter('money', money);
  return liquid;
}

const htmlEngine = engine(true);
const textEngine = engine(false);

/** Checks a subject line written outside a template (an A/B variant's); throws what Liquid objects to. */
export function checkSubject(subject: string): void {
  textEngine.parse(subject);
}

export function parseTemplate(name: string, source: string): EmailTemplate {
  const match = source.match(/^---\r?\n([\s\S]*?)\r?\n---\r?\n([\s\S]*)$/);
  if (!match) throw new TemplateError(`${name}.liquid: must start with a front matter block (---, subject: ..., ---)`);
  const [, frontMatter = '', body = ''] = match;
  const fields = new Map(
    frontMatter
      .split(/\r?\n/)
      .filter((line) => line.trim() !== '')
      .map((line) => {
        const colon = line.indexOf(':');
        return [line.slice(0, colon).trim(), unquoted(line.slice(colon + 1).trim())] as const;
      }),
  );
  const channel = fields.get('channel') ?? 'email';
  if (channel !== 'email' && channel !== 'sms' && channel !== 'webhook')
    throw new TemplateError(`${name}.liquid: channel must be email, sms or webhook, not "${channel}"`);
  const subject = fields.get('subject');
  if (!subject && channel === 'email') throw new TemplateError(`${name}.liquid: the front matter has no subject`);
  let parsedSubject: Template[];
  try {
    parsedSubject = textEngine.parse(subject ?? '');
  } catch (error) {
    throw new TemplateError(`${name}.liquid: subject: ${(error as Error).message.replace(/, line:\d+, col:\d+$/, '')}`);
  }
  try {
    const html = (channel === 'email' ? htmlEngine : textEngine).parse(body);
    return {
      name,
      channel,
      subject: parsedSubject,
      html,
      layout: fields.get('layout') || undefined,
      coupons: couponPools([...parsedSubject, ...html]),
      recommends: usesRoot([...parsedSubject, ...html], 'recommendations'),
    };
  } catch (error) {
    // Liquid counts lines from the body; the file has the front matter above it.
    const bodyStartsAt = source.slice(0, source.length - body.length).split('\n').length - 1;
    const message = (error as Error).message.replace(
      /line:(\d+), col:(\d+)/,
      (_, line: string, column: string) => `line ${Number(line) + bodyStartsAt}, column ${column}`,
    );
    throw new TemplateError(`${name}.liquid: ${message}`);
  }
}

/** Whether a template refers to a top-level name (in an output, a loop, a condition). */
function usesRoot(templates: Template[], root: string): boolean {
  return htmlEngine.globalVariableSegmentsSync(templates).some(([first]) => first === root);
}

/** The pools a template names under `coupon`, in the order it names them. */
function couponPools(templates: Template[]): string[] {
  const pools = htmlEngine
    .globalVariableSegmentsSync(templates)
    .filter(([root, pool]) => root === 'coupon' && typeof pool === 'string')
    .map(([, pool]) => pool as string);
  return [...new Set(pools)];
}

/** A front matter value as YAML reads it: quotes around it are not part of it (`subject: "Hi, {{ name }}"`). */
function unquoted(value: string): string {
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
    try {
      return JSON.parse(value) as string;
    } catch {
      return value.slice(1, -1);
    }
  }
  if (value.length >= 2 && value.startsWith("'") && value.endsWith("'")) return value.slice(1, -1).replaceAll("''", "'");
  return value;
}

/** `subject`: an A/B variant's subject line (Liquid) in place of the template's. */
export async function renderEmail(
  template: EmailTemplate,
  context: Record<string, unknown>,
  layouts: Layouts = new Map(),
  subjectOverride?: string,
): Promise<RenderedEmail> {
  const subjectTemplate = subjectOverride === undefined ? template.subject : textEngine.parse(subjectOverride);
  const subject = (await textEngine.render(subjectTemplate, context)).trim();
  const body = await htmlEngine.render(template.html, context);
  const layout = template.layout === undefined ? undefined : layouts.get(template.layout);
  if (template.layout !== undefined && layout === undefined)
    throw new TemplateError(`${template.name}.liquid: no layout templates/layouts/${template.layout}.liquid`);
  const html = layout === undefined ? body : await htmlEngine.render(layout, { ...context, subject, content: body });
  return { subject, html, text: convert(html, { wordwrap: 78, selectors: [{ selector: 'table', format: 'dataTable' }] }) };
}

/** An SMS or webhook task text: the body rendered as plain text, trimmed. */
export async function renderText(template: EmailTemplate, context: Record<string, unknown>): Promise<string> {
  return (await textEngine.render(template.html, context)).trim();
}
