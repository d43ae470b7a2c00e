
/**
 * How many AsyncLocalStorage instances Node is propagating right now: each enabled one adds its
 * own `kResourceStore` symbol to every promise created while it is enabled.
 */
export function enabledAsyncContexts(): number {
  return Object.getOwnPropertySymbols(Promise.resolve()).filter((s) => s.description === 'kResourceStore').length;
}
