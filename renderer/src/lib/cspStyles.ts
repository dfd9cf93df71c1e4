// xterm.js's DOM renderer writes its theme and cell sizes into <style> elements it
// creates. The dashboard's CSP (style-src 'self', no 'unsafe-inline') refuses inline
// <style> content, so while a terminal opens, <style> elements it asks for are
// replaced by inert stand-ins whose text goes into a constructable stylesheet
// adopted by the document (CSSOM, which the CSP allows). Nothing else is affected.
export function withAdoptedStyles<T>(open: () => T): { result: T; dispose: () => void } {
  const sheets: CSSStyleSheet[] = [];
  const original = document.createElement;
  const doc = document;
  document.createElement = function createElement(this: Document, tagName: string, options?: ElementCreationOptions) {
    if (String(tagName).toLowerCase() !== 'style') return original.call(this, tagName, options);
    const sheet = new CSSStyleSheet();
    sheets.push(sheet);
    doc.adoptedStyleSheets = [...doc.adoptedStyleSheets, sheet];
    const standIn = original.call(this, 'template', options) as HTMLTemplateElement;
    standIn.dataset.xtermStyle = '';
    let text = '';
    Object.defineProperty(standIn, 'textContent', {
      configurable: true,
      get: () => text,
      set: (value: string | null) => {
        text = value ?? '';
        sheet.replaceSync(text);
      },
    });
    Object.defineProperty(standIn, 'innerText', { configurable: true, get: () => text, set: (value: string) => (standIn.textContent = value) });
    return standIn;
  } as typeof document.createElement;
  let result: T;
  try {
    result = open();
  } finally {
    document.createElement = original;
  }
  return {
    result,
    dispose: () => {
      doc.adoptedStyleSheets = doc.adoptedStyleSheets.filter((s) => !sheets.includes(s));
    },
  };
}
