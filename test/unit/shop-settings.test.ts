import { createHmac } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readProject } from '#project/load-project.js';
import { messageShop, shopVoice } from '#services/dispatch/core/shop-voice.js';
import { unsubscribe } from '#services/intake/core/unsubscribe.js';
import { copyIn, languageOf, languages, preferredLanguage } from '#shared/languages.js';
import { senderParts, shopSettings } from '#shared/shops.js';
import { signUnsubscribe, verifyUnsubscribe } from '#shared/unsubscribe.js';
import { copyOfProject, writeRule } from '../support/fixtures.js';

const shops = {
  'negozio.myshopify.com': { name: 'Negozio', language: 'it' as const, sender: 'Negozio <ciao@negozio.example>', timeZone: 'Europe/Rome' },
  'laden.example': { timeZone: 'Europe/Berlin' },
};
const defaultSender = 'Shop <hello@shop.example>';

describe('a shop found by its host', () => {
  it('finds it in any case, and never what every object inherits', () => {
    expect(shopSettings(shops, 'Negozio.MyShopify.com')?.name).toBe('Negozio');
    expect(shopSettings(shops, 'laden.example')?.timeZone).toBe('Europe/Berlin');
    expect(shopSettings(shops, 'constructor')).toBeUndefined();
    expect(shopSettings(shops, '__proto__')).toBeUndefined();
    expect(shopSettings(shops, 'other.example')).toBeUndefined();
  });
});

describe('the words Nudge writes, in the languages it ships', () => {
  it('has every text in every language, each with the address where the English has it', () => {
    const english = copyIn('en');
    for (const language of languages) {
      const copy = copyIn(language);
      for (const [key, text] of Object.entries(english) as [keyof typeof english, string][]) {
        expect({ language, key, empty: copy[key].trim() === '' }).toEqual({ language, key, empty: false });
        expect({ language, key, address: copy[key].includes('{email}') }).toEqual({ language, key, address: text.includes('{email}') });
        if (language !== 'en') expect({ language, key, same: copy[key] === text }).toEqual({ language, key, same: false });
      }
    }
  });

  it('reads a locale and a browser’s Accept-Language by their weights', () => {
    expect(languageOf('it-IT')).toBe('it');
    expect(languageOf('RU')).toBe('ru');
    expect(languageOf('pt-BR')).toBeUndefined();
    expect(languageOf(undefined)).toBeUndefined();
    expect(preferredLanguage('pt-BR, de;q=0.8, en;q=0.5')).toBe('de');
    expect(preferredLanguage('en;q=0.2, ro;q=0.9')).toBe('ro');
    expect(preferredLanguage('fr;q=0, es')).toBe('es');
    expect(preferredLanguage('ja, zh;q=0.9')).toBeUndefined();
    expect(preferredLanguage('*')).toBeUndefined();
    expect(preferredLanguage(`${'x,'.repeat(10_000)}it`)).toBeUndefined();
  });
});

describe("a message's shop", () => {
  it("is the triggering event's shop, else the one the person last dealt with", () => {
    expect(messageShop({ origin: { platform: 'shopify', shop: 'negozio.myshopify.com' } }, { shop: 'laden.example' })).toBe('negozio.myshopify.com');
    expect(messageShop({ date: 'birthday' }, { shop: 'laden.example' })).toBe('laden.example');
    // Nudge's own events (an unsubscribe) are no shop's.
    expect(messageShop({ origin: { platform: 'nudge', shop: 'nudge' } }, { shop: 'laden.example' })).toBe('laden.example');
    expect(messageShop({ origin: 'x' }, {})).toBeUndefined();
  });

  it("speaks the shop's language from its sender; a shop without a language speaks the person's, else English", () => {
    expect(shopVoice(shops, 'negozio.myshopify.com', { locale: 'de-DE' }, defaultSender)).toMatchObject({
      shop: { id: 'negozio.myshopify.com', name: 'Negozio' },
      language: 'it',
      sender: 'Negozio <ciao@negozio.example>',
      copy: { unsubscribe: "Annulla l'iscrizione con un clic" },
    });
    expect(shopVoice(shops, 'laden.example', { locale: 'de-DE' }, defaultSender)).toMatchObject({ language: 'de', sender: defaultSender });
    expect(shopVoice(shops, 'laden.example', { locale: 'pt-BR' }, defaultSender)).toMatchObject({ language: 'en' });
    for (const name of ['constructor', '__proto__', 'toString', undefined])
      expect(shopVoice(shops, name, {}, defaultSender)).toMatchObject({ language: 'en', sender: defaultSender });
  });

  it('reads a sender as an address with a domain, with or without a display name', () => {
    expect(senderParts('Negozio <Ciao@Negozio.Example>')).toEqual({ address: 'Ciao@Negozio.Example', domain: 'negozio.example' });
    expect(senderParts('ciao@negozio.example')).toEqual({ address: 'ciao@negozio.example', domain: 'negozio.example' });
    for (const wrong of ['Negozio', 'ciao@localhost', 'a <b@c.example', '<a@b.example> <c@d.example>', 'a@b@c.example'])
      expect(senderParts(wrong)).toBeUndefined();
  });
});

describe('the unsubscribe pages', () => {
  const key = 'test-key';
  it('speak the language the link carries, which is signed with the rest', () => {
    const token = signUnsubscribe(key, { email: 'giulia@example.it', channel: 'email', messageId: 'msg_1', language: 'it' });
    expect(verifyUnsubscribe(key, token)).toEqual({ email: 'giulia@example.it', channel: 'email', messageId: 'msg_1', language: 'it' });
    const page = unsubscribe('GET', token, key, Date.parse('2026-11-28T10:00:00Z'), 'en-US');
    expect(page).toMatchObject({ status: 200, language: 'it' });
    expect(page.html).toContain('Vuoi annullare');
    // A changed language is a changed link.
    const [payload = '', signature] = token.split('.');
    const changed = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const forged = `${Buffer.from(JSON.stringify({ ...changed, l: 'de' })).toString('base64url')}.${signature}`;
    expect(unsubscribe('GET', forged, key, 0, 'en').status).toBe(400);
  });

  it("speak the browser's language for a link made without one, or one this Nudge does not ship", () => {
    const old = signUnsubscribe(key, { email: 'ada@example.com', channel: 'email' });
    expect(unsubscribe('GET', old, key, 0, 'fr-FR,fr;q=0.9').html).toContain('Se désabonner de nos e-mails');
    expect(unsubscribe('GET', old, key, 0).html).toContain('Unsubscribe from our emails?');
    const payload = Buffer.from(JSON.stringify({ e: 'ada@example.com', c: 'email', l: 'pt' })).toString('base64url');
    const newer = `${payload}.${createHmac('sha256', key).update(payload).digest('base64url')}`;
    expect(verifyUnsubscribe(key, newer)).toEqual({ email: 'ada@example.com', channel: 'email' });
    expect(unsubscribe('POST', newer, key, 0, 'ro').html).toContain('Te-ai dezabonat');
  });
});

describe('config/shops.json', () => {
  const problemsOf = (dir: string) => {
    const read = readProject(dir);
    return read.ok ? [] : read.error.map((problem) => `${problem.file} ${problem.path}: ${problem.message}`);
  };

  it('names the file, the shop and the field of each mistake', () => {
    const dir = copyOfProject();
    writeFileSync(
      join(dir, 'config', 'shops.json'),
      JSON.stringify({ 'negozio.myshopify.com': { language: 'pt', sender: 'Negozio', timeZone: 'Europe/Roma', country: 'it', lanuage: 'it' } }),
    );
    const problems = problemsOf(dir);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringContaining('config/shops.json negozio.myshopify.com.language: one of the languages Nudge ships: en, it, de, fr, es, ro, ru'),
        expect.stringContaining('config/shops.json negozio.myshopify.com.sender: an address'),
        expect.stringContaining('config/shops.json negozio.myshopify.com.timeZone: an IANA time zone'),
        expect.stringContaining('config/shops.json negozio.myshopify.com.country: an ISO 3166 country code'),
        expect.stringMatching(/config\/shops.json negozio.myshopify.com: .*lanuage.*did you mean "language"/),
      ]),
    );
  });

  it('says where the shops of config/profiles.json went', () => {
    const dir = copyOfProject();
    const file = join(dir, 'config', 'profiles.json');
    const profiles = JSON.parse(readFileSync(file, 'utf8'));
    writeFileSync(file, JSON.stringify({ ...profiles, shops: { 'negozio.myshopify.com': { timeZone: 'Europe/Rome' } } }));
    expect(problemsOf(dir)).toEqual([expect.stringContaining('config/profiles.json shops: "shops" moved to config/shops.json')]);
  });

  it('lets templates name the shop, and refuses what no shop has', () => {
    const dir = copyOfProject();
    writeFileSync(
      join(dir, 'templates', 'signed.liquid'),
      '---\nsubject: From {{ shop.name }}\n---\n<p>{{ shop.owner }} {{ language }} {{ copy.unsubscribe }} {{ coupon.welcome10 }} {{ coupon }}</p>\n',
    );
    writeRule(dir, {
      id: 'signed',
      name: 'signed',
      trigger: { type: 'event', event: { 'detail-type': ['order.completed'] } },
      channel: 'email',
      template: 'signed',
    });
    expect(problemsOf(dir)).toEqual([
      expect.stringContaining('templates/signed.liquid uses {{ shop.owner }}'),
      expect.stringContaining('templates/signed.liquid uses {{ coupon }}, which Nudge (write coupon.<pool>'),
    ]);
  });
});
