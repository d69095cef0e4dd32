/**
 * The words Nudge itself puts in front of people, in the languages Nudge ships: the email footer
 * of the default layout and the unsubscribe pages. What a shop writes (its templates) is the shop's;
 * these are the parts every shop shares, so they come in the shop's language without a translator.
 */
export const languages = ['en', 'it', 'de', 'fr', 'es', 'ro', 'ru'] as const;
export type Language = (typeof languages)[number];

export interface Copy {
  /** The footer of marketing email: why the person gets it. */
  readonly footerReason: string;
  /** The footer's unsubscribe link. */
  readonly unsubscribe: string;
  readonly confirmTitle: string;
  /** `{email}` stands for the address. */
  readonly confirmText: string;
  readonly confirmButton: string;
  readonly doneTitle: string;
  readonly invalidTitle: string;
  readonly invalidText: string;
  readonly browserTitle: string;
  readonly browserText: string;
  readonly retryTitle: string;
  readonly retryText: string;
}

const copies: Readonly<Record<Language, Copy>> = {
  en: {
    footerReason: 'You get this email because you shop with us.',
    unsubscribe: 'Unsubscribe with one click',
    confirmTitle: 'Unsubscribe from our emails?',
    confirmText: '{email} will get no more marketing email from us. Order confirmations and receipts still arrive.',
    confirmButton: 'Unsubscribe {email}',
    doneTitle: 'You are unsubscribed',
    invalidTitle: 'This link does not work',
    invalidText:
      'The unsubscribe link is incomplete or was changed. Please use the link from the email as it is, or reply to the email and we will take you off the list.',
    browserTitle: 'This link works from a browser',
    browserText: 'Open the unsubscribe link from the email in your browser.',
    retryTitle: 'Please try again',
    retryText: 'We could not record that just now. Please try the link again in a minute.',
  },
  it: {
    footerReason: 'Ricevi questa email perché acquisti da noi.',
    unsubscribe: "Annulla l'iscrizione con un clic",
    confirmTitle: "Vuoi annullare l'iscrizione alle nostre email?",
    confirmText: "{email} non riceverà più email promozionali da noi. Le conferme d'ordine e le ricevute continueranno ad arrivare.",
    confirmButton: "Annulla l'iscrizione di {email}",
    doneTitle: 'Iscrizione annullata',
    invalidTitle: 'Questo link non funziona',
    invalidText:
      "Il link per annullare l'iscrizione è incompleto o è stato modificato. Usa il link dell'email così com'è, oppure rispondi all'email e ti toglieremo dalla lista.",
    browserTitle: 'Questo link si apre nel browser',
    browserText: "Apri nel browser il link per annullare l'iscrizione che trovi nell'email.",
    retryTitle: 'Riprova',
    retryText: 'Non siamo riusciti a registrare la richiesta. Riprova il link tra un minuto.',
  },
  de: {
    footerReason: 'Sie erhalten diese E-Mail, weil Sie bei uns einkaufen.',
    unsubscribe: 'Mit einem Klick abmelden',
    confirmTitle: 'Von unseren E-Mails abmelden?',
    confirmText: '{email} erhält keine Werbe-E-Mails mehr von uns. Bestellbestätigungen und Rechnungen kommen weiterhin an.',
    confirmButton: '{email} abmelden',
    doneTitle: 'Sie sind abgemeldet',
    invalidTitle: 'Dieser Link funktioniert nicht',
    invalidText:
      'Der Abmeldelink ist unvollständig oder wurde verändert. Bitte verwenden Sie den Link aus der E-Mail unverändert, oder antworten Sie auf die E-Mail, dann nehmen wir Sie aus der Liste.',
    browserTitle: 'Dieser Link funktioniert im Browser',
    browserText: 'Öffnen Sie den Abmeldelink aus der E-Mail in Ihrem Browser.',
    retryTitle: 'Bitte versuchen Sie es erneut',
    retryText: 'Wir konnten das gerade nicht speichern. Bitte öffnen Sie den Link in einer Minute noch einmal.',
  },
  fr: {
    footerReason: 'Vous recevez cet e-mail parce que vous êtes client de notre boutique.',
    unsubscribe: 'Se désabonner en un clic',
    confirmTitle: 'Se désabonner de nos e-mails\u00a0?',
    confirmText: "{email} ne recevra plus d'e-mails promotionnels de notre part. Les confirmations de commande et les reçus continueront d'arriver.",
    confirmButton: 'Désabonner {email}',
    doneTitle: 'Votre désabonnement est confirmé',
    invalidTitle: 'Ce lien ne fonctionne pas',
    invalidText:
      "Le lien de désabonnement est incomplet ou a été modifié. Utilisez le lien de l'e-mail tel quel, ou répondez à l'e-mail et nous vous retirerons de la liste.",
    browserTitle: "Ce lien s'ouvre dans un navigateur",
    browserText: "Ouvrez le lien de désabonnement de l'e-mail dans votre navigateur.",
    retryTitle: 'Veuillez réessayer',
    retryText: "Nous n'avons pas pu l'enregistrer pour le moment. Réessayez le lien dans une minute.",
  },
  es: {
    footerReason: 'Recibes este correo porque compras con nosotros.',
    unsubscribe: 'Darte de baja con un clic',
    confirmTitle: '¿Darte de baja de nuestros correos?',
    confirmText: '{email} no recibirá más correos promocionales nuestros. Las confirmaciones de pedido y los recibos seguirán llegando.',
    confirmButton: 'Dar de baja {email}',
    doneTitle: 'Te has dado de baja',
    invalidTitle: 'Este enlace no funciona',
    invalidText:
      'El enlace para darte de baja está incompleto o se ha modificado. Usa el enlace del correo tal como está, o responde al correo y te quitaremos de la lista.',
    browserTitle: 'Este enlace se abre en un navegador',
    browserText: 'Abre en tu navegador el enlace para darte de baja que aparece en el correo.',
    retryTitle: 'Inténtalo de nuevo',
    retryText: 'No hemos podido registrarlo ahora mismo. Vuelve a abrir el enlace dentro de un minuto.',
  },
  ro: {
    footerReason: 'Primești acest e-mail pentru că faci cumpărături la noi.',
    unsubscribe: 'Dezabonează-te cu un clic',
    confirmTitle: 'Te dezabonezi de la e-mailurile noastre?',
    confirmText: '{email} nu va mai primi e-mailuri promoționale de la noi. Confirmările de comandă și chitanțele vor sosi în continuare.',
    confirmButton: 'Dezabonează {email}',
    doneTitle: 'Te-ai dezabonat',
    invalidTitle: 'Acest link nu funcționează',
    invalidText:
      'Linkul de dezabonare este incomplet sau a fost modificat. Folosește linkul din e-mail exact așa cum este sau răspunde la e-mail și te scoatem de pe listă.',
    browserTitle: 'Acest link se deschide într-un browser',
    browserText: 'Deschide în browser linkul de dezabonare din e-mail.',
    retryTitle: 'Încearcă din nou',
    retryText: 'Nu am putut înregistra cererea acum. Încearcă din nou linkul peste un minut.',
  },
  ru: {
    footerReason: 'Вы получили это письмо, потому что делаете покупки у нас.',
    unsubscribe: 'Отписаться одним нажатием',
    confirmTitle: 'Отписаться от наших писем?',
    confirmText: '{email} больше не будет получать от нас рекламные письма. Подтверждения заказов и чеки по-прежнему будут приходить.',
    confirmButton: 'Отписать {email}',
    doneTitle: 'Вы отписались',
    invalidTitle: 'Эта ссылка не работает',
    invalidText: 'Ссылка для отписки неполная или была изменена. Используйте ссылку из письма без изменений или ответьте на письмо, и мы удалим вас из списка.',
    browserTitle: 'Эта ссылка открывается в браузере',
    browserText: 'Откройте ссылку для отписки из письма в браузере.',
    retryTitle: 'Попробуйте ещё раз',
    retryText: 'Сейчас не удалось это сохранить. Откройте ссылку ещё раз через минуту.',
  },
};

export const isLanguage = (text: string): text is Language => (languages as readonly string[]).includes(text);

export function copyIn(language: Language): Copy {
  return copies[language];
}

/** The shipped language of a locale (`it-IT` → `it`), if Nudge ships it. */
export function languageOf(locale: string | undefined): Language | undefined {
  const primary = locale?.split(/[-_]/)[0]?.toLowerCase();
  return primary !== undefined && isLanguage(primary) ? primary : undefined;
}

/** The first shipped language a browser asks for (`Accept-Language: it-IT,it;q=0.9,en;q=0.8`), by its weights. */
export function preferredLanguage(acceptLanguage: string | undefined): Language | undefined {
  if (acceptLanguage === undefined) return undefined;
  const asked = acceptLanguage
    .split(',')
    .slice(0, 20)
    .map((part, index) => {
      const [tag = '', ...parameters] = part.trim().split(';');
      const weight = parameters.map((parameter) => parameter.trim().match(/^q=([01](?:\.\d{0,3})?)$/)?.[1]).find((q) => q !== undefined);
      return { language: languageOf(tag.trim()), weight: weight === undefined ? 1 : Number(weight), index };
    })
    .filter((entry) => entry.language !== undefined && entry.weight > 0)
    .sort((a, b) => b.weight - a.weight || a.index - b.index);
  return asked[0]?.language;
}

/** A copy text with its `{email}` filled in. */
export const filled = (text: string, email: string) => text.replaceAll('{email}', email);
