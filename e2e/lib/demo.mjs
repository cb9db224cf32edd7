// Helpers for tests on the sandbox's demo page (www/demo, index.html).

/** Adds a <weavz-connect> with these attributes (an `id` among them) to the demo page's
 *  list; resolves with its button once the element has rendered. */
export async function addElement(page, attributes) {
  await page.evaluate((attrs) => {
    const el = document.createElement('weavz-connect');
    for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
    document.querySelector('.integrations').appendChild(el);
  }, attributes);
  const handle = await page.waitForFunction(
    (id) => document.getElementById(id)?.shadowRoot?.querySelector('button'),
    { timeout: 10000 },
    attributes.id,
  );
  return handle.asElement();
}
