import { loadCatalog } from '../../src/catalog/load';
import { renderMarkdown } from '../../src/server/markdown';

const render = (md: string) => renderMarkdown(md).value;

describe('renderMarkdown', () => {
  it.each([
    ['a heading with an anchor', '## What to build', '<h2 id="what-to-build">What to build</h2>'],
    ['paragraphs joined across lines', 'one\ntwo\n\nthree', '<p>one two</p>\n<p>three</p>'],
    ['strong, emphasis and inline code', '**bold** *it* `x<y`', '<p><strong>bold</strong> <em>it</em> <code>x&lt;y</code></p>'],
    ['underscores inside words left alone', 'snake_case_name', '<p>snake_case_name</p>'],
    ['an unordered list', '- a\n- b', '<ul><li>a</li><li>b</li></ul>'],
    ['an ordered list starting at 3', '3. c\n4. d', '<ol start="3"><li>c</li><li>d</li></ol>'],
    ['a list item continued on the next line', '1. first\n   continued\n2. second', '<ol><li>first continued</li><li>second</li></ol>'],
    ['a nested list', '1. outer\n   - inner', '<ol><li>outer<ul><li>inner</li></ul></li></ol>'],
    ['a fenced code block, escaped and not formatted', '```http\nPOST /orders\n**<b>**\n```', '<pre><code class="language-http">POST /orders\n**&lt;b&gt;**</code></pre>'],
    ['a block quote', '> note', '<blockquote><p>note</p></blockquote>'],
    ['a rule', '---', '<hr>'],
    ['a table', '| a | b |\n| --- | --- |\n| 1 | `2` |', '<table><thead><tr><th>a</th><th>b</th></tr></thead><tbody><tr><td>1</td><td><code>2</code></td></tr></tbody></table>'],
    ['a web link', '[docs](https://docs.aws.amazon.com/x?a=1&b=2)', '<p><a href="https://docs.aws.amazon.com/x?a=1&amp;b=2" rel="noopener noreferrer">docs</a></p>'],
  ])('renders %s', (_name, md, expected) => {
    expect(render(md)).toBe(expected);
  });

  it.each([
    ['raw HTML', '<script>alert(1)</script><img src=x onerror=alert(1)>'],
    ['a javascript: link', '[click](javascript:alert(1))'],
    ['a data: link', '[click](data:text/html,<script>alert(1)</script>)'],
    ['an attribute break-out in a link', '[x](https://a.example/"onmouseover="alert(1))'],
    ['HTML in a heading and a code fence', '# <b onclick=x>t</b>\n```\n</code><script>x</script>\n```'],
  ])('never lets %s through as markup', (_name, md) => {
    const out = render(md);
    expect(out).not.toMatch(/<script|<img|\son\w+="|href="(javascript|data):/i);
  });

  it('renders every task README with its headings and without raw HTML', () => {
    for (const entry of loadCatalog().all()) {
      const out = render(entry.instructions);
      expect(out).toMatch(/^<h1 id="[a-z0-9-]+">/);
      expect(out).toContain('<h2 id="what-to-build">');
      expect(out).not.toMatch(/<(script|iframe|img|style)\b/i);
    }
  });
});
