// Series colours: distinct, readable on light and dark backgrounds, stable per app
// (by position in the engine's list), so an app keeps its colour in every chart.
const PALETTE = [
  '#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#86bcb6',
  '#3a6ea5', '#d37295', '#8cd17d', '#f1ce63', '#a0cbe8', '#ffbe7d', '#79706e', '#d4a6c8', '#499894', '#b6992d',
];

export function appColor(index: number): string {
  return PALETTE[((index % PALETTE.length) + PALETTE.length) % PALETTE.length]!;
}
