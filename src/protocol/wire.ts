/**
 * The types of the wire contract (src/protocol/contract), for code that needs the shapes but
 * not the schemas: a type-only re-export, so the web bundle never carries TypeBox.
 */
export type * from './contract/index.js';
