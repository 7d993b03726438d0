/**
 * The model kinds, free of tfjs so that validators can use the list: recurrent ('lstm', 'gru':
 * embedding -> recurrent layers -> dense output) or a decoder-only 'transformer'.
 */
export const CELL_NAMES = ['lstm', 'gru', 'transformer'] as const;

export type CellName = (typeof CELL_NAMES)[number];
