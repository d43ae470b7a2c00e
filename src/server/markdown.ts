import { escapeHtml, SafeHtml } from './html';

/**
 * A small Markdown renderer for task instructions: headings, paragraphs, ordered and unordered
 * lists (nested by indentation), fenced code, block quotes, rules, pipe tables, and inline code,
 * emphasis and links. Everything is escaped first and raw HTML is shown as text, so a README can
 * never inject markup or script; links keep only http(s), mailto and in-page targets.
 */
export function renderMarkdown(source: string): SafeHtml {
  const lines = source.replace(/\uE000/g, '').replace(/\r\n?/g, '\n').replace(/\t/g, '    ').split('\n');
  return new SafeHtml(renderBlocks(lines).join('\n'));
}

const FENCE = /^\s*(```|~~~)\s*([\w+-]*)\s*$/;
const HEADING = /^(#{1,6})\s+(.*?)\s*#*\s*$/;
const RULE = /^\s*([-*_])(\s*\1){2,}\s*$/;
const LIST_ITEM = /^(\s*)([-*+]|\d{1,9}[.)])\s+(.*)$/;
const QUOTE = /^\s*>\s?(.*)$/;
const TABLE_DIVIDER = /^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$/;

function renderBlocks(lines: string[]): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i] as string;
    if (!line.trim()) {
      i += 1;
      continue;
    }
    const fence = FENCE.exec(line);
    if (fence) {
      const body: string[] = [];
      i += 1;
      while (i < lines.length && !(lines[i] as string).trim().startsWith(fence[1] as string)) body.push(lines[i++] as string);
      i += 1;
      const lang = fence[2] ? ` class="language-${escapeHtml(fence[2])}"` : '';
      out.push(`<pre><code${lang}>${escapeHtml(body.join('\n'))}</code></pre>`);
      continue;
    }
    const heading = HEADING.exec(line);
    if (heading) {
      const level = (heading[1] as string).length;
      const text = heading[2] as string;
      out.push(`<h${level} id="${slug(text)}">${inline(text)}</h${level}>`);
      i += 1;
      continue;
    }
    if (RULE.test(line)) {
      out.push('<hr>');
      i += 1;
      continue;
    }
    if (QUOTE.test(line)) {
      const body: string[] = [];
      while (i < lines.length && QUOTE.test(lines[i] as string)) body.push((QUOTE.exec(lines[i++] as string) as RegExpExecArray)[1] as string);
      out.push(`<blockquote>${renderBlocks(body).join('\n')}</blockquote>`);
      continue;
    }
    if (line.includes('|') && i + 1 < lines.length && TABLE_DIVIDER.test(lines[i + 1] as string)) {
      const rows: string[] = [line];
      i += 2;
      while (i < lines.length && (lines[i] as string).includes('|') && (lines[i] as string).trim()) rows.push(lines[i++] as string);
      out.push(table(rows));
      continue;
    }
    if (LIST_ITEM.test(line)) {
      const end = listEnd(lines, i);
      out.push(list(lines.slice(i, end)));
      i = end;
      continue;
    }
    const paragraph: string[] = [];
    while (i < lines.length && (lines[i] as string).trim() && !startsBlock(lines, i)) paragraph.push((lines[i++] as string).trim());
    out.push(`<p>${inline(paragraph.join('\n'))}</p>`);
  }
  return out;
}

function startsBlock(lines: string[], i: number): boolean {
  const line = lines[i] as string;
  return FENCE.test(line) || HEADING.test(line) || RULE.test(line) || QUOTE.test(line) || LIST_ITEM.test(line);
}

const indentOf = (line: string): number => line.length - line.trimStart().length;

/** A list runs until a line left of its indentation, a new block at it, or a blank line before text that is not an item at or right of it. */
function listEnd(lines: string[], start: number): number {
  const base = indentOf(lines[start] as string);
  let i = start + 1;
  while (i < lines.length) {
    const line = lines[i] as string;
    if (!line.trim()) {
      const next = lines[i + 1];
      if (next === undefined || !next.trim() || (indentOf(next) <= base && !LIST_ITEM.test(next))) break;
      i += 1;
      continue;
    }
    if (indentOf(line) < base) break;
    // A line at the list's own indentation that is not an item continues the item's text, unless it starts another block.
    if (indentOf(line) === base && !LIST_ITEM.test(line) && startsBlock(lines, i)) break;
    i += 1;
  }
  return i;
}

function list(lines: string[]): string {
  const first = LIST_ITEM.exec(lines[0] as string) as RegExpExecArray;
  const base = (first[1] as string).length;
  const ordered = /\d/.test(first[2] as string);
  const items: string[][] = [];
  for (const line of lines) {
    const item = LIST_ITEM.exec(line);
    if (item && (item[1] as string).length === base) items.push([item[3] as string]);
    else items[items.length - 1]?.push(line.slice(Math.min(indentOf(line), base + 2)));
  }
  const start = ordered ? Number.parseInt(first[2] as string, 10) : 1;
  const tag = ordered ? 'ol' : 'ul';
  const open = ordered && start !== 1 ? `<ol start="${start}">` : `<${tag}>`;
  const body = items.map((item) => {
    const nested = item.findIndex((l, k) => k > 0 && LIST_ITEM.test(l));
    const text = (nested < 0 ? item : item.slice(0, nested)).map((l) => l.trim()).filter(Boolean).join('\n');
    const rest = nested < 0 ? '' : renderBlocks(item.slice(nested)).join('\n');
    return `<li>${inline(text)}${rest}</li>`;
  });
  return `${open}${body.join('')}</${tag}>`;
}

function table(rows: string[]): string {
  const cells = (row: string) =>
    row
      .trim()
      .replace(/^\|/, '')
      .replace(/\|$/, '')
      .split('|')
      .map((c) => c.trim());
  const [head, ...body] = rows.map(cells);
  const th = (head ?? []).map((c) => `<th>${inline(c)}</th>`).join('');
  const tr = body.map((r) => `<tr>${r.map((c) => `<td>${inline(c)}</td>`).join('')}</tr>`).join('');
  return `<table><thead><tr>${th}</tr></thead><tbody>${tr}</tbody></table>`;
}

function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[`*_[\]()]/g, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

/** Inline code first (its content is literal, parked behind a private-use character), then links, strong, emphasis, on escaped text. */
function inline(text: string): string {
  const codes: string[] = [];
  let s = text.replace(/`([^`]+)`/g, (_m, code: string) => {
    codes.push(`<code>${escapeHtml(code)}</code>`);
    return `\uE000${codes.length - 1}\uE000`;
  });
  s = escapeHtml(s);
  s = s.replace(/\[([^\]]+)\]\(([^)\s]+)\)/g, (_m, label: string, href: string) => {
    const target = safeHref(href);
    return target ? `<a href="${target}" rel="noopener noreferrer">${label}</a>` : label;
  });
  s = s.replace(/\*\*(?=\S)([\s\S]*?\S)\*\*/g, '<strong>$1</strong>').replace(/__(?=\S)([\s\S]*?\S)__/g, '<strong>$1</strong>');
  s = s.replace(/(^|[^\w*])\*(?=\S)([\s\S]*?\S)\*(?!\w)/g, '$1<em>$2</em>').replace(/(^|[^\w])_(?=\S)([\s\S]*?\S)_(?!\w)/g, '$1<em>$2</em>');
  s = s.replace(/\n/g, ' ');
  return s.replace(/\uE000(\d+)\uE000/g, (_m, n: string) => codes[Number(n)] ?? '');
}

/** The href already went through escapeHtml; only web, mail and in-page links survive. */
function safeHref(href: string): string | undefined {
  const decoded = href.replace(/&amp;/g, '&');
  return /^(https?:\/\/|mailto:)/i.test(decoded) || decoded.startsWith('#') ? href : undefined;
}
