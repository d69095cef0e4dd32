/** Exact decimal addition on strings ("404.95" + "0.05" = "405.00"); floats would drift. */
export function addDecimal(a: string, b: string): string {
  const scale = Math.max(fractionDigits(a), fractionDigits(b));
  const sum = toScaled(a, scale) + toScaled(b, scale);
  return fromScaled(sum, scale);
}

function fractionDigits(value: string): number {
  const dot = value.indexOf('.');
  return dot === -1 ? 0 : value.length - dot - 1;
}

function toScaled(value: string, scale: number): bigint {
  const negative = value.startsWith('-');
  const [whole = '0', fraction = ''] = (negative ? value.slice(1) : value).split('.');
  const digits = BigInt(whole + fraction.padEnd(scale, '0'));
  return negative ? -digits : digits;
}

function fromScaled(value: bigint, scale: number): string {
  const negative = value < 0n;
  const digits = (negative ? -value : value).toString().padStart(scale + 1, '0');
  const whole = digits.slice(0, digits.length - scale);
  const fraction = digits.slice(digits.length - scale);
  return `${negative ? '-' : ''}${whole}${scale > 0 ? `.${fraction}` : ''}`;
}

/** ISO 4217 currencies whose minor unit is not a hundredth (Stripe sends amounts in minor units). */
const minorUnitDigits: Readonly<Record<string, number>> = Object.fromEntries([
  ...['BIF', 'CLP', 'DJF', 'GNF', 'ISK', 'JPY', 'KMF', 'KRW', 'PYG', 'RWF', 'UGX', 'VND', 'VUV', 'XAF', 'XOF', 'XPF'].map((code) => [code, 0]),
  ...['BHD', 'IQD', 'JOD', 'KWD', 'LYD', 'OMR', 'TND'].map((code) => [code, 3]),
]);

/** An amount in minor units (1999 cents) as a decimal string in major units ("19.99"). */
export function fromMinorUnits(minor: number | bigint, currency: string): string | undefined {
  if (typeof minor === 'number' && !Number.isSafeInteger(minor)) return undefined;
  const decimal = fromScaled(BigInt(minor), minorUnitDigits[currency.toUpperCase()] ?? 2);
  return platformAmount.test(decimal) ? decimal : undefined;
}

/**
 * An amount a platform can mean: a decimal under a trillion in any currency. More is a broken
 * sender's, and would make loyalty points no number can hold; such an amount is left out of the
 * event, which is kept.
 */
const platformAmount = /^-?\d{1,12}(\.\d+)?$/;

/**
 * A JSON number as an exact decimal string: 27.5 → "27.5". JavaScript prints the shortest text that
 * reads back as the same double, which is the text the sender wrote for any price with up to 15
 * significant digits. Exponents (1e21), non-finite values and amounts of a trillion or more are not money.
 */
export function decimalFromNumber(value: unknown): string | undefined {
  const text = typeof value === 'string' ? value.trim() : typeof value === 'number' && Number.isFinite(value) ? String(value) : undefined;
  return text !== undefined && platformAmount.test(text) ? text : undefined;
}

/** Exact decimal product ("19.99" × "19.99" = "399.6001"). */
export function multiplyDecimal(a: string, b: string): string {
  const scaleA = fractionDigits(a);
  const scaleB = fractionDigits(b);
  return fromScaled(toScaled(a, scaleA) * toScaled(b, scaleB), scaleA + scaleB);
}

/** −1, 0 or 1 as a is less than, equal to or greater than b, exactly. */
export function compareDecimal(a: string, b: string): number {
  const scale = Math.max(fractionDigits(a), fractionDigits(b));
  const difference = toScaled(a, scale) - toScaled(b, scale);
  return difference < 0n ? -1 : difference > 0n ? 1 : 0;
}

/** The negative of a decimal string. */
export function negateDecimal(value: string): string {
  return value.startsWith('-') ? value.slice(1) : value === '0' ? value : `-${value}`;
}
