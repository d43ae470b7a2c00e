/**
 * The web portal and JSON API behind `skillproof serve`: server-rendered pages for candidates and
 * administrators, public credential verification, and an OpenAPI-documented API. Built on node:http.
 */
export { createPortalServer, startPortalServer, type RunningPortal, type ServerOptions } from './app';
export { Portal, createAccessCode, createAdminToken, type PortalOptions, type Principal, type SandboxAccessProvider } from './portal';
export { renderMarkdown } from './markdown';
export { apiRoutes } from './api';
