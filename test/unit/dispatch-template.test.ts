import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadLayouts } from '#services/dispatch/adapters/template-files.js';
import { parseLayout, parseTemplate, renderEmail, TemplateError } from '#services/dispatch/core/template.js';
import { previewTemplate } from '../../cli/preview-template.js';
import { projectDir } from '../support/fixtures.js';

const thankYou = parseTemplate('thank-you', readFileSync(join(projectDir, 'templates', 'thank-you.liquid'), 'utf8'));
const layouts = loadLayouts(join(projectDir, 'templates'));
const profile = { profileId: 'p1', email: 'jon@example.com', firstName: 'John', orderCount: 1, revenue: {}, firstSeenAt: '', lastSeenAt: '', traitsAt: {} };
const event = {
  properties: {
    orderNumber: '#9999',
    total: { amount: '404.95', currency: 'USD' },
    items: [{ name: 'Aviator sunglasses', quantity: 1, price: { amount: '89.99', currency: 'USD' } }],
  },
};

describe('thank-you template', () => {
  it('greets by first name and shows the order total and items, in HTML and text', async () => {
    const email = await renderEmail(thankYou, { profile, event }, layouts);
    expect(email.subject).toBe('Thank you for your order, John!');
    expect(email.html).toContain('$404.95');
    expect(email.html).toContain('Aviator sunglasses');
    expect(email.text).toContain('THANK YOU, JOHN!');
    expect(email.text).toContain('$404.95');
  });

  it('falls back to "friend" without a first name', async () => {
    const email = await renderEmail(thankYou, { profile: { ...profile, firstName: undefined }, event }, layouts);
    expect(email.subject).toBe('Thank you for your order, friend!');
  });

  it('escapes HTML from customer data in the body, and keeps the subject plain', async () => {
    const email = await renderEmail(thankYou, { profile: { ...profile, firstName: '<script>x</script>' }, event }, layouts);
    expect(email.html).not.toContain('<script>');
    expect(email.html).toContain('&lt;script&gt;');
    expect(email.subject).toBe('Thank you for your order, <script>x</script>!');
  });

  it('formats money in the customer’s locale', async () => {
    const email = await renderEmail(
      thankYou,
      {
        profile: { ...profile, locale: 'de-DE' },
        event: { properties: { ...event.properties, total: { amount: '1234.50', currency: 'EUR' } } },
      },
      layouts,
    );
    expect(email.html).toMatch(/1\.234,50\s€/);
  });
});

describe('template files with problems', () => {
  it('needs a front matter with a subject', () => {
    expect(() => parseTemplate('x', '<p>Hi</p>')).toThrow(TemplateError);
    expect(() => parseTemplate('x', '---\nfrom: a\n---\n<p>Hi</p>')).toThrow(/no subject/);
  });

  it('reports Liquid syntax errors with the file name, and the line as the file counts it (front matter included)', () => {
    expect(() => parseTemplate('broken', '---\nsubject: Hi\n---\n{% if %}')).toThrow(/broken\.liquid/);
    const source = '---\nsubject: Hi\nlayout: base\n---\n<p>Hi</p>\n<p>{{ profile.firstName | shout }}</p>\n';
    expect(() => parseTemplate('filtered', source)).toThrow('filtered.liquid: undefined filter: shout, line 6, column 4');
    expect(() => parseTemplate('subject', '---\nsubject: Hi {{ x | shout }}\n---\n<p>Hi</p>')).toThrow('subject.liquid: subject: undefined filter: shout');
  });

  it('reads a quoted subject as YAML does: the quotes are not in the email', async () => {
    const context = { profile: { firstName: 'Ada' }, event: {} };
    for (const line of ['subject: "Hi, {{ profile.firstName }}"', "subject: 'Hi, {{ profile.firstName }}'"]) {
      expect((await renderEmail(parseTemplate('quoted', `---\n${line}\n---\n<p>x</p>`), context)).subject).toBe('Hi, Ada');
    }
    expect((await renderEmail(parseTemplate('inner', '---\nsubject: "Say \\"hi\\"" and \'it\'\'s\'\n---\n<p>x</p>'), context)).subject).toBe(
      '"Say \\"hi\\"" and \'it\'\'s\'',
    );
    expect((await renderEmail(parseTemplate('apostrophe', "---\nsubject: 'It''s here'\n---\n<p>x</p>"), context)).subject).toBe("It's here");
  });
});

describe('layouts and previews', () => {
  it('wraps a template in its layout, with the unsubscribe link only where dispatch gives one', async () => {
    const email = await previewTemplate(projectDir, 'abandoned-checkout', undefined, undefined);
    expect(email.subject).toBe('You left something behind, Sam');
    expect(email.html).toMatch(/^<!doctype html>/);
    expect(email.html).toContain('<h1 style="font-size: 22px;">Your cart is waiting</h1>');
    expect(email.html).toContain('href="https://example.com/unsubscribe?token=preview"');
  });

  it('renders an event as on the bus and escapes what the shopper typed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nudge-preview-'));
    const event = join(dir, 'event.json');
    writeFileSync(
      event,
      JSON.stringify({
        source: 'nudge.intake',
        'detail-type': 'checkout.started',
        detail: {
          properties: {
            total: { amount: '40.00', currency: 'EUR' },
            items: [{ name: '<b>Mug</b>', quantity: 2, imageUrl: 'https://cdn.shop.example/mug.jpg' }],
            recoveryUrl: 'https://shop.example/r/1',
          },
        },
      }),
    );
    const email = await previewTemplate(projectDir, 'abandoned-checkout', undefined, event);
    expect(email.html).toContain('€40.00');
    expect(email.html).toContain('2 × &lt;b&gt;Mug&lt;/b&gt;');
    expect(email.text).toContain('Pick up where you left off');
    expect(email.html).toContain('<img src="https://cdn.shop.example/mug.jpg"');
  });

  it('previews with a partial profile, the bookkeeping fields filled in, and names every problem of a broken one at once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nudge-preview-'));
    const partial = join(dir, 'giulia.json');
    writeFileSync(partial, JSON.stringify({ firstName: 'Giulia', email: 'giulia@example.it', locale: 'it-IT' }));
    expect((await previewTemplate(projectDir, 'thank-you', partial, undefined)).subject).toBe('Thank you for your order, Giulia!');
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, JSON.stringify({ firstName: 7, orderCount: 'two', email: 'giulia@example.it' }));
    const refusal = previewTemplate(projectDir, 'thank-you', broken, undefined);
    await expect(refusal).rejects.toThrow(/has 2 problems:\n {2}firstName: .*\n {2}orderCount: /);
  });

  it('refuses a layout without a place for the email, and a template whose layout is missing', async () => {
    expect(() => parseLayout('broken', '<html><body></body></html>')).toThrow(/\{\{ content \}\}/);
    await expect(renderEmail(parseTemplate('x', '---\nsubject: Hi\nlayout: nowhere\n---\n<p>Hi</p>'), {}, new Map())).rejects.toThrow(
      /layouts\/nowhere\.liquid/,
    );
  });
});
