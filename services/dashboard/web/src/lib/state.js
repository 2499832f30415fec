// What the page knows about the session: the organization and GET /api/config. `rerender` draws
// the current page again (main.js sets it: pages import this instead of the router).
export const state = { org: null, config: null, rerender: () => Promise.resolve() };

export function rerender() { return state.rerender(); }

// Whether the session's role has a permission (GET /api/config's `permissions`). The server
// enforces every one of them; the UI only hides what would be refused.
export function can(permission) {
  return Boolean(state.config && state.config.permissions && state.config.permissions.includes(permission));
}
