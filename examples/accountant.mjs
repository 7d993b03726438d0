// Privacy accounting without any model (loads no TensorFlow.js): the epsilon of TensorFlow
// Privacy's MNIST tutorial setting, and the noise multiplier for a target epsilon.
// Run: node examples/accountant.mjs
import { PrivacyLedger, calibrateNoise, ledgerEpsilon } from 'dp-canary/accountant';

const datasetSize = 60000;
const batchSize = 256; // expected batch size of Poisson sampling
const epochs = 60;
const delta = 1e-5;
const samplingRate = batchSize / datasetSize;
const steps = Math.ceil((epochs * datasetSize) / batchSize); // as TF Privacy counts them

const ledger = PrivacyLedger.empty().compose({ samplingRate, noiseMultiplier: 1.1, count: steps });
// The ledger records; an accountant (RDP here, 'pld' for the tighter one) does the math.
const { epsilon, order } = ledgerEpsilon(ledger, delta, 'rdp');
console.log(`sigma 1.1, ${steps} steps: epsilon = ${epsilon.toFixed(4)} at delta = ${delta} (RDP order ${order})`);

const calibrated = calibrateNoise({ targetEpsilon: 3, samplingRate, steps, delta });
console.log(`for epsilon 3: sigma = ${calibrated.noiseMultiplier.toFixed(4)} (spends epsilon ${calibrated.epsilon.toFixed(4)})`);
