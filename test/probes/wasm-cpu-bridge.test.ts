/** @jest-environment ./test/probes/ort-environment.js */
// The wasm backend lacks some kernels tfjs gradients call; src/probes/wasm-cpu-bridge.ts borrows
// them from the cpu backend. Gradients through those kernels on wasm must equal the cpu backend's.
import { initTf, tf } from "../../src/probes/backend";
import { bridgeMissingWasmKernels } from "../../src/probes/wasm-cpu-bridge";

function values(n: number, seed: number): Float32Array {
  let s = seed;
  return new Float32Array(n).map(() => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648 - 0.5;
  });
}

/** Input and filter gradients of depthwise, separable and fused linear convolutions, on the current backend. */
function gradients(): Float32Array[] {
  const x = tf.tensor4d(values(2 * 6 * 6 * 3, 1), [2, 6, 6, 3]);
  const dw = tf.tensor4d(values(3 * 3 * 3 * 2, 2), [3, 3, 3, 2]);
  const pw = tf.tensor4d(values(6 * 4, 3), [1, 1, 6, 4]);
  const k = tf.tensor4d(values(3 * 3 * 3 * 5, 4), [3, 3, 3, 5]);
  const b = tf.tensor1d(values(5, 5));
  const f = (xx: tf.Tensor4D, dd: tf.Tensor4D, kk: tf.Tensor4D): tf.Scalar =>
    tf.add(tf.separableConv2d(xx, dd, pw, 1, "same").square().sum(), tf.fused.conv2d({ x: xx, filter: kk, bias: b, strides: 2, pad: "valid" }).square().sum()) as tf.Scalar;
  const grads = tf.grads((xx, dd, kk) => f(xx as tf.Tensor4D, dd as tf.Tensor4D, kk as tf.Tensor4D))([x, dw, k]);
  const out = grads.map((g) => g.dataSync() as Float32Array);
  tf.dispose([x, dw, pw, k, b, ...grads]);
  return out;
}

describe("wasm kernels borrowed from cpu", () => {
  it("bridges the depthwise and filter gradient kernels, and their gradients equal the cpu backend's", async () => {
    expect(await initTf("wasm")).toBe("wasm");
    const names = bridgeMissingWasmKernels();
    expect(names).toEqual(expect.arrayContaining(["Conv2DBackpropFilter", "DepthwiseConv2dNativeBackpropInput", "DepthwiseConv2dNativeBackpropFilter"]));
    const onWasm = gradients();
    await tf.setBackend("cpu");
    const onCpu = gradients();
    await tf.setBackend("wasm");
    expect(onWasm).toHaveLength(3);
    onWasm.forEach((g, i) => {
      const want = onCpu[i]!;
      expect(g.length).toBe(want.length);
      let worst = 0;
      for (let j = 0; j < g.length; j++) worst = Math.max(worst, Math.abs(g[j]! - want[j]!) / (1 + Math.abs(want[j]!)));
      expect(worst).toBeLessThan(1e-4);
    });
  });
});
