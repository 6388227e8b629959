/** Code workflows built from canvas builders: the same interpreter as POST /workflows. */
import { chain, runCanvas, starmap, task } from './builders';

/**
 * (x + y) * factor as a chain, then a starmap squaring the product and x: two canvases in
 * one workflow, named so their activity ids and state paths stay apart.
 */
export async function arithmeticDemo(x = 4, y = 5, factor = 7): Promise<{ product: number; squares: number[] }> {
  const product = await runCanvas<number>(chain(task('add', x, y), task('mul', factor)), { name: 'product' });
  const squares = await runCanvas<number[]>(
    starmap('mul', [
      [product, product],
      [x, x],
    ]),
    { name: 'squares' },
  );
  return { product, squares };
}
