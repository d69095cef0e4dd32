import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseTemplate, renderEmail, TemplateError } from '../../services/dispatch/core/template.js';
import { projectDir } from '../support/fixtures.js';

const thankYou = parseTemplate('thank-you', readFileSync(join(projectDir, 'templates', 'thank-you.liquid'), 'utf8'));
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
    const email = await renderEmail(thankYou, { profile, event });
    expect(email.subject).toBe('Thank you for your order, John!');
    expect(email.html).toContain('$404.95');
    expect(email.html).toContain('Aviator sunglasses');
    expect(email.text).toContain('THANK YOU, JOHN!');
    expect(email.text).toContain('$404.95');
  });

  it('falls back to "friend" without a first name', async () => {
    const email = await renderEmail(thankYou, { profile: { ...profile, firstName: undefined }, event });
    expect(email.subject).toBe('Thank you for your order, friend!');
  });

  it('escapes HTML from customer data in the body, and keeps the subject plain', async () => {
    const email = await renderEmail(thankYou, { profile: { ...profile, firstName: '<script>x</script>' }, event });
    expect(email.html).not.toContain('<script>');
    expect(email.html).toContain('&lt;script&gt;');
    expect(email.subject).toBe('Thank you for your order, <script>x</script>!');
  });

  it('formats money in the customer’s locale', async () => {
    const email = await renderEmail(thankYou, {
      profile: { ...profile, locale: 'de-DE' },
      event: { properties: { ...event.properties, total: { amount: '1234.50', currency: 'EUR' } } },
    });
    expect(email.html).toMatch(/1\.234,50\s€/);
  });
});

describe('template files with problems', () => {
  it('needs a front matter with a subject', () => {
    expect(() => parseTemplate('x', '<p>Hi</p>')).toThrow(TemplateError);
    expect(() => parseTemplate('x', '---\nfrom: a\n---\n<p>Hi</p>')).toThrow(/no subject/);
  });

  it('reports Liquid syntax errors with the file name', () => {
    expect(() => parseTemplate('broken', '---\nsubject: Hi\n---\n{% if %}')).toThrow(/broken\.liquid/);
  });
});
