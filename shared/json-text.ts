import { fail, ok, type Result } from './result.js';

/**
 * JSON.parse of a file a person edits: a syntax error says the line and column, as an editor shows
 * them, rather than a character offset ("line 4, column 9: Expected ',' or '}' after property
 * value"). Node 20 gives only the offset; later versions add the line themselves.
 */
export function parseJsonText(text: string): Result<unknown, string> {
  try {
    return ok(JSON.parse(text));
  } catch (error) {
    return fail(whereInText(text, (error as Error).message));
  }
}

function whereInText(text: string, message: string): string {
  const position = /at position (\d+)/.exec(message)?.[1];
  const reason = message
    .replace(/\s*in JSON at position \d+.*$/s, '')
    .replace(/\s*\(line \d+ column \d+\)$/, '')
    .replace(/^Unexpected end of JSON input$/, 'the file ends before the JSON does');
  if (position === undefined) return message.startsWith('Unexpected end') ? `${lineAndColumn(text, text.length)}: ${reason}` : reason;
  return `${lineAndColumn(text, Number(position))}: ${reason}`;
}

function lineAndColumn(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  return `line ${line}, column ${column}`;
}
