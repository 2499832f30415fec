// What the page knows about the session: the organization and GET /api/config. `rerender` draws
// the current page again (main.js sets it: pages import this instead of the router).
export const state = { org: null, config: null, rerender: () => Promise.resolve() };

export function rerender() { return state.rerender(); }
