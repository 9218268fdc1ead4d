// What the authenticated routes share for the OpenAPI description.

/** `security` of every authenticated route (the scheme is declared in plugins/documentation.ts). */
export const BEARER = [{ bearerAuth: [] }]
