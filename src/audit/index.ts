export * from './bound.js';
export * from './guess.js';
