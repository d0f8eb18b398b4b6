import { initTf, tf } from "../../src/probes/backend";

beforeAll(async () => {
  expect(await initTf()).toBe("wasm");
});

function close(a: Float32Array | Int32Array | Uint8Array, b: Float32Array | Int32Array | Uint8Array): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return a.length === b.length ? worst : Infinity;
}

describe("fast input gradients on wasm", () => {
  const pads: Array<"same" | "valid" | [[number, number], [number, number], [number, number], [number, number]]> = ["same", "valid", [[0, 0], [1, 0], [2, 1], [0, 0]]];
  for (const pad of pads) {
    it(`conv2d stride 1, pad ${JSON.stringify(pad)}: matches the transposed convolution (backprop input)`, () => {
      const x = tf.randomNormal([3, 7, 6, 2], 0, 1, "float32", 1) as tf.Tensor4D;
      const f = tf.randomNormal([3, 3, 2, 4], 0, 1, "float32", 2) as tf.Tensor4D;
      const y = tf.conv2d(x, f, 1, pad);
      const dy = tf.randomNormal(y.shape, 0, 1, "float32", 3) as tf.Tensor4D;
      const fast = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(t as tf.Tensor4D, f, 1, pad), dy)))(x);
      const reference = tf.conv2dTranspose(dy, f, x.shape, 1, pad);
      expect(close(fast.dataSync() as Float32Array, reference.dataSync() as Float32Array)).toBeLessThan(1e-4);
    });
  }

  it("max pool 2x2 stride 2: routes the gradient to each window's maximum", () => {
    const x = tf.randomNormal([2, 4, 6, 3], 0, 1, "float32", 4) as tf.Tensor4D;
    const y = tf.maxPool(x, 2, 2, "valid");
    const dy = tf.randomNormal(y.shape, 0, 1, "float32", 5) as tf.Tensor4D;
    const fast = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(t as tf.Tensor4D, 2, 2, "valid"), dy)))(x).dataSync();
    const xs = x.dataSync();
    const ds = dy.dataSync();
    const want = new Float32Array(xs.length);
    const at = (n: number, h: number, w: number, c: number, H: number, W: number, C: number): number => ((n * H + h) * W + w) * C + c;
    for (let n = 0; n < 2; n++) for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) for (let c = 0; c < 3; c++) {
      let best = -1;
      for (let a = 0; a < 2; a++) for (let b = 0; b < 2; b++) {
        const k = at(n, 2 * i + a, 2 * j + b, c, 4, 6, 3);
        if (best < 0 || xs[k]! > xs[best]!) best = k;
      }
      want[best] = ds[at(n, i, j, c, 2, 3, 3)]!;
    }
    expect(close(fast as Float32Array, want)).toBeLessThan(1e-6);
  });
});
