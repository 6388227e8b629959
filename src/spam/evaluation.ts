/** Binary classification metrics with spam as the positive class. */

export interface Metrics {
  accuracy: number;
  precision: number;
  recall: number;
  f1: number;
  truePositives: number;
  falsePositives: number;
  trueNegatives: number;
  falseNegatives: number;
}

/** `actual[i]` and `predicted[i]` are "is spam" flags for the same message. */
export function computeMetrics(actual: readonly boolean[], predicted: readonly boolean[]): Metrics {
  if (actual.length !== predicted.length) throw new Error('actual and predicted differ in length');
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  for (let i = 0; i < actual.length; i++) {
    if (predicted[i] && actual[i]) tp++;
    else if (predicted[i]) fp++;
    else if (actual[i]) fn++;
    else tn++;
  }
  // An empty denominator (no predicted / no actual spam) scores 0 rather than NaN.
  const ratio = (a: number, b: number): number => (b === 0 ? 0 : a / b);
  const precision = ratio(tp, tp + fp);
  const recall = ratio(tp, tp + fn);
  return {
    accuracy: ratio(tp + tn, actual.length),
    precision,
    recall,
    f1: ratio(2 * precision * recall, precision + recall),
    truePositives: tp,
    falsePositives: fp,
    trueNegatives: tn,
    falseNegatives: fn,
  };
}
