/**
 * Jest reporter that ends the run with one plain line CI can read:
 * "jest: N passed, N failed, N skipped". Printed at process exit so it is
 * the last line, after Jest's own summary.
 */
export default class SummaryReporter {
  onRunComplete(_contexts, results) {
    const { numPassedTests, numFailedTests, numPendingTests, numTodoTests } = results;
    const line = `jest: ${numPassedTests} passed, ${numFailedTests} failed, ${numPendingTests + numTodoTests} skipped\n`;
    process.once("exit", () => process.stdout.write(line));
  }
}
